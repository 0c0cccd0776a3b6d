/**
 * Where a credential is kept, as one seam: every place implements `CredentialReader` (the account's
 * `auth_command`, which codex only reads) or `CredentialStore` (config.toml, the system keyring, which codex
 * also writes), and stores.ts is the one factory that knows the kinds and their precedence. Login, logout,
 * renewal, status and doctor go through these interfaces and never ask which kind they hold; adding a store
 * is one class and one line in stores.ts (docs/authentication.md, "Adding a credential store").
 *
 * Writes happen inside `Config.update` of the account's own view: a store queues its edits of the file on
 * that view and changes its own medium (a keyring entry) there and then, so the file and the medium change
 * together under the lock, and several stores can be changed in one update (login writes one and clears
 * the others).
 */
import type { Config } from "../config/config.js";
import type { UntrustedConfigError } from "../errors.js";

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

/** Where a credential is, as status, doctor and `--json` name it (`source`, `source_type`). */
export type StoreSource =
  | { type: "file"; path: string }
  | { type: "keyring"; name: string }
  /** `command`: the auth_command's program name (`pass`); `path`: the file that names it. */
  | { type: "command"; command: string; path: string };

/**
 * What config.toml alone says a store holds for the account, nothing else asked (no keyring call, no
 * command run): where, as messages name it, and the credential itself when the file is the medium.
 */
export interface Recorded {
  source: StoreSource;
  /** Present when reading it cost nothing (the file); a keyring entry or a command's output is not read. */
  credential?: StoredCredential | undefined;
  /**
   * When config.toml holds only a note that the credential is elsewhere: the note as the file has it
   * (`auth_storage = "keyring"`), the place as messages name it ("system keyring"), the medium in a word
   * ("keyring") and the item in it ("entry NAME"), so status and doctor can say what is missing.
   */
  note?: { setting: string; place: string; medium: string; item: string } | undefined;
}

/** What removing an account's credential from a store did (inside `Config.update`). */
export interface Removal {
  /** Something was there and is gone (even what codex could not read as a credential). */
  removed: boolean;
  /** What was removed, when it could be read: an OAuth session to revoke. */
  credential?: StoredCredential | undefined;
  /**
   * Set when the removed session's issuer is the word of a file others can change: revocation would send
   * its tokens where such a file says, so it is skipped.
   */
  untrusted?: UntrustedConfigError | undefined;
  /** Copies the store knows are left elsewhere, one line each (other hard links to the file). */
  failures: string[];
  /**
   * The credential may still be there: the medium did not answer (`reason`) where config.toml records it.
   * That record stays, so a later logout retries. `medium` and `item` name it: "keyring", "entry NAME".
   */
  left?: { medium: string; item: string; reason: string } | undefined;
}

/** A place an account's credential is read from. Bound to one account and its view of the config. */
export interface CredentialReader {
  /** See Recorded: undefined when config.toml says nothing is here. Cheap: status calls it on every run. */
  recorded(config?: Config): Recorded | undefined;
  /**
   * The credential, or undefined when there is none. Throws KeyringUnavailableError or
   * CredentialCommandError when the medium does not answer. `config` is the account's view, the locked
   * one inside `Config.update` (default: the view the store was made with).
   */
  get(config?: Config): Promise<StoredCredential | undefined>;
  /** Where the credential is, for status and `--json` (see StoreSource). */
  source(config?: Config): StoreSource;
  /** The same for people, in a word: a path, "system keyring (Secret Service)", "command `pass`". */
  describe(config?: Config): string;
}

/**
 * A place codex also writes. `write` and `remove` are called inside `Config.update` with the account's view,
 * locked; `present` and `ready` with the account's view, locked or not.
 */
export interface CredentialStore extends CredentialReader {
  /** Makes the store hold exactly `credential` (an API key replaces an OAuth session and vice versa). */
  write(config: Config, credential: StoredCredential): Promise<void>;
  /** Removes whatever is stored, and the record of it; `removed: false` when nothing was there. */
  remove(config: Config): Promise<Removal>;
  /**
   * Whether `remove` would find anything: what the account's own file holds or records, else what the medium
   * answers (a keyring entry whose note was deleted by hand), even what codex cannot read. False when the
   * medium does not answer and nothing records it: codex has no reason then to think it left anything there.
   */
  present(config: Config): Promise<boolean>;
  /**
   * Throws when a write would be refused now (a locked keyring), so that a sign-in is not completed at the
   * issuer only to find nowhere to put it. Writes nothing that stays.
   */
  ready(config: Config): Promise<void>;
}

/** Edits queued on another view than the account's would be written to another file, or never. */
export function assertOwnView(config: Config, name: string): void {
  if (config.view(name) !== config) throw new Error(`internal error: not the view of account ${name}`);
}
