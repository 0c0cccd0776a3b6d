/**
 * `logout()`: removes the stored credential from every place codex keeps one (today: config.toml), then,
 * for an OAuth session, revokes its tokens at the issuer, and reports what it did, plus the environment
 * variables that still authenticate and that codex cannot unset. Logging out when logged out changes
 * nothing and touches no file.
 *
 * The tokens are removed first, under the config lock, and revoked afterwards: taking them from the file
 * under the lock means revoking the newest ones even if another process has just rotated them, and the
 * network wait happens without holding up other codex processes. If revocation fails the session is still
 * gone from this machine; the result says which tokens the server may still honour.
 */
import { Config } from "../config/config.js";
import { readCredential, writeCredential } from "../credentials/file-store.js";
import type { StoredCredential } from "../credentials/store.js";
import { defaultStore, selectedEnvKey } from "./credential.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import type { Revocation } from "./oauth/revoke.js";
import type { AuthOptions } from "./status.js";

export interface LogoutOptions extends AuthOptions {
  /** Skip revoking an OAuth session at the server (`--no-revoke`). */
  revoke?: boolean;
  /** Time allowed for revocation, in ms (default 5 s). */
  revokeBudgetMs?: number;
}

export interface LogoutResult {
  /** Whether a stored credential was found and removed. */
  removed: boolean;
  /** Where it was removed from (config.toml's path). */
  removedFrom: string[];
  /** What the server said about the OAuth session's tokens; null for an API key or with `revoke: false`. */
  revocation: Revocation | null;
  /** An OAuth session whose revocation was skipped (`revoke: false`): its issuer. */
  revocationSkipped: string | null;
  /** Variables that are set and still authenticate codex after logout. */
  stillAuthenticatedBy: TokenEnvVar[];
}

export async function logout(options: LogoutOptions = {}): Promise<LogoutResult> {
  const env = options.env ?? process.env;
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env }));
  const store = defaultStore(config);
  let removedCredential: StoredCredential | undefined;
  let removed = false;
  if ((await store.get())?.oauth !== undefined) {
    // Read and remove in one locked step, so the tokens revoked are the ones the file held last.
    removedCredential = await config.update((fresh) => {
      const current = readCredential(fresh);
      writeCredential(fresh, undefined);
      return current;
    });
    removed = removedCredential !== undefined;
  } else {
    removed = await store.delete();
  }
  let revocation: Revocation | null = null;
  let revocationSkipped: string | null = null;
  if (removedCredential?.oauth !== undefined) {
    if (options.revoke === false) revocationSkipped = removedCredential.oauth.issuer;
    else {
      const { revokeSession } = await import("./oauth/revoke.js");
      revocation = await revokeSession(removedCredential, options.revokeBudgetMs);
    }
  }
  return {
    removed,
    removedFrom: removed ? [store.describe()] : [],
    revocation,
    revocationSkipped,
    stillAuthenticatedBy: tokenEnvVarsSet(env, selectedEnvKey(config, env)),
  };
}
