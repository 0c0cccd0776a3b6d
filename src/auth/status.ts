/** `status()`: what codex knows about the user's credential, with nothing secret in it but a masked hint. */
import {
  type Account,
  authCommand,
  type CredentialSourceSetting,
  configuredAccounts,
  credentialSourceSetting,
  DEFAULT_ACCOUNT,
  legacyProfiles,
  selectAccount,
  storeSetting,
} from "../config/accounts.js";
import { Config } from "../config/config.js";
import { oauthSettings, sessionIssuerRefusal } from "../config/oauth.js";
import type { Env } from "../config/paths.js";
import { chatgptProvider, cleartextRefusal, type ModelSelection, selectModel } from "../config/providers.js";
import { trustProblem } from "../config/trust.js";
import { findCodexAuth } from "../credentials/codex-auth.js";
import { readAt } from "../credentials/file-store.js";
import type { Recorded } from "../credentials/store.js";
import { accountReaders } from "../credentials/stores.js";
import {
  CodexError,
  CredentialCommandError,
  InsecureTransportError,
  InvalidKeyError,
  KeyringUnavailableError,
  MissingEnvKeyError,
  UntrustedConfigError,
} from "../errors.js";
import { maskToken } from "./api-key.js";
import { legacyTableRefusal, type Refusal, refusalLine, selectorRefusal } from "./codex-cli.js";
import {
  type CredentialSource,
  envIgnoredBySetting,
  type ResolvedCredential,
  resolveCredential,
  resolveStored,
  sessionEnded,
  sourceText,
} from "./credential.js";
import { ignoredEnvVars, OPENAI_AUTH, takesOpenaiAuth } from "./env.js";
import { chatgptRefusal, restrictionBreach } from "./restrictions.js";

export interface AuthOptions {
  /** An already loaded config; otherwise it is loaded from `codexHome` / `$CODEX_HOME` / `~/.codex`. */
  config?: Config;
  codexHome?: string;
  env?: Env;
  /** Current time, for OAuth expiry (default: the system clock). */
  clock?: () => Date;
  /** The account (profile) to act on; default: CODEX_PROFILE, else "default". */
  profile?: string | undefined;
}

/** What status shows of an OAuth session: never a token. */
export interface SessionStatus {
  issuer: string;
  /** The ID token's email, else its subject; null for plain OAuth without ID tokens. */
  account: string | null;
  /** When the access token expires (null when the server did not say). */
  expiresAt: Date | null;
  /** The access token has expired (a refresh token renews it on next use, unless `ended`). */
  expired: boolean;
  /** A refresh token is stored. */
  refreshable: boolean;
  /** The session cannot be used without signing in again. */
  ended: boolean;
  /** A ChatGPT sign-in (OpenAI's protocol): its workspace (masked) and plan, as the ID token named them. */
  chatgpt: { accountId: string | null; plan: string | null } | null;
}

export interface AuthStatus {
  /** The account: "default" or a profile name. */
  account: string;
  /** What selected the account ("--profile", "CODEX_PROFILE", "profile in config.toml"); null for the default. */
  accountSelectedBy: string | null;
  /** Whether this is the account commands use now (always true except in `statusAll`). */
  active: boolean;
  authenticated: boolean;
  method: "api_key" | "oauth" | null;
  source: CredentialSource | null;
  /** Masked form of the credential in use, e.g. `sk-…abcd`. */
  hint: string | null;
  /** The OAuth session, when the credential in use is one. */
  session: SessionStatus | null;
  /** Path of the account's file: config.toml, or the profile's `NAME.config.toml`. */
  configPath: string;
  /**
   * The account's credential is still where codex 0.1.0 put a profile's, in config.toml's `[profiles.NAME]`
   * table, which OpenAI's Codex CLI refuses beside `--profile NAME`; its next login or logout moves it.
   */
  legacy: boolean;
  /** A stored credential that an environment variable overrides (masked), if any. */
  shadowed: { path: string; hint: string } | null;
  /** Where requests go: the model and provider config.toml selects (null when that setting is invalid). */
  provider: { id: string; name: string; baseUrl: string; wireApi: string; model: string } | null;
  /** Why `provider` is null: the invalid setting, as one line. */
  providerError: string | null;
  /**
   * Why there is no credential to use: the keyring or the auth_command failed, or the provider's `env_key`
   * variable is not set, as one line.
   */
  credentialError: string | null;
  /** The provider's own key variable (`env_key`), its only source of a key; null when it takes the account's. */
  envKey: string | null;
  /** `envKey` when it is not set: the provider has no credential, and no other is sent in its place. */
  missingEnvKey: string | null;
  /** OpenAI's variables (CODEX_API_KEY, OPENAI_API_KEY) that are set but never sent to the selected provider. */
  ignoredEnv: string[];
  /** The account's `credential_source`: "stored" ignores every credential in the environment. */
  credentialSource: CredentialSourceSetting;
  /**
   * Variables the selected provider would take, set, that `credential_source = "stored"` makes codex ignore
   * (the active account only), and the file that says so.
   */
  ignoredBySetting: { variables: string[]; path: string } | null;
  /**
   * URLs a credential would reach over plain http:// on another machine, which codex refuses to use
   * (each is also in `warnings`, with its fix): the provider's base_url, `[oauth] issuer`, the stored
   * session's issuer.
   */
  insecureHttp: InsecureHttp[];
  /** Things to fix: a credential in a file others can read, OpenAI's Codex CLI's auth.json beside ours. */
  warnings: string[];
}

export interface InsecureHttp {
  /** What would send the credential: the provider, a sign-in (`[oauth] issuer`), the session's renewal. */
  what: "provider" | "oauth_issuer" | "session_issuer";
  /** The setting: `model_providers.x.base_url`, `OPENAI_BASE_URL`, `oauth.issuer`, `oauth_session.issuer`. */
  setting: string;
  /** The URL's host (and port). */
  host: string;
  /** The refusal, with its fix. */
  message: string;
}

export async function status(options: AuthOptions = {}): Promise<AuthStatus> {
  const env = options.env ?? process.env;
  const acct = selectAccount(env, options.profile);
  const config = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).view(acct.name);
  return accountStatus(config, env, acct, providerOf(config, env), options.clock ?? (() => new Date()), true);
}

/**
 * Every account of this CODEX_HOME ("default", each profile file, each legacy `[profiles.NAME]` holding a
 * credential), the active one marked, each with its own settings. Each shows its own credential: an
 * environment variable, which would override them all, is not applied (the active account's `shadowed`
 * names the stored one when it is).
 */
export async function statusAll(options: AuthOptions = {}): Promise<AuthStatus[]> {
  const env = options.env ?? process.env;
  const base = (options.config ?? (await Config.load({ codexHome: options.codexHome, env }))).base;
  const selected = selectAccount(env, options.profile);
  const accounts = configuredAccounts(base);
  if (!accounts.some((a) => a.name === selected.name)) accounts.push(selected);
  const clock = options.clock ?? (() => new Date());
  const result: AuthStatus[] = [];
  for (const acct of accounts) {
    const active = acct.name === selected.name;
    const config = base.view(acct.name);
    result.push(await accountStatus(config, env, active ? selected : acct, providerOf(config, env), clock, active));
  }
  return result;
}

interface ProviderOutcome {
  selection: ModelSelection | undefined;
  providerError: string | null;
}

/** The selected model and provider; a broken setting is reported beside the credential, not thrown. */
function providerOf(config: Config, env: Env): ProviderOutcome {
  try {
    return { selection: selectModel(config, env), providerError: null };
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    return { selection: undefined, providerError: err.message };
  }
}

async function accountStatus(
  config: Config,
  env: Env,
  acct: Account,
  outcome: ProviderOutcome,
  clock: () => Date,
  active: boolean,
): Promise<AuthStatus> {
  const { selection } = outcome;
  let providerError = outcome.providerError;
  let resolved: ResolvedCredential | undefined;
  let credentialError: string | null = null;
  let missingEnvKey: string | null = null;
  /** The credential error is config.toml's trust problem: said there, not again among the warnings. */
  let untrusted = false;
  // A broken provider setting is reported beside; until it is fixed nothing is sent anywhere.
  const provider = selection?.provider ?? OPENAI_AUTH;
  try {
    // Other accounts show their own credential: a variable, which would override them all, is noted once.
    resolved = active
      ? await resolveCredential(config, env, { provider, clock, account: acct })
      : await resolveStored(config, env, acct, clock);
  } catch (err) {
    // A keyring or auth_command that fails (or is not run: config.toml is not trusted to name it), or a
    // variable that holds no usable key, is the answer to "where do I stand", not a crash of status.
    const known = [KeyringUnavailableError, CredentialCommandError, UntrustedConfigError, InvalidKeyError];
    if (err instanceof MissingEnvKeyError) missingEnvKey = err.variable;
    else if (!known.some((type) => err instanceof type)) throw err;
    untrusted = err instanceof UntrustedConfigError;
    credentialError = (err as CodexError).message;
  }
  if (resolved === undefined && credentialError === null) {
    // The file notes that the secret went elsewhere (the keyring), and there is nothing codex can use there.
    const note = await recordedNote(config, acct, env);
    if (note !== undefined) {
      credentialError = `config.toml says this account's credential is in the ${note.place} (${note.setting}), but its ${note.item} is missing or unreadable`;
    }
  }
  let session: SessionStatus | null = null;
  if (resolved?.oauth !== undefined) {
    const s = resolved.oauth;
    const now = clock();
    session = {
      issuer: s.issuer,
      account: s.account ?? null,
      expiresAt: s.expiresAt ?? null,
      expired: s.expiresAt !== undefined && s.expiresAt.getTime() <= now.getTime(),
      refreshable: s.refreshToken !== undefined,
      ended: sessionEnded(s, now),
      chatgpt:
        s.protocol === "openai"
          ? {
              accountId: s.chatgptAccountId === undefined ? null : maskToken(s.chatgptAccountId, false),
              plan: s.chatgptPlanType ?? null,
            }
          : null,
    };
  }
  // A credential config.toml's restrictions rule out, or a ChatGPT sign-in for a provider that is not
  // OpenAI, is not used: run and chat stop, so status says so.
  if (resolved !== undefined && credentialError === null) {
    try {
      const breach = restrictionBreach(config, provider, resolved);
      if (breach !== undefined) credentialError = breach.message;
      else if (resolved.oauth?.protocol === "openai") credentialError = chatgptRefusal(provider) ?? null;
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      credentialError = err.message;
    }
  }
  // Where the credential's requests go: a ChatGPT sign-in's go to the ChatGPT backend.
  let destination = selection;
  if (selection !== undefined && resolved?.oauth?.protocol === "openai" && takesOpenaiAuth(provider)) {
    try {
      destination = { ...selection, provider: chatgptProvider(config, selection.provider) };
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      destination = undefined;
      providerError = err.message;
    }
  }
  let shadowed: AuthStatus["shadowed"] = null;
  // Only a stored credential is looked up for this note: running an auth_command (up to 10 s) for a
  // credential not in use is not worth the wait.
  if (resolved?.source.type === "env" && authCommand(config, acct) === undefined) {
    try {
      const stored = await resolveStored(config, env, acct, clock);
      if (stored !== undefined) {
        // Where the store says it is: a file's path (config.toml's while in a legacy table), the keyring's name.
        shadowed = { path: sourceText(stored.source), hint: maskToken(stored.token, stored.method !== "oauth") };
      }
    } catch {
      // Only a note about a credential not in use; its failure does not matter while the variable is set.
    }
  }
  const insecureHttp = active ? insecureUrls(config, destination, resolved) : [];
  const ignored = active ? envIgnoredBySetting(config, env, provider) : undefined;
  return {
    account: acct.name,
    accountSelectedBy: acct.selectedBy,
    active,
    authenticated: resolved !== undefined && session?.ended !== true && credentialError === null,
    method: resolved?.method ?? null,
    source: resolved?.source ?? null,
    hint: resolved === undefined ? null : maskToken(resolved.token, resolved.method !== "oauth"),
    session,
    configPath: config.path,
    legacy:
      acct.name !== DEFAULT_ACCOUNT && resolved?.source.type === "file" && resolved.source.path === config.base.path,
    shadowed,
    provider:
      destination === undefined
        ? null
        : {
            id: destination.provider.id,
            name: destination.provider.name,
            baseUrl: destination.provider.baseUrl,
            wireApi: destination.provider.wireApi,
            model: destination.model,
          },
    providerError,
    credentialError,
    envKey: provider.envKey ?? null,
    missingEnvKey,
    ignoredEnv: active ? ignoredEnvVars(env, provider) : [],
    credentialSource: credentialSourceSetting(config),
    ignoredBySetting:
      ignored === undefined || ignored.variables.length === 0
        ? null
        : { variables: ignored.variables, path: ignored.setBy },
    insecureHttp,
    warnings: active
      ? [
          ...settingWarnings(config),
          ...legacyWarnings(config, acct),
          ...insecureHttp.map((i) => i.message),
          ...fileWarnings(config, !untrusted),
        ]
      : [],
  };
}

/** The note of the strongest store config.toml records the account's credential in, when that is a note. */
export async function recordedNote(config: Config, acct: Account, env: Env): Promise<Recorded["note"]> {
  const readers = await accountReaders(config, acct, env, { command: false });
  return readers.map((r) => r.recorded()).find((r) => r !== undefined)?.note;
}

/**
 * Where a credential would go over plain http:// to another machine: the provider's base_url, the
 * sign-in server of `[oauth] issuer`, the issuer a stored session renews with. Read from the settings,
 * nothing looked up or sent; each is refused when used.
 */
function insecureUrls(
  config: Config,
  selection: ModelSelection | undefined,
  resolved: ResolvedCredential | undefined,
): InsecureHttp[] {
  const found: InsecureHttp[] = [];
  const add = (what: InsecureHttp["what"], err: InsecureTransportError | undefined) => {
    if (err !== undefined) found.push({ what, setting: err.setting, host: err.host, message: err.message });
  };
  if (selection !== undefined) add("provider", cleartextRefusal(selection.provider));
  try {
    oauthSettings(config);
  } catch (err) {
    // Other [oauth] mistakes stop `codex login`, which says so; only this one is about where tokens go.
    if (err instanceof InsecureTransportError) add("oauth_issuer", err);
  }
  const session = resolved?.oauth;
  if (session !== undefined) add("session_issuer", sessionIssuerRefusal(config, session.issuer));
  return found;
}

/** A setting status does not need but login and logout do: reported here rather than stopping status. */
function settingWarnings(config: Config): string[] {
  try {
    storeSetting(config);
    return [];
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    return [err.message];
  }
}

/** What the real Codex refuses of what codex 0.1.0 wrote, that this account relies on (see codex-cli.ts). */
function legacyWarnings(config: Config, acct: Account): string[] {
  const found = [selectorRefusal(config), legacyTableRefusal(config, acct.name)];
  return found.filter((r): r is Refusal => r !== undefined).map(refusalLine);
}

/**
 * Credentials in files that others on the machine can read: the account's files, and Codex CLI's auth.json;
 * and, with `trust`, a config.toml others can change (unless the credential error already says so).
 */
function fileWarnings(config: Config, trust: boolean): string[] {
  const warnings: string[] = [];
  const exposed = (mode: number) =>
    (mode & 0o004) !== 0 ? "other users" : (mode & 0o040) !== 0 ? "its group" : undefined;
  const octal = (mode: number) => mode.toString(8).padStart(4, "0");
  // Reported, not refused: status only reads what is stored. What it would run or send is refused.
  const untrusted = trust ? trustProblem(config) : undefined;
  if (untrusted !== undefined) warnings.push(untrusted.message);
  for (const file of config.layers) {
    const holds =
      readAt(file, []) !== undefined ||
      (file === config.base && legacyProfiles(file).some((n) => readAt(file, ["profiles", n]) !== undefined));
    if (!holds) continue;
    // The mode of the file as it was read: no second look at the path.
    const mode = file.fileStat === undefined ? undefined : file.fileStat.mode & 0o777;
    const who = mode === undefined ? undefined : exposed(mode);
    if (mode !== undefined && who !== undefined) {
      warnings.push(
        `${file.path} holds a credential and can be read by ${who} (mode ${octal(mode)}); run \`chmod 600 ${file.path}\` (codex also fixes this on its next write)`,
      );
    }
  }
  const codexAuth = findCodexAuth(config.home);
  if (codexAuth?.hasCredential) {
    const who = exposed(codexAuth.mode);
    warnings.push(
      `${codexAuth.path} (from OpenAI's Codex CLI) also holds a credential, which codex does not use${
        who === undefined ? "" : ` and which can be read by ${who} (mode ${octal(codexAuth.mode)})`
      }; \`codex logout --all\` removes it`,
    );
  }
  return warnings;
}
