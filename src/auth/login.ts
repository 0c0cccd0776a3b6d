/**
 * Storing what a sign-in produced (an API key, or an OAuth session) for the selected account, where
 * `cli_auth_credentials_store` says: config.toml ("file", the default), the system keyring ("keyring"),
 * or the keyring when it answers and the file otherwise ("auto"). The new credential replaces the old one
 * wherever that was: after switching the setting and logging in again, no copy is left in the old place.
 * An OAuth session it replaces is then revoked at its issuer, as at logout (best effort, 5 s, reported in
 * the result, never failing the login): its tokens would otherwise stay valid at the server for no one.
 */
import { type Account, accountKey, authCommand, selectAccount } from "../config/accounts.js";
import { Config } from "../config/config.js";
import { allowsInsecureIssuer } from "../config/oauth.js";
import { trustProblem } from "../config/trust.js";
import { dropLegacyCredential } from "../credentials/legacy.js";
import type { CredentialStore, StoredCredential } from "../credentials/store.js";
import { accountStores } from "../credentials/stores.js";
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
 * Before a browser or device sign-in starts: when the only store `cli_auth_credentials_store` allows is one
 * that may refuse a write (the keyring, with "keyring"), asks it whether it would take one now, so that a
 * sign-in is never completed at the issuer only to be thrown away because there is nowhere to put it. One
 * that does not answer is a KeyringUnavailableError, before the issuer sees any request. "auto" is not
 * asked: its last choice, config.toml, takes what the keyring refuses.
 */
export async function checkKeyringFirst(options: AuthOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const acct = selectAccount(env, options.profile);
  const config = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).view(acct.name);
  const last = (await accountStores(config, acct, env)).targets().at(-1) as CredentialStore;
  try {
    await last.ready(config);
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
  const { stores, targets: choices } = await accountStores(config, acct, env);
  const targets = choices();
  /** Why the first choice could not be used, when "auto" fell back to the next. */
  let fallback: { reason: string; at: number } | undefined;
  for (const [i, target] of targets.entries()) {
    try {
      const why = fallback?.reason;
      const previous = await config.update((fresh) => replace(fresh, target, stores, credential, warnings, why));
      // Said where the fallback happened, naming the file as written (not a legacy table it replaced).
      if (fallback !== undefined) {
        warnings.splice(
          fallback.at,
          0,
          `${fallback.reason}; storing the credential in ${target.describe(config)} instead`,
        );
      }
      return {
        storedIn: target.describe(config),
        account: acct.name,
        warnings,
        config,
        previous: await finishMove(config, acct, previous, warnings),
      };
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
      if (i === targets.length - 1) {
        throw new KeyringUnavailableError(
          `${err.message}; nothing was stored (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)`,
          { cause: err },
        );
      }
      fallback = { reason: err.message, at: warnings.length };
    }
  }
  throw new Error("internal error: no store to write to");
}

/**
 * Under the lock: reads the credential stored now (for revocation), writes `credential` to `target` and
 * removes it from every other store that holds one, so no copy is left in the old place. A store that does
 * not answer has nothing to say about the previous credential; one that cannot remove its copy is a warning
 * (its record stays, so `codex logout` tries again).
 */
async function replace(
  config: Config,
  target: CredentialStore,
  stores: readonly CredentialStore[],
  credential: StoredCredential,
  warnings: string[],
  fallback: string | undefined,
): Promise<StoredCredential | undefined> {
  let previous: StoredCredential | undefined;
  const holding = stores.find((s) => s.recorded(config) !== undefined);
  try {
    previous = await holding?.get(config);
  } catch (err) {
    if (!(err instanceof KeyringUnavailableError)) throw err;
  }
  await target.write(config, credential);
  for (const store of stores) {
    if (store === target || store.recorded(config) === undefined) continue;
    const { left } = await store.remove(config);
    if (left === undefined) continue;
    // The reason is given once.
    const why = left.reason === fallback ? "" : `${left.reason}; `;
    warnings.push(
      `${why}the credential stored in the ${left.medium} before may remain there (${left.item}); \`codex logout\` removes it once the ${left.medium} answers`,
    );
  }
  return previous;
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
