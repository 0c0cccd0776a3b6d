/**
 * The package as a user gets it: `npm pack` of the built tree, then the tarball installed twice, as a user
 * would: `npm install -g` into an empty prefix, and `npm install --omit=optional` into a project (without the
 * native keyring module). Checks what the tarball holds (the bundle, the library's types, the docs,
 * README.md, LICENSE and nothing else), that an install brings the runtime dependencies and none of the
 * development ones, and that the installed `codex` and library work, with and without the keyring module.
 *
 * No network: npm's registry is a server on 127.0.0.1 (startRegistry below) that answers from
 * package-lock.json and from the tarballs already in the machine's npm cache (`npm install` put them there),
 * and any other host goes through a proxy address where nothing listens. npm runs with a throwaway cache and
 * config, so it neither reads the user's npm config nor writes to their npm cache.
 */
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cleanEnv,
  expectNoSecret,
  freePort,
  ROOT,
  type RunResult,
  removeAfterTest,
  run,
  tempDir,
  CREATED,
} from "./helpers.js";
import { type Keyring, startKeyring } from "./support/keyring.js";

const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const KEY = "sk-package-0123456789abcdefPKG1";
const KEYRING_KEY = "sk-package-0123456789abcdefKRNG";
const INSTALL_TIMEOUT_MS = 120_000;

/** The same Node for npm, the installed `#!/usr/bin/env node` executable and the tests (see smoke.test.ts). */
const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`;

interface PackResult {
  filename: string;
  files: Array<{ path: string; size: number; mode: number }>;
}

interface Registry {
  url: string;
  /** Tarballs npm asked for that the npm cache does not have. */
  missing: string[];
  close(): Promise<void>;
}

/**
 * A registry on 127.0.0.1 that knows exactly the packages of package-lock.json: each name's document lists the
 * versions the lockfile has, with their dependencies, platform fields and integrity, and each tarball is
 * served from the npm cache (`<cache>/_cacache/content-v2/<algorithm>/<hex digest>`, cacache's layout, read
 * only). npm checks every tarball against the lockfile's integrity, as it would the real registry's.
 */
async function startRegistry(npmCache: string): Promise<Registry> {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const docs = new Map<string, { name: string; "dist-tags": { latest: string }; versions: Record<string, object> }>();
  const tarballs = new Map<string, { file: string; spec: string }>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf("node_modules/");
    if (at < 0 || entry.link || typeof entry.integrity !== "string") continue;
    const name = (entry.name as string | undefined) ?? path.slice(at + "node_modules/".length);
    const version = entry.version as string;
    const integrity = entry.integrity.split(" ")[0] as string;
    const [algorithm, digest] = integrity.split("-", 2) as [string, string];
    const hex = Buffer.from(digest, "base64").toString("hex");
    const tarball = `-/${tarballs.size}.tgz`;
    tarballs.set(`/${tarball}`, {
      file: join(npmCache, "_cacache", "content-v2", algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)),
      spec: `${name}@${version}`,
    });
    const manifest: Record<string, unknown> = { name, version, dist: { tarball: `${url}${tarball}`, integrity } };
    for (const field of [
      "dependencies",
      "optionalDependencies",
      "peerDependencies",
      "peerDependenciesMeta",
      "engines",
      "os",
      "cpu",
      "libc",
      "bin",
      "hasInstallScript",
    ]) {
      if (entry[field] !== undefined) manifest[field] = entry[field];
    }
    const doc = docs.get(name) ?? { name, "dist-tags": { latest: version }, versions: {} };
    doc.versions[version] = manifest;
    docs.set(name, doc);
  }
  const missing: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", url).pathname;
    const tarball = tarballs.get(path);
    if (tarball !== undefined) {
      if (!existsSync(tarball.file)) {
        missing.push(tarball.spec);
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" });
      createReadStream(tarball.file).pipe(res);
      return;
    }
    const doc = docs.get(decodeURIComponent(path.slice(1)));
    if (doc === undefined) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url,
    missing,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * npm's environment: nothing inherited but PATH, its own HOME, config files that do not exist (so the user's
 * and the machine's npmrc are not read), a throwaway cache, the local registry, and a proxy where nothing
 * listens for every host but 127.0.0.1, so any request meant for elsewhere fails instead of leaving the machine.
 */
function npmEnv(dir: string, registry: string, closedPort: number): NodeJS.ProcessEnv {
  return {
    PATH,
    HOME: dir,
    LANG: "C.UTF-8",
    npm_config_userconfig: join(dir, "npmrc"),
    npm_config_globalconfig: join(dir, "npmrc-global"),
    npm_config_cache: join(dir, "npm-cache"),
    npm_config_registry: registry,
    npm_config_proxy: `http://127.0.0.1:${closedPort}`,
    npm_config_https_proxy: `http://127.0.0.1:${closedPort}`,
    npm_config_noproxy: "127.0.0.1",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_loglevel: "warn",
  };
}

/** Every package directory under a node_modules, scoped ones as "@scope/name", recursively. */
function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue;
    const names = entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      found.push(name);
      found.push(...installedPackages(join(nodeModules, name, "node_modules")));
    }
  }
  return found;
}

const DEV_ONLY = [...Object.keys(PKG.devDependencies), "vite", "@vitest/runner", "@esbuild/linux-x64"];

/**
 * npm's warnings and errors, but for its allowScripts notice: npm 11 lists codex's `prepare` script (the build,
 * for a clone) as an install script "not yet covered by allowScripts" whenever the package comes from a
 * tarball, though it never runs `prepare` for one (only for git dependencies and links).
 */
function npmComplaints(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => /^npm (warn|error|ERR)/i.test(line) && !/^npm warn install-scripts/.test(line));
}

let work: string;
let registry: Registry;
let pack: PackResult;
/** `npm install -g` of the tarball: the package directory and the executable npm linked. */
const global = { dir: "", bin: "", stderr: "" };
/** `npm install --omit=optional` of the tarball in a project: the project and its node_modules/.bin/codex. */
const project = { root: "", bin: "", stderr: "" };
let keyring: Keyring;

beforeAll(async () => {
  work = tempDir("codex-package-");
  const cache = await run("npm", ["config", "get", "cache"], { cwd: ROOT, env: { ...process.env, PATH } });
  expect(cache.code, cache.stderr).toBe(0);
  registry = await startRegistry(cache.stdout.trim());
  const env = npmEnv(work, registry.url, await freePort());

  // dist/ is what `npm test` (or `npm install`) built; --ignore-scripts so pack does not build it again.
  const packed = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
    cwd: ROOT,
    env,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  expect(packed.code, packed.stderr).toBe(0);
  pack = (JSON.parse(packed.stdout) as PackResult[])[0] as PackResult;
  const tarball = join(work, pack.filename);

  const npmInstall = async (cwd: string, args: string[]) => {
    const r = await run("npm", ["install", ...args, tarball], { cwd, env, timeoutMs: INSTALL_TIMEOUT_MS });
    expect(registry.missing, "packages not in the npm cache (run npm install first)").toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    return r.stderr;
  };
  const prefix = join(work, "prefix");
  global.stderr = await npmInstall(work, ["--global", "--prefix", prefix]);
  global.dir = join(prefix, "lib", "node_modules", PKG.name);
  global.bin = join(prefix, "bin", "codex");

  // Not `npm install -g --omit=optional`: npm ignores --omit for a global install of a tarball
  // (https://github.com/npm/cli/issues/8284) and installs the keyring module anyway.
  project.root = join(work, "project");
  mkdirSync(project.root);
  writeFileSync(join(project.root, "package.json"), '{ "name": "consumer", "private": true, "type": "module" }\n');
  project.stderr = await npmInstall(project.root, ["--omit=optional"]);
  project.bin = join(project.root, "node_modules", ".bin", "codex");

  keyring = await startKeyring();
}, 3 * INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await keyring?.close();
  await registry?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** An installed executable, in a throwaway HOME and CODEX_HOME, with the environment of ./helpers.ts. */
function codex(
  bin: string,
  args: string[],
  home: string,
  opts: { input?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  return run(bin, args, { cwd: home, env: cleanEnv(home, { PATH, ...opts.env }), input: opts.input });
}

/** A throwaway HOME whose CODEX_HOME holds `config` (if given); removed when the test ends. */
function homeWith(config?: string): { home: string; configFile: string } {
  const home = removeAfterTest(tempDir("codex-package-home-"));
  mkdirSync(join(home, ".codex"), { mode: 0o700 });
  const configFile = join(home, ".codex", "config.toml");
  if (config !== undefined) writeFileSync(configFile, config, { mode: 0o600 });
  return { home, configFile };
}

describe("the tarball", () => {
  test("holds the bundle, the library's types, the docs, README.md, LICENSE and package.json, nothing else", () => {
    const files = pack.files.map((f) => f.path).sort();
    const top = new Set(["package.json", "README.md", "LICENSE"]);
    expect(files.filter((f) => !top.has(f) && !f.startsWith("dist/") && !f.startsWith("docs/"))).toEqual([]);
    expect(
      files.filter(
        (f) =>
          /(^|\/)(src|test|scripts|\.ci|node_modules|coverage)\//.test(f) ||
          /(^|\/)(tsconfig[^/]*\.json|biome\.json|vitest\.config\.ts|package-lock\.json|\.gitignore)$/.test(f) ||
          /\.(map|ts|tgz)$/.test(f.replace(/\.d\.ts$/, "")),
      ),
    ).toEqual([]);
    for (const needed of [
      "package.json",
      "README.md",
      "LICENSE",
      "docs/authentication.md",
      "docs/cli.md",
      "dist/cli.cjs",
      "dist/main.cjs",
      "dist/main.cjs.status.v8cache",
      "dist/main.cjs.logout.v8cache",
      "dist/lazy.cjs",
      "dist/full.cjs",
      "dist/full.cjs.v8cache",
      "dist/index.js",
      "dist/keyring-helper.cjs",
      "dist/vendor/openid-client.cjs",
      "dist/vendor/toml-patch.cjs",
      "dist/types/index.d.ts",
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect((pack.files.find((f) => f.path === "dist/cli.cjs")?.mode ?? 0) & 0o111).not.toBe(0);
  });

  test("the types are the library's: no CLI modules, and every relative import resolves inside the package", () => {
    const types = pack.files.map((f) => f.path).filter((f) => f.startsWith("dist/types/"));
    expect(types.every((f) => f.endsWith(".d.ts"))).toBe(true);
    expect(types.filter((f) => /^dist\/types\/(cli|commands\/|credentials\/keyring-helper)/.test(f))).toEqual([]);
    for (const file of types) {
      const text = readFileSync(join(global.dir, file), "utf8");
      for (const [, spec] of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)\.js"/g)) {
        expect(types, `${file} imports ${spec}.js`).toContain(join(dirname(file), `${spec}.d.ts`));
      }
    }
  });

  test("the V8 code caches hold no path of the machine that built them", () => {
    const caches = pack.files.map((f) => f.path).filter((f) => f.endsWith(".v8cache"));
    expect(caches).toContain("dist/main.cjs.status.v8cache");
    expect(caches).toContain("dist/full.cjs.v8cache");
    const built = Buffer.from(ROOT);
    for (const file of caches) expect(readFileSync(join(global.dir, file)).includes(built), file).toBe(false);
  });

  test("LICENSE is the Apache License 2.0, as package.json says", () => {
    const license = readFileSync(join(global.dir, "LICENSE"), "utf8");
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    expect(license).toContain("END OF TERMS AND CONDITIONS");
    expect(JSON.parse(readFileSync(join(global.dir, "package.json"), "utf8")).license).toBe("Apache-2.0");
  });
});

describe("npm install -g of the tarball", () => {
  test("installs the runtime dependencies and the native keyring module, no development dependency, no warning", () => {
    const packages = installedPackages(join(global.dir, "node_modules"));
    for (const dep of Object.keys(PKG.dependencies)) expect(packages, dep).toContain(dep);
    expect(packages).toContain("@napi-rs/keyring");
    // A global package's dependencies go beneath it: the prefix holds codex and nothing else.
    expect(installedPackages(join(global.dir, ".."))).toEqual([PKG.name, ...packages]);
    for (const dev of DEV_ONLY) expect(packages, dev).not.toContain(dev);
    expect(npmComplaints(global.stderr)).toEqual([]);
  });

  test("codex: --version, then login with a key on stdin, status, logout, status", async () => {
    const { home, configFile } = homeWith();
    const version = await codex(global.bin, ["--version"], home);
    expect(version).toMatchObject({ code: 0, stdout: `${PKG.version}\n`, stderr: "" });
    // The second name, for where OpenAI's Codex CLI already owns `codex` (and what `npx codex-credentials` runs).
    const second = await codex(join(dirname(global.bin), "codex-credentials"), ["--version"], home);
    expect(second).toMatchObject({ code: 0, stdout: `${PKG.version}\n`, stderr: "" });

    const before = await codex(global.bin, ["status"], home);
    expect(before.code).toBe(1);
    expect(before.stdout + before.stderr).toContain("`codex login`");

    const login = await codex(global.bin, ["login", "--with-api-key"], home, { input: `${KEY}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);

    const status = await codex(global.bin, ["status"], home);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`sk-…${KEY.slice(-4)}`);

    const logout = await codex(global.bin, ["logout"], home);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toBe(`✅ Logged out successfully\n  Removed from ${configFile}\n`);

    const after = await codex(global.bin, ["status"], home);
    expect(after.code).toBe(1);
    expect(after.stdout + after.stderr).toContain("`codex login`");
    expect(existsSync(configFile)).toBe(false); // login created it: logout leaves nothing behind

    for (const r of [version, before, login, status, logout, after]) expectNoSecret(r, KEY);
  });

  test("the native keyring module loads from the installed package: login stores the key in the keyring", async () => {
    const { home } = homeWith('cli_auth_credentials_store = "keyring"\n');
    const login = await codex(global.bin, ["login", "--with-api-key"], home, { input: KEYRING_KEY, env: keyring.env });
    expect(login.code, login.stderr).toBe(0);
    expect(await keyring.lookup({ service: "codex" })).toBe(JSON.stringify({ token: KEYRING_KEY }));
    const status = await codex(global.bin, ["status"], home, { env: keyring.env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("Source: system keyring (Secret Service)");
    const logout = await codex(global.bin, ["logout"], home, { env: keyring.env });
    expect(logout.code, logout.stderr).toBe(0);
    expect(await keyring.lookup({ service: "codex" })).toBe(null);
    for (const r of [login, status, logout]) expectNoSecret(r, KEYRING_KEY);
  });

  test("--help names the installed docs/ directory", async () => {
    const { home } = homeWith();
    const help = await codex(global.bin, ["--help"], home);
    expect(help.code).toBe(0);
    // The path may be too long to share a line with "Docs, in" at 80 columns.
    expect(help.stdout.replace(/\s+/g, " ")).toContain(`Docs, in ${join(global.dir, "docs")}: cli.md every command`);
    const logout = await codex(global.bin, ["logout", "--help"], home);
    expect(logout.stdout.replace(/\s+/g, " ")).toContain(` More: ${join(global.dir, "docs", "authentication.md")} `);
    expect(existsSync(join(global.dir, "docs", "authentication.md"))).toBe(true);
    expect(help.stdout + logout.stdout).not.toContain(ROOT);
  });

  test("--debug: the stack trace names the installed bundle, not the machine that built it", async () => {
    const { home } = homeWith("model = \n");
    const r = await codex(global.bin, ["--debug", "status"], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*config\.toml:1:9: invalid value\nConfigParseError: /);
    // The frames of codex's own code, from the bundle compiled with the build's code cache.
    expect(r.stderr).toMatch(/\n {4}at parseToml \(/);
    expect(r.stderr).toContain(`(${join(global.dir, "dist", "main.cjs")}:`);
    expect(r.stderr).not.toContain(ROOT);
    expect(r.stderr).not.toMatch(/[( ]codex-credentials\/dist\//);
  });

  test("a V8 code cache that does not fit this Node is ignored: the bundles compile from source", async () => {
    // The caches were made by the Node that built the package; on another Node (or damaged) they may cost
    // start-up time, nothing else. On a copy of the installed package, so the other tests keep theirs.
    const copy = removeAfterTest(tempDir("codex-package-copy-"));
    cpSync(global.dir, copy, { recursive: true, verbatimSymlinks: true });
    // --version and login run dist/full.cjs.
    writeFileSync(join(copy, "dist", "full.cjs.v8cache"), Buffer.alloc(4096, 0x5a));
    writeFileSync(join(copy, "dist", "vendor", "toml-patch.cjs.v8cache"), Buffer.alloc(4096, 0x5a));
    const { home, configFile } = homeWith();
    const bin = join(copy, "dist", "cli.cjs");
    const version = await codex(bin, ["--version"], home);
    expect(version).toMatchObject({ code: 0, stdout: `${PKG.version}\n`, stderr: "" });
    const login = await codex(bin, ["login", "--with-api-key"], home, { input: KEY });
    expect(login).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expectNoSecret(login, KEY);
  });
});

describe("npm install --omit=optional of the tarball in a project (no native keyring module)", () => {
  test("installs the runtime dependencies only: no keyring module, no development dependency, no warning", () => {
    const packages = installedPackages(join(project.root, "node_modules"));
    for (const dep of Object.keys(PKG.dependencies)) expect(packages, dep).toContain(dep);
    expect(packages.filter((p) => p.startsWith("@napi-rs/"))).toEqual([]);
    for (const dev of DEV_ONLY) expect(packages, dev).not.toContain(dev);
    expect(npmComplaints(project.stderr)).toEqual([]);
  });

  test("codex works with config.toml", async () => {
    const { home } = homeWith();
    const login = await codex(project.bin, ["login", "--with-api-key"], home, { input: KEY });
    expect(login.code, login.stderr).toBe(0);
    const status = await codex(project.bin, ["status"], home);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`sk-…${KEY.slice(-4)}`);
    expectNoSecret(login, KEY);
    expectNoSecret(status, KEY);
  });

  test('with cli_auth_credentials_store = "keyring": on Linux the Secret Service needs no module; where the helper is used, login says in one line the module is missing; status copes', async () => {
    // A working Secret Service on a unix socket: codex speaks D-Bus itself, the native module is not needed.
    const direct = homeWith('cli_auth_credentials_store = "keyring"\n');
    const stored = await codex(project.bin, ["login", "--with-api-key"], direct.home, { input: KEY, env: keyring.env });
    expect(stored).toMatchObject({ code: 0, stderr: "" });
    expect(stored.stdout).toContain("stored in system keyring (Secret Service)");
    const read = await codex(project.bin, ["status"], direct.home, { env: keyring.env });
    expect(read).toMatchObject({ code: 0, stderr: "" });
    expect(read.stdout).toContain(`sk-…${KEY.slice(-4)}`);
    expect((await codex(project.bin, ["logout"], direct.home, { env: keyring.env })).code).toBe(0);

    // A bus address with no unix socket goes through the helper (as macOS and Windows do), which needs the module.
    const viaHelper = { DBUS_SESSION_BUS_ADDRESS: "tcp:host=127.0.0.1,port=9" };
    const { home, configFile } = homeWith('cli_auth_credentials_store = "keyring"\n');
    const login = await codex(project.bin, ["login", "--with-api-key"], home, { input: KEY, env: viaHelper });
    expect(login).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "error: the system keyring (Secret Service) is not available: the keyring module (@napi-rs/keyring) is not installed or does not load here: Cannot find module '@napi-rs/keyring'; " +
        'nothing was stored (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)\n',
    });
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');

    const status = await codex(project.bin, ["status"], home, { env: viaHelper });
    expect(status).toMatchObject({ code: 1, stderr: "" });
    expect(status.stdout).toContain("`codex login`");

    // A credential recorded as being in the keyring: status names the reason, no stack trace.
    writeFileSync(configFile, 'cli_auth_credentials_store = "keyring"\nauth_storage = "keyring"\n');
    const recorded = await codex(project.bin, ["status"], home, { env: viaHelper });
    expect(recorded.code).toBe(1);
    expect(recorded.stdout + recorded.stderr).toContain("the keyring module (@napi-rs/keyring) is not installed");
    expect(recorded.stdout + recorded.stderr).not.toMatch(/\n\s+at /);
    for (const r of [stored, read, login, status, recorded]) expectNoSecret(r, KEY);
  });

  test('the library: `import { Config, logout } from "codex-credentials"`, and its types check in a TypeScript project', async () => {
    const home = removeAfterTest(tempDir("codex-package-home-"));
    mkdirSync(join(home, ".codex"), { mode: 0o700 });
    writeFileSync(join(project.root, "use.js"), USE_LIBRARY);
    const r = await run(process.execPath, ["use.js"], { cwd: project.root, env: cleanEnv(home, { PATH }) });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      model: "o3",
      before: true,
      removed: true,
      after: false,
      file: `${CREATED}model = "o3"\n`,
    });
    expectNoSecret(r, KEY);

    // NodeNext resolution through package.json's "exports", and the dependencies' types the declarations
    // import. skipLibCheck as most projects have it (checking @types/node as well takes 10 s here).
    writeFileSync(join(project.root, "use.ts"), USE_TYPES);
    writeFileSync(join(project.root, "tsconfig.json"), TSCONFIG);
    const tsc = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], {
      cwd: project.root,
      env: { PATH, HOME: home },
      timeoutMs: 60_000,
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  });
});

const USE_LIBRARY = `import { Config, logout, status } from "codex-credentials";
const config = await Config.load();
config.set("model", "o3");
config.set("auth_token", ${JSON.stringify(KEY)});
await config.save();
const model = (await Config.load()).get("model");
const before = (await status()).authenticated;
const result = await logout();
const after = (await status()).authenticated;
const { readFileSync } = await import("node:fs");
const file = readFileSync(process.env.CODEX_HOME + "/config.toml", "utf8");
console.log(JSON.stringify({ model, before, removed: result.removed, after, file }));
`;

// Each @ts-expect-error fails the check if its type did not resolve: a type TypeScript could not find
// accepts anything, silently, even with skipLibCheck off.
const USE_TYPES = `import { type AuthStatus, CodexError, Config, logout, type SseEvent, status } from "codex-credentials";
const config: Config = await Config.load();
const model: unknown = config.get("model");
const st: AuthStatus = await status();
const err: Error = new CodexError("example", "an example");
const removed: boolean = (await logout()).removed;
// @ts-expect-error a number is no Config
const notConfig: Config = 42;
// @ts-expect-error a number is no AuthStatus
const notStatus: AuthStatus = 42;
// @ts-expect-error a number is no SseEvent (eventsource-parser's type, from codex's dependency)
const notEvent: SseEvent = 42;
export { model, st, err, removed, notConfig, notStatus, notEvent };
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": ["node"],
    "typeRoots": [${JSON.stringify(join(ROOT, "node_modules", "@types"))}]
  },
  "files": ["use.ts"]
}
`;
