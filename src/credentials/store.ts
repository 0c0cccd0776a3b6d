/**
 * Where a credential is kept. Every store implements this one interface (config.toml, the system keyring,
 * an external command), so the auth layer never cares which one is in use.
 */

/**
 * What codex keeps of an OAuth sign-in beside the access token. The refresh token is as secret as the
 * access token; everything else is metadata safe to show (masked hints aside, status prints it).
 */
export interface OAuthSession {
  /** The issuer that granted the tokens: refresh and revocation go back to it. */
  issuer: string;
  clientId: string;
  refreshToken?: string | undefined;
  /** When the access token expires, if the server said (`expires_in`). */
  expiresAt?: Date | undefined;
  /** Who signed in: the ID token's email, else its subject. */
  account?: string | undefined;
  /** The ID token's `sub`. */
  subject?: string | undefined;
  /** Set when the server refused the refresh token (`invalid_grant`): the session is over. */
  endedAt?: Date | undefined;
  /**
   * How refresh and revocation talk to the issuer: `openai` (OpenAI's own sign-in, as its Codex CLI speaks
   * it, whose requests go to the ChatGPT backend) or, when absent, the standards (discovery, RFC 6749/7009).
   */
  protocol?: "openai" | undefined;
  /** OpenAI: the ID token's `chatgpt_account_id`, sent as `ChatGPT-Account-ID` with every request. */
  chatgptAccountId?: string | undefined;
  /** OpenAI: the ID token's `chatgpt_plan_type` ("plus", "pro", "team", …). */
  chatgptPlanType?: string | undefined;
  /** OpenAI: the ID token's `chatgpt_user_id`. */
  chatgptUserId?: string | undefined;
  /** OpenAI: when the tokens were last issued (sign-in or refresh); renewal is due 8 days later without `exp`. */
  refreshedAt?: Date | undefined;
}

export interface StoredCredential {
  /** The secret sent as `Authorization: Bearer …`: an API key or an OAuth access token. */
  token: string;
  /** Present when the token came from an OAuth sign-in. */
  oauth?: OAuthSession | undefined;
}

export interface CredentialStore {
  /** Short machine-readable kind. */
  readonly kind: "file" | "keyring" | "command";
  get(): Promise<StoredCredential | undefined>;
  /** Replaces whatever is stored (an API key replaces an OAuth session and vice versa). */
  set(credential: StoredCredential): Promise<void>;
  /** Removes the credential. Returns false (touching nothing) when there was none, and always for "command". */
  delete(): Promise<boolean>;
  /** Where the credential lives, for people: a path, "system keyring (Secret Service)", "command `pass`". */
  describe(): string;
}
