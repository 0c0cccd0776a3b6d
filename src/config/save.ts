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
import { type Edited, editParsed, isBareTable } from "./toml-edit.js";
import { fromString, toBytes } from "./toml-text.js";

export interface Edit {
  path: readonly string[];
  value: unknown;
  /** Remove the table at `path` only if it is bare: empty, and with no comment in or above it. */
  ifBare?: boolean;
}

export interface SaveResult extends ConfigSnapshot {
  /** false when the edits left the file as it was (then it was not touched at all). */
  written: boolean;
}

export async function saveEdits(path: string, edits: readonly Edit[]): Promise<SaveResult> {
  // Fail on a dangling symlink before touching anything, so the error names the real problem.
  const target = resolveTarget(path);
  // Removing keys from a file that does not exist changes nothing: create no directory, take no lock.
  if (edits.every((e) => e.value === undefined) && !existsSync(target)) {
    return { doc: undefined, values: {}, written: false };
  }
  return (await updateLocked(path, async () => ({ edits, value: undefined }))).result;
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
): Promise<{ result: SaveResult; value: T }> {
  resolveTarget(path);
  ensureDir(dirname(path));
  return withLock(
    lockPath(path),
    async () => {
      const current = await readConfig(path);
      const { edits, value } = await decide(current);
      const original = current.doc ?? fromString("");
      let edited: Edited = { doc: original, values: current.values };
      for (const edit of edits) {
        if (edit.ifBare && !isBareTable(edited.doc.body, edited.values, edit.path)) continue;
        edited = editParsed(edited.doc, edited.values, edit.path, edit.value);
      }
      if (edited.doc.body === original.body) {
        return { result: { ...current, written: false }, value };
      }
      atomicWrite(path, toBytes(edited.doc));
      return { result: { ...edited, written: true }, value };
    },
    { timeoutMs: options.lockTimeoutMs },
  );
}
