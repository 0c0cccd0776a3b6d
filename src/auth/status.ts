/** `status()`: what codex knows about the user's credential, with nothing secret in it but a masked hint. */
import { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { type ModelSelection, selectModel } from "../config/providers.js";
import { CodexError } from "../errors.js";
import { maskToken } from "./api-key.js";
import { type CredentialSource, defaultStore, resolveCredential } from "./credential.js";

export interface AuthOptions {
  /** An already loaded config; otherwise it is loaded from `codexHome` / `$CODEX_HOME` / `~/.codex`. */
  config?: Config;
  codexHome?: string;
  env?: Env;
}

export interface AuthStatus {
  authenticated: boolean;
  method: "api_key" | null;
  source: CredentialSource | null;
  /** Masked form of the credential in use, e.g. `sk-…abcd`. */
  hint: string | null;
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
  const resolved = await resolveCredential(config, env, { envKey: selection?.provider.envKey });
  let shadowed: AuthStatus["shadowed"] = null;
  if (resolved?.source.type === "env") {
    const stored = await defaultStore(config).get();
    if (stored !== undefined) shadowed = { path: config.path, hint: maskToken(stored.token) };
  }
  return {
    authenticated: resolved !== undefined,
    method: resolved?.method ?? null,
    source: resolved?.source ?? null,
    hint: resolved === undefined ? null : maskToken(resolved.token),
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
