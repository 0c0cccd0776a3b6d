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

export async function readConfig(path: string): Promise<ConfigSnapshot> {
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
  return { doc, values: parseToml(doc.body, path) };
}
