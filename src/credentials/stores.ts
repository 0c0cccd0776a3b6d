/**
 * The one place that knows the kinds of store: which an account's credential may be in, in precedence order,
 * and where a new one goes. Callers get CredentialReader / CredentialStore objects (store.ts) and never ask
 * which kind they hold; a new store is one class and one line in `writable` below.
 *
 * Decided from config.toml alone: the account's `auth_command`, its keys in its file, and the note
 * `auth_storage = "keyring"` that says the secret went to the keyring. So `codex status` on a file-stored
 * account never loads the keyring's code (it starts a helper process) nor the command's (child processes):
 * those modules are imported only when a store of theirs is returned.
 */
import { type Account, authCommand, recordedStorage, storeSetting } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { KeyringUnavailableError } from "../errors.js";
import { FileStore } from "./file-store.js";
import type { Keyring } from "./keyring.js";
import type { CredentialReader, CredentialStore } from "./store.js";

export async function loadKeyring(env: Env): Promise<Keyring> {
  const { systemKeyring } = await import("./keyring.js");
  return systemKeyring(env);
}

async function keyringStore(config: Config, acct: Account, env: Env): Promise<CredentialStore> {
  const { KeyringStore } = await import("./keyring-store.js");
  return new KeyringStore(await loadKeyring(env), config, acct);
}

/**
 * The stores codex writes for the account, strongest first, and the store a new credential goes to.
 * `need`: "recorded", the stores config.toml says hold something; "setting", those and the ones
 * `cli_auth_credentials_store` may write (what login writes, and what logout must look in); "all", every one.
 */
async function writable(
  config: Config,
  acct: Account,
  env: Env,
  need: "recorded" | "setting" | "all",
): Promise<{ stores: CredentialStore[]; keyring: CredentialStore | undefined }> {
  const setting = need === "recorded" ? "file" : storeSetting(config);
  const stores: CredentialStore[] = [new FileStore(config, acct)];
  const wanted = need === "all" || setting !== "file" || recordedStorage(config, acct) === "keyring";
  const keyring = wanted ? await keyringStore(config, acct, env) : undefined;
  if (keyring !== undefined) stores.push(keyring);
  return { stores, keyring };
}

/**
 * Where the account's credential may be read from, strongest first: its auth_command, its file, the keyring
 * (only when config.toml records it there). Throws ConfigValueError for a malformed auth_command, unless
 * `command: false` leaves it out.
 */
export async function accountReaders(
  config: Config,
  acct: Account,
  env: Env = process.env,
  options: { command?: boolean } = {},
): Promise<CredentialReader[]> {
  const readers: CredentialReader[] = [];
  const argv = options.command === false ? undefined : authCommand(config, acct);
  if (argv !== undefined) {
    const { CommandStore } = await import("./command-store.js");
    readers.push(new CommandStore(argv, env, { config, account: acct }));
  }
  readers.push(...(await writable(config, acct, env, "recorded")).stores);
  return readers;
}

export interface AccountStores {
  /** The stores codex writes for the account, strongest first (an auth_command is not one). */
  stores: CredentialStore[];
  /**
   * Where a new credential goes, by `cli_auth_credentials_store`, first choice first: "file" the file,
   * "keyring" the keyring, "auto" the keyring and, when it does not answer, the file. Throws
   * ConfigValueError for an invalid setting.
   */
  targets(): CredentialStore[];
}

/**
 * The stores login writes and logout clears. `every`: also the ones neither config.toml nor the setting
 * points at (`logout --all`, doctor), for what was put there without a note codex can still see. Without
 * it, throws ConfigValueError for an invalid `cli_auth_credentials_store`.
 */
export async function accountStores(
  config: Config,
  acct: Account,
  env: Env = process.env,
  options: { every?: boolean } = {},
): Promise<AccountStores> {
  const { stores, keyring } = await writable(config, acct, env, options.every ? "all" : "setting");
  const file = stores[0] as CredentialStore;
  const targets = () => {
    const setting = storeSetting(config);
    if (setting === "file" || keyring === undefined) return [file];
    return setting === "keyring" ? [keyring] : [keyring, file];
  };
  return { stores, targets };
}

/** The reader the account's credential is read from (the first that config.toml records), or undefined. */
export async function storeFor(
  config: Config,
  acct: Account,
  env: Env = process.env,
): Promise<CredentialReader | undefined> {
  return (await accountReaders(config, acct, env)).find((r) => r.recorded() !== undefined);
}

/**
 * Accounts of this CODEX_HOME the stores hold a credential for that config.toml may no longer mention (a note
 * deleted by hand, another tool's edit): the profiles with a keyring entry. `failure`: why they could not be
 * looked for, when one of the `known` accounts records a credential there (otherwise there is nothing to find).
 */
export async function unrecordedAccounts(
  config: Config,
  env: Env,
  known: readonly Account[],
): Promise<{ names: string[]; failure?: string | undefined }> {
  const { keyringAccounts } = await import("./keyring-store.js");
  try {
    return { names: await keyringAccounts(await loadKeyring(env), config) };
  } catch (err) {
    if (!(err instanceof KeyringUnavailableError)) throw err;
    return {
      names: [],
      failure: known.some((a) => recordedStorage(config, a) !== undefined) ? err.message : undefined,
    };
  }
}
