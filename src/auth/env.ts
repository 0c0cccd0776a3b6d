/**
 * Environment variables that carry a credential, and which of them a provider may receive. A key goes
 * only to the provider it was meant for:
 *
 * - a provider with its own `env_key` reads that variable and nothing else (not CODEX_API_KEY, not
 *   OPENAI_API_KEY, not the signed-in account's credential);
 * - the built-in `openai` provider, and any provider with `requires_openai_auth = true`, reads
 *   `CODEX_API_KEY`, then `OPENAI_API_KEY`, then the account's credential;
 * - any other provider reads only the account's credential (`auth_command` or what `codex login` stored):
 *   OpenAI's keys in the environment are not for it.
 */
import type { Env } from "../config/paths.js";
import type { ProviderSettings } from "../config/providers.js";

/** OpenAI's variables, strongest first. */
export const TOKEN_ENV_VARS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;
/** A variable name: one of TOKEN_ENV_VARS, or a provider's `env_key`. */
export type TokenEnvVar = string;

/** What decides where a provider's credential may come from. */
export type ProviderAuth = Pick<ProviderSettings, "id" | "envKey" | "requiresOpenaiAuth">;

/** The built-in provider's rule: what applies when no provider is known (an invalid provider setting). */
export const OPENAI_AUTH: ProviderAuth = { id: "openai", envKey: undefined, requiresOpenaiAuth: true };

/** Whether the provider takes OpenAI's credentials (its key variables and the account's). */
export function takesOpenaiAuth(provider: ProviderAuth): boolean {
  return provider.requiresOpenaiAuth ?? provider.id === "openai";
}

/** The variables that may authenticate to this provider, in precedence order. */
export function tokenEnvVars(provider: ProviderAuth = OPENAI_AUTH): TokenEnvVar[] {
  if (provider.envKey !== undefined) return [provider.envKey];
  return takesOpenaiAuth(provider) ? [...TOKEN_ENV_VARS] : [];
}

/** The variables that may authenticate to this provider and are set to a non-empty value, in precedence order. */
export function tokenEnvVarsSet(env: Env, provider: ProviderAuth = OPENAI_AUTH): TokenEnvVar[] {
  return tokenEnvVars(provider).filter((name) => isSet(env, name));
}

/** OpenAI's variables that are set but that this provider does not take (they are not sent to it). */
export function ignoredEnvVars(env: Env, provider: ProviderAuth): TokenEnvVar[] {
  const used = tokenEnvVars(provider);
  return TOKEN_ENV_VARS.filter((name) => !used.includes(name) && isSet(env, name));
}

function isSet(env: Env, name: string): boolean {
  return (env[name] ?? "").trim() !== "";
}
