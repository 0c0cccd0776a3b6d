/** `status()`: what codex knows about the user's credential, with nothing secret in it but a masked hint. */
import { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
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
}

export async function status(options: AuthOptions = {}): Promise<AuthStatus> {
  const env = options.env ?? process.env;
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env }));
  const resolved = await resolveCredential(config, env);
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
  };
}
