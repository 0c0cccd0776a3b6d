/**
 * The loader's own V8 code cache (scripts/build.mjs, dist/cli.cjs). The caches made at build time fit only
 * the Node that built the package; on any other Node the loader keeps one per user in a directory of the
 * temp dir that only that user can write, made at the end of the first run of a command. A cache is code
 * V8 runs, so a directory that someone else could write is never used, and a cache V8 rejects is replaced.
 * The tests run a copy of dist/ whose loader takes this Node for another one than the builder's. Under
 * `npm run coverage` (CODEX_CHILD_COVERAGE set) the build's loaders compile from source, so these are skipped.
 */
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { asRoot, CLI, cleanEnv, NOBODY, ROOT, run, testHome } from "./helpers.js";

/** dist/ copied, with a loader that takes this Node for another than the one that built the package. */
function foreignNodeCopy(): string {
  const copy = testHome("codex-cache-copy-");
  cpSync(join(ROOT, "dist"), join(copy, "dist"), { recursive: true });
  const loader = join(copy, "dist", "cli.cjs");
  const text = readFileSync(loader, "utf8");
  const patched = text.replace(/"v\d+\.\d+\.\d+ \w+", "/, '"v0.0.0 none", "');
  expect(patched).not.toBe(text);
  writeFileSync(loader, patched);
  return loader;
}

function status(cli: string, home: string, tmp: string, extra: Record<string, string> = {}) {
  return run(process.execPath, [cli, "status"], { env: cleanEnv(home, { TMPDIR: tmp, ...extra }) });
}

const uid = process.getuid?.() ?? 0;
/** The coverage build (scripts/coverage.mjs): its loader keeps no cache. */
const coverageBuild = process.env.CODEX_CHILD_COVERAGE !== undefined;

test.skipIf(process.getuid === undefined || coverageBuild)(
  "on another Node: the first status makes this user's cache (0600, in a 0700 directory of TMPDIR), later ones use it",
  async () => {
    const cli = foreignNodeCopy();
    const home = testHome();
    const tmp = testHome("codex-tmp-");
    const expected = await run(process.execPath, [CLI, "status"], { env: cleanEnv(home) });
    const first = await status(cli, home, tmp);
    expect(first).toEqual(expected);
    const dir = join(tmp, `codex-credentials-${uid}`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^main-[0-9a-f]{16}-${process.version}-${process.arch}-status\\.v8cache$`));
    const cache = join(dir, files[0] as string);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    const made = statSync(cache);
    const second = await status(cli, home, tmp);
    expect(second).toEqual(expected);
    // Accepted by V8, so not written again.
    expect(statSync(cache).ino).toBe(made.ino);
    expect(statSync(cache).mtimeMs).toBe(made.mtimeMs);
    expect(readdirSync(dir)).toEqual(files);
    // Other commands run another bundle, with a cache of its own.
    await run(process.execPath, [cli, "--version"], { env: cleanEnv(home, { TMPDIR: tmp }) });
    const other = (files[0] as string).replace(/^main-/, "full-").replace(/-status\./, "-other.");
    expect(readdirSync(dir).sort()).toEqual([...files, other].sort());
  },
);

test.skipIf(process.getuid === undefined || coverageBuild)(
  "a cache V8 rejects is replaced; NODE_DISABLE_COMPILE_CACHE turns the cache off",
  async () => {
    const cli = foreignNodeCopy();
    const home = testHome();
    const tmp = testHome("codex-tmp-");
    const expected = await run(process.execPath, [CLI, "status"], { env: cleanEnv(home) });
    await status(cli, home, tmp);
    const dir = join(tmp, `codex-credentials-${uid}`);
    const cache = join(dir, readdirSync(dir)[0] as string);
    writeFileSync(cache, Buffer.alloc(4096, 0x5a));
    expect(await status(cli, home, tmp)).toEqual(expected);
    expect(readFileSync(cache).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
    expect(readdirSync(dir)).toHaveLength(1); // no temp file left behind

    const off = testHome("codex-tmp-");
    expect(await status(cli, home, off, { NODE_DISABLE_COMPILE_CACHE: "1" })).toEqual(expected);
    expect(readdirSync(off)).toEqual([]);
  },
);

test.skipIf(process.getuid === undefined || coverageBuild)(
  "a cache directory others can write is not used",
  async () => {
    const cli = foreignNodeCopy();
    const home = testHome();
    const tmp = testHome("codex-tmp-");
    const expected = await run(process.execPath, [CLI, "status"], { env: cleanEnv(home) });
    const dir = join(tmp, `codex-credentials-${uid}`);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(await status(cli, home, tmp)).toEqual(expected);
    expect(readdirSync(dir)).toEqual([]);
    // A file where the directory should be: no cache, the same answer.
    const other = testHome("codex-tmp-");
    writeFileSync(join(other, `codex-credentials-${uid}`), "");
    expect(await status(cli, home, other)).toEqual(expected);
  },
);

test.runIf(asRoot && !coverageBuild)("a cache directory of another user is not used", async () => {
  const cli = foreignNodeCopy();
  const home = testHome();
  const tmp = testHome("codex-tmp-");
  const expected = await run(process.execPath, [CLI, "status"], { env: cleanEnv(home) });
  const dir = join(tmp, `codex-credentials-${uid}`);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, NOBODY.uid, NOBODY.gid);
  expect(await status(cli, home, tmp)).toEqual(expected);
  expect(readdirSync(dir)).toEqual([]);
  expect(existsSync(join(home, ".cache"))).toBe(false);
});
