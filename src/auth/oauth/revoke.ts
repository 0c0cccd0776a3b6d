/**
 * Ending an OAuth session at the server: with OpenAI's sign-in, its own JSON revocation (openai.ts);
 * otherwise RFC 7009. The refresh token first (most servers then end the
 * whole grant, access tokens included), then the access token, each with its `token_type_hint`.
 *
 * Failure policy: best effort within one time budget (5 s for discovery and both requests). The caller
 * has already removed the tokens locally; this reports what the server confirmed and what it could not,
 * so the user learns which token may stay valid, and until when.
 */
import type { Fetch } from "../../config/http.js";
import { networkFetch } from "../../config/network.js";
import { issuerHost, storedIssuerRefusal } from "../../config/oauth.js";
import type { Env } from "../../config/paths.js";
import type { OAuthSession, StoredCredential } from "../../credentials/store.js";
import { CodexError } from "../../errors.js";
import { oneLine, redact } from "../../safe-text.js";
import { maskToken } from "../api-key.js";

export type TokenKind = "refresh_token" | "access_token";

export interface Revocation {
  issuer: string;
  /** Tokens the server accepted for revocation (RFC 7009: 200 also for tokens it no longer knew). */
  revoked: TokenKind[];
  /** Tokens that may still be valid, with why they could not be revoked. */
  notRevoked: TokenKind[];
  /** Why revocation failed or was impossible, as one line; undefined when everything was revoked. */
  reason: string | undefined;
  /** When the access token expires on its own, if known. */
  accessTokenExpiresAt: Date | undefined;
}

export interface RevokeOptions {
  /** `[oauth] allow_insecure_http`: the session's issuer may be plain http:// on another machine. */
  allowInsecureHttp?: boolean | undefined;
  /** Where the proxy and CA variables are read (default: process.env). */
  env?: Env | undefined;
  /** The transport; default: config/network.ts's for `env`, as for a refresh. */
  fetch?: Fetch | undefined;
}

/**
 * The tokens to revoke, refresh token first, and the report before any is: nothing revoked yet. Both
 * protocols start from it.
 */
export function pendingRevocation(credential: StoredCredential): {
  tokens: Array<[TokenKind, string]>;
  result: Revocation;
} {
  const session = credential.oauth as OAuthSession;
  const tokens: Array<[TokenKind, string]> = [];
  if (session.refreshToken !== undefined) tokens.push(["refresh_token", session.refreshToken]);
  tokens.push(["access_token", credential.token]);
  const result: Revocation = {
    issuer: session.issuer,
    revoked: [],
    notRevoked: tokens.map(([kind]) => kind),
    reason: undefined,
    accessTokenExpiresAt: session.expiresAt,
  };
  return { tokens, result };
}

export async function revokeSession(
  credential: StoredCredential,
  budgetMs = 5_000,
  options: RevokeOptions = {},
): Promise<Revocation> {
  const session = credential.oauth;
  if (session === undefined) throw new TypeError("revokeSession needs an OAuth credential");
  const fetch = options.fetch ?? networkFetch(options.env ?? process.env);
  if (session.protocol === "openai") {
    const refusal = storedIssuerRefusal(session.issuer, options.allowInsecureHttp === true);
    if (refusal !== undefined) return { ...pendingRevocation(credential).result, reason: refusal.message };
    const { revokeTokens } = await import("./openai.js");
    return revokeTokens(credential, budgetMs, fetch);
  }
  const client = await import("openid-client");
  const { discoverSessionIssuer, serverError } = await import("./server.js");
  const { tokens, result } = pendingRevocation(credential);
  const deadline = Date.now() + budgetMs;
  const remaining = () => Math.max(0.001, (deadline - Date.now()) / 1000);
  try {
    const server = await discoverSessionIssuer(session, "config.toml", remaining(), options.allowInsecureHttp, fetch);
    if (server.serverMetadata().revocation_endpoint === undefined) {
      result.reason = `${issuerHost(session.issuer)} offers no way to revoke tokens (no revocation_endpoint)`;
      return result;
    }
    for (const [kind, token] of tokens) {
      server.timeout = remaining();
      try {
        await client.tokenRevocation(server, token, { token_type_hint: kind });
      } catch (err) {
        throw serverError(
          err,
          session.issuer,
          `revoking the ${kind.replace("_", " ")}`,
          tokens.map(([, t]) => t),
        );
      }
      result.revoked.push(kind);
      result.notRevoked = result.notRevoked.filter((k) => k !== kind);
    }
  } catch (err) {
    const secrets = tokens.map(([, t]) => t);
    result.reason =
      err instanceof CodexError ? err.message : oneLine(redact(String(err), secrets, (s) => maskToken(s, false)));
  }
  return result;
}
