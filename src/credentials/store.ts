/**
 * Where a credential is kept. Every store implements this one interface so the auth layer (and later
 * the keyring and credential-command stores) never cares which one is in use.
 */

export interface StoredCredential {
  /** The secret sent as `Authorization: Bearer …`. */
  token: string;
}

export interface CredentialStore {
  /** Short machine-readable kind, e.g. "file". */
  readonly kind: string;
  get(): Promise<StoredCredential | undefined>;
  set(credential: StoredCredential): Promise<void>;
  /** Removes the credential. Returns false (touching nothing) when there was none. */
  delete(): Promise<boolean>;
  /** Where the credential lives, for people: a path, "system keyring", … */
  describe(): string;
}
