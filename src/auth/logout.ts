/**
 * `logout()`: removes the stored credential from every place codex keeps one (today: config.toml) and
 * reports what it did, plus the environment variables that still authenticate and that codex cannot unset.
 * Logging out when logged out changes nothing and touches no file.
 */
import { Config } from "../config/config.js";
import { defaultStore, selectedEnvKey } from "./credential.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import type { AuthOptions } from "./status.js";

export interface LogoutResult {
  /** Whether a stored credential was found and removed. */
  removed: boolean;
  /** Where it was removed from (config.toml's path). */
  removedFrom: string[];
  /** Variables that are set and still authenticate codex after logout. */
  stillAuthenticatedBy: TokenEnvVar[];
}

export async function logout(options: AuthOptions = {}): Promise<LogoutResult> {
  const env = options.env ?? process.env;
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env }));
  const store = defaultStore(config);
  const removed = await store.delete();
  return {
    removed,
    removedFrom: removed ? [store.describe()] : [],
    stillAuthenticatedBy: tokenEnvVarsSet(env, selectedEnvKey(config, env)),
  };
}
