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
 * them under `[profiles.NAME]` in config.toml: still read here, moved out by legacy.ts). Removing deletes the
 * lines entirely (and the session table), so login-then-logout gives back the original file byte for byte, and
 * a profile file codex created goes altogether.
 *
 * The store's writes are edits queued on the account's view inside `Config.update` (see store.ts). `readAt`
 * is the mapping for a table anywhere, for legacy.ts and for status's check of who can read which file.
 */
import { type Account, account, DEFAULT_ACCOUNT } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import { otherLinksMessage } from "../config/regular-file.js";
import { resolveTarget } from "../config/symlink.js";
import { trustProblem } from "../config/trust.js";
import {
  assertOwnView,
  type CredentialStore,
  type OAuthSession,
  type Recorded,
  type Removal,
  type StoredCredential,
  type StoreSource,
} from "./store.js";

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
function readCredential(config: Config, acct: Account = account(DEFAULT_ACCOUNT)): StoredCredential | undefined {
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
function writeCredential(
  config: Config,
  credential: StoredCredential | undefined,
  acct: Account = account(DEFAULT_ACCOUNT),
): void {
  assertOwnView(config, acct.name);
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

/** One account's credential in its file (config.toml's top-level keys, or its profile's file). */
export class FileStore implements CredentialStore {
  readonly #config: Config;
  readonly #account: Account;

  /** `config`: any view; the store works on the account's own (`config.view(account.name)`). */
  constructor(config: Config, acct: Account = account(DEFAULT_ACCOUNT)) {
    this.#config = config.view(acct.name);
    this.#account = acct;
  }

  recorded(config: Config = this.#config): Recorded | undefined {
    const credential = readCredential(config, this.#account);
    return credential === undefined ? undefined : { source: this.source(config), credential };
  }

  async get(config: Config = this.#config): Promise<StoredCredential | undefined> {
    return readCredential(config, this.#account);
  }

  async write(config: Config, credential: StoredCredential): Promise<void> {
    writeCredential(config, credential, this.#account);
  }

  async remove(config: Config): Promise<Removal> {
    assertOwnView(config, this.#account.name);
    // Only the account's own file: what a profile left in config.toml's legacy table is legacy.ts's to move.
    const held = readAt(config, []);
    // A session table left without its token is no credential, but it goes with the rest (as before the seam).
    writeCredential(config, undefined, this.#account);
    if (held === undefined) return { removed: false, failures: [] };
    const failures: string[] = [];
    // The rename that removes the credential gives this name a new file; other names keep the old one.
    const st = config.fileStat;
    if (st !== undefined && st.nlink > 1) failures.push(otherLinksMessage(config.path, resolveTarget(config.path), st));
    // The issuer revocation would send the tokens to is the file's word.
    const untrusted = held.oauth === undefined ? undefined : trustProblem(config, "credential");
    return { removed: true, credential: held, untrusted, failures };
  }

  async present(config: Config): Promise<boolean> {
    return readAt(config, []) !== undefined;
  }

  async ready(): Promise<void> {
    // A file that cannot be written says so when it is written; there is no sign-in to spare here.
  }

  source(config: Config = this.#config): StoreSource {
    return { type: "file", path: this.describe(config) };
  }

  /** The file the credential is in: the account's own, or config.toml while it is in a legacy table. */
  describe(config: Config = this.#config): string {
    return readAt(config, []) === undefined && readCredential(config, this.#account) !== undefined
      ? config.base.path
      : config.path;
  }
}
