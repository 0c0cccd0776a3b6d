/**
 * `logout()`: removes the selected account's credential (or, with `all`, every account's) from every
 * place codex keeps one — config.toml and the system keyring — then revokes OAuth sessions at their
 * issuer, and reports each place, plus what still authenticates and that codex cannot remove: an
 * environment variable, an `auth_command`, OpenAI's Codex CLI's auth.json (removed only with `all`).
 * Logging out when logged out changes nothing and touches no file.
 *
 * The tokens are removed first, under the config lock, and revoked afterwards: taking them under the lock
 * means revoking the newest ones even if another process has just rotated them, and the network wait
 * happens without holding up other codex processes. If revocation fails the session is still gone from
 * this machine; the result says which tokens the server may still honour.
 */
import {
  type Account,
  account as accountNamed,
  authCommand,
  commandName,
  configuredAccounts,
  selectAccount,
  storeSetting,
} from "../config/accounts.js";
import { Config } from "../config/config.js";
import {
  allowsInsecureIssuer,
  issuerHost,
  OAUTH_DEFAULTS,
  type OAuthSettings,
  oauthSettings,
} from "../config/oauth.js";
import type { Env } from "../config/paths.js";
import { otherLinksMessage } from "../config/regular-file.js";
import { resolveTarget } from "../config/symlink.js";
import { trustProblem } from "../config/trust.js";
import {
  type CodexAuthFile,
  type CodexAuthSession,
  readCodexAuth,
  removeCodexAuth,
} from "../credentials/codex-auth.js";
import { dropLegacyCredential } from "../credentials/legacy.js";
import type { StoredCredential } from "../credentials/store.js";
import { accountStores, unrecordedAccounts } from "../credentials/stores.js";
import { CodexError, type UntrustedConfigError } from "../errors.js";
import { envCredentialVars, selectedProviderAuth } from "./credential.js";
import type { TokenEnvVar } from "./env.js";
import type { Revocation } from "./oauth/revoke.js";
import type { AuthOptions } from "./status.js";

export interface LogoutOptions extends AuthOptions {
  /** Log out of every account, and remove OpenAI's Codex CLI's auth.json too (`--all`). */
  all?: boolean;
  /** Skip revoking OAuth sessions at the server (`--no-revoke`). */
  revoke?: boolean;
  /** Time allowed for each session's revocation, in ms (default 5 s). */
  revokeBudgetMs?: number;
}

export interface AccountLogout {
  /** "default" or the profile name. */
  account: string;
  /** Where its credential was removed from: config.toml's path, the keyring's name. */
  removedFrom: string[];
  /** What the server said about its OAuth session's tokens; null for an API key or with `revoke: false`. */
  revocation: Revocation | null;
  /** An OAuth session whose revocation was skipped (`revoke: false`): its issuer. */
  revocationSkipped: string | null;
  /** The account's `auth_command` (its program name): that tool, not codex, holds the credential. */
  managedBy: string | null;
  /** Places a credential could not be removed from, as one line each (e.g. the keyring did not answer). */
  failures: string[];
}

export interface LogoutResult {
  /** Whether any stored credential was found and removed. */
  removed: boolean;
  /** Every place something was removed from (config.toml's path, the keyring's name, auth.json's path). */
  removedFrom: string[];
  /** The selected account's revocation (see `accounts` for each account's, with `all`). */
  revocation: Revocation | null;
  revocationSkipped: string | null;
  /** Each account logged out of, selected one first. */
  accounts: AccountLogout[];
  /**
   * OpenAI's Codex CLI's auth.json in CODEX_HOME holding a credential: removed with `all`, else left.
   * `linkedTo`: the file it was a symbolic link to, removed with it (only when it was a link).
   * `revocation` / `revocationSkipped`: only when it held a ChatGPT session and was removed, as for an account.
   */
  codexAuth: {
    path: string;
    removed: boolean;
    linkedTo?: string;
    revocation?: Revocation;
    revocationSkipped?: string;
  } | null;
  /** Places a credential could not be removed from; when not empty, logout did not fully succeed. */
  failures: string[];
  /** Variables that are set and still authenticate codex (to the selected provider) after logout. */
  stillAuthenticatedBy: TokenEnvVar[];
}

export async function logout(options: LogoutOptions = {}): Promise<LogoutResult> {
  const env = options.env ?? process.env;
  const selected = selectAccount(env, options.profile);
  const config = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).view(selected.name);
  // An invalid cli_auth_credentials_store stops logout before it touches anything.
  storeSetting(config);
  let accounts = [selected];
  const failures: string[] = [];
  if (options.all) {
    const known = new Map(configuredAccounts(config).map((a) => [a.name, a]));
    // Entries the file no longer mentions (a note deleted by hand, another tool's edit) are found too.
    const found = await unrecordedAccounts(config, env, [...known.values()]);
    for (const name of found.names) known.set(name, known.get(name) ?? accountNamed(name));
    if (found.failure !== undefined) failures.push(`could not look for codex's entries: ${found.failure}`);
    known.delete(selected.name);
    accounts = [selected, ...known.values()];
  }
  // With `all`, every store is looked in for every account; otherwise only where codex may have put it.
  const every = options.all === true;
  const results: AccountLogout[] = [];
  for (const acct of accounts) {
    results.push(
      await logoutAccount(config, acct, env, { every, revoke: options.revoke, budget: options.revokeBudgetMs }),
    );
  }
  let codexAuth: LogoutResult["codexAuth"] = null;
  const read = readCodexAuth(config.home);
  const found: CodexAuthFile | undefined = read?.file;
  if (found?.hasCredential) {
    codexAuth = { path: found.path, removed: false };
    if (options.all) {
      const removal = removeCodexAuth(found.path);
      if (removal.remains !== undefined) failures.push(removal.remains);
      else codexAuth.removed = true;
      if (removal.removed.length > 1) codexAuth.linkedTo = removal.removed[0] as string;
      // Only a session codex removed is ended: a file it would not delete is not its to log out of.
      const session = read?.session;
      if (codexAuth.removed && session !== undefined) {
        const ended = await endCodexSession(config.base, found.path, session, options);
        if (ended.revocation !== undefined) codexAuth.revocation = ended.revocation;
        if (ended.skipped !== undefined) codexAuth.revocationSkipped = ended.skipped;
        if (ended.failure !== undefined) failures.push(ended.failure);
      }
    }
  }
  const removedFrom = [...new Set(results.flatMap((r) => r.removedFrom))];
  if (codexAuth?.removed) removedFrom.push(codexAuth.path);
  if (codexAuth?.linkedTo) removedFrom.push(codexAuth.linkedTo);
  const first = results[0] as AccountLogout;
  return {
    removed: removedFrom.length > 0,
    removedFrom,
    revocation: first.revocation,
    revocationSkipped: first.revocationSkipped,
    accounts: results,
    codexAuth,
    failures: [...failures, ...results.flatMap((r) => r.failures)],
    stillAuthenticatedBy: envCredentialVars(config, env, selectedProviderAuth(config, env)),
  };
}

/**
 * Revokes the ChatGPT session auth.json held (already deleted) where OpenAI's sign-in lives: see the header.
 * The client id is Codex's own, whatever `[oauth] client_id` says: Codex signed in with it.
 */
async function endCodexSession(
  base: Config,
  path: string,
  session: CodexAuthSession,
  o: LogoutOptions,
): Promise<{ revocation?: Revocation; skipped?: string; failure?: string }> {
  const notRevoked = (at: string | undefined) =>
    `OpenAI's Codex CLI's ChatGPT session (${path}) was removed from this machine but not revoked${at === undefined ? "" : ` at ${issuerHost(at)}`}`;
  let settings: OAuthSettings | undefined;
  let invalid: CodexError | undefined;
  if (base.get("oauth") !== undefined) {
    try {
      settings = oauthSettings(base);
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      invalid = err;
    }
  }
  const chosen = settings?.protocol === "openai" ? settings : undefined;
  const issuer = chosen?.issuer ?? OAUTH_DEFAULTS.issuer;
  if (o.revoke === false) return { skipped: issuer };
  if (invalid !== undefined) {
    return {
      failure: `${notRevoked(undefined)}: codex could not tell where OpenAI's sign-in is, as ${invalid.message}; its tokens stay valid until they expire`,
    };
  }
  if (chosen !== undefined) {
    const untrusted = trustProblem(base, "credential");
    if (untrusted !== undefined) {
      return {
        failure: `${notRevoked(issuer)}: ${untrusted.reason}, and codex does not send tokens where such a file says; they stay valid there until they expire; run \`${untrusted.fix}\` so that codex trusts it again`,
      };
    }
  }
  const { revokeSession } = await import("./oauth/revoke.js");
  const revocation = await revokeSession(
    {
      token: session.accessToken,
      oauth: {
        issuer,
        clientId: OAUTH_DEFAULTS.clientId,
        refreshToken: session.refreshToken,
        expiresAt: session.accessTokenExpiresAt,
        protocol: "openai",
      },
    },
    o.revokeBudgetMs,
    { allowInsecureHttp: chosen?.allowInsecureHttp === true, env: o.env },
  );
  return { revocation };
}

async function logoutAccount(
  config: Config,
  acct: Account,
  env: Env,
  o: { every: boolean; revoke: boolean | undefined; budget: number | undefined },
): Promise<AccountLogout> {
  const result: AccountLogout = {
    account: acct.name,
    removedFrom: [],
    revocation: null,
    revocationSkipped: null,
    managedBy: null,
    failures: [],
  };
  const command = authCommand(config, acct);
  if (command !== undefined) result.managedBy = commandName(command);
  const { stores } = await accountStores(config, acct, env, { every: o.every });
  const who = acct.name === "default" ? "" : `profile ${acct.name}: `;
  const removed: StoredCredential[] = [];
  /** Why a session is not revoked: the file its issuer came from could have been changed by someone else. */
  let untrusted: UntrustedConfigError | undefined;
  /** A store kept its record of what it could not remove (the keyring's note), so a later logout retries. */
  let left = false;
  const file = config.view(acct.name);
  // Nothing in any store: take no lock and create nothing. (A profile's credential still in codex 0.1.0's
  // [profiles.NAME] table is removed below.)
  let touch = false;
  for (const store of stores) if (!touch) touch = await store.present(file);
  if (touch) {
    await file.update(async (fresh) => {
      for (const store of stores) {
        // Named before the removal: after it, a profile's file store names config.toml when a legacy table there
        // still holds a copy (removed below), not the profile's file it just emptied.
        const where = store.describe(fresh);
        const removal = await store.remove(fresh);
        if (removal.removed) result.removedFrom.push(where);
        if (removal.credential !== undefined) removed.push(removal.credential);
        result.failures.push(...removal.failures);
        untrusted ??= removal.untrusted;
        if (removal.left !== undefined) {
          left = true;
          const { medium, item, reason } = removal.left;
          result.failures.push(`${who}the ${medium} ${item} was not removed: ${reason}`);
        }
      }
    });
  }
  // What codex 0.1.0 left in config.toml's [profiles.NAME] goes too, after the profile's own file.
  const base = config.base;
  const stat = base.fileStat;
  const legacy = await dropLegacyCredential(config, acct, { keepNote: left });
  if (legacy !== undefined) {
    removed.push(legacy);
    result.removedFrom.push(base.path);
    if (stat !== undefined && stat.nlink > 1) {
      result.failures.push(otherLinksMessage(base.path, resolveTarget(base.path), stat));
    }
    if (legacy.oauth !== undefined) untrusted ??= trustProblem(base, "credential");
  }
  const session = removed.find((c) => c.oauth !== undefined);
  if (session?.oauth !== undefined) {
    if (o.revoke === false) result.revocationSkipped = session.oauth.issuer;
    else if (untrusted !== undefined) {
      result.failures.push(
        `${who}the OAuth session was removed from this machine but not revoked at ${issuerHost(session.oauth.issuer)}: ${untrusted.reason}, and codex does not send tokens where such a file says; they stay valid there until they expire; run \`${untrusted.fix}\` so that codex trusts it again`,
      );
    } else {
      const { revokeSession } = await import("./oauth/revoke.js");
      result.revocation = await revokeSession(session, o.budget, {
        allowInsecureHttp: allowsInsecureIssuer(config.view(acct.name)),
        env,
      });
    }
  }
  return result;
}
