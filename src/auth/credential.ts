/**
 * Which credential codex would use right now, and where it comes from. Precedence: the selected
 * provider's `env_key` variable (when it names its own), `CODEX_API_KEY`, `OPENAI_API_KEY`, then the stored
 * credential — so a variable set in the shell always wins, and status and logout say so.
 */
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { selectModel } from "../config/providers.js";
import { FileStore } from "../credentials/file-store.js";
import type { CredentialStore, OAuthSession, StoredCredential } from "../credentials/store.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import { endedError, expiresSoon } from "./oauth/tokens.js";

export type CredentialSource = { type: "env"; variable: TokenEnvVar } | { type: "file"; path: string };

export interface ResolvedCredential {
  token: string;
  method: "api_key" | "oauth";
  source: CredentialSource;
  /** The OAuth session the token belongs to (method "oauth"). */
  oauth?: OAuthSession | undefined;
  /**
   * OAuth: the token to send now, renewed first when it expires within a minute. Throws
   * SessionEndedError when the session cannot be used any more. Called before every request.
   */
  current?: () => Promise<string>;
  /**
   * Called once when the server rejects `rejected` (HTTP 401): returns a fresh token to retry with, or
   * undefined when there is none. API keys cannot be refreshed.
   */
  refresh?: (rejected: string) => Promise<string | undefined>;
}

export interface ResolveOptions {
  /** The selected provider's own `env_key`, if it has one. */
  envKey?: string | undefined;
  /** Current time, for OAuth expiry (default: the system clock). */
  clock?: (() => Date) | undefined;
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
  const source: CredentialSource = { type: "file", path: config.path };
  if (stored.oauth === undefined) return { token: stored.token, method: "api_key", source };
  return oauthCredential(config, stored, source, options.clock ?? (() => new Date()));
}

/** Whether an OAuth session can no longer be used without signing in again. */
export function sessionEnded(session: OAuthSession, now: Date): boolean {
  const expired = session.expiresAt !== undefined && session.expiresAt.getTime() <= now.getTime();
  return session.endedAt !== undefined || (expired && session.refreshToken === undefined);
}

function oauthCredential(
  config: Config,
  initial: StoredCredential,
  source: CredentialSource,
  clock: () => Date,
): ResolvedCredential {
  let stored = initial;
  // The refresh code (and the OAuth client library) loads only when a token actually needs renewing.
  const renew = async (isStale: (s: StoredCredential) => boolean) => {
    const { refreshSession } = await import("./oauth/refresh.js");
    stored = await refreshSession(config, { clock, isStale });
    credential.token = stored.token;
    credential.oauth = stored.oauth;
    return stored.token;
  };
  const credential: ResolvedCredential = {
    token: stored.token,
    method: "oauth",
    source,
    oauth: stored.oauth,
    current: async () => {
      const session = stored.oauth as OAuthSession;
      // Decided here, without the lock or the OAuth library: nothing to renew with, or nothing to renew.
      if (sessionEnded(session, clock())) throw endedError(session);
      // Without a refresh token the access token is used for as long as it lasts.
      if (session.refreshToken === undefined || !expiresSoon(stored, clock())) return stored.token;
      return renew((s) => expiresSoon(s, clock()));
    },
    refresh: (rejected) => renew((s) => s.token === rejected),
  };
  return credential;
}

/** "the API key from OPENAI_API_KEY" / "the API key stored in /…/config.toml": for messages, never the key. */
export function describeCredential(credential: ResolvedCredential): string {
  if (credential.method === "oauth")
    return `the OAuth session stored in ${credential.source.type === "file" ? credential.source.path : "config.toml"}`;
  const where =
    credential.source.type === "env" ? `from ${credential.source.variable}` : `stored in ${credential.source.path}`;
  return `the API key ${where}`;
}
