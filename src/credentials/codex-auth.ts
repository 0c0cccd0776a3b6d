/**
 * OpenAI's Codex CLI keeps its own sign-in in `$CODEX_HOME/auth.json` (`OPENAI_API_KEY`, and `tokens` with
 * the OAuth access and refresh tokens). codex never uses it, but it shares the directory, so status warns
 * about it and `logout --all` removes it: "log out of everything" must not leave a credential beside ours.
 * When it holds a ChatGPT session, `logout --all` also revokes it at OpenAI (auth/logout.ts), so this reads
 * the tokens out as well.
 *
 * The shape is Codex's (openai/codex, codex-rs/login/src/auth/storage.rs `AuthDotJson` @ 06566159f519,
 * token_data.rs `TokenData` @ 1245f8b0dced, auth/revoke.rs @ 409afc20462c, app-server-protocol
 * common.rs `AuthMode` @ 001506002518):
 *
 *   { "auth_mode": "chatgpt", "OPENAI_API_KEY": null, "last_refresh": "…",
 *     "tokens": { "id_token": "eyJ…", "access_token": "eyJ…", "refresh_token": "…", "account_id": "…" } }
 *
 * `auth_mode` is "apikey", "chatgpt", "chatgptAuthTokens" or "agentIdentity"; a file without it is a ChatGPT
 * sign-in unless it holds an API key (revoke.rs `resolved_auth_mode`). Codex revokes only "chatgpt"
 * sessions, the ones it manages; "chatgptAuthTokens" are an embedding app's, which refreshes and ends them
 * itself. One difference, on purpose: older Codex versions stored the API key they obtained at a ChatGPT
 * sign-in beside its tokens, without `auth_mode`; Codex now reads such a file as an API key, but its tokens
 * are still a live ChatGPT session, and once the file is deleted nothing will ever revoke them, so they are
 * revoked too.
 *
 * It is read as config.toml is (regular-file.ts): a FIFO or a device in its place is not a file holding a
 * credential, and is neither waited on nor read. When it is a symbolic link, removing it removes the file
 * it leads to, where the secret is, but only a regular file of the user's own: codex never follows a link
 * to delete someone else's file, and says what remains instead.
 */
import { lstatSync, realpathSync, type Stats, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { accessError, isCode } from "../config/fs-errors.js";
import { kindOf, readRegularFile, TOO_LARGE } from "../config/regular-file.js";
import { ConfigAccessError } from "../errors.js";
import { jwtExpiry, jwtPayload, MAX_TOKEN_CHARS } from "./jwt.js";

export interface CodexAuthFile {
  path: string;
  /** It holds an API key or tokens (an empty or unreadable file holds none we know of). */
  hasCredential: boolean;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** The tokens of a ChatGPT sign-in in auth.json: the access token, and the refresh token when there is one. */
export interface CodexAuthSession {
  accessToken: string;
  refreshToken: string | undefined;
  /** The access token's own `exp`, when it is a JWT that says. */
  accessTokenExpiresAt: Date | undefined;
}

export function codexAuthPath(home: string): string {
  return join(home, "auth.json");
}

/** auth.json in `home`, or undefined when there is none (or it is not a regular file). Never throws. */
export function findCodexAuth(home: string): CodexAuthFile | undefined {
  return readCodexAuth(home)?.file;
}

/**
 * findCodexAuth, and the ChatGPT session the file holds (see the header), from one read: for `logout --all`,
 * which revokes it. The session's tokens are secrets, which is why findCodexAuth, used for reports and
 * exported to library users, does not carry them.
 */
export function readCodexAuth(
  home: string,
): { file: CodexAuthFile; session: CodexAuthSession | undefined } | undefined {
  const path = codexAuthPath(home);
  let mode: number;
  let text: string;
  try {
    const read = readRegularFile(path);
    if (read === undefined) return undefined;
    mode = read.stat.mode & 0o777;
    text = read.bytes.toString("utf8");
  } catch (err) {
    // Too large to read: whatever it is, it may hold a secret, and `logout --all` should remove it.
    if (err instanceof ConfigAccessError && err.syscallCode === TOO_LARGE) {
      try {
        return { file: { path, hasCredential: true, mode: statSync(path).mode & 0o777 }, session: undefined };
      } catch {}
    }
    return undefined;
  }
  let hasCredential = false;
  let session: CodexAuthSession | undefined;
  try {
    const data = JSON.parse(text) as {
      OPENAI_API_KEY?: unknown;
      auth_mode?: unknown;
      tokens?: Record<string, unknown> | null;
    };
    const tokens = data?.tokens;
    hasCredential =
      (typeof data?.OPENAI_API_KEY === "string" && data.OPENAI_API_KEY !== "") ||
      (typeof tokens === "object" &&
        tokens !== null &&
        ["access_token", "refresh_token", "id_token"].some((k) => typeof tokens[k] === "string" && tokens[k] !== ""));
    if (typeof tokens === "object" && tokens !== null && chatgptManaged(data.auth_mode)) {
      session = sessionOf(tokens);
    }
  } catch {
    // Not JSON: whatever it is, it may still hold a secret; say so rather than guess it is harmless.
    hasCredential = text.trim() !== "";
  }
  return { file: { path, hasCredential, mode }, session };
}

/** Whether `auth_mode` leaves the tokens Codex's own ChatGPT session (absent: a sign-in, see the header). */
function chatgptManaged(mode: unknown): boolean {
  return mode === undefined || mode === null || mode === "chatgpt";
}

function sessionOf(tokens: Record<string, unknown>): CodexAuthSession | undefined {
  const token = (v: unknown) => (typeof v === "string" && v !== "" && v.length <= MAX_TOKEN_CHARS ? v : undefined);
  const accessToken = token(tokens.access_token);
  const refreshToken = token(tokens.refresh_token);
  // Codex always writes both (TokenData requires them); a file with no access token was not written by a
  // sign-in, and revocation (refresh token, then access token) is only spoken for a whole session.
  if (accessToken === undefined) return undefined;
  return { accessToken, refreshToken, accessTokenExpiresAt: jwtExpiry(jwtPayload(accessToken)) };
}

export interface CodexAuthRemoval {
  /** What was deleted: auth.json, and the file it linked to. */
  removed: string[];
  /** Why the credential remains (a link to a file codex may not delete), as one line; undefined when gone. */
  remains: string | undefined;
}

/**
 * Deletes auth.json. A symbolic link goes with the file it leads to when that is a regular file owned by
 * the user running codex (deleting only the link would leave the secret where it was); otherwise both stay
 * and `remains` says where the secret is.
 */
export function removeCodexAuth(path: string): CodexAuthRemoval {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (err) {
    if (isCode(err, "ENOENT")) return { removed: [], remains: undefined };
    throw accessError(path, err, "remove");
  }
  if (!link.isSymbolicLink()) {
    unlink(path);
    return { removed: [path], remains: undefined };
  }
  let target: string;
  let st: Stats;
  try {
    target = realpathSync(path);
    st = lstatSync(target);
  } catch (err) {
    // Leads nowhere: no secret behind it, and the link itself is ours to remove.
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "resolve");
    unlink(path);
    return { removed: [path], remains: undefined };
  }
  const uid = process.getuid?.();
  const why = !st.isFile()
    ? kindOf(st)
    : uid !== undefined && st.uid !== uid
      ? `owned by another user (uid ${st.uid})`
      : undefined;
  if (why !== undefined) {
    return {
      removed: [],
      remains: `${path} is a symbolic link to ${target}, ${why}: codex did not follow it to delete that file, so the credential in it remains; delete it yourself if it is yours to delete`,
    };
  }
  unlink(target);
  unlink(path);
  return { removed: [target, path], remains: undefined };
}

function unlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isCode(err, "ENOENT")) throw accessError(path, err, "remove");
  }
}
