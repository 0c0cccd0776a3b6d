/** Filesystem failures as one clear line: what we tried, on which path, and why. */
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
  const reason = (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
  return new ConfigAccessError(path, `cannot ${action} ${path}: ${reason}`, code, { cause: err });
}
