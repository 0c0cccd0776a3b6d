/**
 * Which credential codex would use right now, and where it comes from. Precedence: `CODEX_API_KEY`, then
 * `OPENAI_API_KEY`, then the stored credential — so a variable set in the shell always wins, and status and
 * logout say so.
 */
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { FileStore } from "../credentials/file-store.js";
import type { CredentialStore } from "../credentials/store.js";
import { type TokenEnvVar, tokenEnvVarsSet } from "./env.js";

export type CredentialSource = { type: "env"; variable: TokenEnvVar } | { type: "file"; path: string };

export interface ResolvedCredential {
  token: string;
  method: "api_key";
  source: CredentialSource;
}

export function defaultStore(config: Config): CredentialStore {
  return new FileStore(config);
}

export async function resolveCredential(config: Config, env: Env): Promise<ResolvedCredential | undefined> {
  const [variable] = tokenEnvVarsSet(env);
  if (variable !== undefined) {
    return { token: (env[variable] as string).trim(), method: "api_key", source: { type: "env", variable } };
  }
  const stored = await defaultStore(config).get();
  if (stored === undefined) return undefined;
  return { token: stored.token, method: "api_key", source: { type: "file", path: config.path } };
}
