/**
 * Which store holds an account's credential, decided from config.toml alone: the account's
 * `auth_command`, else its keys in the file, else the keyring when `auth_storage = "keyring"` says the
 * secret went there. So `codex status` on a file-stored account never starts the keyring, and the keyring
 * and command code (child processes) load only for accounts that use them.
 */
import { type Account, authCommand, recordedStorage } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { assertTrusted } from "../config/trust.js";
import { FileStore, readCredential, writeCredential } from "./file-store.js";
import type { Keyring } from "./keyring.js";
import type { CredentialStore, StoredCredential } from "./store.js";

export type Place = "file" | "keyring";

/** Where the account's secret is stored now ("file" or "keyring"), or undefined when nowhere. */
export function storedPlace(config: Config, acct: Account): Place | undefined {
  if (readCredential(config, acct) !== undefined) return "file";
  return recordedStorage(config, acct);
}

export async function loadKeyring(env: Env): Promise<Keyring> {
  const { systemKeyring } = await import("./keyring.js");
  return systemKeyring(env);
}

/** The store the account's credential is read from, or undefined when it has none. */
export async function storeFor(
  config: Config,
  acct: Account,
  env: Env = process.env,
): Promise<CredentialStore | undefined> {
  const command = authCommand(config, acct);
  if (command !== undefined) {
    assertTrusted(config, "command");
    const { CommandStore } = await import("./command-store.js");
    return new CommandStore(command, env);
  }
  const place = storedPlace(config, acct);
  if (place === "file") return new FileStore(config, acct);
  if (place === "keyring") {
    const { KeyringStore } = await import("./keyring-store.js");
    return new KeyringStore(await loadKeyring(env), config, acct);
  }
  return undefined;
}

/** Reading and writing one place on a config held under the lock (`Config.update`), e.g. for a refresh. */
export interface LockedAccess {
  read(config: Config): Promise<StoredCredential | undefined>;
  /** Queues the file's edits; a keyring write happens at once. */
  write(config: Config, credential: StoredCredential | undefined): Promise<void>;
}

export async function lockedAccess(place: Place, acct: Account, env: Env): Promise<LockedAccess> {
  if (place === "file") {
    return {
      read: async (config) => readCredential(config, acct),
      write: async (config, credential) => writeCredential(config, credential, acct),
    };
  }
  const keyring = await loadKeyring(env);
  const { readKeyringCredential, writeKeyringCredential } = await import("./keyring-store.js");
  return {
    read: (config) => readKeyringCredential(keyring, config, acct),
    write: async (config, credential) => {
      await writeKeyringCredential(keyring, config, acct, credential);
    },
  };
}
