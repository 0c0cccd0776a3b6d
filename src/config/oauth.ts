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

export type OAuthProtocol = "openai" | "standard";

export interface OAuthSettings {
  /** Issuer identifier, e.g. `https://auth.openai.com`. */
  issuer: string;
  /**
   * How to talk to the issuer: `openai`, OpenAI's own sign-in as its Codex CLI speaks it (fixed endpoints,
   * its device code, JSON refresh and revocation, requests to the ChatGPT backend), or `standard` (OAuth
   * 2.0 / OpenID Connect discovery, RFC 8628, RFC 7009). `[oauth] protocol`; by default `openai` for
   * https://auth.openai.com and `standard` for any other issuer, never guessed from a server's answers.
   */
  protocol: OAuthProtocol;
  /**
   * Whether the port came from the defaults: OpenAI registers two loopback ports for its client, so the
   * openai protocol moves to the second (1457) when the first is busy, but never off a port the user chose.
   */
  defaultPort: boolean;
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

/**
 * What OpenAI's Codex CLI calls itself to OpenAI's servers (`originator`, on the sign-in and on every
 * request to the ChatGPT backend), which route on it.
 */
export const OPENAI_ORIGINATOR = "codex_cli_rs";

/** The loopback port OpenAI registers for its client beside 1455, used when 1455 is busy. */
export const OPENAI_FALLBACK_PORT = 1457;

/** The protocol an issuer is spoken to with when `[oauth] protocol` does not say. */
export function defaultProtocol(issuer: string): OAuthProtocol {
  return issuer.replace(/\/+$/, "") === OAUTH_DEFAULTS.issuer ? "openai" : "standard";
}

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
  return storedIssuerRefusal(issuer, allowsInsecureIssuer(config));
}

/** The same, with `[oauth] allow_insecure_http` already read (`allowInsecure`). */
export function storedIssuerRefusal(issuer: string, allowInsecure: boolean): InsecureTransportError | undefined {
  if (allowInsecure) return undefined;
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
    return {
      ...OAUTH_DEFAULTS,
      scopes: [...OAUTH_DEFAULTS.scopes],
      protocol: "openai",
      defaultPort: true,
      insecure: false,
      allowInsecureHttp: false,
    };
  }
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw config.invalid("oauth", "a table, e.g. [oauth]");
  }
  const t = table as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    throw config.invalid(`oauth.${key}`, expected);
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
  const issuerUrl = parseIssuer(issuer, config.origin("oauth.issuer"), "oauth.issuer", allowInsecureHttp);
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
  const protocol = (string("protocol") ?? defaultProtocol(issuer)) as OAuthProtocol;
  if (protocol !== "openai" && protocol !== "standard") fail("protocol", '"openai" or "standard"');
  return {
    issuer,
    protocol,
    defaultPort: t.redirect_port === undefined,
    clientId,
    scopes,
    redirectPort,
    insecure: issuerUrl.protocol === "http:",
    allowInsecureHttp,
  };
}

export type LoginMethod = "chatgpt" | "api";

/** Codex's sign-in restrictions, set by an administrator or the user in config.toml. */
export interface LoginRestrictions {
  /** `forced_login_method`: only this kind of sign-in is allowed (`chatgpt`: OAuth; `api`: an API key). */
  method: LoginMethod | undefined;
  /**
   * `forced_chatgpt_workspace_id` (a string or a list): a ChatGPT sign-in must be to one of these
   * workspaces (the ID token's `chatgpt_account_id`).
   */
  workspaces: string[] | undefined;
}

/** The restrictions, checked: a wrong type or value is a ConfigValueError naming the key. */
export function loginRestrictions(config: Config): LoginRestrictions {
  const method = config.get("forced_login_method");
  if (method !== undefined && method !== "chatgpt" && method !== "api") {
    throw config.invalid("forced_login_method", '"chatgpt" or "api"');
  }
  const raw = config.get("forced_chatgpt_workspace_id");
  let workspaces: string[] | undefined;
  if (raw !== undefined) {
    const list = Array.isArray(raw) ? raw : [raw];
    const ok = (v: unknown) => typeof v === "string" && /^[\x21-\x7e]{1,200}$/.test(v);
    if (list.length === 0 || list.length > 100 || !list.every(ok)) {
      throw config.invalid(
        "forced_chatgpt_workspace_id",
        'a workspace id, or a list of them, e.g. "org-…" or ["org-a", "org-b"]',
      );
    }
    workspaces = list as string[];
  }
  return { method: method as LoginMethod | undefined, workspaces };
}
