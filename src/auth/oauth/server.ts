/**
 * The authorization server as openid-client sees it: metadata from discovery, and every failure of a
 * request to it turned into one of our typed errors.
 *
 * Discovery tries OpenID Connect's `/.well-known/openid-configuration` first, then RFC 8414's
 * `/.well-known/oauth-authorization-server`, so a plain OAuth 2.0 server (no ID tokens) works too.
 *
 * Failure policy: an unreachable server is a NetworkError naming the host (exit 1), never reported as a
 * bad credential; an OAuth error response keeps the server's `error` code in an OAuthError; nothing the
 * server sends back is echoed beyond one bounded line of its `error_description`, without control characters
 * and with the request's secrets (a code, a verifier, a token) masked in every form.
 */
import * as client from "openid-client";
import { issuerHost, issuerRefusal, parseIssuer } from "../../config/oauth.js";
import type { Fetch } from "../../config/http.js";
import type { OAuthSession } from "../../credentials/store.js";
import { CancelledError, CodexError, NetworkError, OAuthError } from "../../errors.js";
import { oneLine, redact } from "../../safe-text.js";
import { maskToken } from "../api-key.js";
import { unreachable, webFetch } from "./network.js";

export type ServerConfig = client.Configuration;

export interface ServerOptions {
  /** Plain http:// to another machine is accepted (`[oauth] allow_insecure_http = true`). */
  allowInsecureHttp?: boolean | undefined;
  /** Per-request time limit, in seconds. */
  timeoutSeconds?: number;
  /** The transport (the CLI's is config/network.ts's networkFetch); none: openid-client's own, the global fetch. */
  fetch?: Fetch | undefined;
}

/**
 * The issuer's metadata. A plain http:// issuer on another machine is refused here, whoever built the
 * settings, before the first request: every later one (the code, the tokens) would go the same way.
 */
export async function discover(issuer: string, clientId: string, options: ServerOptions): Promise<ServerConfig> {
  const url = new URL(issuer);
  const refusal = options.allowInsecureHttp === true ? undefined : issuerRefusal(url, "oauth.issuer");
  if (refusal !== undefined) throw refusal;
  const common = {
    execute: url.protocol === "http:" ? [client.allowInsecureRequests] : [],
    timeout: options.timeoutSeconds ?? 30,
    // Kept by the Configuration, so every later request (tokens, revocation, device polls) goes this way too.
    ...(options.fetch === undefined ? {} : { [client.customFetch]: webFetch(options.fetch) }),
  };
  try {
    return await client.discovery(url, clientId, undefined, client.None(), { ...common, algorithm: "oidc" });
  } catch (first) {
    if (!notFound(first)) throw serverError(first, issuer, "discovery");
    try {
      return await client.discovery(url, clientId, undefined, client.None(), { ...common, algorithm: "oauth2" });
    } catch (second) {
      if (notFound(second)) {
        throw new OAuthError(
          undefined,
          `${issuer} publishes no OAuth metadata (neither /.well-known/openid-configuration nor /.well-known/oauth-authorization-server); check [oauth] issuer in config.toml`,
        );
      }
      throw serverError(second, issuer, "discovery");
    }
  }
}

/**
 * Discovery for a stored session's own issuer (refresh, revocation), checked as `[oauth] issuer` is:
 * `where` names the file for the error if the stored issuer is not an acceptable URL, and
 * `allowInsecureHttp` is `[oauth] allow_insecure_http` of the config in use now.
 */
export function discoverSessionIssuer(
  session: OAuthSession,
  where: string,
  timeoutSeconds: number,
  allowInsecureHttp = false,
  fetch?: Fetch,
): Promise<ServerConfig> {
  parseIssuer(session.issuer, where, "oauth_session.issuer", allowInsecureHttp);
  return discover(session.issuer, session.clientId, { allowInsecureHttp, timeoutSeconds, fetch });
}

/** A discovery answer that is not there (404 and the like), as opposed to a server that is down. */
function notFound(err: unknown): boolean {
  return (
    err instanceof client.ClientError &&
    (err.code === "OAUTH_RESPONSE_IS_NOT_CONFORM" || err.code === "OAUTH_RESPONSE_IS_NOT_JSON")
  );
}

/**
 * Any failure of a request to the authorization server, as a CodexError. `action` says what was being
 * done ("the token exchange", "refreshing the session", …) for the message; `secrets` are what the request
 * carried (a token, a code), masked wherever the server's text echoes them.
 */
export function serverError(err: unknown, issuer: string, action: string, secrets: string[] = []): CodexError {
  if (err instanceof CodexError) return err;
  const cleanLine = (text: string, max = 200) =>
    oneLine(
      redact(text, secrets, (s) => maskToken(s, false)),
      max,
    );
  const host = issuerHost(issuer);
  const timedOut = () =>
    new NetworkError(host, "TIMEOUT", `the sign-in server ${host} did not answer in time (${action})`, { cause: err });
  if (err instanceof client.ResponseBodyError || err instanceof client.AuthorizationResponseError) {
    const description = err.error_description ? `: ${cleanLine(err.error_description)}` : "";
    return new OAuthError(err.error, `${host} refused ${action} (${cleanLine(err.error, 60)}${description})`, {
      cause: err,
    });
  }
  if (err instanceof client.ClientError) {
    if (err.code === "OAUTH_TIMEOUT") return timedOut();
    if (err.code === "OAUTH_ABORT") return new CancelledError();
    return new OAuthError(undefined, `${action} with ${host} failed: ${cleanLine(err.message)}`, { cause: err });
  }
  if (err instanceof TypeError) return unreachable(err, host, secrets);
  if (err instanceof Error && err.name === "TimeoutError") return timedOut();
  if (err instanceof Error && err.name === "AbortError") return new CancelledError();
  return new OAuthError(undefined, `${action} with ${host} failed: ${cleanLine(String(err))}`, { cause: err });
}
