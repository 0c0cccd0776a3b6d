/** A token endpoint response, as the credential codex stores. */
import type * as client from "openid-client";
import type { OAuthSettings } from "../../config/oauth.js";
import type { OAuthSession, StoredCredential } from "../../credentials/store.js";
import { OAuthError, SessionEndedError } from "../../errors.js";

type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/**
 * `previous` is the session being refreshed: a refresh response may omit the refresh token (the old one
 * stays valid) and the ID token (the account is unchanged).
 */
export function credentialFromTokens(
  tokens: TokenResponse,
  issuer: Pick<OAuthSettings, "issuer" | "clientId">,
  now: Date,
  previous?: StoredCredential,
): StoredCredential {
  if (typeof tokens.access_token !== "string" || tokens.access_token === "") {
    throw new OAuthError(undefined, `${issuer.issuer} returned no access token`);
  }
  // openid-client has already checked the ID token's iss, aud, exp, iat and (browser sign-in) nonce.
  const claims = tokens.claims();
  const email = typeof claims?.email === "string" ? claims.email : undefined;
  const username = typeof claims?.preferred_username === "string" ? claims.preferred_username : undefined;
  const expiresIn = tokens.expiresIn();
  return {
    token: tokens.access_token,
    oauth: {
      issuer: issuer.issuer,
      clientId: issuer.clientId,
      refreshToken: tokens.refresh_token ?? previous?.oauth?.refreshToken,
      expiresAt: expiresIn === undefined ? undefined : new Date(now.getTime() + expiresIn * 1000),
      account: email ?? username ?? claims?.sub ?? previous?.oauth?.account,
      subject: claims?.sub ?? previous?.oauth?.subject,
    },
  };
}

/** Renewal of an OpenAI session whose access token says no `exp`: 8 days after the last (Codex's rule). */
const OPENAI_REFRESH_INTERVAL_MS = 8 * 24 * 3_600_000;
/** How early an OpenAI session is renewed: 5 minutes before `exp`, as Codex's own refresh tests expect. */
const OPENAI_MARGIN_MS = 5 * 60_000;
/** How early any other session is renewed: 60 s, enough for a request to reach the server. */
const MARGIN_MS = 60_000;

/**
 * Whether the access token is about to expire and should be renewed before a request. An OpenAI session
 * without an expiry is due 8 days after its tokens were issued, as in Codex.
 */
export function expiresSoon(credential: StoredCredential, now: Date): boolean {
  const session = credential.oauth;
  const margin = session?.protocol === "openai" ? OPENAI_MARGIN_MS : MARGIN_MS;
  const at = session?.expiresAt;
  if (at !== undefined) return at.getTime() - now.getTime() <= margin;
  const last = session?.protocol === "openai" ? session.refreshedAt : undefined;
  return last !== undefined && now.getTime() - last.getTime() >= OPENAI_REFRESH_INTERVAL_MS;
}

/** Why a session that cannot be used any more (ended at the server, or expired with no refresh token) stops. */
export function endedError(session: OAuthSession): SessionEndedError {
  return session.endedAt === undefined && session.refreshToken === undefined
    ? new SessionEndedError(
        "your session expired and cannot be renewed (the server gave no refresh token); run `codex login` to sign in again",
      )
    : new SessionEndedError();
}
