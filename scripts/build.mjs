// Builds the `codex` executable and the library, then the type declarations.
//
// Start-up time is a feature, so the executable is one CommonJS bundle (Node 20 starts a CommonJS entry
// measurably faster than an ES module), dist/main.cjs, run by the small dist/cli.cjs from a V8 code cache
// made at build time. Libraries needed only by commands that write or prompt are bundled into
// dist/vendor/*.cjs and required on first use, so `codex status` never reads or compiles them. The library (dist/index.js) is ESM with its dependencies
// left to npm.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const LAZY = {
  "@decimalturn/toml-patch": "toml-patch",
  "@inquirer/password": "inquirer-password",
  "@inquirer/select": "inquirer-select",
  "https-proxy-agent": "https-proxy-agent",
  "openid-client": "openid-client",
};
// The name each bundle is compiled under when its code cache is made. V8 before 12 (Node 20) keeps that name
// for a script compiled from the cache, whatever name the installed loader gives it, so stack traces would
// show the build machine's paths (and the package would carry them). The CLI's --debug output puts the
// installed directory in place of this prefix (src/cli.ts); on newer Node the loader's name is used as is.
const CACHED_AS = `${pkg.name}/dist/`;
// `npm run coverage` (scripts/coverage.mjs) builds with CODEX_BUILD_SOURCEMAPS=<directory>: our bundles are
// not minified (minified code folds statements and branches into expressions, and V8's block coverage of
// those maps back to src/ only coarsely) and get source maps, so the coverage of spawned CLIs maps back to
// src/. The maps of the executable's bundles go to that directory, outside dist/, so the package (which
// test/package.test.ts checks) holds no .map file; the library's map is inline, because the test workers
// import dist/index.js through Vite, which reads only a map the file points to.
const SOURCEMAPS = process.env.CODEX_BUILD_SOURCEMAPS;
const mapped = SOURCEMAPS ? { minify: false, sourcemap: "external", sourcesContent: false } : {};
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  // Error classes name themselves (`ConfigParseError: …` in --debug stack traces).
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  define: { __VERSION__: JSON.stringify(pkg.version), __CACHED_AS__: JSON.stringify(CACHED_AS) },
};

/**
 * Maps each LAZY package to a small module that, when first required, compiles dist/vendor/<name>.cjs
 * with V8's code cache from the build (compiling toml-patch from source costs more than all of `codex
 * status`). A cache made by another Node version or with other V8 flags is rejected by V8 and the file is
 * simply compiled from source.
 */
const lazyVendor = {
  name: "lazy-vendor",
  setup(b) {
    const names = Object.keys(LAZY)
      .join("|")
      .replace(/[/@.-]/g, "\\$&");
    b.onResolve({ filter: new RegExp(`^(${names}|vendor-loader)$`) }, (args) => ({
      path: args.path,
      namespace: "lazy-vendor",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-vendor" }, (args) => ({
      loader: "js",
      resolveDir: ".",
      contents:
        args.path === "vendor-loader"
          ? VENDOR_LOADER
          : `module.exports = require("vendor-loader")(${JSON.stringify(LAZY[args.path])});`,
    }));
  },
};
// The same wrapper at build and at run time: V8 accepts a code cache only for the identical source.
const wrap = (src) => `(function (exports, require, module, __filename, __dirname) {${src}\n})`;
const VENDOR_LOADER = `
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");
const wrap = ${wrap.toString()};
module.exports = function loadVendor(name) {
  const file = join(__dirname, "vendor", name + ".cjs");
  let cachedData;
  try { cachedData = readFileSync(file + ".v8cache"); } catch {}
  const fn = new Script(wrap(readFileSync(file, "utf8")), { filename: file, cachedData }).runInThisContext();
  const module = { exports: {} };
  fn.call(module.exports, module.exports, require, module, file, join(__dirname, "vendor"));
  return module.exports;
};`;

/** Compiles a vendor bundle, exercises it so V8 compiles what a command will call, and saves the cache. */
async function writeCodeCache(name, warmUp) {
  const { Script } = await import("node:vm");
  const { createRequire } = await import("node:module");
  const file = `dist/vendor/${name}.cjs`;
  const script = new Script(wrap(readFileSync(file, "utf8")), { filename: `${CACHED_AS}vendor/${name}.cjs` });
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(import.meta.url), module, file, "dist/vendor");
  warmUp?.(module.exports);
  writeFileSync(`${file}.v8cache`, script.createCachedData());
}

rmSync("dist", { recursive: true, force: true });

await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(LAZY).map(([from, name]) => [name, from])),
  outdir: "dist/vendor",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  // The proxy agent logs through `debug`, which prints whatever DEBUG=* asks for: a no-op in its place.
  alias: { debug: "./scripts/no-debug.cjs" },
  // Negotiate (Kerberos) proxy sign-in, which codex never asks the agent for, needs a native package.
  external: ["kerberos"],
});

const SAMPLE =
  '# c\nmodel = "o3" # t\nauth_token = "sk-x"\na.b = [1, 2.5, true]\nt = { x = "y" }\n\n[p.q]\nk = """\nm\n"""\n[[arr]]\nz = 1979-05-27T07:32:00Z\n';
await writeCodeCache("toml-patch", (m) => {
  const doc = new m.TomlDocument(SAMPLE);
  void doc.cst;
});

await writeCodeCache("https-proxy-agent", (m) => {
  void new m.HttpsProxyAgent(new URL("http://127.0.0.1:9"), { keepAlive: false });
});

// The keyring helper runs as its own process (src/credentials/keyring-helper.ts says why); the native
// module stays a package, since a .node binary cannot be bundled.
await build({
  ...common,
  entryPoints: ["src/credentials/keyring-helper.ts"],
  outfile: "dist/keyring-helper.cjs",
  format: "cjs",
  external: ["@napi-rs/keyring"],
  ...mapped,
});

await build({
  ...common,
  entryPoints: ["src/bin.ts"],
  outfile: "dist/main.cjs",
  format: "cjs",
  // src/config/lazy-require.ts reads import.meta only when there is no CommonJS `require`, never in this bundle.
  logOverride: { "empty-import-meta": "silent" },
  plugins: [lazyVendor],
  ...mapped,
});

// The executable itself is a loader: it compiles dist/main.cjs with a V8 code cache, as the vendor bundles
// are. Compiling the bundle from source is a measurable share of `codex status` (about 0.06× `node -e 0`).
// The coverage build's loader leaves the cache alone (it is still written, as the package holds one): V8
// reports only whether each function ran, not which of its blocks, for a script compiled from a code cache
// (measured on `codex status`: 799 ranges for 799 functions, against 1052 compiled from source).
writeFileSync(
  "dist/cli.cjs",
  `#!/usr/bin/env node
"use strict";
// Runs main.cjs compiled from the V8 code cache made at build time (scripts/build.mjs); a cache that does
// not match this Node or this file is rejected by V8, and the bundle is compiled from source instead.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");
const wrap = ${wrap.toString()};
const file = join(__dirname, "main.cjs");
let cachedData;
${SOURCEMAPS ? "// The coverage build: compiled from source, for V8's block coverage." : 'try { cachedData = readFileSync(file + ".v8cache"); } catch {}'}
new Script(wrap(readFileSync(file, "utf8")), { filename: file, cachedData })
  .runInThisContext()
  .call(module.exports, module.exports, require, module, file, __dirname);
`,
);
chmodSync("dist/cli.cjs", 0o755);

// The cache holds what V8 compiled while the bundle ran, so it is made after running the commands whose
// start-up matters, in a child process (they write to file descriptors 1 and 2) on a throwaway home.
execFileSync(
  process.execPath,
  [
    "-e",
    `
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { Script } = require("node:vm");
const wrap = ${wrap.toString()};
const dist = ${JSON.stringify(fileURLToPath(new URL("../dist", import.meta.url)))};
const file = join(dist, "main.cjs");
const script = new Script(wrap(readFileSync(file, "utf8")), { filename: ${JSON.stringify(`${CACHED_AS}main.cjs`)} });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dist);
(async () => {
  const home = mkdtempSync(join(tmpdir(), "codex-build-"));
  const codexHome = join(home, "codex");
  mkdirSync(codexHome);
  const env = { PATH: process.env.PATH, HOME: home, CODEX_HOME: codexHome, NO_COLOR: "1" };
  const config = '# warm-up\\nmodel = "m"\\nauth_token = "sk-warmup-0000000000000000"\\n\\n[model_providers.x]\\nbase_url = "http://127.0.0.1:9/v1"\\n';
  // Not \`codex run\`: the larger cache it makes slows every other command's start a little, and
  // \`status\` and \`logout\` are the ones with a start-up budget.
  try {
    // Logged out, then logged in (status, logout), then logged out again.
    const steps = [["status"], ["logout"], "login", ["status"], ["status", "--json"], ["logout"], ["status"], ["--help"], ["run", "--help"]];
    for (const step of steps) {
      if (step === "login") writeFileSync(join(codexHome, "config.toml"), config, { mode: 0o600 });
      else await mod.exports.run(["node", "codex", ...step], env);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  writeFileSync(file + ".v8cache", script.createCachedData());
})();
`,
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);

await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  format: "esm",
  packages: "external",
  minify: false,
  ...(SOURCEMAPS && { sourcemap: "inline", sourcesContent: false }),
  // Node built-ins needed only by some calls (node:http, node:tty) are required on first use; an ES module
  // has no `require`, and esbuild's stand-in throws without one, so the bundle makes its own.
  banner: {
    js: 'import { createRequire as __codexCreateRequire } from "node:module";\nconst require = __codexCreateRequire(import.meta.url);',
  },
});
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (SOURCEMAPS) {
  mkdirSync(SOURCEMAPS, { recursive: true });
  for (const name of ["main.cjs.map", "keyring-helper.cjs.map"]) renameSync(`dist/${name}`, join(SOURCEMAPS, name));
}
