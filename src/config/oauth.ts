/**
 * The `[oauth]` table: which authorization server `codex login` signs in with. The defaults are OpenAI's
 * Codex CLI's own (its issuer and public client id), so an empty config signs in to OpenAI.
 *
 * Failure policy: a wrong type or value is a ConfigValueError naming the key. An `http://` issuer is only
 * accepted on the loopback interface (local servers, tests): anywhere else the sign-in, and the tokens
 * it returns, would cross the network in clear text.
 */
import { ConfigValueError } from "../errors.js";
import type { Config } from "./config.js";

export interface OAuthSettings {
  /** Issuer identifier, e.g. `https://auth.openai.com`. */
  issuer: string;
  clientId: string;
  scopes: string[];
  /** Port of the loopback redirect `http://localhost:<port>/auth/callback`. */
  redirectPort: number;
  /** Whether the issuer is plain HTTP on the loopback interface. */
  insecure: boolean;
}

export const OAUTH_DEFAULTS = {
  issuer: "https://auth.openai.com",
  clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
  scopes: ["openid", "profile", "email", "offline_access"],
  redirectPort: 1455,
} as const;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** The issuer's host (and port) as messages name it; the issuer as written if it is not a URL. */
export function issuerHost(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}

/** Checks an issuer URL: https, or http on the loopback interface; no credentials, query or fragment. */
export function parseIssuer(raw: string, where: string, key: string): URL {
  const expected = "an https:// URL (http:// only on 127.0.0.1 or localhost), without a query or user name";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigValueError(where, key, expected);
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url));
  if (!secure || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new ConfigValueError(where, key, expected);
  }
  return url;
}

export function oauthSettings(config: Config): OAuthSettings {
  const table = config.get("oauth");
  if (table === undefined) return { ...OAUTH_DEFAULTS, scopes: [...OAUTH_DEFAULTS.scopes], insecure: false };
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
  // Kept as written: discovery compares the server's `issuer` with it, trailing slash included.
  const issuer = string("issuer") ?? OAUTH_DEFAULTS.issuer;
  const issuerUrl = parseIssuer(issuer, config.path, "oauth.issuer");
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
  };
}
