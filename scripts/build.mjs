// Builds the CLI and the library with esbuild (one bundle each, shared chunks, heavy modules split out so
// they load only in the commands that need them), then the type declarations with tsc.
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli.ts", index: "src/index.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  chunkNames: "chunks/[name]-[hash]",
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies use require() and __filename; give the ESM output real ones.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url);",
  },
  logLevel: "warning",
});
const cli = "dist/cli.js";
const body = readFileSync(cli, "utf8");
await import("node:fs").then((fs) => fs.writeFileSync(cli, `#!/usr/bin/env node\n${body}`));
chmodSync(cli, 0o755);
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
