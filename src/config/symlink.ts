/**
 * config.toml may be a symbolic link (dotfile managers). Reads and writes go to the file it points to; a
 * link to nothing is reported as what it is rather than treated as "no config" or replaced by a file.
 */
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
    let to: string | undefined;
    try {
      to = readlinkSync(path);
    } catch {}
    const problem = `${path} is a symbolic link to ${to ?? "?"}, which does not exist`;
    // The link is the user's (a dotfile manager's): making its target is as likely the fix as removing it.
    const target = to === undefined ? "the file it points to" : resolve(dirname(path), to);
    throw new ConfigAccessError(path, `${problem}; create that file, or remove the link`, "ENOENT", {
      problem,
      fix: `create ${target} (an empty file will do), or remove the link ${path}`,
    });
  }
}
