/**
 * The cross-process lock (config.toml.lock): recovery from a holder that died, from an empty or garbage
 * lock file, and from a very old lock; a live holder is waited for and then reported with LockTimeoutError.
 * CLI scenarios spawn the built CLI; the waiting behaviour uses `acquireLock` from src/config/lock.ts
 * directly with a short timeout (the CLI waits 10 s).
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  promises as fsp,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { acquireLock, withLock } from "../src/config/lock.js";
import { LockTimeoutError } from "../src/errors.js";
import { deadPid, homeWithConfig, ROOT, removeAfterTest, run, runCli, sleeperProcess, tempDir } from "./helpers.js";

const KEY = "sk-lock-test-0123456789abcdefQRST";

/** A live process on this host that is not the CLI (a lock holder, a temp file writer). */
const sleeper = sleeperProcess();

function holder(pid: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ pid, host: hostname(), id: `other-${pid}`, since: Date.now(), ...extra });
}

/** What a lock holds: codex makes it a symbolic link whose target is the holder (tests may plant files). */
function lockText(path: string): string {
  return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : readFileSync(path, "utf8");
}

/** Sets a file's atime and mtime to `secondsAgo` seconds in the past. */
function age(path: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
}

function freshHome(content?: string): { home: string; codexHome: string; configFile: string; lock: string } {
  const made = homeWithConfig(content, "codex-lock-");
  removeAfterTest(made.home);
  return { ...made, lock: `${made.configFile}.lock` };
}

async function timeoutError(path: string, timeoutMs = 300): Promise<unknown> {
  return acquireLock(path, { timeoutMs }).then(
    async (release) => {
      await release();
      return undefined;
    },
    (err: unknown) => err,
  );
}

describe("the CLI recovers from a lock whose holder is gone", () => {
  test("a lock left by a dead process on this host: login succeeds and the lock is gone afterwards", async () => {
    const { home, codexHome, configFile, lock } = freshHome('model = "o3"\n');
    writeFileSync(lock, holder(await deadPid()));
    const r = await runCli(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(KEY);
    expect(readFileSync(configFile, "utf8")).toBe(`model = "o3"\nauth_token = "${KEY}"\n`);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("logout with a dead holder's lock removes the key and the lock", async () => {
    const { home, codexHome, configFile, lock } = freshHome(`auth_token = "${KEY}"\nmodel = "o3"\n`);
    writeFileSync(lock, holder(await deadPid()));
    const r = await runCli(["logout"], { home });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n');
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("an empty lock file older than the grace period (a holder that died before writing it) is taken over", async () => {
    const { home, codexHome, configFile, lock } = freshHome();
    writeFileSync(lock, "");
    age(lock, 10);
    const r = await runCli(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(parse(readFileSync(configFile, "utf8"))).toEqual({ auth_token: KEY });
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("a garbage lock file older than the grace period is taken over", async () => {
    const { home, codexHome, lock } = freshHome();
    writeFileSync(lock, "\u0000\u0001 not json {");
    age(lock, 10);
    const r = await runCli(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("a lock held by a process that is killed while the CLI waits: the CLI carries on", async () => {
    const { home, configFile, lock } = freshHome();
    const holderProc = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
    await new Promise((r) => holderProc.on("spawn", r));
    writeFileSync(lock, holder(holderProc.pid as number));
    const login = runCli(["login", "--with-api-key"], { home, input: `${KEY}\n`, timeoutMs: 30_000 });
    // The CLI is now waiting (the holder is alive); killing the holder must release it.
    await sleep(300);
    expect(existsSync(configFile)).toBe(false);
    holderProc.kill("SIGKILL");
    const r = await login;
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(parse(readFileSync(configFile, "utf8"))).toEqual({ auth_token: KEY });
    expect(existsSync(lock)).toBe(false);
  });
});

describe("temp files left by a writer killed before its rename", () => {
  test("the next write removes a dead writer's temp file, keeps a live writer's recent one and the user's own files", async () => {
    const { home, codexHome } = freshHome('model = "o3"\n');
    const dead = join(codexHome, `.config.toml.${await deadPid()}.1.tmp`);
    const live = join(codexHome, `.config.toml.${sleeper.pid}.1.tmp`);
    const liveButOld = join(codexHome, `.config.toml.${sleeper.pid}.2.tmp`);
    const users = ["config.toml.1", "config.toml.bak", ".config.toml.notes.tmp"].map((n) => join(codexHome, n));
    for (const file of [dead, live, liveButOld, ...users]) writeFileSync(file, "half-written", { mode: 0o600 });
    // Older than a minute: its pid has been reused by a process that is not writing our file.
    age(liveButOld, 120);

    const r = await runCli(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(readdirSync(codexHome).sort()).toEqual(
      [
        ".config.toml.notes.tmp",
        `.config.toml.${sleeper.pid}.1.tmp`,
        "config.toml",
        "config.toml.1",
        "config.toml.bak",
      ].sort(),
    );
  });
});

describe("acquireLock", () => {
  test("creates the lock file with its holder's pid, host, id and time, and release removes it", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    const release = await acquireLock(path, { timeoutMs: 300 });
    const content = JSON.parse(lockText(path)) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, host: hostname() });
    expect(typeof content.id).toBe("string");
    expect(typeof content.since).toBe("number");
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a lock held by a live process times out with LockTimeoutError (LOCK_TIMEOUT) naming the lock", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    const content = holder(sleeper.pid);
    writeFileSync(path, content);
    const err = await timeoutError(path);
    expect(err).toBeInstanceOf(LockTimeoutError);
    const e = err as LockTimeoutError;
    expect(e.code).toBe("LOCK_TIMEOUT");
    expect(e.exitCode).toBe(1);
    expect(e.lockPath).toBe(path);
    expect(e.message).toContain(path);
    // The live holder's lock is left exactly as it was.
    expect(lockText(path)).toBe(content);
  });

  test("a lock held in this very process (another holder) times out too", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    const release = await acquireLock(path);
    try {
      expect(await timeoutError(path)).toBeInstanceOf(LockTimeoutError);
    } finally {
      await release();
    }
    expect(existsSync(path)).toBe(false);
  });

  test("a dead pid on another host is not judged dead (we cannot see its processes): it times out", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, holder(await deadPid(), { host: `not-${hostname()}` }));
    expect(await timeoutError(path)).toBeInstanceOf(LockTimeoutError);
  });

  test("a dead holder on this host is taken over at once", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, holder(await deadPid()));
    const release = await acquireLock(path, { timeoutMs: 300 });
    expect(JSON.parse(lockText(path)).pid).toBe(process.pid);
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("an empty lock file is respected while fresh (its holder may be writing it) and taken over when old", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, "");
    expect(await timeoutError(path)).toBeInstanceOf(LockTimeoutError);
    age(path, 3);
    const release = await acquireLock(path, { timeoutMs: 300 });
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test.each([
    ["garbage", "garbage{"],
    ["JSON without a pid", '{"host":"x"}'],
    ["a JSON number", "42"],
  ])("a lock file holding %s, older than 2 s, is taken over", async (_name, content) => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, content);
    age(path, 5);
    const release = await acquireLock(path, { timeoutMs: 300 });
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a lock older than 30 s is taken over even though its holder is alive", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, holder(sleeper.pid, { since: Date.now() - 120_000 }));
    age(path, 120);
    const release = await acquireLock(path, { timeoutMs: 300 });
    expect(JSON.parse(lockText(path)).pid).toBe(process.pid);
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a lock from another host older than 30 s is taken over", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, holder(12345, { host: "elsewhere", since: Date.now() - 120_000 }));
    age(path, 120);
    const release = await acquireLock(path, { timeoutMs: 300 });
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a breaker file left by a waiter that died mid-takeover does not block recovery for good", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    writeFileSync(path, holder(await deadPid()));
    writeFileSync(`${path}.break`, "");
    age(`${path}.break`, 60);
    const release = await acquireLock(path, { timeoutMs: 3_000 });
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("release removes only its own lock, not one another process took over meanwhile", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    const release = await acquireLock(path);
    const other = holder(sleeper.pid);
    // Taken over: the stale lock removed, a new one made.
    unlinkSync(path);
    writeFileSync(path, other);
    await release();
    expect(lockText(path)).toBe(other);
  });

  test("withLock excludes other holders: concurrent read-modify-writes of a counter lose nothing", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    const counter = join(dir, "counter");
    writeFileSync(counter, "0");
    const n = 15;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        withLock(
          path,
          async () => {
            const value = Number(await fsp.readFile(counter, "utf8"));
            await sleep(i % 3); // let the others run between our read and our write
            await fsp.writeFile(counter, String(value + 1));
          },
          { timeoutMs: 10_000 },
        ),
      ),
    );
    expect(readFileSync(counter, "utf8")).toBe(String(n));
    expect(readdirSync(dir).sort()).toEqual(["counter"]);
  });

  test("withLock releases the lock when the work throws", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    const path = join(dir, "config.toml.lock");
    await expect(
      withLock(path, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(path)).toBe(false);
  });

  test("processes contending for the lock take turns (cross-process exclusion)", async () => {
    const dir = removeAfterTest(tempDir("codex-lock-"));
    // Six processes, three saves each, every save adding its own key: a save that ran outside the lock
    // would overwrite another's key.
    const script = `
      import { Config } from "codex-credentials";
      for (let round = 0; round < 3; round++) {
        const config = await Config.load({ codexHome: ${JSON.stringify(dir)} });
        config.set("p" + process.pid + "_" + round, round);
        await config.save();
      }
    `;
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        run(process.execPath, ["--input-type=module", "-e", script], {
          cwd: ROOT,
          env: { PATH: process.env.PATH },
          timeoutMs: 60_000,
        }),
      ),
    );
    for (const r of runs) expect([r.code, r.stderr]).toEqual([0, ""]);
    const parsed = parse(readFileSync(join(dir, "config.toml"), "utf8"));
    expect(Object.keys(parsed)).toHaveLength(18);
    expect(readdirSync(dir)).toEqual(["config.toml"]);
  });
});
