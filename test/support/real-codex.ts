/**
 * OpenAI's Codex CLI itself (@openai/codex 0.169.0, installed by scripts/install-codex.sh into
 * node_modules/.cache/openai-codex), run offline against a test's CODEX_HOME: does it load what we wrote?
 *
 *   describe.skipIf(realCodexSkip !== undefined)("…", () => {
 *     const r = await codexLoginStatus(home);      // `codex login status`: config.toml as Codex loads it
 *     expectCodexAccepts(r);                       // no "Error loading configuration", no legacy refusal
 *     expectCodexAccepts(await codexProfileLoads(home, "work"));   // `codex -p work debug prompt-input hi`
 *     expect(await strictUnknownKeys(text)).toEqual([...]);          // what --strict-config calls unknown
 *   });
 *
 * The tests' rule is that nothing leaves 127.0.0.1, and the real Codex does try: `debug prompt-input`
 * resolves api.openai.com (its model list). So every run is inside a network namespace of its own
 * (`unshare --net`, util-linux): its only interface is a loopback that is down (up with `loopback: true`, and
 * even then it is the namespace's own, not the host's), so no packet can reach any other machine, nor a
 * server of the host, whatever Codex tries. In the same `unshare` a private mount namespace binds a
 * resolv.conf with `options timeout:0 attempts:1` over /etc/resolv.conf: Codex is a static musl binary, whose
 * resolver otherwise retries an unreachable name server for 2 × 2.5 s; with it a lookup fails at once. The
 * isolation costs one unshare(2), a dash and a bind mount: a few milliseconds a run (a whole
 * `debug prompt-input` takes ~0.05 s, `login status` ~0.02 s). Creating namespaces needs root (CI runs the
 * tests as root); elsewhere the tests that need the real Codex are skipped, saying why (`realCodexSkip`).
 *
 * The environment is exactly HOME, CODEX_HOME and PATH (no API key variables unless a test passes them, no
 * proxies), stdin is closed, the working directory is HOME, and each run has a time limit. Codex writes files
 * of its own into CODEX_HOME (installation_id, sqlite databases, skills/, tmp/, …) and warns that it will not
 * create helper binaries under /tmp: harmless here, so a test must not expect an empty CODEX_HOME afterwards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify, type TomlTable } from "smol-toml";
import { expect } from "vitest";
import { codexHomeOf, ROOT, type RunResult, run } from "../helpers.js";

export const REAL_CODEX_VERSION = "0.169.0";
const CACHE = join(ROOT, "node_modules", ".cache", "openai-codex");
const RUN_TIMEOUT_MS = 10_000;
/** Each app-server run reports one unknown key; more than this many is a runaway loop, not a config. */
const MAX_STRICT_RUNS = 40;

/** What the real Codex prints when it refuses a config (or a profile), in any of its commands. */
export const CODEX_REFUSALS = [
  "Error loading configuration",
  "legacy",
  "cannot be used while",
  "no longer supported",
] as const;

/** Why the real-Codex tests cannot run here (for describe.skipIf), or undefined when they can. */
export const realCodexSkip: string | undefined = (() => {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) {
    return `the real Codex CLI tests run on Linux x64 or arm64 (this is ${process.platform} ${process.arch})`;
  }
  if (process.getuid?.() !== 0) {
    return "the real Codex CLI runs in a network namespace of its own (unshare --net), which needs root: run the tests as root, as CI does";
  }
  const probe = spawnSync("unshare", ["--net", "--mount", "true"], { encoding: "utf8", timeout: 5_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? (probe.stderr.trim() || `exit ${probe.status}`);
    return `\`unshare --net --mount\` does not work here (${why}), and the real Codex CLI may not run with the network`;
  }
  return undefined;
})();

/** The native binary @openai/codex runs (its launcher only picks it and execs it). */
export function realCodexBinary(): string {
  const pkg = join(CACHE, "node_modules", "@openai", "codex", "package.json");
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version;
  } catch {}
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  const binary = join(
    CACHE,
    "node_modules",
    "@openai",
    `codex-linux-${process.arch}`,
    "vendor",
    `${arch}-unknown-linux-musl`,
    "bin",
    "codex",
  );
  if (version !== REAL_CODEX_VERSION || !existsSync(binary)) {
    throw new Error(
      `OpenAI's Codex CLI ${REAL_CODEX_VERSION} is not installed in ${CACHE}: run \`bash scripts/install-codex.sh\` (\`npm test\` does)`,
    );
  }
  return binary;
}

// Run by dash inside the new namespaces: $1 the resolv.conf to bind, $2 "1" to bring loopback up, then argv.
const SANDBOX = `
if [ -e /etc/resolv.conf ]; then mount --bind "$1" /etc/resolv.conf || exit 97; fi
if [ "$2" = 1 ]; then ip link set lo up || exit 98; fi
shift 2
exec "$@"
`;

let resolvConf: string | undefined;

/** A resolv.conf whose lookups fail at once (musl: no time to wait, one attempt), written once, atomically. */
function offlineResolvConf(): string {
  if (resolvConf !== undefined) return resolvConf;
  const path = join(CACHE, "resolv-offline.conf");
  const text =
    "# test/support/real-codex.ts: inside its network namespace every lookup fails at once\nnameserver 127.0.0.1\noptions timeout:0 attempts:1\n";
  let current: string | undefined;
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (current !== text) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${path}.${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
  resolvConf = path;
  return path;
}

export interface IsolatedOptions {
  /** The environment, exactly (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
  /** Bring the namespace's own loopback interface up (it is still not the host's). */
  loopback?: boolean;
  input?: string;
}

/** Runs argv in a fresh network and mount namespace (see the header). */
export function runIsolated(argv: string[], opts: IsolatedOptions): Promise<RunResult> {
  const [command, ...args] = argv;
  return run(
    "unshare",
    [
      "--net",
      "--mount",
      "--",
      "/bin/sh",
      "-c",
      SANDBOX,
      "sandbox",
      offlineResolvConf(),
      opts.loopback ? "1" : "0",
      command as string,
      ...args,
    ],
    { env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs ?? RUN_TIMEOUT_MS, input: opts.input },
  );
}

export interface RealCodexOptions {
  /** Variables added to HOME, CODEX_HOME and PATH (e.g. OPENAI_API_KEY when a test wants one). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  timeoutMs?: number;
  loopback?: boolean;
}

/** `codex <args>` (the real one) with HOME = `home` and CODEX_HOME = `home`/.codex, as runCli uses them. */
export function runRealCodex(home: string, args: string[], opts: RealCodexOptions = {}): Promise<RunResult> {
  if (realCodexSkip !== undefined) throw new Error(`cannot run the real Codex CLI: ${realCodexSkip}`);
  const env = {
    HOME: home,
    CODEX_HOME: codexHomeOf(home),
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...opts.env,
  };
  return runIsolated([realCodexBinary(), ...args], {
    env,
    cwd: home,
    timeoutMs: opts.timeoutMs,
    loopback: opts.loopback,
    input: opts.input,
  });
}

/** `codex login status`: loads config.toml (no profile) as every Codex command does. Exit 0 or 1 both load. */
export function codexLoginStatus(home: string, opts: RealCodexOptions = {}): Promise<RunResult> {
  return runRealCodex(home, ["login", "status"], opts);
}

/** `codex -p NAME debug prompt-input hi`: config.toml with NAME.config.toml laid over it, offline. */
export function codexProfileLoads(home: string, name: string, opts: RealCodexOptions = {}): Promise<RunResult> {
  return runRealCodex(home, ["-p", name, "debug", "prompt-input", "hi"], opts);
}

/** Fails, quoting Codex, when its output says it refused the configuration (CODEX_REFUSALS). */
export function expectCodexAccepts(r: RunResult, what = "the real Codex CLI"): void {
  const output = `${r.stdout}\n${r.stderr}`;
  for (const refusal of CODEX_REFUSALS) {
    expect(output.includes(refusal), `${what} refused the configuration:\n${r.stderr}${r.stdout}`).toBe(false);
  }
  expect(r.signal, `${what} was killed (time limit?): ${r.stderr}`).toBeNull();
}

/** `codex login status` loaded config.toml: exit 0 (logged in) or 1 ("Not logged in"), no refusal. */
export function expectStatusLoads(r: RunResult): void {
  expectCodexAccepts(r, "`codex login status`");
  expect([0, 1], r.stderr).toContain(r.code);
  expect(r.stderr + r.stdout).toMatch(/^(Logged in using|API key configured|Not logged in)/m);
}

/** `codex -p NAME debug prompt-input hi` loaded the profile: exit 0 and the prompt as a JSON array. */
export function expectProfileLoads(r: RunResult): void {
  expectCodexAccepts(r, "`codex -p … debug prompt-input`");
  expect(r.code, r.stderr).toBe(0);
  expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
}

const UNKNOWN = /^Error: .*:\d+:\d+: unknown configuration field `([^`\n]+)`$/m;
const LOADED = /^Error: no transport configured/m;

/**
 * Every key of `configText` that `codex app-server --strict-config` reports as unknown, in the order it reports
 * them. Codex stops at the first, so each is deleted from a scratch copy (TOML re-serialized) and Codex asked
 * again, until it gets past the config and stops for want of a transport. Anything else it says is an error.
 * Profile files have config.toml's schema: pass their text the same way.
 */
export async function strictUnknownKeys(configText: string): Promise<string[]> {
  const home = mkdtempSync(join(tmpdir(), "codex-strict-"));
  try {
    mkdirSync(codexHomeOf(home), { mode: 0o700 });
    const file = join(codexHomeOf(home), "config.toml");
    let doc = parse(configText);
    writeFileSync(file, configText, { mode: 0o600 });
    const unknown: string[] = [];
    for (let i = 0; i < MAX_STRICT_RUNS; i++) {
      const r = await runRealCodex(home, ["app-server", "--strict-config", "--listen", "off"]);
      if (LOADED.test(r.stderr)) return unknown;
      const key = UNKNOWN.exec(r.stderr)?.[1];
      if (key === undefined || !deletePath(doc, key)) {
        throw new Error(`codex app-server --strict-config did not load the config (exit ${r.code}):\n${r.stderr}`);
      }
      unknown.push(key);
      doc = parse(stringify(doc));
      writeFileSync(file, stringify(doc), { mode: 0o600 });
    }
    throw new Error(`codex app-server --strict-config reported more than ${MAX_STRICT_RUNS} unknown keys`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Deletes `dotted` (Codex joins the path with dots; a key may hold dots itself) from `table`. */
function deletePath(table: TomlTable, dotted: string): boolean {
  if (Object.hasOwn(table, dotted)) {
    delete table[dotted];
    return true;
  }
  for (const [key, value] of Object.entries(table)) {
    if (!dotted.startsWith(`${key}.`)) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date) continue;
    if (deletePath(value as TomlTable, dotted.slice(key.length + 1))) return true;
  }
  return false;
}

/**
 * auth.json as the real Codex writes it after a ChatGPT sign-in (storage.rs AuthDotJson, pretty-printed;
 * token_data.rs TokenData), for tests that cannot have it sign in. `extra` replaces `auth_mode`.
 */
export function codexAuthJson(
  tokens: { idToken: string; accessToken: string; refreshToken: string },
  extra: Record<string, unknown> = { auth_mode: "chatgpt" },
): string {
  return JSON.stringify(
    {
      ...extra,
      OPENAI_API_KEY: extra.OPENAI_API_KEY ?? null,
      tokens: {
        id_token: tokens.idToken,
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        account_id: "acct-from-codex",
      },
      last_refresh: new Date().toISOString(),
    },
    null,
    2,
  );
}
