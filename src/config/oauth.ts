/**
 * The `[oauth]` table: which authorization server `codex login` signs in with. The defaults are OpenAI's
 * Codex CLI's own (its issuer and public client id), so an empty config signs in to OpenAI.
 *
 * Failure policy: a wrong type or value is a ConfigValueError naming the key. An `http://` issuer is only
 * accepted on this machine (local servers, tests): anywhere else the authorization code, the tokens and
 * the refresh token would cross the network in clear text, so it is an InsecureTransportError, before
 * anything is sent, unless `[oauth] allow_insecure_http = true` says the user accepts that. The same rule
 * holds for a stored session's issuer, where refresh and revocation go.
 */
import { ConfigValueError, InsecureTransportError } from "../errors.js";
import type { Config } from "./config.js";
import { isCleartextRemote } from "./transport.js";

export interface OAuthSettings {
  /** Issuer identifier, e.g. `https://auth.openai.com`. */
  issuer: string;
  clientId: string;
  scopes: string[];
  /** Port of the loopback redirect `http://localhost:<port>/auth/callback`. */
  redirectPort: number;
  /** Whether the issuer is plain HTTP (on this machine, or anywhere with `allowInsecureHttp`). */
  insecure: boolean;
  /**
   * `allow_insecure_http = true`: plain http:// to another machine is accepted, for the issuer and for
   * stored sessions' issuers. Absent: refused.
   */
  allowInsecureHttp?: boolean | undefined;
}

export const OAUTH_DEFAULTS = {
  issuer: "https://auth.openai.com",
  clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
  scopes: ["openid", "profile", "email", "offline_access"],
  redirectPort: 1455,
} as const;

/** The issuer's host (and port) as messages name it; the issuer as written if it is not a URL. */
export function issuerHost(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}

/**
 * Checks an issuer URL: https, or http on this machine (anywhere with `allowInsecure`); no credentials,
 * query or fragment. `key` names the setting in messages (`oauth.issuer`, `oauth_session.issuer`).
 */
export function parseIssuer(raw: string, where: string, key: string, allowInsecure = false): URL {
  const expected = "an https:// URL (http:// only on this machine), without a query or user name";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigValueError(where, key, expected);
  }
  const web = url.protocol === "https:" || url.protocol === "http:";
  if (!web || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new ConfigValueError(where, key, expected);
  }
  const refusal = allowInsecure ? undefined : issuerRefusal(url, key);
  if (refusal !== undefined) throw refusal;
  return url;
}

/**
 * Why nothing may be sent to this issuer: plain http:// to another machine (the opt-in is the caller's to
 * apply). `key` says which: `oauth.issuer` (a sign-in) or a stored session's (refresh, revocation).
 */
export function issuerRefusal(url: URL, key: string): InsecureTransportError | undefined {
  if (!isCleartextRemote(url)) return undefined;
  const session = key !== "oauth.issuer";
  return new InsecureTransportError(
    url.host,
    key,
    session
      ? `refusing to send the OAuth session's tokens to ${url.host} over plain http:// (the issuer it was signed in with): they would travel unencrypted`
      : `refusing to sign in with ${url.host} over plain http:// (oauth.issuer): the code and tokens would travel unencrypted`,
    `${session ? "sign in again with" : "use"} an https:// issuer${session ? " (`codex login`)" : ""}, or, only if the network to ${url.hostname} is trusted, set allow_insecure_http = true in [oauth]`,
  );
}

/** `[oauth] allow_insecure_http`, read on its own: status and refresh need it even when other keys are wrong. */
export function allowsInsecureIssuer(config: Config): boolean {
  const table = config.get("oauth");
  return typeof table === "object" && table !== null && (table as Record<string, unknown>).allow_insecure_http === true;
}

/**
 * Why a stored session's tokens may not go to its issuer (refresh, revocation): plain http:// to another
 * machine without `[oauth] allow_insecure_http`. For reports (status, doctor); undefined for an issuer that
 * is not a URL, which the request itself reports.
 */
export function sessionIssuerRefusal(config: Config, issuer: string): InsecureTransportError | undefined {
  if (allowsInsecureIssuer(config)) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  return issuerRefusal(url, "oauth_session.issuer");
}

export function oauthSettings(config: Config): OAuthSettings {
  const table = config.get("oauth");
  if (table === undefined) {
    return { ...OAUTH_DEFAULTS, scopes: [...OAUTH_DEFAULTS.scopes], insecure: false, allowInsecureHttp: false };
  }
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new ConfigValueError(config.path, "oauth", "a table, e.g. [oauth]");
  }
  const t = table as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    throw new ConfigValueError(config.path, `oauth.${key}`, expected);
  };
  const string = (key: string): string | undefined => {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v.trim() === "" || v !== v.trim()) fail(key, "a non-empty string");
    return v as string;
  };
  const allow = t.allow_insecure_http ?? false;
  if (typeof allow !== "boolean") fail("allow_insecure_http", "true or false");
  const allowInsecureHttp = allow as boolean;
  // Kept as written: discovery compares the server's `issuer` with it, trailing slash included.
  const issuer = string("issuer") ?? OAUTH_DEFAULTS.issuer;
  const issuerUrl = parseIssuer(issuer, config.path, "oauth.issuer", allowInsecureHttp);
  const clientId = string("client_id") ?? OAUTH_DEFAULTS.clientId;
  let scopes: string[] = [...OAUTH_DEFAULTS.scopes];
  if (t.scopes !== undefined) {
    const v = t.scopes;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
      fail("scopes", 'an array of scope names, e.g. ["openid", "offline_access"]');
    }
    scopes = v as string[];
  }
  let redirectPort: number = OAUTH_DEFAULTS.redirectPort;
  if (t.redirect_port !== undefined) {
    const n = typeof t.redirect_port === "bigint" ? Number(t.redirect_port) : t.redirect_port;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) fail("redirect_port", "a port number");
    redirectPort = n as number;
  }
  return {
    issuer,
    clientId,
    scopes,
    redirectPort,
    insecure: issuerUrl.protocol === "http:",
    allowInsecureHttp,
  };
}
