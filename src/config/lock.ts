/**
 * A cross-process lock around every read-modify-write of config.toml, so concurrent codex processes (and
 * programs using the library) never lose each other's updates.
 *
 * Written by hand because the usual library (proper-lockfile) recognises a dead holder only by the age of
 * the lock's mtime, at least 5 s after it died; a killed `codex` would stall the next one. Here the lock
 * (a symbolic link whose target is its holder, or a file holding it) records its holder's pid and host, so
 * a lock whose holder no longer runs is taken over at once. A
 * lock older than STALE_MS is also taken over, which covers a holder on another host (shared home) and a
 * recycled pid. Taking over is itself guarded by a short-lived "breaker" file, so two waiters cannot both
 * delete the stale lock and then each other's fresh one.
 *
 * File calls are synchronous (each is one small, local operation); only the waiting between attempts
 * yields to the event loop.
 *
 * Failure policy: waiting longer than the timeout is a LockTimeoutError naming the lock file; filesystem
 * errors other than contention surface as ConfigAccessError.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { LockTimeoutError } from "../errors.js";
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
  /** Tells this acquisition apart from any other, including an earlier one by the same pid. */
  id: string;
  since: number;
}

export type Release = () => Promise<void>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    id: `${process.pid}-${started}-${Math.random().toString(36).slice(2)}`,
    since: started,
  };
  let clock: (() => number) | undefined;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(path, me)) return async () => release(path, me.id);
    const seen = readHolder(path);
    clock ??= seen === "gone" ? undefined : filesystemClock(path, me.id);
    if (seen !== "gone" && clock !== undefined && isStale(seen, clock())) breakLock(path, seen, clock());
    else if (seen !== "gone" && Date.now() - started > timeoutMs) {
      throw new LockTimeoutError(path, Date.now() - started);
    }
    if (seen !== "gone") await sleep(Math.min(5 + attempt * 5, 50) * (0.5 + Math.random()));
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

/** Creates the lock file exclusively (O_EXCL): exactly one contender succeeds. */
function exclusiveCreate(path: string): number | undefined {
  try {
    return openSync(path, "wx", 0o600);
  } catch (err) {
    if (isCode(err, "EEXIST")) return undefined;
    throw accessError(path, err, "create the lock file");
  }
}

/**
 * Creates the lock with its holder in it. Where it can, as a symbolic link whose target is the holder:
 * symlink() makes the link and its content in one step (EEXIST when held), so a holder killed at any instant
 * leaves no lock or one naming its pid, never an empty one (which is respected for EMPTY_GRACE_MS, in case
 * its holder is about to write it). Elsewhere (Windows without the right to make links), a file created
 * exclusively and then written.
 */
function tryCreate(path: string, me: Holder): boolean {
  const content = JSON.stringify({ ...me, since: Date.now() });
  if (process.platform !== "win32") {
    try {
      symlinkSync(content, path);
      return true;
    } catch (err) {
      if (isCode(err, "EEXIST")) return false;
      if (!isCode(err, "EPERM") && !isCode(err, "ENOTSUP") && !isCode(err, "EOPNOTSUPP")) {
        throw accessError(path, err, "create the lock file");
      }
    }
  }
  const fd = exclusiveCreate(path);
  if (fd === undefined) return false;
  try {
    writeFileSync(fd, content);
  } catch (err) {
    // A full disk: leave no empty lock behind for the next codex to wait on.
    closeSync(fd);
    unlinkIfPresent(path);
    throw accessError(path, err, "write the lock file");
  }
  closeSync(fd);
  return true;
}

/**
 * "Now" by the clock that stamps the lock files' mtimes: the filesystem's (an NFS server's, or this host's
 * kernel), read off a file created beside the lock, and carried on with this process's clock. A lock's age
 * is then right even when this process's clock is far off (a skewed host on a shared home, a wrong date).
 */
function filesystemClock(path: string, id: string): () => number {
  const probe = `${path}.${id}.now`;
  let offset = 0;
  try {
    const fd = openSync(probe, "wx", 0o600);
    try {
      offset = fstatSync(fd).mtimeMs - Date.now();
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch {
    // Cannot create a file here (then we cannot take the lock either): judge by our own clock.
  }
  return () => Date.now() + offset;
}

type Seen = { holder: Holder | undefined; mtimeMs: number; raw: string };

function readHolder(path: string): Seen | "gone" {
  let raw: string;
  let mtimeMs: number;
  try {
    const st = lstatSync(path);
    raw = st.isSymbolicLink() ? readlinkSync(path) : readFileSync(path, "utf8");
    mtimeMs = st.mtimeMs;
  } catch (err) {
    if (isCode(err, "ENOENT")) return "gone";
    throw accessError(path, err, "read the lock file");
  }
  let holder: Holder | undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<Holder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.id === "string") {
      holder = { pid: parsed.pid, host: parsed.host, id: parsed.id, since: Number(parsed.since) || mtimeMs };
    }
  } catch {
    holder = undefined;
  }
  return { holder, mtimeMs, raw };
}

function isStale(seen: Seen, now: number): boolean {
  const age = now - seen.mtimeMs;
  // Stamped well in the future: written by (or against) a clock that is wrong. No holder can have taken
  // it then, and waiting for the clock to catch up would block every codex until it does.
  if (age < -STALE_MS) return true;
  if (seen.holder === undefined) return age > EMPTY_GRACE_MS;
  if (age > STALE_MS) return true;
  return seen.holder.host === hostname() && !isAlive(seen.holder.pid);
}

/** A lock file as `codex doctor` reports it. */
export interface LockState {
  /** Who took it, when the file says (an empty or garbled lock says nobody). */
  holder: { pid: number; host: string } | undefined;
  /** By the filesystem's clock, as the lock itself judges ages. */
  ageMs: number;
  /** The next codex would take it over: its holder is gone, or it is too old (or too new) to be held. */
  abandoned: boolean;
}

/** The lock at `path`, or undefined when there is none. */
export function inspectLock(path: string): LockState | undefined {
  const seen = readHolder(path);
  if (seen === "gone") return undefined;
  const now = filesystemClock(path, `inspect-${process.pid}`)();
  return {
    holder: seen.holder === undefined ? undefined : { pid: seen.holder.pid, host: seen.holder.host },
    ageMs: now - seen.mtimeMs,
    abandoned: isStale(seen, now),
  };
}

/** Whether a process with this pid runs on this host (this one included). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return !isCode(err, "ESRCH");
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "remove the lock file");
  }
}

function breakLock(path: string, seen: Seen, now: number): void {
  const breaker = `${path}.break`;
  const fd = exclusiveCreate(breaker);
  if (fd === undefined) {
    // A breaker whose owner died mid-takeover would block everyone; it is only ever held for a moment.
    try {
      if (Math.abs(now - statSync(breaker).mtimeMs) > BREAKER_STALE_MS) unlinkIfPresent(breaker);
    } catch {}
    return;
  }
  try {
    closeSync(fd);
    // Remove the lock only if it is still the stale one we looked at, not a fresh lock taken meanwhile.
    const now = readHolder(path);
    if (now !== "gone" && now.raw === seen.raw && now.mtimeMs === seen.mtimeMs) unlinkIfPresent(path);
  } finally {
    unlinkIfPresent(breaker);
  }
}

function release(path: string, id: string): void {
  // Only remove our own lock: if we were judged stale and taken over, the file is someone else's now.
  let now: Seen | "gone";
  try {
    now = readHolder(path);
  } catch {
    return;
  }
  if (now !== "gone" && now.holder?.id === id) unlinkIfPresent(path);
}
