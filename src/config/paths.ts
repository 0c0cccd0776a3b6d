/**
 * Where codex keeps its files. `CODEX_HOME` wins (as in OpenAI's Codex CLI); otherwise `~/.codex`.
 * Pure functions of the environment so commands and tests can point codex anywhere.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

export function codexHome(env: Env = process.env): string {
  const fromEnv = env.CODEX_HOME;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(env.HOME && env.HOME !== "" ? env.HOME : homedir(), ".codex");
}

export function configPath(home: string): string {
  return join(home, "config.toml");
}

export function lockPath(configFile: string): string {
  return `${configFile}.lock`;
}
