/**
 * An account's credential in the system keyring. The keyring entry (service "codex", account
 * `<profile>@<CODEX_HOME>`) holds the whole credential as JSON, OAuth session included; the account's file
 * (config.toml, or the profile's) keeps only `auth_storage = "keyring"`, a non-secret note that tells status
 * and logout to look there without asking the keyring on every run. The note is this store's own edit of the
 * file; the file's credential keys are the file store's, which whoever writes here clears in the same update
 * (login does). Failure policy: KeyringUnavailableError from `get`, `write` and `ready`; `remove` reports it.
 *
 *   {"token":"sk-…"}
 *   {"token":"…","oauth":{"issuer":"…","clientId":"…","refreshToken":"…","expiresAt":"2026-…Z",…}}
 */
import { realpathSync } from "node:fs";
import { type Account, account, DEFAULT_ACCOUNT, isProfileName, recordedStorage } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import { KeyringUnavailableError } from "../errors.js";
import type { Keyring } from "./keyring.js";
import {
  assertOwnView,
  type CredentialStore,
  type OAuthSession,
  type Recorded,
  type Removal,
  type StoredCredential,
  type StoreSource,
} from "./store.js";

/** The account's file says the secret is in the keyring: status and logout look there without asking. */
const NOTE = "auth_storage";

/**
 * The keyring account for a profile of this CODEX_HOME: two homes never share an entry, and one home
 * reached through a symlink is still one entry.
 */
export function keyringAccount(config: Config, acct: Account): string {
  let home = config.home;
  try {
    home = realpathSync(home);
  } catch {
    // Not there yet: its path as given.
  }
  return `${acct.name}@${home}`;
}

export function encodeCredential(credential: StoredCredential): string {
  return JSON.stringify(credential);
}

const DATE_FIELDS = ["expiresAt", "endedAt", "refreshedAt"] as const;

/** undefined for anything that is not a credential this code wrote. */
export function decodeCredential(secret: string | null): StoredCredential | undefined {
  if (secret === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    return undefined;
  }
  const c = parsed as { token?: unknown; oauth?: Record<string, unknown> };
  if (typeof c?.token !== "string" || c.token === "") return undefined;
  if (typeof c.oauth !== "object" || c.oauth === null) return { token: c.token };
  const oauth = { ...c.oauth } as Record<string, unknown>;
  for (const f of DATE_FIELDS) {
    const d = typeof oauth[f] === "string" ? new Date(oauth[f] as string) : undefined;
    oauth[f] = d !== undefined && !Number.isNaN(d.getTime()) ? d : undefined;
  }
  if (typeof oauth.issuer !== "string" || typeof oauth.clientId !== "string") return { token: c.token };
  if (oauth.protocol !== "openai") oauth.protocol = undefined;
  for (const f of ["chatgptAccountId", "chatgptPlanType", "chatgptUserId"] as const) {
    if (typeof oauth[f] !== "string" || oauth[f] === "") oauth[f] = undefined;
  }
  return { token: c.token, oauth: oauth as unknown as OAuthSession };
}

/** One account's credential in the keyring: the entry, and the note in the account's file that records it. */
export class KeyringStore implements CredentialStore {
  readonly #keyring: Keyring;
  readonly #config: Config;
  readonly #account: Account;

  /** `config`: any view; the store notes its entry in the account's own file. */
  constructor(keyring: Keyring, config: Config, acct: Account) {
    this.#keyring = keyring;
    this.#config = config.view(acct.name);
    this.#account = acct;
  }

  /** The note, not the entry: named as messages name a keyring they did not ask. */
  recorded(config: Config = this.#config): Recorded | undefined {
    if (recordedStorage(config, this.#account) !== "keyring") return undefined;
    const place = "system keyring";
    const note = { setting: `${NOTE} = "keyring"`, place, medium: "keyring", item: `entry ${this.#entry(config)}` };
    return { source: { type: "keyring", name: place }, note };
  }

  async get(config: Config = this.#config): Promise<StoredCredential | undefined> {
    return decodeCredential(await this.#keyring.get(this.#entry(config)));
  }

  async write(config: Config, credential: StoredCredential): Promise<void> {
    assertOwnView(config, this.#account.name);
    await this.#keyring.set(this.#entry(config), encodeCredential(credential));
    config.set(NOTE, "keyring");
  }

  async remove(config: Config): Promise<Removal> {
    assertOwnView(config, this.#account.name);
    const entry = this.#entry(config);
    const noted = this.recorded(config) !== undefined;
    try {
      // Whatever the entry holds goes, even what codex cannot read as a credential.
      const secret = await this.#keyring.get(entry);
      if (secret === null && !noted) return { removed: false, failures: [] };
      const removed = await this.#keyring.delete(entry);
      if (config.get(NOTE) !== undefined) config.delete(NOTE);
      return { removed, credential: decodeCredential(secret), failures: [] };
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      // Left behind only where codex noted putting something; the note stays, so a later logout retries.
      if (!noted) return { removed: false, failures: [] };
      return { removed: false, failures: [], left: { medium: "keyring", item: `entry ${entry}`, reason: err.message } };
    }
  }

  async present(config: Config): Promise<boolean> {
    if (this.recorded(config) !== undefined) return true;
    try {
      return (await this.#keyring.get(this.#entry(config))) !== null;
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      return false;
    }
  }

  /**
   * A read of the account's entry answers when there is one; with none, a read cannot tell a locked keyring
   * from an open one (a locked Secret Service answers a search, which needs no unlock, and refuses only the
   * write), so a throwaway entry is written and removed.
   */
  async ready(config: Config): Promise<void> {
    const entry = this.#entry(config);
    if ((await this.#keyring.get(entry)) !== null) return;
    const probe = `${entry}#sign-in-check`;
    await this.#keyring.set(probe, "codex checks that it can store a credential here before a sign-in");
    await this.#keyring.delete(probe);
  }

  source(): StoreSource {
    return { type: "keyring", name: this.#keyring.name };
  }

  describe(): string {
    return this.#keyring.name;
  }

  #entry(config: Config): string {
    return keyringAccount(config, this.#account);
  }
}

/** The profiles of this CODEX_HOME that have a keyring entry. */
export async function keyringAccounts(keyring: Keyring, config: Config): Promise<string[]> {
  const suffix = keyringAccount(config, account(DEFAULT_ACCOUNT)).slice(DEFAULT_ACCOUNT.length);
  return (await keyring.list())
    .filter((a) => a.endsWith(suffix))
    .map((a) => a.slice(0, -suffix.length))
    .filter((name) => name === "default" || isProfileName(name));
}
