/**
 * Storing what a sign-in produced (an API key, or an OAuth session) for the selected account, where
 * `cli_auth_credentials_store` says: config.toml ("file", the default), the system keyring ("keyring"),
 * or the keyring when it answers and the file otherwise ("auto"). The new credential replaces the old one
 * wherever that was: after switching the setting and logging in again, no copy is left in the old place.
 * An OAuth session it replaces is then revoked at its issuer, as at logout (best effort, 5 s, reported in
 * the result, never failing the login): its tokens would otherwise stay valid at the server for no one.
 */
import {
  type Account,
  accountKey,
  authCommand,
  recordedStorage,
  selectAccount,
  storeSetting,
} from "../config/accounts.js";
import { Config } from "../config/config.js";
import { allowsInsecureIssuer } from "../config/oauth.js";
import type { Env } from "../config/paths.js";
import { trustProblem } from "../config/trust.js";
import { dropLegacyCredential, readCredential, writeCredential } from "../credentials/file-store.js";
import { keyringAccount, writeKeyringCredential } from "../credentials/keyring-store.js";
import { loadKeyring } from "../credentials/select.js";
import type { StoredCredential } from "../credentials/store.js";
import { KeyringUnavailableError } from "../errors.js";
import { normalizeApiKey } from "./api-key.js";
import { legacyTableRefusal, refusalLine } from "./codex-cli.js";
import type { Revocation } from "./oauth/revoke.js";
import type { AuthOptions } from "./status.js";

export interface LoginResult {
  /** Where the credential was stored: config.toml's path, or the keyring's name. */
  storedIn: string;
  /** The account it was stored for ("default" or a profile name). */
  account: string;
  /** Things the user should know: a fallback from the keyring, a copy that could not be removed. */
  warnings: string[];
  /**
   * The session this login replaced, revoked at its issuer (as OpenAI's Codex CLI does when a new sign-in
   * replaces different tokens); null when there was none, or when config.toml is not trusted to say where
   * its issuer is.
   */
  revocation: Revocation | null;
}

export async function loginWithApiKey(apiKey: string, options: AuthOptions = {}): Promise<LoginResult> {
  return saveCredential({ token: normalizeApiKey(apiKey) }, options);
}

/**
 * Before a browser or device sign-in starts: with `cli_auth_credentials_store = "keyring"`, asks the keyring
 * whether it answers, so that a sign-in is never completed at the issuer only to be thrown away because there
 * is nowhere to put it. A read of the account's entry answers when there is one; with none, a read cannot tell
 * a locked keyring from an open one, so a throwaway entry is written and removed. A keyring that does not
 * answer is a KeyringUnavailableError, before the issuer sees any request. "auto" is not asked: it falls back
 * to config.toml when it stores.
 */
export async function checkKeyringFirst(options: AuthOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const acct = selectAccount(env, options.profile);
  const config = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).view(acct.name);
  if (storeSetting(config) !== "keyring") return;
  try {
    const keyring = await loadKeyring(env);
    const account = keyringAccount(config, acct);
    if ((await keyring.get(account)) === null) {
      // A locked Secret Service answers a read of an entry it does not have (its search needs no unlock)
      // and refuses only the write: a throwaway entry, removed at once, is what tells.
      const probe = `${account}#sign-in-check`;
      await keyring.set(probe, "codex checks that it can store a credential here before a sign-in");
      await keyring.delete(probe);
    }
  } catch (err) {
    if (!(err instanceof KeyringUnavailableError)) throw err;
    throw new KeyringUnavailableError(
      `${err.message}; the sign-in was not started (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)`,
      { cause: err },
    );
  }
}

/** Stores `credential` in place of whatever was stored (an API key replaces a session and vice versa). */
export async function saveCredential(credential: StoredCredential, options: AuthOptions = {}): Promise<LoginResult> {
  const saved = await store(credential, options);
  const previous = saved.previous;
  let revocation: Revocation | null = null;
  // Tokens the new ones replaced would stay valid at the server for nobody's use: they are revoked, with
  // logout's time budget. An issuer named by a file others can change is not sent anything.
  if (previous?.oauth !== undefined && replaced(previous, credential) && trustProblem(saved.config) === undefined) {
    const { revokeSession } = await import("./oauth/revoke.js");
    revocation = await revokeSession(previous, 5_000, {
      allowInsecureHttp: allowsInsecureIssuer(saved.config),
      env: options.env,
    });
  }
  return { storedIn: saved.storedIn, account: saved.account, warnings: saved.warnings, revocation };
}

/** Whether the old session's tokens are not the new credential's (Codex's `should_revoke_auth_tokens`). */
function replaced(previous: StoredCredential, next: StoredCredential): boolean {
  const old = previous.oauth?.refreshToken;
  return old !== undefined ? old !== next.oauth?.refreshToken : previous.token !== next.token;
}

interface Stored {
  storedIn: string;
  account: string;
  warnings: string[];
  config: Config;
  /** The account's credential before, from the file or the keyring (read under the lock). */
  previous: StoredCredential | undefined;
}

async function store(credential: StoredCredential, options: AuthOptions): Promise<Stored> {
  const env = options.env ?? process.env;
  const acct = selectAccount(env, options.profile);
  // The account's own view: a profile's credential goes in its NAME.config.toml, and its settings apply.
  const config = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).view(acct.name);
  const warnings: string[] = [];
  // Saving a key sends it nowhere, but the file codex writes back (private to the user) keeps every
  // setting it had: once private, they would be trusted, so the user is told to look at them first.
  const untrusted = trustProblem(config);
  if (untrusted !== undefined) {
    warnings.push(
      `before this sign-in, ${untrusted.reason}: someone else may have changed its settings; check base_url, auth_command and [oauth] in ${config.path} before you use codex, and keep it writable only by you`,
    );
  }
  const command = authCommand(config, acct);
  if (command !== undefined) {
    warnings.push(
      `auth_command in ${accountKey(config, acct, "auth_command").file.path} supplies this account's credential and takes precedence over the one just saved; remove it to use this one`,
    );
  }
  const setting = storeSetting(config);
  /** Why the keyring could not be used, when "auto" fell back to the file. */
  let fallback: string | undefined;
  if (setting !== "file") {
    try {
      const keyring = await loadKeyring(env);
      let previous: StoredCredential | undefined;
      await config.update(async (fresh) => {
        previous = await previousCredential(fresh, acct, env);
        await writeKeyringCredential(keyring, fresh, acct, credential);
      });
      previous = await finishMove(config, acct, previous, warnings);
      return { storedIn: keyring.name, account: acct.name, warnings, config, previous };
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      if (setting === "keyring") {
        throw new KeyringUnavailableError(
          `${err.message}; nothing was stored (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)`,
          { cause: err },
        );
      }
      warnings.push(`${err.message}; storing the credential in ${config.path} instead`);
      fallback = err.message;
    }
  }
  const saved = await saveToFile(config, acct, credential, env, warnings, fallback);
  const previous = await finishMove(config, acct, saved, warnings);
  return { storedIn: config.path, account: acct.name, warnings, config, previous };
}

/**
 * The new credential is in the profile's own file: what codex 0.1.0 left in its `[profiles.NAME]` table goes
 * (the credential it replaced, when the file had none, is what to revoke).
 */
async function finishMove(
  config: Config,
  acct: Account,
  previous: StoredCredential | undefined,
  warnings: string[],
): Promise<StoredCredential | undefined> {
  const legacy = await dropLegacyCredential(config, acct);
  // What is left of the table is the user's: the real Codex still refuses --profile NAME beside it.
  const left = legacyTableRefusal(config, acct.name);
  if (left !== undefined) warnings.push(refusalLine(left));
  return previous ?? legacy;
}

/**
 * The account's credential as stored now: in the file, else in the keyring when the file says so. A
 * keyring that does not answer has nothing to say here (the caller reports the copy it cannot remove).
 */
async function previousCredential(config: Config, acct: Account, env: Env): Promise<StoredCredential | undefined> {
  const inFile = readCredential(config, acct);
  if (inFile !== undefined || recordedStorage(config, acct) === undefined) return inFile;
  try {
    const { readKeyringCredential } = await import("../credentials/keyring-store.js");
    return await readKeyringCredential(await loadKeyring(env), config, acct);
  } catch (err) {
    if (err instanceof KeyringUnavailableError) return undefined;
    throw err;
  }
}

/** Writes the file and, when the account's secret was in the keyring, removes it from there. */
async function saveToFile(
  config: Config,
  acct: Account,
  credential: StoredCredential,
  env: Env,
  warnings: string[],
  fallback: string | undefined,
): Promise<StoredCredential | undefined> {
  let previous: StoredCredential | undefined;
  await config.update(async (fresh) => {
    previous = await previousCredential(fresh, acct, env);
    writeCredential(fresh, credential, acct);
    if (recordedStorage(fresh, acct) === undefined) return;
    const keyring = await loadKeyring(env);
    try {
      await keyring.delete(keyringAccount(fresh, acct));
      if (fresh.get("auth_storage") !== undefined) fresh.delete("auth_storage");
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      // The note stays, so `codex logout` tries again when the keyring is back. The reason is given once.
      const why = err.message === fallback ? "" : `${err.message}; `;
      warnings.push(
        `${why}the credential stored in the keyring before may remain there (entry ${keyringAccount(fresh, acct)}); \`codex logout\` removes it once the keyring answers`,
      );
    }
  });
  return previous;
}
