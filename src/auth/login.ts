/** Saving an API key as the stored credential. */
import { Config } from "../config/config.js";
import { normalizeApiKey } from "./api-key.js";
import { defaultStore } from "./credential.js";
import type { AuthOptions } from "./status.js";

export interface LoginResult {
  /** Where the key was stored. */
  storedIn: string;
}

export async function loginWithApiKey(apiKey: string, options: AuthOptions = {}): Promise<LoginResult> {
  const key = normalizeApiKey(apiKey);
  const config = options.config ?? (await Config.load({ codexHome: options.codexHome, env: options.env }));
  const store = defaultStore(config);
  await store.set({ token: key });
  return { storedIn: store.describe() };
}
