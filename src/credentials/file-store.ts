/**
 * The default store, config.toml, written through Config (atomic, locked, format-preserving):
 *
 *   auth_token = "…"            # the API key or OAuth access token requests carry
 *
 *   [oauth_session]             # only after an OAuth sign-in
 *   issuer = "https://auth.openai.com"
 *   client_id = "app_…"
 *   refresh_token = "…"
 *   expires_at = 2026-11-25T10:42:00.000Z
 *   account = "dev@example.com"
 *   subject = "user-…"
 *
 * Deleting removes the lines entirely (and the `[oauth_session]` table), so login-then-logout gives back
 * the original file byte for byte.
 *
 * The methods work on the Config they are given, as loaded; `read`/`write` are the same mapping for
 * callers that already hold the config lock (`Config.update`).
 */
import type { Config } from "../config/config.js";
import type { CredentialStore, OAuthSession, StoredCredential } from "./store.js";

const SESSION = "oauth_session";

const FIELDS = {
  issuer: "issuer",
  clientId: "client_id",
  refreshToken: "refresh_token",
  expiresAt: "expires_at",
  account: "account",
  subject: "subject",
  endedAt: "ended_at",
} as const satisfies Record<keyof OAuthSession, string>;

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const date = (v: unknown): Date | undefined =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? new Date(v.getTime()) : undefined;

/** The credential in `config`, as loaded. */
export function readCredential(config: Config): StoredCredential | undefined {
  const token = config.authToken;
  if (token === undefined) return undefined;
  const raw = config.get(SESSION);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { token };
  const t = raw as Record<string, unknown>;
  const issuer = str(t[FIELDS.issuer]);
  const clientId = str(t[FIELDS.clientId]);
  // A session table without its issuer cannot be refreshed or revoked; the token still works as a bearer.
  if (issuer === undefined || clientId === undefined) return { token };
  return {
    token,
    oauth: {
      issuer,
      clientId,
      refreshToken: str(t[FIELDS.refreshToken]),
      expiresAt: date(t[FIELDS.expiresAt]),
      account: str(t[FIELDS.account]),
      subject: str(t[FIELDS.subject]),
      endedAt: date(t[FIELDS.endedAt]),
    },
  };
}

/** Queues the edits that make `config` hold exactly `credential` (or nothing, when undefined). */
export function writeCredential(config: Config, credential: StoredCredential | undefined): void {
  config.authToken = credential?.token;
  const session = credential?.oauth;
  if (session === undefined) {
    if (config.get(SESSION) !== undefined) config.delete(SESSION);
    return;
  }
  // Key by key rather than one table value, so the file gets a readable [oauth_session] section.
  const current = config.get(SESSION);
  if (current !== undefined && (typeof current !== "object" || current === null || Array.isArray(current))) {
    config.delete(SESSION);
  }
  for (const [field, key] of Object.entries(FIELDS) as Array<[keyof OAuthSession, string]>) {
    const value = session[field];
    if (value !== undefined || config.get([SESSION, key]) !== undefined) config.set([SESSION, key], value);
  }
}

export class FileStore implements CredentialStore {
  readonly kind = "file";
  readonly #config: Config;

  constructor(config: Config) {
    this.#config = config;
  }

  async get(): Promise<StoredCredential | undefined> {
    return readCredential(this.#config);
  }

  async set(credential: StoredCredential): Promise<void> {
    writeCredential(this.#config, credential);
    await this.#config.save();
  }

  async delete(): Promise<boolean> {
    // Nothing stored: leave the file (and a missing CODEX_HOME) exactly as they are.
    if (this.#config.get("auth_token") === undefined && this.#config.get(SESSION) === undefined) return false;
    this.#config.delete("auth_token");
    if (this.#config.get(SESSION) !== undefined) this.#config.delete(SESSION);
    return this.#config.save();
  }

  describe(): string {
    return this.#config.path;
  }
}
