// Builds the `codex` executable and the library, then the type declarations.
//
// Start-up time is a feature, so the executable is one CommonJS bundle (Node 20 starts a CommonJS entry
// measurably faster than an ES module), dist/main.cjs, run by the small dist/cli.cjs from a V8 code cache
// made at build time. Libraries needed only by commands that write or prompt are bundled into
// dist/vendor/*.cjs and required on first use, so `codex status` never reads or compiles them. The library (dist/index.js) is ESM with its dependencies
// left to npm.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
    // Modules import createRequire for the ESM library's sake; the bundle has a require and never calls it,
    // but an import of node:module would load it (and, on Node 20, the ES module loader) at every start.
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      args.namespace === "lazy-vendor"
        ? { path: args.path, external: true }
        : { path: args.path, namespace: "lazy-vendor" },
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-vendor" }, (args) => ({
      loader: "js",
      resolveDir: ".",
      contents:
        args.path === "vendor-loader"
          ? VENDOR_LOADER
          : args.path === "node:module"
            ? 'exports.createRequire = (...a) => require("node:module").createRequire(...a);'
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
});

await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  outfile: "dist/main.cjs",
  format: "cjs",
  // src/commands/io.ts reads import.meta only when there is no CommonJS `require`, never in this bundle.
  logOverride: { "empty-import-meta": "silent" },
  plugins: [lazyVendor],
});

// The executable itself is a loader: it compiles dist/main.cjs with a V8 code cache, as the vendor bundles
// are. Compiling the bundle from source is a measurable share of `codex status` (about 0.06× `node -e 0`).
// The cache made here fits only the Node that made it (V8 rejects it on any other version), so on another
// Node the loader keeps one of its own per user, made at the end of the first run of each command, when V8
// has compiled what that command runs. Node's module.enableCompileCache() (Node >= 22.1) was measured
// first: it caches only what V8 compiles before the module runs (89 KB of 300), and `codex status` on Node
// 24 took 1.22× `node -e 0` with it against 1.15× with a cache made after the run.
const BUILD_ID = createHash("sha256").update(readFileSync("dist/main.cjs")).digest("hex").slice(0, 16);
writeFileSync(
  "dist/cli.cjs",
  `#!/usr/bin/env node
"use strict";
// Runs main.cjs compiled from a V8 code cache: the one made at build time (scripts/build.mjs) on the Node
// that built the package, else this user's own (userCache). A cache that does not fit this Node, its flags
// or this file is rejected by V8, and the bundle is compiled from source instead.
const { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");
const wrap = ${wrap.toString()};
const file = join(__dirname, "main.cjs");
const own = process.version === ${JSON.stringify(process.version)} && process.arch === ${JSON.stringify(process.arch)};
// status and logout have a cache each (scripts/build.mjs says why); the other commands share one.
const command = process.argv[2] === "status" || process.argv[2] === "logout" ? process.argv[2] : undefined;
const cache = own ? \`\${file}\${command ? "." + command : ""}.v8cache\` : userCache();
let cachedData;
if (cache !== undefined) try { cachedData = readFileSync(cache); } catch {}
const script = new Script(wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
if (!own && cache !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
  process.once("exit", () => saveCache(cache));
}
script.runInThisContext().call(module.exports, module.exports, require, module, file, __dirname);

/**
 * This user's cache file for this build, this Node and this command (as the build's, one each for status
 * and logout, one for the rest), in a directory of the temp dir that only this user can
 * write: a cache is code V8 runs. Never in HOME, which codex leaves as it found it. None on a system
 * without user ids, or with NODE_DISABLE_COMPILE_CACHE set (Node's own switch for its compile cache).
 */
function userCache() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE || typeof process.getuid !== "function") return undefined;
  const uid = process.getuid();
  const dir = join(require("node:os").tmpdir(), \`codex-credentials-\${uid}\`);
  let stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) {
    try { mkdirSync(dir, { mode: 0o700 }); } catch { return undefined; }
    stat = lstatSync(dir, { throwIfNoEntry: false });
  }
  if (!stat?.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return undefined;
  return join(dir, \`main-${BUILD_ID}-\${process.version}-\${process.arch}-\${command ?? "other"}.v8cache\`);
}

/** Writes the cache whole or not at all (a new name, then rename); a failure only costs the next start. */
function saveCache(path) {
  const temp = \`\${path}.\${process.pid}.tmp\`;
  try {
    writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: "wx" });
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true });
  }
}
`,
);
chmodSync("dist/cli.cjs", 0o755);

// A cache holds what V8 compiled while the bundle ran, so each is made after running the commands it is
// for, in a child process (they write to file descriptors 1 and 2) on a throwaway home. `status` and
// `logout`, the commands with a start-up budget, have a cache each, which holds what they run and nothing
// else (V8 reads all of a cache at start); every other command shares main.cjs.v8cache, made running `run`
// against a local server and the help.
const KEY = "sk-warmup-00000000000000000000";
const created = (() => {
  const home = mkdtempSync(join(tmpdir(), "codex-build-"));
  try {
    const env = { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, NO_COLOR: "1" };
    execFileSync(process.execPath, ["dist/cli.cjs", "login", "--with-api-key"], { env, input: KEY, stdio: "pipe" });
    return readFileSync(join(home, "config.toml"), "utf8");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
})();
// "created": config.toml as `codex login` creates it (logout deletes it); "edited": one with other settings
// (logout rewrites it).
const edited = `# warm-up\nmodel = "m"\nauth_token = "${KEY}"\n\n[model_providers.x]\nbase_url = "http://127.0.0.1:9/v1"\n`;
const WARM_UPS = {
  "main.cjs.status.v8cache": [["status"], created, ["status"], ["status", "--json"], edited, ["status"]],
  "main.cjs.logout.v8cache": [["logout"], created, ["logout"], edited, ["logout"], ["logout"]],
  "main.cjs.v8cache": [["--help"], ["run", "--help"], created, ["run", "hi"], ["--version"]],
};
for (const [cache, steps] of Object.entries(WARM_UPS)) {
  execFileSync(
    process.execPath,
    [
      "-e",
      `
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { createServer } = require("node:http");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { Script } = require("node:vm");
const wrap = ${wrap.toString()};
const dist = ${JSON.stringify(fileURLToPath(new URL("../dist", import.meta.url)))};
const file = join(dist, "main.cjs");
const script = new Script(wrap(readFileSync(file, "utf8")), { filename: ${JSON.stringify(`${CACHED_AS}main.cjs`)} });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dist);
// An instant provider for \`codex run\`.
const sse = 'event: response.output_text.delta\\ndata: {"type":"response.output_text.delta","delta":"ok"}\\n\\n' +
  'event: response.completed\\ndata: {"type":"response.completed","response":{"model":"m"}}\\n\\n';
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "text/event-stream" }).end(sse));
});
server.listen(0, "127.0.0.1", async () => {
  const home = mkdtempSync(join(tmpdir(), "codex-build-"));
  const env = { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, NO_COLOR: "1",
    OPENAI_BASE_URL: \`http://127.0.0.1:\${server.address().port}/v1\` };
  try {
    for (const step of ${JSON.stringify(steps)}) {
      if (typeof step === "string") writeFileSync(join(home, "config.toml"), step, { mode: 0o600 });
      else await mod.exports.main(["node", "codex", ...step], env);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
    server.close();
  }
  writeFileSync(join(dist, ${JSON.stringify(cache)}), script.createCachedData());
});
`,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  format: "esm",
  packages: "external",
  minify: false,
  // Node built-ins needed only by some calls (node:http, node:tty) are required on first use; an ES module
  // has no `require`, and esbuild's stand-in throws without one, so the bundle makes its own.
  banner: {
    js: 'import { createRequire as __codexCreateRequire } from "node:module";\nconst require = __codexCreateRequire(import.meta.url);',
  },
});
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
