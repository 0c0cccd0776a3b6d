/**
 * config.toml may be a symbolic link (dotfile managers). Reads and writes go to the file it points to; a
 * link to nothing is reported as what it is rather than treated as "no config" or replaced by a file.
 */
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { ConfigAccessError } from "../errors.js";
import { accessError, isCode } from "./fs-errors.js";

/** The file that `path` really is: the end of its symlink chain, or `path` itself (which may not exist). */
export function resolveTarget(path: string): string {
  let isLink: boolean;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch (err) {
    if (isCode(err, "ENOENT")) return path;
    throw accessError(path, err, "read");
  }
  if (!isLink) return path;
  try {
    return realpathSync(path);
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "resolve");
    let to = "?";
    try {
      to = readlinkSync(path);
    } catch {}
    throw new ConfigAccessError(path, `${path} is a symbolic link to ${to}, which does not exist`, "ENOENT");
  }
}
