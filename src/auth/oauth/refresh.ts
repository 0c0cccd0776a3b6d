/**
 * Renewing an OAuth session with its refresh token.
 *
 * Refresh tokens rotate: each use returns a new one and the old one dies, and a server that sees a dead
 * one used again may end the whole session. So the refresh runs under the config lock, on the file as it
 * is on disk at that moment: when several codex processes find the token expiring at once, the first
 * refreshes and writes the new tokens, and the others, once they get the lock, find a fresh token in the
 * file and use it. One refresh request between them.
 *
 * Failure policy: `invalid_grant` (the session was revoked or expired at the server), or with OpenAI's
 * sign-in `refresh_token_expired` / `_reused` / `_invalidated` (or any 401), records `ended_at` in the
 * session and is a SessionEndedError (exit 4, "run `codex login`", saying which); an unreachable server
 * is a NetworkError (exit 1) and changes nothing. The lock is held for at most the two requests' time limits,
 * well under the age at which other processes would consider it abandoned.
 */
import { type Account, account as accountNamed, DEFAULT_ACCOUNT } from "../../config/accounts.js";
import type { Config } from "../../config/config.js";
import { allowsInsecureIssuer, issuerHost, sessionIssuerRefusal } from "../../config/oauth.js";
import type { Fetch } from "../../config/http.js";
import { networkFetch } from "../../config/network.js";
import type { Env } from "../../config/paths.js";
import { assertTrusted } from "../../config/trust.js";
import { FileStore } from "../../credentials/file-store.js";
import { dropLegacyCredential } from "../../credentials/legacy.js";
import type { CredentialStore, StoredCredential } from "../../credentials/store.js";
import { AuthRequiredError, OAuthError, SessionEndedError } from "../../errors.js";
import { credentialFromOpenAI, RefreshRefusedError, type RefreshRefusal, refreshTokens } from "./openai.js";
import { credentialFromTokens, endedError } from "./tokens.js";

export interface RefreshOptions {
  clock: () => Date;
  /**
   * Whether the credential now in the file still needs renewing. False when another process renewed it
   * meanwhile (then its token is used as it is).
   */
  isStale: (stored: StoredCredential) => boolean;
  /** Whose session (default: the top-level account). */
  account?: Account | undefined;
  /** The store it is in, as resolution found it (default: the account's file). */
  store?: CredentialStore | undefined;
  /** The proxy and CA variables (default: process.env). */
  env?: Env | undefined;
  /** The transport; default: config/network.ts's for `env`. */
  fetch?: Fetch | undefined;
}

const REQUEST_TIMEOUT_SECONDS = 10;
/** Waiting for another process's refresh: two requests' time limits, and some. */
const LOCK_TIMEOUT_MS = 30_000;

type Outcome = { credential: StoredCredential } | { ended: SessionEndedError };

/** Returns the credential to use: renewed here, renewed by another process, or replaced by a new login. */
export async function refreshSession(config: Config, options: RefreshOptions): Promise<StoredCredential> {
  const account = options.account ?? accountNamed(DEFAULT_ACCOUNT);
  const fetch = options.fetch ?? networkFetch(options.env ?? process.env);
  const held = options.store ?? new FileStore(config, account);
  let wrote = false;
  const store = {
    read: (file: Config) => held.get(file),
    write: (file: Config, credential: StoredCredential) => {
      wrote = true;
      return held.write(file, credential);
    },
  };
  // Under the lock of the account's own file: a profile's session renews in its NAME.config.toml.
  const outcome = await config.view(account.name).update<Outcome>(
    async (fresh) => {
      const stored = await store.read(fresh);
      if (stored === undefined) throw new AuthRequiredError("logged out meanwhile; run `codex login` to sign in");
      const session = stored.oauth;
      // An API key, or a session someone else renewed: nothing to do.
      if (session === undefined || !options.isStale(stored)) {
        return session?.endedAt !== undefined ? { ended: endedError(session) } : { credential: stored };
      }
      if (session.endedAt !== undefined || session.refreshToken === undefined) return { ended: endedError(session) };
      assertTrusted(fresh, "credential");
      if (session.protocol === "openai") {
        const refusal = sessionIssuerRefusal(fresh, session.issuer);
        if (refusal !== undefined) throw refusal;
        let tokens: Awaited<ReturnType<typeof refreshTokens>>;
        try {
          tokens = await refreshTokens(session, REQUEST_TIMEOUT_SECONDS * 1000, fetch);
        } catch (err) {
          if (!(err instanceof RefreshRefusedError)) throw err;
          await store.write(fresh, { ...stored, oauth: { ...session, endedAt: options.clock() } });
          return { ended: new SessionEndedError(refusalMessage(err.reason, session.issuer)) };
        }
        const renewed = credentialFromOpenAI(tokens, session, options.clock(), stored);
        await store.write(fresh, renewed);
        return { credential: renewed };
      }
      const client = await import("openid-client");
      const { discoverSessionIssuer, serverError } = await import("./server.js");
      const server = await discoverSessionIssuer(
        session,
        fresh.path,
        REQUEST_TIMEOUT_SECONDS,
        allowsInsecureIssuer(fresh),
        fetch,
      );
      let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
      try {
        tokens = await client.refreshTokenGrant(server, session.refreshToken);
      } catch (err) {
        const error = serverError(err, session.issuer, "renewing the session", [session.refreshToken, stored.token]);
        if (error instanceof OAuthError && error.error === "invalid_grant") {
          // Recorded so that status and the next command say so without asking the server again.
          await store.write(fresh, { ...stored, oauth: { ...session, endedAt: options.clock() } });
          return {
            ended: new SessionEndedError(
              `your session ended (${issuerHost(session.issuer)} no longer accepts it); run \`codex login\` to sign in again`,
            ),
          };
        }
        throw error;
      }
      const renewed = credentialFromTokens(tokens, session, options.clock(), stored);
      await store.write(fresh, renewed);
      return { credential: renewed };
    },
    { lockTimeoutMs: LOCK_TIMEOUT_MS },
  );
  // A session read from codex 0.1.0's [profiles.NAME] table was written to the profile's file just now.
  if (wrote) await dropLegacyCredential(config, account);
  if ("ended" in outcome) throw outcome.ended;
  return outcome.credential;
}

/** Why OpenAI ended the session, in the words of the three codes Codex knows (and one for the rest). */
function refusalMessage(reason: RefreshRefusal, issuer: string): string {
  const why =
    reason === "refresh_token_expired"
      ? "the refresh token expired"
      : reason === "refresh_token_reused"
        ? "the refresh token was already used, by another program signed in with the same session or a copy of it"
        : reason === "refresh_token_invalidated"
          ? "the refresh token was revoked"
          : `${issuerHost(issuer)} no longer accepts the refresh token`;
  return `your ChatGPT session ended (${reason === "other" ? why : `${reason}: ${why}`}); run \`codex login\` to sign in again`;
}
