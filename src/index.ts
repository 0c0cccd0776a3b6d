/**
 * The library API. The CLI's commands do their main work through these functions (Config, openClient and
 * the Client, login, logout, status); they also use internal helpers that are not exported here and may
 * change: argument and key checks, doctor's diagnostics, the wording of refusals.
 *
 *   import { Config, logout, status } from "codex-credentials";
 *   const config = await Config.load();
 *   config.set("model", "o3");
 *   await config.save();
 *
 *   const client = await openClient({ config });          // AuthRequiredError when not logged in
 *   const reply = await client.reply([{ role: "user", content: "hi" }], { onText: (t) => process.stdout.write(t) });
 *   // On a terminal, new ControlStripper().push(t) keeps the reply's control sequences off the screen.
 */
export {
  type CheckResult,
  Client,
  type ClientOptions,
  MAX_REPLY_CHARS,
  MAX_REPLY_STREAM_BYTES,
  type CredentialCheck,
  type Reply,
  type ReplyOptions,
} from "./api/client.js";
export { type Fetch, type HttpRequest, type HttpResponse, nodeFetch } from "./config/http.js";
export { networkFetch } from "./config/network.js";
export { type OpenClientOptions, openClient, providerFor } from "./api/open.js";
export { SseDecoder, type SseEvent } from "./api/sse.js";
export type { Message, Usage } from "./api/wire.js";

export { maskToken } from "./auth/api-key.js";
export {
  type CredentialSource,
  type HiddenCredential,
  type ResolvedCredential,
  type ResolveOptions,
  resolveCredential,
} from "./auth/credential.js";
export { type ProviderAuth, TOKEN_ENV_VARS } from "./auth/env.js";
export { type Breach, restrictionBreach } from "./auth/restrictions.js";
export { checkKeyringFirst, type LoginResult, loginWithApiKey, saveCredential } from "./auth/login.js";
export { type AccountLogout, type LogoutOptions, type LogoutResult, logout } from "./auth/logout.js";
export {
  type BrowserLoginOptions,
  loginWithBrowser,
  MAX_PASTE_CHARS,
  type PasteBack,
  type PasteRefusal,
} from "./auth/oauth/browser.js";
export { type DeviceCode, type DeviceLoginOptions, loginWithDevice } from "./auth/oauth/device.js";
export { type RefreshOptions, refreshSession } from "./auth/oauth/refresh.js";
export { type Revocation, type RevokeOptions, revokeSession } from "./auth/oauth/revoke.js";
export {
  type AuthOptions,
  type AuthStatus,
  type InsecureHttp,
  type SessionStatus,
  status,
  statusAll,
} from "./auth/status.js";
export {
  type Account,
  account,
  type CredentialSourceSetting,
  configuredAccounts,
  credentialSourceSetting,
  DEFAULT_ACCOUNT,
  isProfileName,
  profileFiles,
  type StoreSetting,
  selectAccount,
  storeSetting,
} from "./config/accounts.js";
export { Config, type LoadOptions } from "./config/config.js";
export { profilePath } from "./config/paths.js";
export {
  type LoginMethod,
  type LoginRestrictions,
  loginRestrictions,
  OAUTH_DEFAULTS,
  type OAuthProtocol,
  type OAuthSettings,
  oauthSettings,
} from "./config/oauth.js";
export { codexHome, configPath, type Env } from "./config/paths.js";
export {
  CHATGPT_BASE_URL,
  chatgptProvider,
  DEFAULT_MODEL,
  type ModelSelection,
  type ProviderSettings,
  selectModel,
  type WireApi,
} from "./config/providers.js";
export type { KeyPath } from "./config/toml/path.js";
export { type CodexAuthFile, findCodexAuth } from "./credentials/codex-auth.js";
export { CommandStore, runAuthCommand } from "./credentials/command-store.js";
export { FileStore } from "./credentials/file-store.js";
export { KEYRING_SERVICE, type Keyring, systemKeyring } from "./credentials/keyring.js";
export { KeyringStore, keyringAccount } from "./credentials/keyring-store.js";
export { accountReaders, accountStores, storeFor } from "./credentials/stores.js";
export type {
  CredentialReader,
  CredentialStore,
  OAuthSession,
  Recorded,
  Removal,
  StoredCredential,
  StoreSource,
} from "./credentials/store.js";
export {
  ApiError,
  AuthRejectedError,
  AuthRequiredError,
  CancelledError,
  CodexError,
  ConfigAccessError,
  ConfigEditError,
  ConfigParseError,
  ConfigValueError,
  CredentialCommandError,
  ExitCode,
  InsecureTransportError,
  InvalidInputError,
  InvalidKeyError,
  KeyringUnavailableError,
  LockTimeoutError,
  LoginRestrictedError,
  MissingEnvKeyError,
  NetworkError,
  OAuthError,
  PortInUseError,
  ReplyTooLargeError,
  SessionEndedError,
  StoredKeyError,
  StreamInterruptedError,
  UntrustedConfigError,
  UsageError,
} from "./errors.js";
export { ControlStripper, jsonText, oneLine, redact, stripControls } from "./safe-text.js";
