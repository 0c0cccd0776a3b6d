/**
 * Which credential codex would use right now, and where it comes from. Only credentials meant for the
 * selected provider are considered (see env.ts):
 *
 * - a provider with `env_key`: that variable, or a MissingEnvKeyError (exit 4) naming it: never another
 *   key in its place;
 * - the built-in `openai` (or `requires_openai_auth = true`): `CODEX_API_KEY`, `OPENAI_API_KEY`, then the
 *   selected account's `auth_command`, then its stored credential (config.toml or the system keyring) —
 *   so a variable set in the shell wins, and status and logout say so;
 * - any other provider: the account's `auth_command`, then its stored credential.
 *
 * `credential_source = "stored"` takes the variables out of that list for every command (they are ignored,
 * not an error): the account's `auth_command`, else its stored credential, is then its only one. A credential
 * that wins over one of the account's own says which it hides (`hides`), from config.toml alone, so that
 * `run` and `chat` can say so at no cost.
 */
import { type Account, credentialSourceSetting, DEFAULT_ACCOUNT, selectAccount } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { selectModel } from "../config/providers.js";
import type {
  CredentialReader,
  CredentialStore,
  OAuthSession,
  StoredCredential,
  StoreSource,
} from "../credentials/store.js";
import { accountReaders, storeFor } from "../credentials/stores.js";
import { MissingEnvKeyError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import { keyFromEnv, maskToken, storedKey } from "./api-key.js";
import { OPENAI_AUTH, type ProviderAuth, type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import { endedError, expiresSoon } from "./oauth/tokens.js";

/** A variable, or a store (see StoreSource: a file's path, the keyring's name, an auth_command). */
export type CredentialSource = { type: "env"; variable: TokenEnvVar } | StoreSource;

/** Where a credential came from, in a word, as `--json` says it: a variable's name, a path, the keyring, a command. */
export function sourceText(source: CredentialSource): string {
  if (source.type === "env") return source.variable;
  if (source.type === "keyring") return source.name;
  if (source.type === "command") return `command \`${source.command}\``;
  return source.path;
}

export interface ResolvedCredential {
  token: string;
  method: "api_key" | "oauth";
  source: CredentialSource;
  /** The OAuth session the token belongs to (method "oauth"). */
  oauth?: OAuthSession | undefined;
  /**
   * OAuth: the token to send now, renewed first when it expires within a minute. Throws
   * SessionEndedError when the session cannot be used any more. Called before every request.
   */
  current?: () => Promise<string>;
  /**
   * Called once when the server rejects `rejected` (HTTP 401): returns a fresh token to retry with, or
   * undefined when there is none. API keys cannot be refreshed.
   */
  refresh?: (rejected: string) => Promise<string | undefined>;
  /**
   * The account's own credential this one wins over, when it comes from a variable or an auth_command and
   * the account has one configured below it; undefined otherwise. Found from config.toml alone.
   */
  hides?: HiddenCredential | undefined;
}

/**
 * A credential of the account's own that is not used because another wins: a variable over the account's
 * auth_command or stored credential, or an auth_command over the stored one. Nothing is run or asked to
 * find it (the keyring's entry and the command's output are not read), so only the file's gives a hint.
 */
export interface HiddenCredential {
  /** Where it is: the auth_command, config.toml (or a profile's file), the system keyring. */
  source: Exclude<CredentialSource, { type: "env" }>;
  /** "the API key", "the ChatGPT sign-in", "the OAuth session", or "the credential" when it was not read. */
  what: string;
  /** The key masked (`sk-…abcd`), or a session's account (its email) when the issuer named one. */
  hint: string | undefined;
  /**
   * One line saying which credential is used and which it hides, and how to use the hidden one instead:
   * what `codex run` and `codex chat` print on standard error. A library prints it, or not, as it likes.
   */
  message: string;
}

export interface ResolveOptions {
  /**
   * The provider the credential is for (its id, `env_key`, `requires_openai_auth`): it decides which
   * sources may supply it. Default: the provider config.toml selects (the built-in `openai` when that
   * setting is invalid, as nothing can be sent then anyway).
   */
  provider?: ProviderAuth | undefined;
  /** Current time, for OAuth expiry (default: the system clock). */
  clock?: (() => Date) | undefined;
  /** The account (default: the one CODEX_PROFILE selects, see selectAccount). */
  account?: Account | undefined;
}

/**
 * The selected provider, as far as where its credential comes from, for commands that only report
 * (login, logout, status): an invalid provider setting must not stop them, so the built-in rule applies
 * here and `status` and `run` report the setting.
 */
export function selectedProviderAuth(config: Config, env: Env): ProviderAuth {
  try {
    return selectModel(config, env).provider;
  } catch {
    return OPENAI_AUTH;
  }
}

/**
 * The credential for the provider, or undefined when there is none. Throws MissingEnvKeyError when the
 * provider reads its key from a variable that is not set.
 */
export async function resolveCredential(
  config: Config,
  env: Env,
  options: ResolveOptions = {},
): Promise<ResolvedCredential | undefined> {
  const acct = options.account ?? selectAccount(env);
  const own = config.view(acct.name);
  const provider = options.provider ?? selectedProviderAuth(own, env);
  const [variable] = tokenEnvVarsSet(env, provider);
  const storedOnly = credentialSourceSetting(own) === "stored";
  if (variable !== undefined && !storedOnly) {
    const token = keyFromEnv(variable, env[variable] as string);
    const source: CredentialSource = { type: "env", variable };
    // A provider with env_key never takes the account's credential: the variable hides nothing of it.
    const hides = provider.envKey === undefined ? await hiddenBelow(config, acct, env, source) : undefined;
    return { token, method: "api_key", source, hides };
  }
  // The key variable is the provider's only source: the account's credential is for other providers.
  if (provider.envKey !== undefined) {
    const ignoredBy = variable === undefined ? undefined : own.origin("credential_source");
    throw new MissingEnvKeyError(provider.id, provider.envKey, ignoredBy);
  }
  const credential = await resolveStored(config, env, acct, options.clock);
  if (credential?.source.type === "command") credential.hides = await hiddenBelow(config, acct, env, credential.source);
  return credential;
}

/**
 * The variables that would supply the provider's credential now, strongest first: none under
 * `credential_source = "stored"`. For what login and logout say about variables; an invalid setting
 * counts as "auto" there (the commands that use a credential report it), so nothing is left unsaid.
 */
export function envCredentialVars(config: Config, env: Env, provider: ProviderAuth): TokenEnvVar[] {
  try {
    if (credentialSourceSetting(config) === "stored") return [];
  } catch {
    // Reported by status, doctor, run and chat.
  }
  return tokenEnvVarsSet(env, provider);
}

/**
 * The variables the provider would take that are set and that `credential_source = "stored"` makes codex
 * ignore (empty under "auto"), with the file that says so. Throws ConfigValueError for an invalid setting.
 */
export function envIgnoredBySetting(
  config: Config,
  env: Env,
  provider: ProviderAuth,
): { variables: TokenEnvVar[]; setBy: string } {
  const setBy = config.origin("credential_source");
  if (credentialSourceSetting(config) !== "stored") return { variables: [], setBy };
  return { variables: tokenEnvVarsSet(env, provider), setBy };
}

/**
 * The account's credential that `winner` hides: the strongest of the account's own that config.toml records
 * (under a variable, its auth_command, else its stored credential; under an auth_command, the stored one).
 */
async function hiddenBelow(
  config: Config,
  acct: Account,
  env: Env,
  winner: Extract<CredentialSource, { type: "env" | "command" }>,
): Promise<HiddenCredential | undefined> {
  const file = config.view(acct.name);
  let readers: CredentialReader[];
  try {
    readers = await accountReaders(config, acct, env);
  } catch {
    // A malformed auth_command is reported where it is used; while a variable wins it is not.
    readers = await accountReaders(config, acct, env, { command: false });
  }
  // A variable is above them all; an auth_command above every store.
  const below = winner.type === "env" ? readers : readers.filter(isStore);
  const reader = below.find((r) => r.recorded() !== undefined);
  const recorded = reader?.recorded();
  if (reader === undefined || recorded === undefined) return undefined;
  const stored = recorded.credential;
  const session = stored?.oauth;
  const kind = session?.protocol === "openai" ? "the ChatGPT sign-in" : "the OAuth session";
  const found: Omit<HiddenCredential, "message"> = {
    source: recorded.source,
    what: stored === undefined ? "the credential" : session === undefined ? "the API key" : kind,
    // The account is the issuer's word: one line, no control characters, whatever it sent.
    hint:
      stored === undefined
        ? undefined
        : session?.account === undefined
          ? maskToken(stored.token, session === undefined)
          : oneLine(session.account, 200),
  };
  const hidden = `${found.what} ${describeSource(found.source)}${found.hint === undefined ? "" : ` (${found.hint})`}`;
  let message: string;
  if (winner.type === "env") {
    const instead = isStore(reader) ? "the stored one" : "the auth_command";
    message = `using ${winner.variable} from the environment, not ${hidden}; unset ${winner.variable}, or set credential_source = "stored" in ${file.path}, to use ${instead}`;
  } else {
    // credential_source does not decide between two sources of the account's own: removing one does.
    const logout = acct.name === DEFAULT_ACCOUNT ? "codex logout" : `codex logout --profile ${acct.name}`;
    message = `using the credential from auth_command \`${winner.command}\`, not ${hidden}; remove auth_command from ${winner.path} to use the stored one, or run \`${logout}\` to remove it`;
  }
  return { ...found, message };
}

/** The account's own credential (its command's, or the stored one), ignoring the environment. */
export async function resolveStored(
  config: Config,
  env: Env,
  acct: Account,
  clock: (() => Date) | undefined,
): Promise<ResolvedCredential | undefined> {
  const reader = await storeFor(config, acct, env);
  const stored = await reader?.get();
  if (reader === undefined || stored === undefined) return undefined;
  const source = reader.source();
  // What a store gives back may predate the rule on keys; a command's output was checked as it was read.
  const checked = isStore(reader) ? { ...stored, token: checkStored(stored, source, acct) } : stored;
  if (checked.oauth === undefined || !isStore(reader)) return { token: checked.token, method: "api_key", source };
  return oauthCredential(config, checked, source, { acct, store: reader, env, clock: clock ?? (() => new Date()) });
}

/**
 * Whether codex writes where the credential came from: what it wrote there may predate the rule on keys, and an
 * OAuth session is renewed there. A reader that is no store (an auth_command) supplies bare, checked tokens.
 */
function isStore(reader: CredentialReader): reader is CredentialStore {
  return "write" in reader;
}

/** The stored token, trimmed, or a StoredKeyError naming where it is and how to replace it. */
function checkStored(stored: StoredCredential, source: CredentialSource, acct: Account): string {
  const what = stored.oauth === undefined ? "the API key" : "the OAuth access token";
  const whose = acct.name === DEFAULT_ACCOUNT ? "" : ` of profile ${acct.name}`;
  const login = acct.name === DEFAULT_ACCOUNT ? "codex login" : `codex login --profile ${acct.name}`;
  return storedKey(stored.token, `${what}${whose} ${describeSource(source)}`, login);
}

/** Whether an OAuth session can no longer be used without signing in again. */
export function sessionEnded(session: OAuthSession, now: Date): boolean {
  const expired = session.expiresAt !== undefined && session.expiresAt.getTime() <= now.getTime();
  return session.endedAt !== undefined || (expired && session.refreshToken === undefined);
}

function oauthCredential(
  config: Config,
  initial: StoredCredential,
  source: CredentialSource,
  where: { acct: Account; store: CredentialStore; env: Env; clock: () => Date },
): ResolvedCredential {
  let stored = initial;
  const { clock } = where;
  // The refresh code (and the OAuth client library) loads only when a token actually needs renewing.
  const renew = async (isStale: (s: StoredCredential) => boolean) => {
    const { refreshSession } = await import("./oauth/refresh.js");
    const renewed = await refreshSession(config, {
      clock,
      isStale,
      account: where.acct,
      store: where.store,
      env: where.env,
    });
    // The new token came from the issuer (or from the store, where another process put it): same rule.
    stored = { ...renewed, token: checkStored(renewed, source, where.acct) };
    credential.token = stored.token;
    credential.oauth = stored.oauth;
    return stored.token;
  };
  const credential: ResolvedCredential = {
    token: stored.token,
    method: "oauth",
    source,
    oauth: stored.oauth,
    current: async () => {
      const session = stored.oauth as OAuthSession;
      // Decided here, without the lock or the OAuth library: nothing to renew with, or nothing to renew.
      if (sessionEnded(session, clock())) throw endedError(session);
      // Without a refresh token the access token is used for as long as it lasts.
      if (session.refreshToken === undefined || !expiresSoon(stored, clock())) return stored.token;
      return renew((s) => expiresSoon(s, clock()));
    },
    refresh: (rejected) => renew((s) => s.token === rejected),
  };
  return credential;
}

/** Where a credential comes from, as messages say it: "from OPENAI_API_KEY", "stored in /…/config.toml". */
export function describeSource(source: CredentialSource): string {
  switch (source.type) {
    case "env":
      return `from ${source.variable}`;
    case "file":
      return `stored in ${source.path}`;
    case "keyring":
      return `stored in the ${source.name}`;
    case "command":
      return `from command \`${source.command}\``;
  }
}

/** "the API key from OPENAI_API_KEY" / "the OAuth session stored in …": for messages, never the key. */
export function describeCredential(credential: ResolvedCredential): string {
  const what =
    credential.method === "api_key"
      ? "the API key"
      : credential.oauth?.protocol === "openai"
        ? "the ChatGPT sign-in"
        : "the OAuth session";
  return `${what} ${describeSource(credential.source)}`;
}
