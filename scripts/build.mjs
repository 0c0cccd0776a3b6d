// Builds the `codex` executable and the library, then the type declarations.
//
// Start-up time is a feature, so the executable is one CommonJS file (Node 20 starts a CommonJS entry
// measurably faster than an ES module) holding only what every command needs. Libraries needed only by
// commands that write or prompt are bundled into dist/vendor/*.cjs and required on first use, so
// `codex status` never reads or compiles them. The library (dist/index.js) is ESM with its dependencies
// left to npm.
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const LAZY = {
  "@decimalturn/toml-patch": "toml-patch",
  "write-file-atomic": "write-file-atomic",
  "@inquirer/password": "inquirer-password",
};
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  // Error classes name themselves (`ConfigParseError: …` in --debug stack traces).
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  define: { __VERSION__: JSON.stringify(pkg.version) },
};

rmSync("dist", { recursive: true, force: true });

await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(LAZY).map(([from, name]) => [name, from])),
  outdir: "dist/vendor",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
});

await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  outfile: "dist/cli.cjs",
  format: "cjs",
  banner: { js: "#!/usr/bin/env node" },
  // src/commands/io.ts reads import.meta only when there is no CommonJS `require`, never in this bundle.
  logOverride: { "empty-import-meta": "silent" },
  plugins: [
    {
      name: "lazy-vendor",
      setup(b) {
        const filter = new RegExp(
          `^(${Object.keys(LAZY)
            .join("|")
            .replace(/[/@.-]/g, "\\$&")})$`,
        );
        b.onResolve({ filter }, (args) => ({ path: `./vendor/${LAZY[args.path]}.cjs`, external: true }));
      },
    },
  ],
});
chmodSync("dist/cli.cjs", 0o755);

await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  format: "esm",
  packages: "external",
  minify: false,
});
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
