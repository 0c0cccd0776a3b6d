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
 * A profile's credential has the same keys at the top of its own file, `NAME.config.toml` (codex 0.1.0 kept
 * them under `[profiles.NAME]` in config.toml: still read, see legacy.ts). Deleting removes the lines entirely
 * (and the session table), so login-then-logout gives back the original file byte for byte, and a profile
 * file codex created goes altogether.
 *
 * The methods work on the Config they are given, as loaded; `read`/`write` are the same mapping for
 * callers that already hold the config lock (`Config.update`).
 */
import { type Account, account, CODEX_WRITTEN_KEYS, DEFAULT_ACCOUNT } from "../config/accounts.js";
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

/**
 * The account's credential, as loaded: in its file, else (a profile's) in its legacy `[profiles.NAME]` table
 * of config.toml.
 */
export function readCredential(config: Config, acct: Account = account(DEFAULT_ACCOUNT)): StoredCredential | undefined {
  const file = config.view(acct.name);
  const own = readAt(file, []);
  if (own !== undefined || acct.name === DEFAULT_ACCOUNT) return own;
  return readAt(file.base, ["profiles", acct.name]);
}

/** The credential whose keys are in the table at `table` of `file` (the top level: []). */
export function readAt(file: Config, table: readonly string[]): StoredCredential | undefined {
  const token = str(file.get([...table, "auth_token"]));
  if (token === undefined) return undefined;
  const raw = file.get([...table, SESSION]);
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
 * Queues the edits that make the account's file hold exactly `credential` at its top level (or nothing, when
 * undefined). `config` must be the account's own view (`config.view(acct.name)`), as `Config.update` hands it.
 */
export function writeCredential(
  config: Config,
  credential: StoredCredential | undefined,
  acct: Account = account(DEFAULT_ACCOUNT),
): void {
  assertOwnView(config, acct);
  const at = (...keys: string[]) => keys;
  if (credential !== undefined || config.get(at("auth_token")) !== undefined)
    config.set(at("auth_token"), credential?.token);
  const session = credential?.oauth;
  const current = config.get(at(SESSION));
  if (session === undefined) {
    if (current !== undefined) config.delete(at(SESSION));
    return;
  }
  // Key by key rather than one table value, so the file gets a readable [oauth_session] section.
  if (current !== undefined && !isTable(current)) config.delete(at(SESSION));
  for (const [field, key] of Object.entries(FIELDS) as Array<[keyof OAuthSession, string]>) {
    const value = session[field];
    if (value !== undefined || config.get(at(SESSION, key)) !== undefined) config.set(at(SESSION, key), value);
  }
}

/** codex's own keys in a legacy `[profiles.NAME]` table: what it moves out of config.toml. */
const OURS = CODEX_WRITTEN_KEYS;

/**
 * Finishes moving a profile's credential out of codex 0.1.0's `[profiles.NAME]` table in config.toml, which
 * OpenAI's Codex CLI refuses beside `--profile NAME`: removes codex's own keys from it (the user's, such as an
 * `auth_command`, stay, and `codex doctor` names them), and the table when that leaves it bare. Called after
 * the profile's own file was written (or emptied, at logout), each step atomic: a kill in between leaves the
 * credential readable in the new file, and the next login, logout or renewal completes the move. Returns
 * what the table held, for revocation, or undefined when it held nothing of codex's.
 */
export async function dropLegacyCredential(
  config: Config,
  acct: Account,
  options: { keepNote?: boolean } = {},
): Promise<StoredCredential | undefined> {
  if (acct.name === DEFAULT_ACCOUNT) return undefined;
  const table = ["profiles", acct.name];
  // The keyring note stays while the entry it points to could not be removed: a later logout retries.
  const keys = options.keepNote ? OURS.filter((k) => k !== "auth_storage") : OURS;
  const base = config.base;
  if (!keys.some((k) => base.get([...table, k]) !== undefined)) return undefined;
  return base.update((fresh) => {
    const held = readAt(fresh, table);
    for (const k of keys) if (fresh.get([...table, k]) !== undefined) fresh.delete([...table, k]);
    // A table left with nothing in it goes; one with the user's comments in it stays (Config.prune). `profiles`
    // itself is never pruned: codex never wrote a `[profiles]` header, so one in the file is the user's.
    fresh.prune(table);
    return held;
  });
}

/** Edits queued on another view than the account's would be written to another file, or never. */
export function assertOwnView(config: Config, acct: Account): void {
  if (config.view(acct.name) !== config) throw new Error(`internal error: not the view of account ${acct.name}`);
}

/** One account's credential in its file (config.toml's top-level keys, or its profile's file). */
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
    await this.#file.update((fresh) => writeCredential(fresh, credential, this.#account));
    await dropLegacyCredential(this.#config, this.#account);
  }

  async delete(): Promise<boolean> {
    const has = (c: Config) => c.get("auth_token") !== undefined || c.get(SESSION) !== undefined;
    const legacy = (await dropLegacyCredential(this.#config, this.#account)) !== undefined;
    // Nothing stored: leave the file (and a missing CODEX_HOME) exactly as they are.
    if (!has(this.#file)) return legacy;
    const had = await this.#file.update((fresh) => {
      const had = has(fresh);
      writeCredential(fresh, undefined, this.#account);
      return had;
    });
    return had || legacy;
  }

  /** The file the credential is in: the account's own, or config.toml while it is in a legacy table. */
  describe(): string {
    const file = this.#file;
    return readAt(file, []) === undefined && readCredential(this.#config, this.#account) !== undefined
      ? file.base.path
      : file.path;
  }

  get #file(): Config {
    return this.#config.view(this.#account.name);
  }
}
