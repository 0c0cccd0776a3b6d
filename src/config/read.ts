/** Reading config.toml: a missing file is an empty config; anything unreadable is one clear error. */
import type { Stats } from "node:fs";
import { readRegularFile } from "./regular-file.js";
import { resolveTarget } from "./symlink.js";
import { decodeToml, parseToml, type TomlTable, type TomlText } from "./toml/text.js";

export interface ConfigSnapshot {
  /** undefined when the file does not exist. */
  doc: TomlText | undefined;
  values: TomlTable;
  /**
   * fstat of the file the values were read from (undefined when it does not exist): who could have
   * written them (see trust.ts) and how many names the file has. A snapshot codex wrote keeps the stat of
   * the file it read, since the values it holds came from there.
   */
  stat?: Stats | undefined;
}

/**
 * `previous`, when given, is a snapshot of this file read earlier: if the file still holds the same text,
 * its values are reused rather than parsed again (a large config costs a parse per read).
 */
export function readConfig(path: string, previous?: ConfigSnapshot): ConfigSnapshot {
  // Synchronous on purpose: one small file, and fs/promises is a module `codex status` need not load.
  const read = readRegularFile(path);
  if (read === undefined) {
    resolveTarget(path); // throws for a link to a missing file
    return { doc: undefined, values: {} };
  }
  const doc = decodeToml(read.bytes, path);
  if (previous?.doc !== undefined && previous.doc.body === doc.body && previous.doc.bom === doc.bom) {
    return { doc: previous.doc, values: previous.values, stat: read.stat };
  }
  return { doc, values: parseToml(doc.body, path), stat: read.stat };
}
