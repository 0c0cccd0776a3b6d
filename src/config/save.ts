/**
 * The write path of Config, loaded only by commands that write: it pulls in the lock, the atomic writer
 * and the TOML editor, none of which `codex status` needs at start-up.
 *
 * Edits are replayed on the file as it is on disk *under the lock*, not on the copy this process loaded,
 * so two processes saving different keys at the same time both keep their change.
 */
import { existsSync, type Stats, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigAccessError } from "../errors.js";
import { atomicWrite, ensureDir } from "./atomic-write.js";
import { acquireLock, type Release } from "./lock.js";
import { lockPath } from "./paths.js";
import { type ConfigSnapshot, readConfig } from "./read.js";
import { notRegularError } from "./regular-file.js";
import { resolveTarget } from "./symlink.js";
import { type Edit, editAll } from "./toml/edit.js";
import { fromString, toBytes } from "./toml/text.js";

export type { Edit };

export interface SaveResult extends ConfigSnapshot {
  /** false when the edits left the file as it was (then it was not touched at all). */
  written: boolean;
}

/** `loaded`: the snapshot the edits were made on, reused if the file has not changed since. */
export async function saveEdits(
  path: string,
  edits: readonly Edit[],
  loaded?: ConfigSnapshot,
  options: UpdateOptions = {},
): Promise<SaveResult> {
  // Fail on a dangling symlink before touching anything, so the error names the real problem.
  const target = resolveTarget(path);
  // Removing keys from a file that does not exist changes nothing: create no directory, take no lock.
  if (edits.every((e) => e.value === undefined) && !existsSync(target)) {
    return { doc: undefined, values: {}, written: false };
  }
  return (await updateLocked(path, async () => ({ edits, value: undefined }), options, loaded)).result;
}

export interface UpdateOptions {
  /** How long to wait for another process holding the lock, in ms. */
  lockTimeoutMs?: number;
  /**
   * A file codex creates begins with this text (a profile's says what made it); when edits leave nothing
   * else in the file, it is deleted rather than written, as codex created it.
   */
  header?: string;
}

/**
 * Read-decide-write under the lock: `decide` sees the file as it is on disk now and returns the edits to
 * make, which are written before the lock is released. This is what lets concurrent processes agree (one
 * OAuth refresh between them, a logout that removes the tokens a refresh just rotated). If `decide`
 * throws, nothing is written.
 */
export async function updateLocked<T>(
  path: string,
  decide: (current: ConfigSnapshot) => Promise<{ edits: readonly Edit[]; value: T }>,
  options: UpdateOptions = {},
  loaded?: ConfigSnapshot,
): Promise<{ result: SaveResult; value: T }> {
  const target = resolveTarget(path);
  if (target !== path) refuseIfNotRegular(path, target);
  ensureDir(dirname(path));
  const release = await lockFor(path, target, options.lockTimeoutMs);
  try {
    const current = await readConfig(path, loaded);
    const { edits, value } = await decide(current);
    const original = current.doc ?? fromString(options.header ?? "");
    const edited = editAll(original, current.values, edits);
    if (edited.doc.body === original.body) {
      return { result: { ...current, written: false }, value };
    }
    // Only the file itself: a link leads to a file codex did not create where it is.
    if (options.header !== undefined && target === path && edited.doc.body.trim() === options.header.trim()) {
      unlinkSync(path);
      return { result: { doc: undefined, values: {}, written: true }, value };
    }
    atomicWrite(path, toBytes(edited.doc));
    return { result: { ...edited, stat: current.stat, written: true }, value };
  } finally {
    await release();
  }
}

/**
 * One lock per file, not per name: two homes whose config.toml link to one file wait for each other, so
 * the lock goes beside the file the links lead to. Where no lock can be made there (a shared config in a
 * directory we may not write, which codex can then not write either), it goes beside the link, which
 * still orders this home's own processes, e.g. around a keyring-stored session's refresh.
 */
async function lockFor(path: string, target: string, timeoutMs: number | undefined): Promise<Release> {
  try {
    return await acquireLock(lockPath(target), { timeoutMs });
  } catch (err) {
    const code = err instanceof ConfigAccessError ? err.syscallCode : undefined;
    if (target === path || (code !== "EACCES" && code !== "EROFS" && code !== "EPERM")) throw err;
    return acquireLock(lockPath(path), { timeoutMs });
  }
}

/** A link to a device or a FIFO: refused before a lock file is made beside it (in /dev, say). */
function refuseIfNotRegular(path: string, target: string): void {
  let st: Stats;
  try {
    st = statSync(target);
  } catch {
    return; // Missing: it will be created. Unreadable: the read under the lock says why.
  }
  if (!st.isFile()) throw notRegularError(path, st, target);
}
