/**
 * Where codex keeps its files. `CODEX_HOME` wins (as in OpenAI's Codex CLI); otherwise `~/.codex`.
 * Pure functions of the environment so commands and tests can point codex anywhere.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidInputError } from "../errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

export function codexHome(env: Env = process.env): string {
  const fromEnv = env.CODEX_HOME;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(env.HOME && env.HOME !== "" ? env.HOME : homedir(), ".codex");
}

export function configPath(home: string): string {
  return join(home, "config.toml");
}

/** The account named by config.toml's own top-level keys (every other account is a profile). */
export const DEFAULT_ACCOUNT = "default";

/** Letters, digits, `-` and `_`: a name that is also a bare TOML key, a file name and a keyring account name. */
const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function isProfileName(name: string): boolean {
  return PROFILE_NAME.test(name);
}

/**
 * A profile's file, as OpenAI's Codex CLI (0.134 and later) names it: `$CODEX_HOME/NAME.config.toml`, laid
 * over config.toml when `--profile NAME` is given. `name` must already be a profile name (accounts.ts).
 */
export function profilePath(home: string, name: string): string {
  // Checked here too, as this is where a name becomes a path: `--profile ../x` must never name a file.
  if (!isProfileName(name)) throw new InvalidInputError("a profile name is 1 to 64 letters, digits, '-' or '_'");
  return join(home, `${name}.config.toml`);
}

export function lockPath(configFile: string): string {
  return `${configFile}.lock`;
}
