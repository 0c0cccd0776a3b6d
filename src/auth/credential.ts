/**
 * Which credential codex would use right now, and where it comes from. Precedence: the selected
 * provider's `env_key` variable (when it names its own), `CODEX_API_KEY`, `OPENAI_API_KEY`, then the stored
 * credential — so a variable set in the shell always wins, and status and logout say so.
 */
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { selectModel } from "../config/providers.js";
import { FileStore } from "../credentials/file-store.js";
import type { CredentialStore } from "../credentials/store.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";

export type CredentialSource = { type: "env"; variable: TokenEnvVar } | { type: "file"; path: string };

export interface ResolvedCredential {
  token: string;
  method: "api_key";
  source: CredentialSource;
  /**
   * Called once when the server rejects `token` (HTTP 401): returns a fresh token to retry with, or
   * undefined when there is none. API keys cannot be refreshed; OAuth sessions will.
   */
  refresh?: () => Promise<string | undefined>;
}

export interface ResolveOptions {
  /** The selected provider's own `env_key`, if it has one. */
  envKey?: string | undefined;
}

/**
 * The selected provider's own `env_key`, for commands that only report (login, logout): an invalid provider
 * setting must not stop them, so it counts as none here and `status` and `run` report it.
 */
export function selectedEnvKey(config: Config, env: Env): string | undefined {
  try {
    return selectModel(config, env).provider.envKey;
  } catch {
    return undefined;
  }
}

export function defaultStore(config: Config): CredentialStore {
  return new FileStore(config);
}

export async function resolveCredential(
  config: Config,
  env: Env,
  options: ResolveOptions = {},
): Promise<ResolvedCredential | undefined> {
  const [variable] = tokenEnvVarsSet(env, options.envKey);
  if (variable !== undefined) {
    return { token: (env[variable] as string).trim(), method: "api_key", source: { type: "env", variable } };
  }
  const stored = await defaultStore(config).get();
  if (stored === undefined) return undefined;
  return { token: stored.token, method: "api_key", source: { type: "file", path: config.path } };
}

/** "the API key from OPENAI_API_KEY" / "the API key stored in /…/config.toml": for messages, never the key. */
export function describeCredential(credential: ResolvedCredential): string {
  const where =
    credential.source.type === "env" ? `from ${credential.source.variable}` : `stored in ${credential.source.path}`;
  return `the API key ${where}`;
}
