/**
 * Crash-safe replacement of a file: write-file-atomic writes a temp file in the same directory, fsyncs it
 * and renames it over the target, so a reader (or a crash at any instant) sees the old bytes or the new
 * ones, never a mix. It does not fsync the directory, without which the rename itself may not survive a
 * power loss, so we do that here. A symlinked config (dotfile managers) is written through: we replace the
 * link's target and the link stays a link. The mode is forced on every write, whatever the file had.
 */
import { constants, promises as fs } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { ConfigAccessError } from "../errors.js";
import { accessError, isCode } from "./fs-errors.js";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Creates codex's home directory (0700) if missing, and on every write takes group and other access away
 * from it again. Only removes bits, and only on a directory we own: a read-only (0500) home stays
 * read-only, so the write fails with a plain "permission denied" instead of being quietly allowed.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw accessError(dir, err, "create the directory");
  }
  try {
    const st = await fs.stat(dir);
    if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) await fs.chmod(dir, st.mode & DIR_MODE);
  } catch {
    // Tightening is best effort; the write that follows reports any real access problem.
  }
}

/** The file that a write to `path` really replaces: the end of a symlink chain, or `path` itself. */
export async function resolveTarget(path: string): Promise<string> {
  let stat: import("node:fs").Stats;
  try {
    stat = await fs.lstat(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) return path;
    throw accessError(path, err, "read");
  }
  if (!stat.isSymbolicLink()) return path;
  try {
    return await fs.realpath(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) {
      const to = await fs.readlink(path).catch(() => "?");
      throw new ConfigAccessError(path, `${path} is a symbolic link to ${to}, which does not exist`, "ENOENT");
    }
    throw accessError(path, err, "resolve");
  }
}

export async function atomicWrite(path: string, data: Buffer): Promise<void> {
  const target = await resolveTarget(path);
  try {
    const stat = await fs.stat(target);
    if (stat.isDirectory()) throw new ConfigAccessError(path, `${path} is a directory, not a file`, "EISDIR");
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw err instanceof ConfigAccessError ? err : accessError(path, err, "read");
  }
  try {
    await writeFileAtomic(target, data, { mode: FILE_MODE, fsync: true });
  } catch (err) {
    throw accessError(path, err, "write");
  }
  await fsyncDir(dirname(target));
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: import("node:fs/promises").FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the rename already happened, and there is
    // nothing more durable we could do.
  } finally {
    await handle?.close();
  }
}
