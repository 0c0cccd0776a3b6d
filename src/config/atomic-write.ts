/**
 * Crash-safe replacement of a file: write-file-atomic writes a temp file in the same directory, fsyncs it
 * and renames it over the target, so a reader (or a crash at any instant) sees the old bytes or the new
 * ones, never a mix. It does not fsync the directory, without which the rename itself may not survive a
 * power loss, so we do that here. A symlinked config (dotfile managers) is written through: we replace the
 * link's target and the link stays a link. The mode is forced on every write, whatever the file had.
 *
 * Synchronous file calls on purpose: a CLI writes one small file, and fs/promises (with the stream and
 * readline modules it loads) would cost more start-up time than the whole write.
 */
import { chmodSync, closeSync, constants, fsyncSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { ConfigAccessError } from "../errors.js";
import { accessError, isCode } from "./fs-errors.js";
import { resolveTarget } from "./symlink.js";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

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

export function atomicWrite(path: string, data: Buffer): void {
  const target = resolveTarget(path);
  try {
    if (statSync(target).isDirectory()) {
      throw new ConfigAccessError(path, `${path} is a directory, not a file`, "EISDIR");
    }
  } catch (err) {
    if (err instanceof ConfigAccessError) throw err;
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "read");
  }
  try {
    writeFileAtomic.sync(target, data, { mode: FILE_MODE, fsync: true });
  } catch (err) {
    throw accessError(path, err, "write");
  }
  fsyncDir(dirname(target));
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
