/** Reading config.toml: a missing file is an empty config; anything unreadable is one clear error. */
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { ConfigAccessError } from "../errors.js";
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
    // Synchronous on purpose: one small file, and fs/promises is a module `codex status` need not load.
    bytes = readFileSync(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) {
      danglingLinkCheck(path);
      return { doc: undefined, values: {} };
    }
    throw accessError(path, err, "read");
  }
  const doc = decodeToml(bytes, path);
  return { doc, values: parseToml(doc.body, path) };
}

/** A config.toml that is a link to nothing is a broken dotfile setup, not "no config": say so. */
function danglingLinkCheck(path: string): void {
  let target: string;
  try {
    if (!lstatSync(path).isSymbolicLink()) return;
    target = readlinkSync(path);
  } catch {
    return;
  }
  throw new ConfigAccessError(path, `${path} is a symbolic link to ${target}, which does not exist`, "ENOENT");
}
