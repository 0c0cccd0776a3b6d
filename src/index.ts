/**
 * The library API. The CLI is built on exactly these functions.
 *
 *   import { Config, logout, status } from "codex";
 *   const config = await Config.load();
 *   config.set("model", "o3");
 *   await config.save();
 */
export { Config, type LoadOptions } from "./config/config.js";
export type { KeyPath } from "./config/toml-path.js";
export { codexHome, configPath, type Env } from "./config/paths.js";
export type { CredentialStore, StoredCredential } from "./credentials/store.js";
export { FileStore } from "./credentials/file-store.js";
export { status, type AuthOptions, type AuthStatus } from "./auth/status.js";
export { logout, type LogoutResult } from "./auth/logout.js";
export { loginWithApiKey, type LoginResult } from "./auth/login.js";
export { maskToken } from "./auth/api-key.js";
export type { CredentialSource } from "./auth/credential.js";
export { TOKEN_ENV_VARS } from "./auth/env.js";
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
