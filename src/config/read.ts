/** Reading config.toml: a missing file is an empty config; anything unreadable is one clear error. */
import { promises as fs } from "node:fs";
import { accessError, isCode } from "./fs-errors.js";
import { type TomlTable, type TomlText, decodeToml, parseToml } from "./toml-text.js";

export interface ConfigSnapshot {
  /** undefined when the file does not exist. */
  doc: TomlText | undefined;
  values: TomlTable;
}

export async function readConfig(path: string): Promise<ConfigSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) return { doc: undefined, values: {} };
    throw accessError(path, err, "read");
  }
  const doc = decodeToml(bytes, path);
  return { doc, values: parseToml(doc.body, path) };
}
