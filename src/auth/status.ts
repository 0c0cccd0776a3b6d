/** `status()`: what codex knows about the user's credential, with nothing secret in it but a masked hint. */
import { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { type ModelSelection, selectModel } from "../config/providers.js";
import { CodexError } from "../errors.js";
import { maskToken } from "./api-key.js";
import { type CredentialSource, defaultStore, resolveCredential, sessionEnded } from "./credential.js";

export interface AuthOptions {
  /** An already loaded config; otherwise it is loaded from `codexHome` / `$CODEX_HOME` / `~/.codex`. */
  config?: Config;
  codexHome?: string;
  env?: Env;
  /** Current time, for OAuth expiry (default: the system clock). */
  clock?: () => Date;
}

/** What status shows of an OAuth session: never a token. */
export interface SessionStatus {
  issuer: string;
  /** The ID token's email, else its subject; null for plain OAuth without ID tokens. */
  account: string | null;
  /** When the access token expires (null when the server did not say). */
  expiresAt: Date | null;
  /** The access token has expired (a refresh token renews it on next use, unless `ended`). */
  expired: boolean;
  /** A refresh token is stored. */
  refreshable: boolean;
  /** The session cannot be used without signing in again. */
  ended: boolean;
}

export interface AuthStatus {
  authenticated: boolean;
  method: "api_key" | "oauth" | null;
  source: CredentialSource | null;
  /** Masked form of the credential in use, e.g. `sk-…abcd`. */
  hint: string | null;
  /** The OAuth session, when the credential in use is one. */
  session: SessionStatus | null;
  /** Path of config.toml. */
  configPath: string;
  /** A stored credential that an environment variable overrides (masked), if any. */
  shadowed: { path: string; hint: string } | null;
  /** Where requests go: the model and provider config.toml selects (null when that setting is invalid). */
  provider: { id: string; name: string; baseUrl: string; wireApi: string; model: string } | null;
  /** Why `provider` is null: the invalid setting, as one line. */
  providerError: string | null;
}

export async function status(options: AuthOptions = {}): Promise<AuthStatus> {
  const env = options.env ?? process.env;
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env }));
  let selection: ModelSelection | undefined;
  let providerError: string | null = null;
  try {
    selection = selectModel(config, env);
  } catch (err) {
    // Status still reports the credential; the broken setting is reported beside it.
    if (!(err instanceof CodexError)) throw err;
    providerError = err.message;
  }
  const clock = options.clock ?? (() => new Date());
  const resolved = await resolveCredential(config, env, { envKey: selection?.provider.envKey, clock });
  let session: SessionStatus | null = null;
  if (resolved?.oauth !== undefined) {
    const s = resolved.oauth;
    const now = clock();
    session = {
      issuer: s.issuer,
      account: s.account ?? null,
      expiresAt: s.expiresAt ?? null,
      expired: s.expiresAt !== undefined && s.expiresAt.getTime() <= now.getTime(),
      refreshable: s.refreshToken !== undefined,
      ended: sessionEnded(s, now),
    };
  }
  let shadowed: AuthStatus["shadowed"] = null;
  if (resolved?.source.type === "env") {
    const stored = await defaultStore(config).get();
    if (stored !== undefined)
      shadowed = { path: config.path, hint: maskToken(stored.token, stored.oauth === undefined) };
  }
  return {
    authenticated: resolved !== undefined && session?.ended !== true,
    method: resolved?.method ?? null,
    source: resolved?.source ?? null,
    hint: resolved === undefined ? null : maskToken(resolved.token, resolved.method !== "oauth"),
    session,
    configPath: config.path,
    shadowed,
    provider:
      selection === undefined
        ? null
        : {
            id: selection.provider.id,
            name: selection.provider.name,
            baseUrl: selection.provider.baseUrl,
            wireApi: selection.provider.wireApi,
            model: selection.model,
          },
    providerError,
  };
}
