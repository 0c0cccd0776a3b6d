/** Reading config.toml: a missing file is an empty config; anything unreadable is one clear error. */
import { readFileSync } from "node:fs";
import { accessError, isCode } from "./fs-errors.js";
import { resolveTarget } from "./symlink.js";
import { decodeToml, parseToml, type TomlTable, type TomlText } from "./toml-text.js";

export interface ConfigSnapshot {
  /** undefined when the file does not exist. */
  doc: TomlText | undefined;
  values: TomlTable;
}

/**
 * `previous`, when given, is a snapshot of this file read earlier: if the file still holds the same text,
 * it is returned as it is rather than parsed again (a large config costs a parse per read).
 */
export async function readConfig(path: string, previous?: ConfigSnapshot): Promise<ConfigSnapshot> {
  let bytes: Buffer;
  try {
    // Synchronous on purpose: one small file, and fs/promises is a module `codex status` need not load.
    bytes = readFileSync(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) {
      resolveTarget(path); // throws for a link to a missing file
      return { doc: undefined, values: {} };
    }
    throw accessError(path, err, "read");
  }
  const doc = decodeToml(bytes, path);
  if (previous?.doc !== undefined && previous.doc.body === doc.body && previous.doc.bom === doc.bom) return previous;
  return { doc, values: parseToml(doc.body, path) };
}
