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
import {
  type Account,
  accountKey,
  authCommand,
  commandName,
  credentialSourceSetting,
  DEFAULT_ACCOUNT,
  recordedStorage,
  selectAccount,
} from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { selectModel } from "../config/providers.js";
import type { CommandStore } from "../credentials/command-store.js";
import { FileStore, readCredential } from "../credentials/file-store.js";
import { type Place, storeFor } from "../credentials/select.js";
import type { OAuthSession, StoredCredential } from "../credentials/store.js";
import { MissingEnvKeyError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import { keyFromEnv, maskToken, storedKey } from "./api-key.js";
import { OPENAI_AUTH, type ProviderAuth, type TokenEnvVar, tokenEnvVarsSet } from "./env.js";
import { endedError, expiresSoon } from "./oauth/tokens.js";

export type CredentialSource =
  | { type: "env"; variable: TokenEnvVar }
  | { type: "file"; path: string }
  | { type: "keyring"; name: string }
  /** `command`: the auth_command's program name (`pass`); `path`: the file that names it. */
  | { type: "command"; command: string; path: string };

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
    const hides = provider.envKey === undefined ? hiddenBelow(config, acct, source) : undefined;
    return { token, method: "api_key", source, hides };
  }
  // The key variable is the provider's only source: the account's credential is for other providers.
  if (provider.envKey !== undefined) {
    const ignoredBy = variable === undefined ? undefined : own.origin("credential_source");
    throw new MissingEnvKeyError(provider.id, provider.envKey, ignoredBy);
  }
  const credential = await resolveStored(config, env, acct, options.clock);
  if (credential?.source.type === "command") credential.hides = hiddenBelow(config, acct, credential.source);
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
 * The account's credential that `winner` hides: under a variable, its auth_command, else its stored
 * credential; under an auth_command, the stored one (in the file, or recorded as in the keyring).
 */
function hiddenBelow(
  config: Config,
  acct: Account,
  winner: Extract<CredentialSource, { type: "env" | "command" }>,
): HiddenCredential | undefined {
  const file = config.view(acct.name);
  let found: Omit<HiddenCredential, "message"> | undefined;
  if (winner.type === "env") {
    let argv: string[] | undefined;
    try {
      argv = authCommand(config, acct);
    } catch {
      // A malformed auth_command is reported where it is used; while a variable wins it is not.
    }
    if (argv !== undefined) {
      const path = accountKey(config, acct, "auth_command").file.path;
      found = {
        source: { type: "command", command: commandName(argv), path },
        what: "the credential",
        hint: undefined,
      };
    }
  }
  const stored = found === undefined ? readCredential(config, acct) : undefined;
  if (stored !== undefined) {
    const session = stored.oauth;
    const kind = session?.protocol === "openai" ? "the ChatGPT sign-in" : "the OAuth session";
    found = {
      source: { type: "file", path: new FileStore(config, acct).describe() },
      what: session === undefined ? "the API key" : kind,
      // The account is the issuer's word: one line, no control characters, whatever it sent.
      hint:
        session?.account === undefined ? maskToken(stored.token, session === undefined) : oneLine(session.account, 200),
    };
  } else if (found === undefined && recordedStorage(config, acct) === "keyring") {
    found = { source: { type: "keyring", name: "system keyring" }, what: "the credential", hint: undefined };
  }
  if (found === undefined) return undefined;
  const hidden = `${found.what} ${describeSource(found.source)}${found.hint === undefined ? "" : ` (${found.hint})`}`;
  let message: string;
  if (winner.type === "env") {
    const instead = found.source.type === "command" ? "the auth_command" : "the stored one";
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
  const store = await storeFor(config, acct, env);
  const stored = await store?.get();
  if (store === undefined || stored === undefined) return undefined;
  const source: CredentialSource =
    store.kind === "command"
      ? {
          type: "command",
          command: (store as CommandStore).name,
          path: accountKey(config, acct, "auth_command").file.path,
        }
      : store.kind === "keyring"
        ? { type: "keyring", name: store.describe() }
        : { type: "file", path: store.describe() };
  // A command's output has been checked as it was read; what codex stored may predate the rule.
  const checked = store.kind === "command" ? stored : { ...stored, token: checkStored(stored, source, acct) };
  if (checked.oauth === undefined) return { token: checked.token, method: "api_key", source };
  // A command supplies bare tokens, so an OAuth session is in the file or the keyring.
  const place = store.kind as Place;
  return oauthCredential(config, checked, source, { acct, place, env, clock: clock ?? (() => new Date()) });
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
  where: { acct: Account; place: Place; env: Env; clock: () => Date },
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
      place: where.place,
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
function describeSource(source: CredentialSource): string {
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
