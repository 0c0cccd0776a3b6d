/**
 * The one place that knows the kinds of store: which an account's credential may be in, in precedence order,
 * and where a new one goes. Callers get CredentialReader / CredentialStore objects (store.ts) and never ask
 * which kind they hold; a new store is one class and one line in `KINDS` below.
 *
 * Decided from config.toml alone: the account's `auth_command`, its keys in its file, and the note
 * `auth_storage = "keyring"` that says the secret went to the keyring. So `codex status` on a file-stored
 * account never loads the keyring's code (it starts a helper process) nor the command's (child processes):
 * those modules are imported only when a store of theirs is returned.
 */
import { type Account, authCommand, recordedStorage, type StoreSetting, storeSetting } from "../config/accounts.js";
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

/** What the factory knows of one kind of store codex writes. */
interface StoreKind {
  /** Whether config.toml alone says the account's credential may be here (the file is always looked in). */
  mayHold(config: Config, acct: Account): boolean;
  /** Makes the store; a kind whose code is heavy imports it here, so it loads only when returned. */
  make(config: Config, acct: Account, env: Env): CredentialStore | Promise<CredentialStore>;
}

/** The stores codex writes, strongest first: adding one is a class and a line here. */
const KINDS = {
  file: { mayHold: () => true, make: (config, acct) => new FileStore(config, acct) },
  keyring: {
    mayHold: (config, acct) => recordedStorage(config, acct) === "keyring",
    make: async (config, acct, env) => {
      const { KeyringStore } = await import("./keyring-store.js");
      return new KeyringStore(await loadKeyring(env), config, acct);
    },
  },
} satisfies Record<string, StoreKind>;

type Kind = keyof typeof KINDS;

/** Where `cli_auth_credentials_store` sends a new credential, first choice first. */
const TARGETS: Record<StoreSetting, readonly Kind[]> = {
  file: ["file"],
  keyring: ["keyring"],
  auto: ["keyring", "file"],
};

/**
 * The stores, strongest first, that config.toml says may hold the account's credential, and those `also`
 * asks for (the setting's targets, or every kind).
 */
async function make(
  config: Config,
  acct: Account,
  env: Env,
  also: (kind: Kind) => boolean,
): Promise<Map<Kind, CredentialStore>> {
  const made = new Map<Kind, CredentialStore>();
  for (const [kind, k] of Object.entries(KINDS) as Array<[Kind, StoreKind]>) {
    if (k.mayHold(config, acct) || also(kind)) made.set(kind, await k.make(config, acct, env));
  }
  return made;
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
  readers.push(...(await make(config, acct, env, () => false)).values());
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
  const targets = options.every ? undefined : TARGETS[storeSetting(config)];
  const made = await make(config, acct, env, (kind) => targets === undefined || targets.includes(kind));
  return {
    stores: [...made.values()],
    targets: () => TARGETS[storeSetting(config)].map((kind) => made.get(kind) as CredentialStore),
  };
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
