// Builds the `codex` executable and the library, then the type declarations.
//
// Start-up time is a feature, so the executable is CommonJS (Node 20 starts a CommonJS entry measurably
// faster than an ES module): dist/main.cjs, what `codex status` and `codex logout` run, started by the small
// dist/cli.cjs; dist/lazy.cjs, the code of the other commands, loaded on first use (see splitMain); and
// dist/vendor/*.cjs, libraries needed only by commands that sign in, prompt or go through a proxy. Each is
// compiled from a V8 code cache (compileCached). The library (dist/index.js) is ESM with its dependencies
// left to npm.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
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
 * with a V8 code cache (compileCached; compiling toml-patch from source costs more than all of `codex
 * status`).
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
          ? VENDOR_LOADER()
          : args.path === "node:module"
            ? 'exports.createRequire = (...a) => require("node:module").createRequire(...a);'
            : `module.exports = require("vendor-loader")(${JSON.stringify(LAZY[args.path])});`,
    }));
  },
};
// The same wrapper at build and at run time: V8 accepts a code cache only for the identical source.
const wrap = (src) => `(function (exports, require, module, __filename, __dirname) {${src}\n})`;
const wrapLazy = (src) => `(function (exports, require, module, __filename, __dirname, __core) {${src}\n})`;

/**
 * Compiles a bundle with a V8 code cache: the build's, beside the file, on the Node that built the package
 * (`builtBy`); on any other, this user's own, made at the end of the first run that lacks it, when V8 has
 * compiled what the run needed. Node's module.enableCompileCache() (Node >= 22.1) was measured first: it
 * caches only what V8 compiles before a module runs (117 KB for main.cjs, against 196 KB made after
 * `codex status` ran), and the CPU time of `codex status` on Node 24 was 1.25× that of `node -e 0` with
 * it, 1.21× with a cache made after the run, 1.44× with none.
 *
 * A user's caches are in a directory of the temp dir that only that user can write, since a cache is code
 * V8 runs (never in HOME, which codex leaves as it found it), and are named after the build (`buildId`),
 * this Node and `variant`: V8 checks a cache's Node and flags but, of the source, only its length. None on a
 * system without user ids, or with NODE_DISABLE_COMPILE_CACHE set (Node's own switch for its cache). A
 * cache that does not fit is rejected by V8 and the bundle compiled from source; a user's is then replaced,
 * whole or not at all (a new name, then rename): a failure only costs the next start.
 */
function compileCached(source, file, variant, builtBy, buildId) {
  const { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
  const { basename, join } = require("node:path");
  const { Script } = require("node:vm");
  const own = `${process.version} ${process.arch}` === builtBy;
  let path = own ? `${file}${variant ? `.${variant}` : ""}.v8cache` : undefined;
  if (!own && !process.env.NODE_DISABLE_COMPILE_CACHE && typeof process.getuid === "function") {
    const uid = process.getuid();
    const dir = join(require("node:os").tmpdir(), `codex-credentials-${uid}`);
    let stat = lstatSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch {}
      stat = lstatSync(dir, { throwIfNoEntry: false });
    }
    if (stat?.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0) {
      const name = `${basename(file, ".cjs")}-${buildId}-${process.version}-${process.arch}-${variant ?? "other"}`;
      path = join(dir, `${name}.v8cache`);
    }
  }
  let cachedData;
  try {
    if (path !== undefined) cachedData = readFileSync(path);
  } catch {}
  const script = new Script(source, { filename: file, cachedData });
  if (path !== undefined && !own && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      const temp = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: "wx" });
        renameSync(temp, path);
      } catch {
        rmSync(temp, { force: true });
      }
    });
  }
  return script;
}
const BUILT_BY = `${process.version} ${process.arch}`;
// The coverage build's loaders compile every bundle from source: V8 reports only whether each function ran,
// not which of its blocks, for a script compiled from a code cache (measured on \`codex status\`: 799 ranges
// for 799 functions, against 1052 compiled from source). The caches are still made, as the package holds them.
const COMPILE_FROM_SOURCE = `function compileCached(source, file) {
  return new (require("node:vm").Script)(source, { filename: file });
}`;
/** Names the user caches of this build: a hash of everything the bundles are made from (set below). */
let BUILD_ID;
const VENDOR_LOADER = () => `
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const wrap = ${wrap.toString()};
const wrapLazy = ${wrapLazy.toString()};
${SOURCEMAPS ? COMPILE_FROM_SOURCE : compileCached.toString()}
const compile = (source, file) => compileCached(source, file, undefined, ${JSON.stringify(BUILT_BY)}, ${JSON.stringify(BUILD_ID)});
module.exports = function loadVendor(name) {
  const file = join(__dirname, "vendor", name + ".cjs");
  const fn = compile(wrap(readFileSync(file, "utf8")), file).runInThisContext();
  const module = { exports: {} };
  fn.call(module.exports, module.exports, require, module, file, join(__dirname, "vendor"));
  return module.exports;
};
/** dist/lazy.cjs (see splitMain), given the modules of this bundle it imports. */
module.exports.lazy = function loadLazy(core) {
  const file = join(__dirname, "lazy.cjs");
  const fn = compile(wrapLazy(readFileSync(file, "utf8")), file).runInThisContext();
  const module = { exports: {} };
  fn.call(module.exports, module.exports, require, module, file, __dirname, core);
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

// The executable's code is two bundles. dist/main.cjs holds what `codex status` and `codex logout` run:
// every module src/cli.ts imports statically, and the write path of config.toml (CORE_ROOTS); everything
// else, only ever reached through a dynamic import (the sign-in flows, the provider client, doctor, …), is
// in dist/lazy.cjs, loaded on the first such import. Start-up reads and deserializes all of a bundle and its
// code cache, used or not: with main.cjs holding only the core, `codex status` costs about 1 ms less (CPU
// time on Node 20: 1.23× that of `node -e 0` instead of 1.28×). The two share the core's modules: lazy.cjs
// imports them from main.cjs (a table of their exports, passed to it as __core), never a copy, so there
// is one of each error class, one config cache.
const CORE_ROOTS = ["src/bin.ts", "src/config/save.ts"];
const cliBuild = {
  ...common,
  format: "cjs",
  // src/config/lazy-require.ts reads import.meta only when there is no CommonJS `require`, never in this bundle.
  logOverride: { "empty-import-meta": "silent" },
  ...mapped,
};
const graph = (
  await build({
    ...cliBuild,
    entryPoints: ["src/bin.ts"],
    write: false,
    metafile: true,
    sourcemap: false,
    plugins: [lazyVendor],
  })
).metafile.inputs;
/** The modules reached from `roots` by static imports. */
function closure(roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file) || graph[file] === undefined) continue;
    seen.add(file);
    for (const i of graph[file].imports) if (i.kind !== "dynamic-import" && !i.external) stack.push(i.path);
  }
  return seen;
}
const core = closure(CORE_ROOTS);
{
  const hash = createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url)));
  hash.update(readFileSync("package.json")).update(JSON.stringify(process.versions));
  hash.update(readFileSync("node_modules/esbuild/package.json"));
  for (const file of Object.keys(graph)
    .filter((f) => !f.includes(":"))
    .sort())
    hash.update(file).update(readFileSync(file));
  BUILD_ID = hash.digest("hex").slice(0, 16);
}
const isSource = (file) => !file.includes(":");
const lazyModules = Object.keys(graph).filter((f) => isSource(f) && !core.has(f));
const importsOf = (files, keep) => [
  ...new Set(files.flatMap((f) => graph[f].imports.filter((i) => keep(i)).map((i) => i.path))),
];
/** What lazy.cjs exports: each lazy module that a core one imports (dynamically: see closure). */
const entries = importsOf([...core], (i) => lazyModules.includes(i.path)).sort();
/**
 * The core modules main.cjs hands lazy.cjs (the ones lazy modules import) and those a core module imports
 * dynamically, all in one table (TABLE). Every dynamic import in main.cjs goes through it, never through
 * esbuild's own: a module imported dynamically is wrapped in a function run on first use, and so is every
 * module it imports, which would put nearly all of the bundle's top level in functions of their own, each
 * compiled (or read from the cache) and called at start-up: about 0.5 ms of `codex status`.
 */
const TABLE = [
  ...new Set([
    ...importsOf(lazyModules, (i) => core.has(i.path) && isSource(i.path)),
    ...importsOf([...core], (i) => i.kind === "dynamic-import" && core.has(i.path)),
  ]),
].sort();
const SKIP = Symbol("resolving");
/** The path of an import relative to the project, as the graph names it. */
async function resolveRelative(b, args) {
  const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: SKIP });
  return r.errors.length > 0 || r.external ? undefined : relative(process.cwd(), r.path);
}
const splitMain = {
  name: "split-main",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === SKIP || args.kind !== "dynamic-import" || args.namespace !== "file") return undefined;
      const file = await resolveRelative(b, args);
      return file !== undefined && (entries.includes(file) || TABLE.includes(file))
        ? { path: file, namespace: "lazy-module" }
        : undefined;
    });
    b.onResolve({ filter: /^lazy-table$/ }, (args) => ({ path: args.path, namespace: "lazy-module" }));
    b.onLoad({ filter: /.*/, namespace: "lazy-module" }, (args) => ({
      loader: "js",
      resolveDir: process.cwd(),
      contents:
        args.path === "lazy-table"
          ? `let lazy;
exports.core = undefined;
exports.lazy = (file) => (lazy ??= require("vendor-loader").lazy(exports.core))[file];`
          : TABLE.includes(args.path)
            ? `module.exports = require("lazy-table").core(${JSON.stringify(args.path)});`
            : `module.exports = require("lazy-table").lazy(${JSON.stringify(args.path)});`,
    }));
  },
};
const splitLazy = {
  name: "split-lazy",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === SKIP || args.namespace !== "file" || args.kind === "entry-point") return undefined;
      const file = await resolveRelative(b, args);
      return file !== undefined && core.has(file) ? { path: file, namespace: "core-module" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "core-module" }, (args) => ({
      loader: "js",
      contents: `module.exports = __core(${JSON.stringify(args.path)});`,
    }));
  },
};
/** A module's export names (a namespace import would build every module's namespace object at start). */
async function exportsOf(file) {
  const r = await build({
    entryPoints: [file],
    write: false,
    metafile: true,
    format: "esm",
    outdir: "x",
    logLevel: "silent",
  });
  return Object.values(r.metafile.outputs)[0].exports;
}
const tableExports = await Promise.all(TABLE.map(exportsOf));
// Each table entry is made on first use: an object of getters, so exported `let`s stay live. The table is
// filled once every module has run, before the first dynamic import (a promise job).
await build({
  ...cliBuild,
  stdin: {
    contents: `${TABLE.map((f, i) => `import { ${tableExports[i].map((e) => `${e} as m${i}_${e}`).join(", ")} } from ${JSON.stringify(resolve(f))};`).join("\n")}
export { run } from ${JSON.stringify(resolve("src/bin.ts"))};
const made = {
${TABLE.map((f, i) => `  ${JSON.stringify(f)}: () => ({ __esModule: true, ${tableExports[i].map((e) => `get ${e}() { return m${i}_${e}; }`).join(", ")} }),`).join("\n")}
};
const core = {};
require("lazy-table").core = (file) => (core[file] ??= made[file]());`,
    resolveDir: process.cwd(),
    sourcefile: "main-entry.js",
  },
  outfile: "dist/main.cjs",
  plugins: [splitMain, lazyVendor],
});
await build({
  ...cliBuild,
  stdin: {
    contents: `module.exports = {${entries.map((f) => `${JSON.stringify(f)}: require(${JSON.stringify(resolve(f))})`).join(", ")}};`,
    resolveDir: process.cwd(),
    sourcefile: "lazy-entry.js",
  },
  outfile: "dist/lazy.cjs",
  plugins: [splitLazy, lazyVendor],
});
// The other commands run dist/full.cjs: the whole program in one bundle, as before the split. Loading
// main.cjs and then lazy.cjs costs them more than one bundle does (CPU time of `codex run` against a local
// server on Node 20: 2.29× that of `node -e 0` against 1.98×), and they have no start-up budget to win.
await build({ ...cliBuild, entryPoints: ["src/bin.ts"], outfile: "dist/full.cjs", plugins: [lazyVendor] });

// The executable itself is a loader: it compiles dist/main.cjs with a V8 code cache (compileCached), as the
// other bundles are. Compiling the bundle from source is a measurable share of `codex status` (about 0.06×
// `node -e 0`).
writeFileSync(
  "dist/cli.cjs",
  `#!/usr/bin/env node
"use strict";
// Runs main.cjs compiled from a V8 code cache (scripts/build.mjs: compileCached).
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const wrap = ${wrap.toString()};
${SOURCEMAPS ? COMPILE_FROM_SOURCE : compileCached.toString()}
// status and logout run main.cjs, with a cache each; the other commands full.cjs (scripts/build.mjs says why).
const first = process.argv[process.argv[2] === "--debug" ? 3 : 2];
const command = first === "status" || first === "logout" ? first : undefined;
const file = join(__dirname, command === undefined ? "full.cjs" : "main.cjs");
compileCached(wrap(readFileSync(file, "utf8")), file, command, ${JSON.stringify(BUILT_BY)}, ${JSON.stringify(BUILD_ID)})
  .runInThisContext()
  .call(module.exports, module.exports, require, module, file, __dirname);
`,
);
chmodSync("dist/cli.cjs", 0o755);

// A cache holds what V8 compiled while the bundle ran, so each is made after running the commands it is
// for, in a child process (they write to file descriptors 1 and 2) on a throwaway home. `status` and
// `logout`, the commands with a start-up budget, have a cache each, which holds what they run and nothing
// else (V8 reads all of a cache at start); every other command shares full.cjs.v8cache, made running `run`
// against a local server and the help. lazy.cjs's is made running `status --check`, the commonest reason
// for main.cjs to load it.
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
const WARM_UPS = [
  ["main.cjs", "main.cjs.status.v8cache", [["status"], created, ["status"], ["status", "--json"], edited, ["status"]]],
  ["main.cjs", "main.cjs.logout.v8cache", [["logout"], created, ["logout"], edited, ["logout"], ["logout"]]],
  ["main.cjs", "lazy.cjs.v8cache", [created, ["status", "--check"]]],
  ["full.cjs", "full.cjs.v8cache", [["--help"], ["run", "--help"], created, ["run", "hi"], ["--version"]]],
];
for (const [bundle, cache, steps] of WARM_UPS) {
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
const file = join(dist, ${JSON.stringify(bundle)});
const script = new Script(wrap(readFileSync(file, "utf8")), { filename: ${JSON.stringify(`${CACHED_AS}${bundle}`)} });
// lazy.cjs, when a command loads it, is compiled under the name its cache is made for (see CACHED_AS).
const vm = require("node:vm");
let lazy;
vm.Script = class extends vm.Script {
  constructor(source, options) {
    const own = options.filename === join(dist, "lazy.cjs");
    super(source, own ? { ...options, filename: ${JSON.stringify(`${CACHED_AS}lazy.cjs`)} } : options);
    if (own) lazy = this;
  }
};
const mod = { exports: {} };
// Loading the bundle runs the command in process.argv: one that needs nothing else.
process.argv = [process.execPath, "codex", "--version"];
script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dist);
// An instant provider for \`codex run\` and \`codex status --check\`.
const sse = 'event: response.output_text.delta\\ndata: {"type":"response.output_text.delta","delta":"ok"}\\n\\n' +
  'event: response.completed\\ndata: {"type":"response.completed","response":{"model":"m"}}\\n\\n';
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () =>
    req.method === "GET"
      ? res.writeHead(200, { "content-type": "application/json" }).end('{"object":"list","data":[]}')
      : res.writeHead(200, { "content-type": "text/event-stream" }).end(sse),
  );
});
server.listen(0, "127.0.0.1", async () => {
  const home = mkdtempSync(join(tmpdir(), "codex-build-"));
  const env = { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, NO_COLOR: "1",
    OPENAI_BASE_URL: \`http://127.0.0.1:\${server.address().port}/v1\` };
  try {
    for (const step of ${JSON.stringify(steps)}) {
      if (typeof step === "string") writeFileSync(join(home, "config.toml"), step, { mode: 0o600 });
      else await mod.exports.run(["node", "codex", ...step], env);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
    server.close();
  }
  if (${JSON.stringify(cache)} === "lazy.cjs.v8cache") {
    writeFileSync(join(dist, "lazy.cjs.v8cache"), lazy.createCachedData());
    return;
  }
  // The commands with a budget must not need lazy.cjs: CORE_ROOTS must hold what they import.
  if (lazy !== undefined) throw new Error("${cache} loaded lazy.cjs: add what it imports to CORE_ROOTS");
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
  for (const name of ["main.cjs.map", "lazy.cjs.map", "full.cjs.map", "keyring-helper.cjs.map"]) {
    renameSync(`dist/${name}`, join(SOURCEMAPS, name));
  }
}
