/**
 * Reading a file that others may have put in our way: config.toml, and OpenAI's Codex CLI's auth.json.
 * Only a regular file (or a symbolic link to one) is read. The file is opened without blocking, so a FIFO
 * in its place is refused at once instead of hanging `codex status` until someone writes to it, and a
 * device such as /dev/zero is refused instead of being read until memory runs out. A file over the size
 * limit is refused before its first byte is read, and reading stops at the limit whatever the size said
 * (files in /proc say 0).
 *
 * The stat returned is the one of the file as opened (fstat of the same descriptor), so what is decided
 * from it (who may write the file, how many names it has) holds for the bytes read, not for whatever is at
 * that path a moment later; and it costs no syscall beyond what readFileSync makes.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from "node:fs";
import { dirname } from "node:path";
import { ConfigAccessError } from "../errors.js";
import { accessError, isCode, isDirectoryError } from "./fs-errors.js";

/**
 * The largest config file codex reads: far above any real one (a long-used Codex config with hundreds of
 * projects is about 1 MB), and small enough that reading, parsing and editing it stays well under a second.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const CHUNK = 64 * 1024;

/** The syscall codes ConfigAccessError carries for a file that is not regular, and one that is too large. */
export const NOT_REGULAR = "ENOTREG";
export const TOO_LARGE = "EFBIG";

export interface FileRead {
  bytes: Buffer;
  /** fstat of the descriptor the bytes were read from. */
  stat: Stats;
}

/** What a file that is not regular is, for messages: "a FIFO (named pipe)". */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

export function notRegularError(path: string, st: Stats, target?: string): ConfigAccessError {
  const what = target === undefined || target === path ? `${path} is` : `${path} is a symbolic link to ${target},`;
  return new ConfigAccessError(
    path,
    `${what} ${kindOf(st)}, not a regular file; codex reads and writes config files only as regular files`,
    NOT_REGULAR,
  );
}

/** Where a symbolic link at `path` leads, for a message; undefined when `path` is not one. */
function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function tooLarge(path: string, size: number | undefined, limit: number): ConfigAccessError {
  const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  const is = size === undefined ? `is over ${mib(limit)}` : `is ${mib(size)} (${size} bytes)`;
  return new ConfigAccessError(
    path,
    `${path} ${is}; codex reads config files of up to ${mib(limit)}, so it did not read it`,
    TOO_LARGE,
  );
}

/**
 * The bytes of the regular file at `path` (following symbolic links) and its fstat; undefined when there is
 * no file (ENOENT). Throws ConfigAccessError: the open's own error, or code ENOTREG or EFBIG for a file that
 * is not regular or is over `limit` bytes.
 */
export function readRegularFile(path: string, limit = MAX_CONFIG_BYTES): FileRead | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO opens at once rather than waiting for a writer; regular files ignore it.
    // O_NOCTTY: a terminal device in the way must not become our controlling terminal.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    if (isCode(err, "ENOENT")) return undefined;
    // A socket cannot be opened at all (ENXIO): say what it is rather than "no such device".
    if (isCode(err, "ENXIO")) {
      let st: Stats | undefined;
      try {
        st = statSync(path);
      } catch {}
      if (st !== undefined && !st.isFile()) throw notRegularError(path, st, linkTarget(path));
    }
    throw accessError(path, err, "read");
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw isDirectoryError(path);
    if (!stat.isFile()) throw notRegularError(path, stat, linkTarget(path));
    if (stat.size > limit) throw tooLarge(path, stat.size, limit);
    const read = (into: Buffer, at: number): number => {
      try {
        return readSync(fd, into, at, into.length - at, null);
      } catch (err) {
        throw accessError(path, err, "read");
      }
    };
    if (stat.size > 0) {
      const bytes = Buffer.allocUnsafe(stat.size);
      let length = 0;
      for (let n = -1; n !== 0 && length < bytes.length; length += n) n = read(bytes, length);
      return { bytes: length === bytes.length ? bytes : bytes.subarray(0, length), stat };
    }
    // A size of 0 may be a lie (files in /proc): read to the end, in whole chunks (some of them refuse odd
    // lengths), and stop once past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = read(chunk, 0);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) throw tooLarge(path, undefined, limit);
    }
    return { bytes: Buffer.concat(chunks, total), stat };
  } finally {
    closeSync(fd);
  }
}

/**
 * What `codex logout` says of a config.toml that had other hard links: the atomic rename gave this name a
 * new file, and the other names still hold the old one, credential included. They cannot be found
 * cheaply, so the message says how: by inode, on the filesystem that holds the file.
 */
export function otherLinksMessage(path: string, target: string, st: Stats): string {
  const others = st.nlink - 1;
  const them = others === 1 ? "it" : "them";
  return `${path} had ${others} other hard link${others === 1 ? "" : "s"}, which still ${others === 1 ? "holds" : "hold"} the old file with the credential (codex replaced only this name); find ${them} with \`find ${mountOf(target, st.dev)} -xdev -inum ${st.ino}\` and delete ${them}`;
}

/** The top of the filesystem holding `path`: the last directory up from it on device `dev`. */
function mountOf(path: string, dev: number): string {
  let dir = dirname(path);
  for (;;) {
    const up = dirname(dir);
    if (up === dir) return dir;
    try {
      if (statSync(up).dev !== dev) return dir;
    } catch {
      return dir;
    }
    dir = up;
  }
}
