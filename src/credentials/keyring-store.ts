/**
 * An account's credential in the system keyring. The keyring entry (service "codex", account
 * `<profile>@<CODEX_HOME>`) holds the whole credential as JSON, OAuth session included; the account's file
 * (config.toml, or the profile's) keeps only `auth_storage = "keyring"`, a non-secret note that tells status
 * and logout to look there without asking the keyring on every run.
 *
 *   {"token":"sk-…"}
 *   {"token":"…","oauth":{"issuer":"…","clientId":"…","refreshToken":"…","expiresAt":"2026-…Z",…}}
 */
import { realpathSync } from "node:fs";
import type { Account } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import { assertOwnView, dropLegacyCredential, writeCredential } from "./file-store.js";
import type { Keyring } from "./keyring.js";
import type { CredentialStore, OAuthSession, StoredCredential } from "./store.js";

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

/** Reads the account's keyring entry (under the config lock when called from an update). */
export async function readKeyringCredential(
  keyring: Keyring,
  config: Config,
  acct: Account,
): Promise<StoredCredential | undefined> {
  return decodeCredential(await keyring.get(keyringAccount(config, acct)));
}

/**
 * Puts `credential` in the keyring (or removes the entry, when undefined) and queues the edits of the
 * account's file that go with it: no secret left in the file, and the `auth_storage` note set or removed.
 * Returns whether an entry was removed. Call inside `Config.update` of the account's view, so the keyring and
 * the file change together under the lock.
 */
export async function writeKeyringCredential(
  keyring: Keyring,
  config: Config,
  acct: Account,
  credential: StoredCredential | undefined,
): Promise<boolean> {
  assertOwnView(config, acct);
  const entry = keyringAccount(config, acct);
  const note = "auth_storage";
  if (credential === undefined) {
    const removed = await keyring.delete(entry);
    if (config.get(note) !== undefined) config.delete(note);
    return removed;
  }
  await keyring.set(entry, encodeCredential(credential));
  config.set(note, "keyring");
  writeCredential(config, undefined, acct);
  return false;
}

export class KeyringStore implements CredentialStore {
  readonly kind = "keyring";
  readonly #keyring: Keyring;
  readonly #config: Config;
  readonly #account: Account;

  constructor(keyring: Keyring, config: Config, acct: Account) {
    this.#keyring = keyring;
    this.#config = config;
    this.#account = acct;
  }

  get(): Promise<StoredCredential | undefined> {
    return readKeyringCredential(this.#keyring, this.#config, this.#account);
  }

  async set(credential: StoredCredential): Promise<void> {
    await this.#file.update((fresh) => writeKeyringCredential(this.#keyring, fresh, this.#account, credential));
    await dropLegacyCredential(this.#config, this.#account);
  }

  async delete(): Promise<boolean> {
    const removed = await this.#file.update((fresh) =>
      writeKeyringCredential(this.#keyring, fresh, this.#account, undefined),
    );
    await dropLegacyCredential(this.#config, this.#account);
    return removed;
  }

  get #file(): Config {
    return this.#config.view(this.#account.name);
  }

  describe(): string {
    return this.#keyring.name;
  }
}
