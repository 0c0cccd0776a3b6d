/**
 * Filesystem failures as one clear line: what we tried, on which path, and why. When the cause is something
 * in the way (a directory where a file should be, a link that leads back to itself), the line names that
 * thing and how to clear it, rather than the errno's words, which send a newcomer to chmod. A file where
 * CODEX_HOME should be is named by config.ts, which knows CODEX_HOME (notDirectoryAbove finds it: a stat per
 * directory above the path, on the error path only).
 */
import { lstatSync, type Stats, statSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigAccessError } from "../errors.js";

export function isCode(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EISDIR: "is a directory",
  ENOTDIR: "a parent is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "path too long",
  EMFILE: "too many open files",
};

/** One clear line for a filesystem failure: what we tried, on which path, and why. */
export function accessError(path: string, err: unknown, action: string): ConfigAccessError {
  const code = typeof err === "object" && err !== null ? (err as { code?: string }).code : undefined;
  if (code === "EISDIR") return isDirectoryError(path, err);
  const reason = (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
  const message = `cannot ${action} ${path}: ${reason}`;
  if (code === "ELOOP" && isLink(path)) {
    const problem = `${path} is a symbolic link that leads back to itself (${reason})`;
    return new ConfigAccessError(path, `${problem}; replace it with a file, or with a link to one`, code, {
      cause: err,
      problem,
      fix: `replace the link ${path} with a file, or with a link to one`,
    });
  }
  return new ConfigAccessError(path, message, code, { cause: err });
}

/** A directory where codex expects a file (config.toml, a profile's file, auth.json). */
export function isDirectoryError(path: string, cause?: unknown): ConfigAccessError {
  const problem = `${path} is a directory, not a file`;
  return new ConfigAccessError(path, `${problem}; remove or rename it`, "EISDIR", {
    ...(cause === undefined ? {} : { cause }),
    problem,
    fix: `remove or rename ${path}`,
  });
}

/**
 * What ENOTDIR on `path` is about: the nearest path above it that exists and is not a directory ("is a file,
 * not a directory"); undefined when none is found (it changed meanwhile).
 */
export function notDirectoryAbove(path: string): { path: string; is: string } | undefined {
  const found = nearestAbove(path, (err) => isCode(err, "ENOTDIR"));
  if (found === undefined || found.stat.isDirectory()) return undefined;
  return { path: found.path, is: found.stat.isFile() ? "is a file, not a directory" : "is not a directory" };
}

/**
 * The nearest directory above `path` that can be stat'ed, walking up past the ones whose failure `passes`
 * (undefined at the first other failure, or at the root).
 */
export function nearestAbove(
  path: string,
  passes: (err: unknown) => boolean,
): { path: string; stat: Stats } | undefined {
  // One level up per step, so the walk ends at the root at the latest.
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      return { path: dir, stat: statSync(dir) };
    } catch (err) {
      if (!passes(err)) return undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
