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
 *   protocol = "openai"         # OpenAI's own sign-in, with its chatgpt_* claims and refreshed_at
 *
 * A profile's credential has the same keys under `[profiles.NAME]` (and `[profiles.NAME.oauth_session]`).
 * Deleting removes the lines entirely (and the session table), so login-then-logout gives back the
 * original file byte for byte.
 *
 * The methods work on the Config they are given, as loaded; `read`/`write` are the same mapping for
 * callers that already hold the config lock (`Config.update`).
 */
import { type Account, account, DEFAULT_ACCOUNT } from "../config/accounts.js";
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
  protocol: "protocol",
  chatgptAccountId: "chatgpt_account_id",
  chatgptPlanType: "chatgpt_plan_type",
  chatgptUserId: "chatgpt_user_id",
  refreshedAt: "refreshed_at",
} as const satisfies Record<keyof OAuthSession, string>;

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const date = (v: unknown): Date | undefined =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? new Date(v.getTime()) : undefined;

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The account's credential in `config`, as loaded. */
export function readCredential(config: Config, acct: Account = account(DEFAULT_ACCOUNT)): StoredCredential | undefined {
  const token = str(config.get([...acct.table, "auth_token"]));
  if (token === undefined) return undefined;
  const raw = config.get([...acct.table, SESSION]);
  if (!isTable(raw)) return { token };
  const t = raw;
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
      // Anything but "openai" is the standard protocol: a stored value never widens where tokens go.
      protocol: t[FIELDS.protocol] === "openai" ? "openai" : undefined,
      chatgptAccountId: str(t[FIELDS.chatgptAccountId]),
      chatgptPlanType: str(t[FIELDS.chatgptPlanType]),
      chatgptUserId: str(t[FIELDS.chatgptUserId]),
      refreshedAt: date(t[FIELDS.refreshedAt]),
    },
  };
}

/**
 * Queues the edits that make `config` hold exactly `credential` for the account (or nothing, when
 * undefined). Removing a profile's last key removes its `[profiles.NAME]` table too.
 */
export function writeCredential(
  config: Config,
  credential: StoredCredential | undefined,
  acct: Account = account(DEFAULT_ACCOUNT),
): void {
  const at = (...keys: string[]) => [...acct.table, ...keys];
  if (credential !== undefined || config.get(at("auth_token")) !== undefined)
    config.set(at("auth_token"), credential?.token);
  const session = credential?.oauth;
  const current = config.get(at(SESSION));
  if (session === undefined) {
    if (current !== undefined) config.delete(at(SESSION));
    dropEmptyProfile(config, acct);
    return;
  }
  // Key by key rather than one table value, so the file gets a readable [oauth_session] section.
  if (current !== undefined && !isTable(current)) config.delete(at(SESSION));
  for (const [field, key] of Object.entries(FIELDS) as Array<[keyof OAuthSession, string]>) {
    const value = session[field];
    if (value !== undefined || config.get(at(SESSION, key)) !== undefined) config.set(at(SESSION, key), value);
  }
}

/**
 * A `[profiles.NAME]` table left with nothing in it goes, so a profile's login-then-logout leaves no trace;
 * one with the user's comments in it stays (Config.prune). `profiles` itself is never pruned: codex never
 * writes a `[profiles]` header, so one in the file is the user's (and without one, `profiles` has no text).
 */
export function dropEmptyProfile(config: Config, acct: Account): void {
  if (acct.table.length === 0) return;
  config.prune(acct.table);
}

/** One account's credential in config.toml (the top-level keys, or `[profiles.NAME]`). */
export class FileStore implements CredentialStore {
  readonly kind = "file";
  readonly #config: Config;
  readonly #account: Account;

  constructor(config: Config, acct: Account = account(DEFAULT_ACCOUNT)) {
    this.#config = config;
    this.#account = acct;
  }

  async get(): Promise<StoredCredential | undefined> {
    return readCredential(this.#config, this.#account);
  }

  async set(credential: StoredCredential): Promise<void> {
    await this.#config.update((fresh) => writeCredential(fresh, credential, this.#account));
  }

  async delete(): Promise<boolean> {
    const at = (key: string) => [...this.#account.table, key];
    // Nothing stored: leave the file (and a missing CODEX_HOME) exactly as they are.
    if (this.#config.get(at("auth_token")) === undefined && this.#config.get(at(SESSION)) === undefined) return false;
    return this.#config.update((fresh) => {
      const had = fresh.get(at("auth_token")) !== undefined || fresh.get(at(SESSION)) !== undefined;
      writeCredential(fresh, undefined, this.#account);
      return had;
    });
  }

  describe(): string {
    return this.#config.path;
  }
}
