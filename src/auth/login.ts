/** Storing what a sign-in produced: an API key, or an OAuth session from the browser or device flow. */
import { Config } from "../config/config.js";
import type { StoredCredential } from "../credentials/store.js";
import { normalizeApiKey } from "./api-key.js";
import { defaultStore } from "./credential.js";
import type { AuthOptions } from "./status.js";

export interface LoginResult {
  /** Where the credential was stored. */
  storedIn: string;
}

export async function loginWithApiKey(apiKey: string, options: AuthOptions = {}): Promise<LoginResult> {
  return saveCredential({ token: normalizeApiKey(apiKey) }, options);
}

/** Stores `credential` in place of whatever was stored (an API key replaces a session and vice versa). */
export async function saveCredential(credential: StoredCredential, options: AuthOptions = {}): Promise<LoginResult> {
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env: options.env }));
  const store = defaultStore(config);
  await store.set(credential);
  return { storedIn: store.describe() };
}
