/**
 * Fault injection through the CLI (dist/cli.cjs spawned as a real process where the fault is the process's:
 * its file-size limit, its clock; in process otherwise): a file-size limit
 * (RLIMIT_FSIZE, with SIGXFSZ at its default and ignored), a full filesystem (a real tmpfs, ENOSPC), a
 * config.toml the user may not write (EACCES on the file itself, another user's or one's own read-only
 * file), a read-only or unsearchable directory above CODEX_HOME, lock files stamped far in the future or
 * the past, and a codex process whose own clock is far off (libfaketime).
 *
 * Every failure must be exactly one `error: …` line on stderr (no stack trace, no secret), exit 1, and
 * leave config.toml byte for byte, mode and inode as it was, with no stray file (temp file, lock) in
 * CODEX_HOME.
 *
 * Covered elsewhere and not repeated here:
 * - test/errors.test.ts: an unreadable config.toml in a directory we cannot write, a read-only (0500)
 *   CODEX_HOME of our own, a CODEX_HOME another user owns, a directory where config.toml should be,
 *   CODEX_HOME that is a file, a dangling config.toml symlink.
 * - test/lock.test.ts: a lock left by a dead process on this host, an empty or garbage lock file, a lock
 *   whose mtime is more than 30 s in the past (acquireLock), a holder killed while the CLI waits, a dead
 *   pid on another host (not judged dead), a stale breaker file.
 *
 * Needs root (the `nobody` cases, mount) and the Debian package `faketime` (libfaketime).
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, onTestFinished, test } from "vitest";
import {
  agePath,
  asRoot,
  CLI,
  cleanEnv,
  codexHomeOf,
  deadPid,
  expectNoSecret,
  homeWithConfig,
  NOBODY,
  pathState,
  type RunResult,
  run,
  runCliAs,
  sleeperProcess,
  tempDir,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

/** The key `codex login --with-api-key` is given (on stdin, never in argv). */
const KEY = "sk-faults-0123456789abcdefNEWK";
/** The key already stored in configs that `codex logout` is run on. */
const OLD = "sk-faults-0123456789abcdefOLDK";
/** How long the CLI waits for another holder of the config lock (acquireLock's default). */
const LOCK_TIMEOUT_MS = 10_000;

interface Command {
  name: string;
  args: string[];
  input?: string;
  /** config.toml the command is run on: login gets one without a key, logout and status one with. */
  config: string;
}
const LOGIN: Command = {
  name: "login --with-api-key",
  args: ["login", "--with-api-key"],
  input: `${KEY}\n`,
  config: 'model = "o3"\n',
};
const LOGOUT: Command = { name: "logout", args: ["logout"], config: `model = "o3"\nauth_token = "${OLD}"\n` };
const STATUS: Command = { name: "status", args: ["status"], config: LOGOUT.config };
const WRITERS = [LOGIN, LOGOUT];

/** What a successful write leaves in config.toml. */
const AFTER: Record<string, string> = {
  [LOGIN.name]: `model = "o3"\nauth_token = "${KEY}"\n`,
  [LOGOUT.name]: 'model = "o3"\n',
};

/** `head` followed by TOML comment lines, exactly `size` bytes in all. */
function padded(head: string, size: number): string {
  let text = head;
  for (let i = 0; text.length < size; i++) text += `# padding ${String(i).padStart(5, "0")} ${"x".repeat(60)}\n`;
  return `${text.slice(0, size - 1)}\n`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Exit 1 and exactly one `error: …` line on stderr matching `line`, nothing on stdout, no trace, no key. */
function expectOneErrorLine(r: RunResult, line: string | RegExp): void {
  expectNoSecret(r, KEY, OLD, "0123456789abcdef");
  expect({ code: r.code, signal: r.signal, stdout: r.stdout }).toEqual({ code: 1, signal: null, stdout: "" });
  expect(r.stderr).not.toMatch(/^\s*at /m);
  expect(r.stderr).not.toContain("--debug");
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  if (typeof line === "string") expect(r.stderr).toBe(`${line}\n`);
  else expect(r.stderr).toMatch(line);
}

/** config.toml exactly as before (bytes, mode, inode, mtime) and nothing else in CODEX_HOME. */
function expectUntouched(codexHome: string, before: ReturnType<typeof pathState>): void {
  expect(pathState(join(codexHome, "config.toml"))).toEqual(before);
  expect(readdirSync(codexHome)).toEqual(["config.toml"]);
}

/** A live process on this host that is not the CLI (a lock holder, a temp file writer). */
const sleeper = sleeperProcess();

/** Writes a lock file as another codex would, with its recorded time and its mtime both at `at` (ms). */
function writeLock(lock: string, holder: { pid: number; host: string }, at: number): string {
  const raw = JSON.stringify({ pid: holder.pid, host: holder.host, id: `other-${holder.pid}-${at}`, since: at });
  writeFileSync(lock, raw);
  utimesSync(lock, new Date(at), new Date(at));
  return raw;
}

describe("a file-size limit (RLIMIT_FSIZE) smaller than the rewritten config.toml", () => {
  // `ulimit -f 16`: no write may take a file past 16 KiB. The old config.toml is 64 KiB (a limit applies
  // to writing, not to what exists), so the lock file (a few bytes) is written and the new copy is not.
  // By default the kernel sends SIGXFSZ, which kills a process that does not handle it; with SIGXFSZ
  // ignored (inherited across exec), the write that crosses the limit is cut short and the next fails
  // with EFBIG. Either way codex must fail cleanly and keep the original.
  const LIMIT_KIB = 16;
  const SIZE = 64 * 1024;

  function runLimited(cmd: Command, home: string, ignoreXfsz: boolean): Promise<RunResult> {
    const script = `${ignoreXfsz ? "trap '' XFSZ; " : ""}ulimit -f ${LIMIT_KIB} && exec "$0" "$@"`;
    return run("bash", ["-c", script, process.execPath, CLI, ...cmd.args], {
      env: cleanEnv(home),
      input: cmd.input,
    });
  }

  // The fault itself, without codex: under this limit a program that leaves SIGXFSZ alone is killed by
  // it, and one that ignores it gets EFBIG. (Node ignores SIGXFSZ itself, so for codex both are the same.)
  test("the limit is real: SIGXFSZ kills a writer that leaves it alone; ignored, the write fails", async () => {
    const home = testHome("codex-faults-");
    const write = `ulimit -f ${LIMIT_KIB} && exec head -c ${SIZE} /dev/zero > "${join(home, "big")}"`;
    const killed = await run("bash", ["-c", write], { env: { PATH: process.env.PATH, LANG: "C" } });
    expect(killed.signal).toBe("SIGXFSZ");
    const refused = await run("bash", ["-c", `trap '' XFSZ; ${write}`], { env: { PATH: process.env.PATH, LANG: "C" } });
    expect([refused.code, refused.signal]).toEqual([1, null]);
    expect(refused.stderr).toContain("File too large");
    expect(statSync(join(home, "big")).size).toBe(LIMIT_KIB * 1024);
  });

  for (const ignoreXfsz of [false, true]) {
    test.each(WRITERS)(
      `${ignoreXfsz ? "SIGXFSZ ignored" : "SIGXFSZ as is"}: $name exits 1 with "file too large", the original intact`,
      async (cmd) => {
        const { home, codexHome, configFile } = withConfig(padded(cmd.config, SIZE));
        agePath(configFile);
        const before = pathState(configFile);
        const r = await runLimited(cmd, home, ignoreXfsz);
        expectOneErrorLine(r, `error: cannot write ${configFile}: file too large`);
        expectUntouched(codexHome, before);
      },
    );
  }
});

describe.skipIf(!asRoot)("a full filesystem (a real tmpfs as CODEX_HOME: ENOSPC)", () => {
  // tmpfs counts whole 4 KiB pages: a 64 KiB one holds 16.
  const TMPFS_KIB = 64;

  /** A HOME whose CODEX_HOME is a fresh 64 KiB tmpfs holding config.toml; unmounted and removed after. */
  function tmpfsHome(content: string) {
    const home = tempDir("codex-faults-");
    const codexHome = codexHomeOf(home);
    mkdirSync(codexHome, { mode: 0o700 });
    let mounted = false;
    onTestFinished(() => {
      try {
        if (mounted) execFileSync("umount", ["--lazy", codexHome], { stdio: "pipe" });
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
    // Fails the test (it does not skip) when mounting is not permitted.
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_KIB}k,mode=0700`, "codex-faults", codexHome], {
      stdio: "pipe",
    });
    mounted = true;
    const configFile = join(codexHome, "config.toml");
    writeFileSync(configFile, content, { mode: 0o600 });
    agePath(configFile);
    return { home, codexHome, configFile };
  }

  test.each(WRITERS)("room for the lock but not for the new copy: $name exits 1, the original intact", async (cmd) => {
    // 40 KiB of config (10 pages) + the lock (1 page) leaves 5 pages: half the new copy.
    const { home, codexHome, configFile } = tmpfsHome(padded(cmd.config, 40 * 1024));
    const before = pathState(configFile);
    const r = await runCliInProcess(cmd.args, { home, input: cmd.input });
    expectOneErrorLine(r, `error: cannot write ${configFile}: no space left on device`);
    expectUntouched(codexHome, before);
  });

  test.each(WRITERS)("not a byte free, not even for the lock: $name exits 1, one line, no lock left", async (cmd) => {
    const { home, codexHome, configFile } = tmpfsHome(padded(cmd.config, TMPFS_KIB * 1024));
    const before = pathState(configFile);
    const r = await runCliInProcess(cmd.args, { home, input: cmd.input });
    expectOneErrorLine(
      r,
      new RegExp(`^error: cannot [^\\n]*${escapeRegExp(configFile)}(\\.lock)?: no space left on device\\n$`),
    );
    expectUntouched(codexHome, before);
  });

  test("not a byte free: status still reads the key and writes nothing", async () => {
    const { home, codexHome, configFile } = tmpfsHome(padded(STATUS.config, TMPFS_KIB * 1024));
    const before = pathState(configFile);
    const r = await runCliInProcess(STATUS.args, { home });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in using an API key: sk-…OLDK\n  Source: ${configFile}\n`);
    expectUntouched(codexHome, before);
  });
});

describe.skipIf(!asRoot)("config.toml we may not write (EACCES on the file itself; run as nobody)", () => {
  /** HOME (searchable) and CODEX_HOME (0700) owned by nobody, so the directory is writable: a rename would work. */
  function nobodysHome(content: string, file: { owner: "nobody" | "root"; mode: number }) {
    const home = testHome("codex-faults-");
    chmodSync(home, 0o755);
    const codexHome = codexHomeOf(home);
    mkdirSync(codexHome, { mode: 0o700 });
    chownSync(codexHome, NOBODY.uid, NOBODY.gid);
    const configFile = join(codexHome, "config.toml");
    writeFileSync(configFile, content);
    if (file.owner === "nobody") chownSync(configFile, NOBODY.uid, NOBODY.gid);
    chmodSync(configFile, file.mode);
    agePath(configFile);
    return { home, codexHome, configFile, before: pathState(configFile) };
  }

  // Another user's file the directory's owner cannot read: codex must not go on as if it were empty and
  // replace it (which the writable directory would allow). errors.test.ts has the case where the
  // directory is not writable either, which would hide that mistake.
  for (const mode of [0o400, 0o000]) {
    test.each([LOGIN, LOGOUT, STATUS])(
      `root's config.toml, mode 0${mode.toString(8).padStart(3, "0")}, in nobody's CODEX_HOME: $name exits 1, "cannot read", untouched`,
      async (cmd) => {
        const { home, codexHome, configFile, before } = nobodysHome(cmd.config, { owner: "root", mode });
        const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
        expectOneErrorLine(r, `error: cannot read ${configFile}: permission denied`);
        expectUntouched(codexHome, before);
      },
    );
  }

  // Readable but not writable by us: replacing it by rename would hand root's file to nobody. codex
  // should refuse as a plain write would, not go around the file's permissions.
  test.each(WRITERS)(
    "root's config.toml, mode 0444, in nobody's CODEX_HOME: $name exits 1 (permission denied), root's file untouched",
    async (cmd) => {
      const { home, codexHome, configFile, before } = nobodysHome(cmd.config, { owner: "root", mode: 0o444 });
      const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
      expectOneErrorLine(
        r,
        new RegExp(`^error: [^\\n]*${escapeRegExp(configFile)}[^\\n]*(permission denied|read-only)[^\\n]*\\n$`),
      );
      expectUntouched(codexHome, before);
      expect(statSync(configFile).uid).toBe(0);
    },
  );

  // The user made their own config.toml read-only (chmod 400). The directory is theirs, so an atomic
  // rename would succeed; codex respects the file's mode instead, as any plain write would, and says so.
  test.each(WRITERS)(
    "our own config.toml made read-only (0400): $name exits 1 (permission denied), mode and bytes kept",
    async (cmd) => {
      const { home, codexHome, configFile, before } = nobodysHome(cmd.config, { owner: "nobody", mode: 0o400 });
      const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
      expectOneErrorLine(
        r,
        new RegExp(`^error: [^\\n]*${escapeRegExp(configFile)}[^\\n]*(permission denied|read-only)[^\\n]*\\n$`),
      );
      expectUntouched(codexHome, before);
    },
  );

  test("our own read-only (0400) config.toml: status reads it as usual and changes nothing", async () => {
    const { home, codexHome, configFile, before } = nobodysHome(STATUS.config, { owner: "nobody", mode: 0o400 });
    const r = await runCliAs(NOBODY, STATUS.args, { home });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in using an API key: sk-…OLDK\n  Source: ${configFile}\n`);
    expectUntouched(codexHome, before);
  });
});

describe.skipIf(!asRoot)("a directory above CODEX_HOME (run as nobody)", () => {
  test("read-only HOME, no CODEX_HOME yet: login exits 1 naming the directory it cannot create; nothing created", async () => {
    const home = testHome("codex-faults-");
    chownSync(home, NOBODY.uid, NOBODY.gid);
    chmodSync(home, 0o555);
    const r = await runCliAs(NOBODY, LOGIN.args, { home, input: LOGIN.input });
    expectOneErrorLine(r, `error: cannot create the directory ${codexHomeOf(home)}: permission denied`);
    expect(readdirSync(home)).toEqual([]);
  });

  test("read-only HOME, no CODEX_HOME yet: logout and status say there is nothing, create nothing", async () => {
    const home = testHome("codex-faults-");
    chownSync(home, NOBODY.uid, NOBODY.gid);
    chmodSync(home, 0o555);
    const logout = await runCliAs(NOBODY, LOGOUT.args, { home });
    expect([logout.code, logout.stdout, logout.stderr]).toEqual([
      0,
      "No credential stored by codex; nothing to remove.\n",
      "",
    ]);
    const status = await runCliAs(NOBODY, STATUS.args, { home });
    expect([status.code, status.stdout, status.stderr]).toEqual([
      1,
      "Not logged in. Run `codex login` to sign in.\n",
      "",
    ]);
    expect(readdirSync(home)).toEqual([]);
  });

  // A directory further up that we may not even search (0700, root's): config.toml exists and is ours,
  // but cannot be reached.
  test.each([LOGIN, LOGOUT, STATUS])("an unsearchable ancestor: $name exits 1, cannot read, untouched", async (cmd) => {
    const top = testHome("codex-faults-");
    const home = join(top, "home");
    const codexHome = codexHomeOf(home);
    mkdirSync(codexHome, { recursive: true, mode: 0o700 });
    const configFile = join(codexHome, "config.toml");
    writeFileSync(configFile, cmd.config, { mode: 0o600 });
    for (const p of [home, codexHome, configFile]) chownSync(p, NOBODY.uid, NOBODY.gid);
    chmodSync(top, 0o700);
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
    expectOneErrorLine(r, `error: cannot read ${configFile}: permission denied`);
    expectUntouched(codexHome, before);
  });
});

describe("a lock file stamped far in the future or the past (clock skew on a shared home)", () => {
  // The lock's age decides whether it is stale. A lock a year old belongs to nobody. A lock a year in the
  // future was written by a host whose clock is wrong (or against a filesystem clock that was): no
  // operation in progress can have started then, and waiting for the clock to catch up would block every
  // codex for a year, so it is stale too. Expected: taken over, the command succeeds, well within the
  // lock timeout. (A lock dated within 30 s, either way, is respected: see the faketime cases below and
  // lock.test.ts.)
  const YEAR_MS = 365 * 24 * 3600 * 1000;
  const HOLDERS = ["this host, live pid", "this host, dead pid", "another host"] as const;
  const CASES = (["future", "past"] as const).flatMap((when) =>
    HOLDERS.flatMap((holder) => WRITERS.map((cmd) => ({ when, holder, cmd }))),
  );

  // Concurrent: against a build that does not take such a lock over, each of these waits out the timeout.
  test.concurrent.for(CASES)(
    "a year in the $when, $holder: $cmd.name takes it over and succeeds",
    async ({ when, holder, cmd }, ctx) => {
      const made = homeWithConfig(cmd.config, "codex-faults-");
      ctx.onTestFinished(() => rmSync(made.home, { recursive: true, force: true }));
      const { home, codexHome, configFile } = made;
      const pid =
        holder === "this host, live pid" ? sleeper.pid : holder === "this host, dead pid" ? await deadPid() : 4242;
      const host = holder === "another host" ? `not-${hostname()}` : hostname();
      writeLock(`${configFile}.lock`, { pid, host }, Date.now() + (when === "future" ? YEAR_MS : -YEAR_MS));
      const started = Date.now();
      const r = await runCliInProcess(cmd.args, { home, input: cmd.input, timeoutMs: 30_000 });
      const elapsed = Date.now() - started;
      expectNoSecret(r, KEY, OLD);
      ctx.expect(r.stderr).toBe("");
      ctx.expect(r.code).toBe(0);
      ctx.expect(elapsed).toBeLessThan(LOCK_TIMEOUT_MS);
      ctx.expect(readFileSync(configFile, "utf8")).toBe(AFTER[cmd.name]);
      ctx.expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    },
  );
});

describe("the codex process's own clock far off (libfaketime)", () => {
  const PAST = "2001-01-01 00:00:00";
  const FUTURE = "2099-01-01 00:00:00";
  const PAST_MS = Date.UTC(2001, 0, 1);
  const FUTURE_MS = Date.UTC(2099, 0, 1);
  const DAY_MS = 86_400_000;

  /** The CLI under `faketime`, in UTC, in a clean environment. */
  function runFaked(
    at: string,
    cmd: { args: string[]; input?: string },
    home: string,
    timeoutMs = 20_000,
  ): Promise<RunResult> {
    return run("faketime", [at, process.execPath, CLI, ...cmd.args], {
      env: cleanEnv(home, { TZ: "UTC" }),
      input: cmd.input,
      timeoutMs,
    });
  }

  test("faketime is installed and node runs under it with the fake date, its timers working", async () => {
    for (const [at, year] of [
      [PAST, 2001],
      [FUTURE, 2099],
    ] as const) {
      const r = await run(
        "faketime",
        [at, process.execPath, "-e", "setTimeout(() => console.log(new Date().toISOString()), 50)"],
        { env: { PATH: process.env.PATH, TZ: "UTC" }, timeoutMs: 10_000 },
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${year}-01-01T00:00:0\\d\\.\\d{3}Z\\n$`));
    }
  });

  describe("status of an OAuth session tells the truth by its own clock", () => {
    const ACCESS = "at-faults-0123456789abcdefACCS";
    const REFRESH = "rt-faults-0123456789abcdefREFR";
    const EXPIRES = "2050-06-01T00:00:00.000Z";
    const EXPIRES_MS = Date.parse(EXPIRES);
    const session = (refresh: boolean) =>
      `auth_token = "${ACCESS}"\n\n[oauth_session]\nissuer = "http://127.0.0.1:9"\nclient_id = "app_faults"\n${
        refresh ? `refresh_token = "${REFRESH}"\n` : ""
      }expires_at = ${EXPIRES}\naccount = "dev@example.com"\n`;

    test.each([
      {
        name: "in 2001, renewable: expires in 49 years",
        at: PAST,
        refresh: true,
        code: 0,
        line: `  Access token: expires in ${Math.round((EXPIRES_MS - PAST_MS) / DAY_MS)} days (renewed automatically)\n`,
        json: { authenticated: true, oauth: { expired: false, refreshable: true, session_ended: false } },
      },
      {
        name: "in 2001, not renewable: still valid",
        at: PAST,
        refresh: false,
        code: 0,
        line: `  Access token: expires in ${Math.round((EXPIRES_MS - PAST_MS) / DAY_MS)} days\n`,
        json: { authenticated: true, oauth: { expired: false, refreshable: false, session_ended: false } },
      },
      {
        name: "in 2099, renewable: expired, renewed on next use",
        at: FUTURE,
        refresh: true,
        code: 0,
        line: `  Access token: expired ${Math.round((FUTURE_MS - EXPIRES_MS) / DAY_MS)} days ago; renewed on next use\n`,
        json: { authenticated: true, oauth: { expired: true, refreshable: true, session_ended: false } },
      },
      {
        name: "in 2099, not renewable: the session has ended",
        at: FUTURE,
        refresh: false,
        code: 1,
        line: "Your session expired. Run `codex login` to sign in again.\n",
        json: { authenticated: false, oauth: { expired: true, refreshable: false, session_ended: true } },
      },
    ])("$name", async (c) => {
      const { home, codexHome, configFile } = withConfig(session(c.refresh));
      agePath(configFile);
      const before = pathState(configFile);
      const text = await runFaked(c.at, STATUS, home);
      expect(text.stderr).toBe("");
      expect(text.code).toBe(c.code);
      expect(text.stdout).toContain(c.line);
      if (c.code === 0) {
        expect(text.stdout).toMatch(/^Logged in with OAuth as dev@example\.com: /);
        expect(text.stdout).toContain("  Issuer: http://127.0.0.1:9\n");
      }
      const json = await runFaked(c.at, { args: ["status", "--json"] }, home);
      expect(json.stderr).toBe("");
      expect(json.code).toBe(c.code);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ...c.json,
        method: "oauth",
        oauth: { ...c.json.oauth, expires_at: EXPIRES, account: "dev@example.com" },
      });
      for (const r of [text, json]) expectNoSecret(r, ACCESS, REFRESH);
      expectUntouched(codexHome, before);
    });
  });

  test.each([PAST, FUTURE])("at %s, login and logout write as usual", async (at) => {
    const { home, codexHome, configFile } = withConfig(LOGIN.config);
    const login = await runFaked(at, LOGIN, home);
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`✅ Logged in using an API key (sk-…NEWK), stored in ${configFile}\n`);
    expect(readFileSync(configFile, "utf8")).toBe(AFTER[LOGIN.name]);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    const logout = await runFaked(at, LOGOUT, home);
    expect(logout.stderr).toBe("");
    expect(logout.code).toBe(0);
    expect(logout.stdout).toBe(`✅ Logged out successfully\n  Removed from ${configFile}\n`);
    expect(readFileSync(configFile, "utf8")).toBe(LOGIN.config);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    for (const r of [login, logout]) expectNoSecret(r, KEY);
  });

  // A lock just taken by a live process on this host, judged by a codex whose clock is 70 years ahead or
  // 25 years behind: it is fresh (the filesystem stamped it now), so codex waits for it rather than
  // breaking it, and carries on once the holder lets go.
  test.each([PAST, FUTURE])("at %s, a fresh lock held by a live process is waited for, not broken", async (at) => {
    const { home, codexHome, configFile } = withConfig(LOGIN.config);
    const lock = `${configFile}.lock`;
    const raw = writeLock(lock, { pid: sleeper.pid, host: hostname() }, Date.now());
    agePath(configFile);
    const before = pathState(configFile);
    const pending = runFaked(at, LOGIN, home, 30_000);
    await sleep(2_500);
    const during = { config: pathState(configFile), lock: existsSync(lock) ? readFileSync(lock, "utf8") : null };
    rmSync(lock, { force: true }); // the holder is done
    const r = await pending;
    expect(during.lock).toBe(raw);
    expect(during.config).toEqual(before);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(AFTER[LOGIN.name]);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  // An hour-old lock from another host is stale whatever this process's clock says: its age is measured
  // against the filesystem's clock, which stamped it, not against a clock that may be decades off.
  test.each([PAST, FUTURE])("at %s, an hour-old lock from another host is taken over at once", async (at) => {
    const { home, codexHome, configFile } = withConfig(LOGIN.config);
    writeLock(`${configFile}.lock`, { pid: 4242, host: `not-${hostname()}` }, Date.now() - 3_600_000);
    const started = Date.now();
    const r = await runFaked(at, LOGIN, home, 30_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(LOCK_TIMEOUT_MS);
    expect(readFileSync(configFile, "utf8")).toBe(AFTER[LOGIN.name]);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });
});
