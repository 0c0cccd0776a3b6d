/**
 * Accounts (profiles) and where their credentials go: which account a command acts on, the settings that
 * say how it is stored (`cli_auth_credentials_store`, `auth_command`), and where its keys live. Reading and
 * validating only; the credentials layer does the storing.
 *
 * A profile is what OpenAI's Codex CLI (0.134 and later) makes of one: a file, `$CODEX_HOME/NAME.config.toml`,
 * laid over config.toml (see config.ts). The default account's keys are config.toml's top-level ones; a
 * profile's are the top-level ones of its own file:
 *
 *   # ~/.codex/config.toml                 # ~/.codex/work.config.toml
 *   cli_auth_credentials_store = "auto"    model_provider = "azure"
 *   auth_token = "sk-…"                    auth_token = "sk-…"   # or auth_storage = "keyring", auth_command = […]
 *
 * codex 0.1.0 kept a profile's credential in a `[profiles.NAME]` table of config.toml, which the real Codex now
 * refuses beside `--profile NAME`. It is still read, when the profile's file has none, and moved into the file
 * at that profile's next login, logout or renewal (`dropLegacyCredential` in credentials/file-store.ts). A top-level `profile = "NAME"`
 * selector, which the real Codex refuses outright, selects nothing any more: `codex doctor` says so.
 */
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { ConfigValueError, InvalidInputError, UsageError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import { type Config, CREDENTIAL_KEYS } from "./config.js";
import { DEFAULT_ACCOUNT, type Env, isProfileName } from "./paths.js";

export { DEFAULT_ACCOUNT, isProfileName };

export type StoreSetting = "file" | "keyring" | "auto";

export interface Account {
  /** The profile name, or "default" for config.toml's top-level keys. */
  name: string;
  /** What selected it, for messages: "--profile", "CODEX_PROFILE", or null. */
  selectedBy: string | null;
}

const NAME_RULE = "a profile name: 1 to 64 letters, digits, '-' or '_'";

export function account(name: string, selectedBy: string | null = null): Account {
  return { name, selectedBy };
}

/**
 * The account a command acts on: `--profile` (`flag`), else `CODEX_PROFILE`, else "default". A malformed
 * name is an error naming where it came from, never a silent fallback to another account.
 */
export function selectAccount(env: Env = process.env, flag?: string): Account {
  if (flag !== undefined) {
    if (!isProfileName(flag)) throw new UsageError(`--profile needs ${NAME_RULE}`);
    return account(flag, "--profile");
  }
  const fromEnv = env.CODEX_PROFILE;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isProfileName(fromEnv)) throw new InvalidInputError(`CODEX_PROFILE must be ${NAME_RULE}`);
    return account(fromEnv, "CODEX_PROFILE");
  }
  return account(DEFAULT_ACCOUNT);
}

const PROFILE_SUFFIX = ".config.toml";

/** The profiles with a file in CODEX_HOME (`NAME.config.toml`), by name; none when it cannot be listed. */
export function profileFiles(home: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(home);
  } catch {
    return [];
  }
  return entries
    .filter((f) => f.endsWith(PROFILE_SUFFIX))
    .map((f) => f.slice(0, -PROFILE_SUFFIX.length))
    .filter((name) => isProfileName(name) && name !== DEFAULT_ACCOUNT)
    .sort();
}

/** config.toml's legacy `[profiles.NAME]` tables (any keys), in file order. */
export function legacyProfiles(config: Config): string[] {
  const profiles = config.base.get("profiles");
  if (typeof profiles !== "object" || profiles === null || Array.isArray(profiles)) return [];
  return Object.keys(profiles).filter(isProfileName);
}

/** The legacy `[profiles.NAME]` table in config.toml, when it is a table. */
export function legacyTable(config: Config, name: string): Record<string, unknown> | undefined {
  if (name === DEFAULT_ACCOUNT) return undefined;
  const t = config.base.get(["profiles", name]);
  return typeof t === "object" && t !== null && !Array.isArray(t) && !(t instanceof Date)
    ? (t as Record<string, unknown>)
    : undefined;
}

/** Whether the legacy `[profiles.NAME]` table holds any of an account's credential keys. */
export function hasLegacyCredential(config: Config, name: string): boolean {
  const t = legacyTable(config, name);
  return t !== undefined && CREDENTIAL_KEYS.some((k) => Object.hasOwn(t, k));
}

/** Keys codex itself writes for an account, and moves out of a legacy table (the user's, like auth_command, stay). */
export const CODEX_WRITTEN_KEYS: readonly string[] = ["auth_token", "oauth_session", "auth_storage"];

/** codex's own keys in the legacy `[profiles.NAME]` table. */
export function legacyOwnKeys(config: Config, name: string): string[] {
  const t = legacyTable(config, name);
  return t === undefined ? [] : CODEX_WRITTEN_KEYS.filter((k) => Object.hasOwn(t, k));
}

/**
 * config.toml's top-level `profile` key, which the real Codex refuses and which selects nothing now: how
 * messages show it (`profile = "work"`) and the profile it named, when it is a profile name.
 */
export function legacySelector(config: Config): { shown: string; name: string | undefined } | undefined {
  const v = config.base.get("profile");
  if (v === undefined) return undefined;
  const name = typeof v === "string" && isProfileName(v) ? v : undefined;
  return { shown: name === undefined ? "a top-level `profile` key" : `\`profile = "${name}"\``, name };
}

/**
 * "default", every profile with a file, then every legacy `[profiles.NAME]` holding a credential that has
 * no file: the accounts of this CODEX_HOME.
 */
export function configuredAccounts(config: Config): Account[] {
  const names = profileFiles(config.home);
  for (const name of legacyProfiles(config)) {
    if (!names.includes(name) && hasLegacyCredential(config, name)) names.push(name);
  }
  return [account(DEFAULT_ACCOUNT), ...names.map((n) => account(n))];
}

/** `cli_auth_credentials_store` (Codex's own key): where logins store new credentials. */
export function storeSetting(config: Config): StoreSetting {
  const v = config.get("cli_auth_credentials_store");
  if (v === undefined) return "file";
  if (v === "file" || v === "keyring" || v === "auto") return v;
  throw config.invalid("cli_auth_credentials_store", '"file", "keyring" or "auto"');
}

export type CredentialSourceSetting = "auto" | "stored";

/**
 * `credential_source` (codex's own key): "stored" makes the account's own credential (its `auth_command`, else
 * what `codex login` stored) the only one, so a key exported in the shell is never used, or billed, by
 * surprise. Read like any setting: a profile's file can set it for that profile, over config.toml's.
 */
export function credentialSourceSetting(config: Config): CredentialSourceSetting {
  const v = config.get("credential_source");
  if (v === undefined || v === "auto") return "auto";
  if (v === "stored") return v;
  throw config.invalid("credential_source", '"auto" or "stored"');
}

/**
 * Where the account's own key is: the top level of its file, else (a profile's) its legacy table in
 * config.toml. The file and the key path, for reading and for messages.
 */
export function accountKey(config: Config, acct: Account, key: string): { file: Config; path: string[] } {
  const file = config.view(acct.name);
  if (file.get(key) !== undefined || acct.name === DEFAULT_ACCOUNT) return { file, path: [key] };
  const legacy = ["profiles", acct.name, key];
  return file.base.get(legacy) !== undefined ? { file: file.base, path: legacy } : { file, path: [key] };
}

/** The account's `auth_command`: an argv array run without a shell, whose output is the token. */
export function authCommand(config: Config, acct: Account): string[] | undefined {
  const { file, path } = accountKey(config, acct, "auth_command");
  const v = file.get(path);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x !== "")) {
    throw new ConfigValueError(
      file.path,
      path.join("."),
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
  const { file, path } = accountKey(config, acct, "auth_storage");
  return file.get(path) === "keyring" ? "keyring" : undefined;
}
