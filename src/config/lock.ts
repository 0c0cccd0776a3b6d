/**
 * A cross-process lock around every read-modify-write of config.toml, so concurrent codex processes (and
 * programs using the library) never lose each other's updates.
 *
 * Written by hand because the usual library (proper-lockfile) recognises a dead holder only by the age of
 * the lock's mtime, at least 5 s after it died; a killed `codex` would stall the next one. Here the lock
 * file records its holder's pid and host, so a lock whose holder no longer runs is taken over at once. A
 * lock older than STALE_MS is also taken over, which covers a holder on another host (shared home) and a
 * recycled pid. Taking over is itself guarded by a short-lived "breaker" file, so two waiters cannot both
 * delete the stale lock and then each other's fresh one.
 *
 * Failure policy: waiting longer than the timeout is a LockTimeoutError naming the lock file; filesystem
 * errors other than contention surface as ConfigAccessError.
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigAccessError, LockTimeoutError } from "../errors.js";
import { accessError, isCode } from "./fs-errors.js";

/** A lock this old belongs to nobody: no codex operation holds the lock for more than a few seconds. */
const STALE_MS = 30_000;
/** A lock file still empty after this long was left by a holder that died between create and write. */
const EMPTY_GRACE_MS = 2_000;
/** The breaker is held for one read and one unlink. */
const BREAKER_STALE_MS = 2_000;

export interface LockOptions {
  /** How long to wait for another holder, in ms. */
  timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  id: string;
  since: number;
}

export type Release = () => Promise<void>;

export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  const me: Holder = { pid: process.pid, host: hostname(), id: randomUUID(), since: Date.now() };
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, me)) return () => release(path, me.id);
    const holder = await readHolder(path);
    if (holder !== "gone" && isStale(holder)) await breakLock(path, holder);
    else if (holder !== "gone" && Date.now() - started > timeoutMs) {
      throw new LockTimeoutError(path, Date.now() - started);
    }
    if (holder !== "gone") await sleep(Math.min(5 + attempt * 5, 50) * (0.5 + Math.random()));
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const release = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function tryCreate(path: string, me: Holder): Promise<boolean> {
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await fs.open(path, "wx", 0o600);
  } catch (err) {
    if (isCode(err, "EEXIST")) return false;
    throw accessError(path, err, "create the lock file");
  }
  try {
    await handle.writeFile(JSON.stringify({ ...me, since: Date.now() }));
  } finally {
    await handle.close();
  }
  return true;
}

type Seen = { holder: Holder | undefined; mtimeMs: number; raw: string };

async function readHolder(path: string): Promise<Seen | "gone"> {
  try {
    const [raw, stat] = await Promise.all([fs.readFile(path, "utf8"), fs.stat(path)]);
    let holder: Holder | undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<Holder>;
      if (typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.id === "string") {
        holder = { pid: parsed.pid, host: parsed.host, id: parsed.id, since: Number(parsed.since) || stat.mtimeMs };
      }
    } catch {
      holder = undefined;
    }
    return { holder, mtimeMs: stat.mtimeMs, raw };
  } catch (err) {
    if (isCode(err, "ENOENT")) return "gone";
    if (err instanceof ConfigAccessError) throw err;
    throw accessError(path, err, "read the lock file");
  }
}

function isStale(seen: Seen): boolean {
  const age = Date.now() - seen.mtimeMs;
  if (seen.holder === undefined) return age > EMPTY_GRACE_MS;
  if (age > STALE_MS) return true;
  return seen.holder.host === hostname() && !isAlive(seen.holder.pid);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return !isCode(err, "ESRCH");
  }
}

async function breakLock(path: string, seen: Seen): Promise<void> {
  const breaker = `${path}.break`;
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await fs.open(breaker, "wx", 0o600);
  } catch (err) {
    if (!isCode(err, "EEXIST")) throw accessError(breaker, err, "create the lock file");
    // A breaker whose owner died mid-takeover would block everyone; it is only ever held for a moment.
    const stat = await fs.stat(breaker).catch(() => undefined);
    if (stat !== undefined && Date.now() - stat.mtimeMs > BREAKER_STALE_MS) await fs.rm(breaker, { force: true });
    return;
  }
  try {
    await handle.close();
    // Remove the lock only if it is still the stale one we looked at, not a fresh lock taken meanwhile.
    const now = await readHolder(path);
    if (now !== "gone" && now.raw === seen.raw && now.mtimeMs === seen.mtimeMs) await fs.rm(path, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

async function release(path: string, id: string): Promise<void> {
  // Only remove our own lock: if we were judged stale and taken over, the file is someone else's now.
  const now = await readHolder(path).catch(() => "gone" as const);
  if (now !== "gone" && now.holder?.id === id) await fs.rm(path, { force: true });
}
