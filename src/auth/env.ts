/**
 * Environment variables that carry a credential, strongest first (the order `codex status` reports): the
 * selected provider's own `env_key` when it has one, then `CODEX_API_KEY`, then `OPENAI_API_KEY`.
 */
import type { Env } from "../config/paths.js";

export const TOKEN_ENV_VARS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;
/** A variable name: one of TOKEN_ENV_VARS, or a provider's `env_key`. */
export type TokenEnvVar = string;

/** The variables that may authenticate, in precedence order, for a provider with this `env_key`. */
export function tokenEnvVars(providerEnvKey?: string): TokenEnvVar[] {
  const standard: string[] = [...TOKEN_ENV_VARS];
  return providerEnvKey === undefined || standard.includes(providerEnvKey) ? standard : [providerEnvKey, ...standard];
}

/** The variables that are set to a non-empty value, in precedence order. */
export function tokenEnvVarsSet(env: Env, providerEnvKey?: string): TokenEnvVar[] {
  return tokenEnvVars(providerEnvKey).filter((name) => (env[name] ?? "").trim() !== "");
}
