/**
 * Accounts (profiles) and where their credentials go: which account a command acts on, the settings that
 * say how it is stored (`cli_auth_credentials_store`, `auth_command`), and where in config.toml its keys
 * live. Reading and validating only; the credentials layer does the storing.
 *
 *   profile = "work"                       # the account used when no --profile / CODEX_PROFILE is given
 *   cli_auth_credentials_store = "auto"    # file | keyring | auto (default file)
 *   auth_token = "sk-…"                    # the default account
 *
 *   [profiles.work]
 *   auth_token = "sk-…"                    # or auth_storage = "keyring", or auth_command = ["pass", "show", "work"]
 *
 * The top-level keys are the account named "default"; `--profile default` selects it even when
 * `profile = "…"` names another.
 */
import { basename } from "node:path";
import { ConfigValueError, InvalidInputError, UsageError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import type { Config } from "./config.js";
import type { Env } from "./paths.js";

export type StoreSetting = "file" | "keyring" | "auto";

export const DEFAULT_ACCOUNT = "default";

export interface Account {
  /** The profile name, or "default" for the top-level keys. */
  name: string;
  /** Key path of the table holding the account's keys: [] or ["profiles", name]. */
  table: string[];
  /** What selected it, for messages: "--profile", "CODEX_PROFILE", "profile in config.toml", or null. */
  selectedBy: string | null;
}

/** Letters, digits, `-` and `_`: a name that is also a bare TOML key and a safe keyring account name. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function isProfileName(name: string): boolean {
  return NAME.test(name);
}

const NAME_RULE = "a profile name: 1 to 64 letters, digits, '-' or '_'";

export function account(name: string, selectedBy: string | null = null): Account {
  return { name, table: name === DEFAULT_ACCOUNT ? [] : ["profiles", name], selectedBy };
}

/**
 * The account a command acts on: `--profile` (`flag`), else `CODEX_PROFILE`, else `profile` in
 * config.toml, else "default". A malformed name is an error naming where it came from, never a silent
 * fallback to another account.
 */
export function selectAccount(config: Config, env: Env, flag?: string): Account {
  if (flag !== undefined) {
    if (!isProfileName(flag)) throw new UsageError(`--profile needs ${NAME_RULE}`);
    return account(flag, "--profile");
  }
  const fromEnv = env.CODEX_PROFILE;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isProfileName(fromEnv)) throw new InvalidInputError(`CODEX_PROFILE must be ${NAME_RULE}`);
    return account(fromEnv, "CODEX_PROFILE");
  }
  const fromFile = config.get("profile");
  if (fromFile !== undefined) {
    if (typeof fromFile !== "string" || !isProfileName(fromFile)) {
      throw new ConfigValueError(config.path, "profile", NAME_RULE);
    }
    return account(fromFile, "profile in config.toml");
  }
  return account(DEFAULT_ACCOUNT);
}

/** Keys that mean an account has (or had) a credential configured. */
const CREDENTIAL_KEYS = ["auth_token", "oauth_session", "auth_storage", "auth_command"];

/** "default" and every `[profiles.NAME]` with a credential key, in file order. */
export function configuredAccounts(config: Config): Account[] {
  const profiles = config.get("profiles");
  const names =
    typeof profiles === "object" && profiles !== null && !Array.isArray(profiles)
      ? Object.entries(profiles as Record<string, unknown>)
          .filter(
            ([name, table]) =>
              isProfileName(name) &&
              name !== DEFAULT_ACCOUNT &&
              typeof table === "object" &&
              table !== null &&
              CREDENTIAL_KEYS.some((k) => Object.hasOwn(table, k)),
          )
          .map(([name]) => name)
      : [];
  return [account(DEFAULT_ACCOUNT), ...names.map((n) => account(n))];
}

/** `cli_auth_credentials_store` (Codex's own key): where logins store new credentials. */
export function storeSetting(config: Config): StoreSetting {
  const v = config.get("cli_auth_credentials_store");
  if (v === undefined) return "file";
  if (v === "file" || v === "keyring" || v === "auto") return v;
  throw new ConfigValueError(config.path, "cli_auth_credentials_store", '"file", "keyring" or "auto"');
}

/** The account's `auth_command`: an argv array run without a shell, whose output is the token. */
export function authCommand(config: Config, acct: Account): string[] | undefined {
  const key = [...acct.table, "auth_command"];
  const v = config.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x !== "")) {
    throw new ConfigValueError(
      config.path,
      key.join("."),
      'a non-empty array of strings, the command and its arguments, e.g. ["pass", "show", "openai"]',
    );
  }
  return v as string[];
}

/**
 * How messages and --json name an auth_command: its program's file name, without the arguments (which may
 * carry a secret, e.g. a Vault token), as one line without control characters.
 */
export function commandName(argv: readonly string[]): string {
  return oneLine(basename(argv[0] ?? ""), 64);
}

/** Where an account's secret was put: `auth_storage = "keyring"` records it when it is not in the file. */
export function recordedStorage(config: Config, acct: Account): "keyring" | undefined {
  return config.get([...acct.table, "auth_storage"]) === "keyring" ? "keyring" : undefined;
}
