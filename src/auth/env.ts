/** Environment variables that carry a credential, strongest first (the order `codex status` reports). */
import type { Env } from "../config/paths.js";

export const TOKEN_ENV_VARS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;
export type TokenEnvVar = (typeof TOKEN_ENV_VARS)[number];

/** The variables that are set to a non-empty value, in precedence order. */
export function tokenEnvVarsSet(env: Env): TokenEnvVar[] {
  return TOKEN_ENV_VARS.filter((name) => (env[name] ?? "").trim() !== "");
}
