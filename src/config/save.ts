/**
 * The write path of Config, loaded only by commands that write: it pulls in the lock, the atomic writer
 * and the TOML editor, none of which `codex status` needs at start-up.
 *
 * Edits are replayed on the file as it is on disk *under the lock*, not on the copy this process loaded,
 * so two processes saving different keys at the same time both keep their change.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { atomicWrite, ensureDir } from "./atomic-write.js";
import { withLock } from "./lock.js";
import { lockPath } from "./paths.js";
import { type ConfigSnapshot, readConfig } from "./read.js";
import { resolveTarget } from "./symlink.js";
import { type Edit, editAll } from "./toml-edit.js";
import { fromString, toBytes } from "./toml-text.js";

export type { Edit };

export interface SaveResult extends ConfigSnapshot {
  /** false when the edits left the file as it was (then it was not touched at all). */
  written: boolean;
}

/** `loaded`: the snapshot the edits were made on, reused if the file has not changed since. */
export async function saveEdits(path: string, edits: readonly Edit[], loaded?: ConfigSnapshot): Promise<SaveResult> {
  // Fail on a dangling symlink before touching anything, so the error names the real problem.
  const target = resolveTarget(path);
  // Removing keys from a file that does not exist changes nothing: create no directory, take no lock.
  if (edits.every((e) => e.value === undefined) && !existsSync(target)) {
    return { doc: undefined, values: {}, written: false };
  }
  return (await updateLocked(path, async () => ({ edits, value: undefined }), {}, loaded)).result;
}

export interface UpdateOptions {
  /** How long to wait for another process holding the lock, in ms. */
  lockTimeoutMs?: number;
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
  resolveTarget(path);
  ensureDir(dirname(path));
  return withLock(
    lockPath(path),
    async () => {
      const current = await readConfig(path, loaded);
      const { edits, value } = await decide(current);
      const original = current.doc ?? fromString("");
      const edited = editAll(original, current.values, edits);
      if (edited.doc.body === original.body) {
        return { result: { ...current, written: false }, value };
      }
      atomicWrite(path, toBytes(edited.doc));
      return { result: { ...edited, written: true }, value };
    },
    { timeoutMs: options.lockTimeoutMs },
  );
}
