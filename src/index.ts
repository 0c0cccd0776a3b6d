/**
 * The library API. The CLI is built on exactly these functions.
 *
 *   import { Config, logout, status } from "codex";
 *   const config = await Config.load();
 *   config.set("model", "o3");
 *   await config.save();
 *
 *   const client = await openClient({ config });          // AuthRequiredError when not logged in
 *   const reply = await client.reply([{ role: "user", content: "hi" }], { onText: (t) => process.stdout.write(t) });
 */
export { Client, type ClientOptions, type Reply, type ReplyOptions } from "./api/client.js";
export { type Fetch, type HttpRequest, type HttpResponse, nodeFetch } from "./api/http.js";
export { type OpenClientOptions, openClient } from "./api/open.js";
export { SseDecoder, type SseEvent } from "./api/sse.js";
export type { Message, Usage } from "./api/wire.js";

export { maskToken } from "./auth/api-key.js";
export { type CredentialSource, type ResolvedCredential, resolveCredential } from "./auth/credential.js";
export { TOKEN_ENV_VARS } from "./auth/env.js";
export { type LoginResult, loginWithApiKey } from "./auth/login.js";
export { type LogoutResult, logout } from "./auth/logout.js";
export { type AuthOptions, type AuthStatus, status } from "./auth/status.js";
export { Config, type LoadOptions } from "./config/config.js";
export { codexHome, configPath, type Env } from "./config/paths.js";
export {
  DEFAULT_MODEL,
  type ModelSelection,
  type ProviderSettings,
  selectModel,
  type WireApi,
} from "./config/providers.js";
export type { KeyPath } from "./config/toml-path.js";
export { FileStore } from "./credentials/file-store.js";
export type { CredentialStore, StoredCredential } from "./credentials/store.js";
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
  ExitCode,
  InvalidInputError,
  LockTimeoutError,
  NetworkError,
  StreamInterruptedError,
  UsageError,
} from "./errors.js";
