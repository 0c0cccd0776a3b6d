/**
 * Storing what a sign-in produced (an API key, or an OAuth session) for the selected account, where
 * `cli_auth_credentials_store` says: config.toml ("file", the default), the system keyring ("keyring"),
 * or the keyring when it answers and the file otherwise ("auto"). The new credential replaces the old one
 * wherever that was: after switching the setting and logging in again, no copy is left in the old place.
 */
import { type Account, authCommand, recordedStorage, selectAccount, storeSetting } from "../config/accounts.js";
import { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { trustProblem } from "../config/trust.js";
import { writeCredential } from "../credentials/file-store.js";
import { keyringAccount, writeKeyringCredential } from "../credentials/keyring-store.js";
import { loadKeyring } from "../credentials/select.js";
import type { StoredCredential } from "../credentials/store.js";
import { KeyringUnavailableError } from "../errors.js";
import { normalizeApiKey } from "./api-key.js";
import type { AuthOptions } from "./status.js";

export interface LoginResult {
  /** Where the credential was stored: config.toml's path, or the keyring's name. */
  storedIn: string;
  /** The account it was stored for ("default" or a profile name). */
  account: string;
  /** Things the user should know: a fallback from the keyring, a copy that could not be removed. */
  warnings: string[];
}

export async function loginWithApiKey(apiKey: string, options: AuthOptions = {}): Promise<LoginResult> {
  return saveCredential({ token: normalizeApiKey(apiKey) }, options);
}

/** Stores `credential` in place of whatever was stored (an API key replaces a session and vice versa). */
export async function saveCredential(credential: StoredCredential, options: AuthOptions = {}): Promise<LoginResult> {
  const env = options.env ?? process.env;
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env }));
  const acct = selectAccount(config, env, options.profile);
  const warnings: string[] = [];
  // Saving a key sends it nowhere, but the file codex writes back (private to the user) keeps every
  // setting it had: once private, they would be trusted, so the user is told to look at them first.
  const untrusted = trustProblem(config);
  if (untrusted !== undefined) {
    warnings.push(
      `before this login, ${untrusted.reason}: someone else may have changed its settings; check base_url, auth_command and [oauth] in ${config.path} before you use codex, and keep it writable only by you`,
    );
  }
  const command = authCommand(config, acct);
  if (command !== undefined) {
    warnings.push(
      `auth_command in config.toml supplies this account's credential and takes precedence over the one just saved; remove it to use this one`,
    );
  }
  const setting = storeSetting(config);
  /** Why the keyring could not be used, when "auto" fell back to the file. */
  let fallback: string | undefined;
  if (setting !== "file") {
    try {
      const keyring = await loadKeyring(env);
      await config.update((fresh) => writeKeyringCredential(keyring, fresh, acct, credential));
      return { storedIn: keyring.name, account: acct.name, warnings };
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      if (setting === "keyring") {
        throw new KeyringUnavailableError(
          `${err.message}; nothing was saved (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)`,
          { cause: err },
        );
      }
      warnings.push(`${err.message}; storing the credential in ${config.path} instead`);
      fallback = err.message;
    }
  }
  await saveToFile(config, acct, credential, env, warnings, fallback);
  return { storedIn: config.path, account: acct.name, warnings };
}

/** Writes the file and, when the account's secret was in the keyring, removes it from there. */
async function saveToFile(
  config: Config,
  acct: Account,
  credential: StoredCredential,
  env: Env,
  warnings: string[],
  fallback: string | undefined,
): Promise<void> {
  await config.update(async (fresh) => {
    writeCredential(fresh, credential, acct);
    if (recordedStorage(fresh, acct) === undefined) return;
    const keyring = await loadKeyring(env);
    try {
      await keyring.delete(keyringAccount(fresh, acct));
      fresh.delete([...acct.table, "auth_storage"]);
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      // The note stays, so `codex logout` tries again when the keyring is back. The reason is given once.
      const why = err.message === fallback ? "" : `${err.message}; `;
      warnings.push(
        `${why}the credential stored in the keyring before may remain there (entry ${keyringAccount(fresh, acct)}); \`codex logout\` removes it once the keyring answers`,
      );
    }
  });
}
