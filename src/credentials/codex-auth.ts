/**
 * OpenAI's Codex CLI keeps its own sign-in in `$CODEX_HOME/auth.json` (`OPENAI_API_KEY`, and `tokens` with
 * the OAuth access and refresh tokens). codex never uses it, but it shares the directory, so status warns
 * about it and `logout --all` removes it: "log out of everything" must not leave a credential beside ours.
 */
import { readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { accessError, isCode } from "../config/fs-errors.js";

export interface CodexAuthFile {
  path: string;
  /** It holds an API key or tokens (an empty or unreadable file holds none we know of). */
  hasCredential: boolean;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

export function codexAuthPath(home: string): string {
  return join(home, "auth.json");
}

/** auth.json in `home`, or undefined when there is none. Never throws for a malformed file. */
export function findCodexAuth(home: string): CodexAuthFile | undefined {
  const path = codexAuthPath(home);
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode & 0o777;
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  let hasCredential = false;
  try {
    const data = JSON.parse(text) as { OPENAI_API_KEY?: unknown; tokens?: Record<string, unknown> | null };
    const tokens = data?.tokens;
    hasCredential =
      (typeof data?.OPENAI_API_KEY === "string" && data.OPENAI_API_KEY !== "") ||
      (typeof tokens === "object" &&
        tokens !== null &&
        ["access_token", "refresh_token", "id_token"].some((k) => typeof tokens[k] === "string" && tokens[k] !== ""));
  } catch {
    // Not JSON: whatever it is, it may still hold a secret; say so rather than guess it is harmless.
    hasCredential = text.trim() !== "";
  }
  return { path, hasCredential, mode };
}

export function removeCodexAuth(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "remove");
  }
}
