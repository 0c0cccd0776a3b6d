/**
 * The default store: top-level `auth_token` in config.toml, written through Config (atomic, locked,
 * format-preserving). Deleting removes the line entirely so login-then-logout gives back the original file.
 */
import type { Config } from "../config/config.js";
import type { CredentialStore, StoredCredential } from "./store.js";

export class FileStore implements CredentialStore {
  readonly kind = "file";
  readonly #config: Config;

  constructor(config: Config) {
    this.#config = config;
  }

  async get(): Promise<StoredCredential | undefined> {
    const token = this.#config.authToken;
    return token === undefined ? undefined : { token };
  }

  async set(credential: StoredCredential): Promise<void> {
    this.#config.authToken = credential.token;
    await this.#config.save();
  }

  async delete(): Promise<boolean> {
    // Nothing stored: leave the file (and a missing CODEX_HOME) exactly as they are.
    if (this.#config.get("auth_token") === undefined) return false;
    this.#config.delete("auth_token");
    return this.#config.save();
  }

  describe(): string {
    return this.#config.path;
  }
}
