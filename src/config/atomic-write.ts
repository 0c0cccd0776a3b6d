/**
 * Crash-safe replacement of a file: the new bytes go to a temp file in the same directory, which is
 * fsynced and renamed over the target, so a reader (or a crash at any instant) sees the old bytes or the
 * new ones, never a mix. The directory is fsynced too, without which the rename itself may not survive a
 * power loss. A symlinked config (dotfile managers) is written through: we replace the link's target and
 * the link stays a link, provided the target is a regular file (never a device, FIFO or socket). The mode
 * is forced on every write, whatever the file had.
 *
 * Written by hand rather than with write-file-atomic: a writer killed between creating its temp file and
 * renaming it (SIGKILL, power loss) leaves the temp file behind, and write-file-atomic's temp names (a
 * hash) cannot be told apart from a user's own `config.toml.1234`. Ours name their writer's pid, so the
 * next write removes the ones whose writer is gone, and nothing else.
 *
 * Synchronous file calls on purpose: a CLI writes one small file, and fs/promises (with the stream and
 * readline modules it loads) would cost more start-up time than the whole write.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fchownSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { accessError, isCode, isDirectoryError } from "./fs-errors.js";
import { isAlive } from "./lock.js";
import { notRegularError } from "./regular-file.js";
import { resolveTarget } from "./symlink.js";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** A temp file older than this is removed even if a process with its pid runs (the pid was reused). */
const ORPHAN_MS = 60_000;

/**
 * Creates codex's home directory (0700) if missing, and on every write takes group and other access away
 * from it again. Only removes bits, and only on a directory we own: a read-only (0500) home stays
 * read-only, so the write fails with a plain "permission denied" instead of being quietly allowed.
 */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw accessError(dir, err, "create the directory");
  }
  try {
    const st = statSync(dir);
    if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) chmodSync(dir, st.mode & DIR_MODE);
  } catch {
    // Tightening is best effort; the write that follows reports any real access problem.
  }
}

let writes = 0;

/** `.config.toml.<pid>.<n>.tmp`: hidden, and naming the process that may still be writing it. */
function tempName(base: string, pid: number, n: number): string {
  return `.${base}.${pid}.${n}.tmp`;
}

/**
 * Writes `data` to `path` atomically. Callers hold the config lock, so any other process's temp file
 * found here belongs to a writer that died before renaming it.
 */
export function atomicWrite(path: string, data: Buffer): void {
  const target = resolveTarget(path);
  let existing: Stats | undefined;
  try {
    existing = statSync(target);
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "read");
  }
  if (existing?.isDirectory()) throw isDirectoryError(path);
  // A rename over a device, a FIFO or a socket would replace it (as root, /dev/null with a file holding the
  // key); writing through it would send the bytes to whatever it is. Neither is a config file.
  if (existing !== undefined && !existing.isFile()) throw notRegularError(path, existing, target);
  if (existing !== undefined) {
    // The rename would replace a file we may not write (made read-only, or another user's) behind its
    // owner's back; refuse, as writing it in place would.
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      throw accessError(path, err, "write");
    }
  }

  const dir = dirname(target);
  const base = basename(target);
  removeOrphans(dir, base);
  const temp = join(dir, tempName(base, process.pid, ++writes));
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    // As root (sudo) editing a user's file, keep it theirs, as write-file-atomic and editors do.
    if (existing !== undefined && process.getuid?.() === 0 && existing.uid !== 0) {
      fchownSync(fd, existing.uid, existing.gid);
    }
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // The mode given to open() is reduced by the umask; the file must be exactly 0600 whatever it is.
    chmodSync(temp, FILE_MODE);
    renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {}
    throw accessError(path, err, "write");
  }
  fsyncDir(dir);
}

/** Removes temp files left by writers of this file that were killed before their rename. */
function removeOrphans(dir: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith(".tmp"));
  } catch {
    return; // The write itself reports an unreadable directory.
  }
  for (const name of names) {
    const match = /^(\d+)\.(\d+)$/.exec(name.slice(prefix.length, -".tmp".length));
    if (match === null) continue;
    const file = join(dir, name);
    try {
      // Our own are never in progress here: this process writes one file at a time.
      const pid = Number(match[1]);
      if (pid !== process.pid && isAlive(pid) && Date.now() - statSync(file).mtimeMs < ORPHAN_MS) continue;
      unlinkSync(file);
    } catch {
      // Gone already, or not ours to remove: it does not stop this write.
    }
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the rename already happened, and there is
    // nothing more durable we could do.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
