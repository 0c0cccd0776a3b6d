/**
 * The library API. The CLI is built on exactly these functions.
 *
 *   import { Config, logout, status } from "codex";
 *   const config = await Config.load();
 *   config.set("model", "o3");
 *   await config.save();
 */

export { maskToken } from "./auth/api-key.js";
export type { CredentialSource } from "./auth/credential.js";
export { TOKEN_ENV_VARS } from "./auth/env.js";
export { type LoginResult, loginWithApiKey } from "./auth/login.js";
export { type LogoutResult, logout } from "./auth/logout.js";
export { type AuthOptions, type AuthStatus, status } from "./auth/status.js";
export { Config, type LoadOptions } from "./config/config.js";
export { codexHome, configPath, type Env } from "./config/paths.js";
export type { KeyPath } from "./config/toml-path.js";
export { FileStore } from "./credentials/file-store.js";
export type { CredentialStore, StoredCredential } from "./credentials/store.js";
export {
  AuthRequiredError,
  CancelledError,
  CodexError,
  ConfigAccessError,
  ConfigEditError,
  ConfigParseError,
  ExitCode,
  InvalidInputError,
  LockTimeoutError,
  UsageError,
} from "./errors.js";
