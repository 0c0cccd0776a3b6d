/**
 * Which credential codex would use right now, and where it comes from. Precedence: the selected
 * provider's `env_key` variable (when it names its own), `CODEX_API_KEY`, `OPENAI_API_KEY`, then the
 * selected account's `auth_command`, then its stored credential (config.toml or the system keyring) — so
 * a variable set in the shell always wins, and status and logout say so.
 */
import { type Account, selectAccount } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { selectModel } from "../config/providers.js";
import type { CommandStore } from "../credentials/command-store.js";
import { type Place, storeFor } from "../credentials/select.js";
import type { OAuthSession, StoredCredential } from "../credentials/store.js";
import { keyFromEnv } from "./api-key.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import { endedError, expiresSoon } from "./oauth/tokens.js";

export type CredentialSource =
  | { type: "env"; variable: TokenEnvVar }
  | { type: "file"; path: string }
  | { type: "keyring"; name: string }
  /** `command`: the auth_command's program name (`pass`). */
  | { type: "command"; command: string };

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
  /** The account (default: the one --profile / CODEX_PROFILE / `profile` selects, see selectAccount). */
  account?: Account | undefined;
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

export async function resolveCredential(
  config: Config,
  env: Env,
  options: ResolveOptions = {},
): Promise<ResolvedCredential | undefined> {
  const [variable] = tokenEnvVarsSet(env, options.envKey);
  if (variable !== undefined) {
    const token = keyFromEnv(variable, env[variable] as string);
    return { token, method: "api_key", source: { type: "env", variable } };
  }
  return resolveStored(config, env, options.account ?? selectAccount(config, env), options.clock);
}

/** The account's own credential (its command's, or the stored one), ignoring the environment. */
export async function resolveStored(
  config: Config,
  env: Env,
  acct: Account,
  clock: (() => Date) | undefined,
): Promise<ResolvedCredential | undefined> {
  const store = await storeFor(config, acct, env);
  const stored = await store?.get();
  if (store === undefined || stored === undefined) return undefined;
  const source: CredentialSource =
    store.kind === "command"
      ? { type: "command", command: (store as CommandStore).name }
      : store.kind === "keyring"
        ? { type: "keyring", name: store.describe() }
        : { type: "file", path: config.path };
  if (stored.oauth === undefined) return { token: stored.token, method: "api_key", source };
  // A command supplies bare tokens, so an OAuth session is in the file or the keyring.
  const place = store.kind as Place;
  return oauthCredential(config, stored, source, { acct, place, env, clock: clock ?? (() => new Date()) });
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
  where: { acct: Account; place: Place; env: Env; clock: () => Date },
): ResolvedCredential {
  let stored = initial;
  const { clock } = where;
  // The refresh code (and the OAuth client library) loads only when a token actually needs renewing.
  const renew = async (isStale: (s: StoredCredential) => boolean) => {
    const { refreshSession } = await import("./oauth/refresh.js");
    stored = await refreshSession(config, { clock, isStale, account: where.acct, place: where.place, env: where.env });
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

/** Where a credential comes from, as messages say it: "from OPENAI_API_KEY", "stored in /…/config.toml". */
function describeSource(source: CredentialSource): string {
  switch (source.type) {
    case "env":
      return `from ${source.variable}`;
    case "file":
      return `stored in ${source.path}`;
    case "keyring":
      return `stored in the ${source.name}`;
    case "command":
      return `from command \`${source.command}\``;
  }
}

/** "the API key from OPENAI_API_KEY" / "the OAuth session stored in …": for messages, never the key. */
export function describeCredential(credential: ResolvedCredential): string {
  return `${credential.method === "oauth" ? "the OAuth session" : "the API key"} ${describeSource(credential.source)}`;
}
