/**
 * OpenAI's own sign-in, spoken as OpenAI's Codex CLI speaks it (openai/codex, `codex-rs/login`; followed at
 * commit 0483fd17ab6791a7c9dbc6a5906b0be26f4a841b for server.rs and device_code_auth.rs, 0126a9dd8ce3 for
 * auth/manager.rs, 409afc20462c for auth/revoke.rs, 1245f8b0dced for token_data.rs). It is not the
 * standards' flow: the endpoints are fixed paths under the issuer (no discovery), the device code has
 * endpoints of its own, and refresh and revocation send JSON. So this module talks to the issuer with
 * `fetch` directly rather than through openid-client:
 *
 * - browser: `GET {issuer}/oauth/authorize` (PKCE S256, `id_token_add_organizations`,
 *   `codex_cli_simplified_flow`, `originator`, `allowed_workspace_id` when config.toml forces one), then
 *   `POST {issuer}/oauth/token`, form-encoded, for `id_token`, `access_token`, `refresh_token`;
 * - device: `POST {issuer}/api/accounts/deviceauth/usercode` `{client_id}` → `{device_auth_id, user_code,
 *   interval}` (the interval is a string), the user goes to `{issuer}/codex/device`, codex polls `POST
 *   …/deviceauth/token` (403/404 while pending) for 15 minutes, and exchanges the code it gets with its
 *   verifier and the redirect URI `{issuer}/deviceauth/callback`;
 * - refresh: `POST {issuer}/oauth/token` JSON `{client_id, grant_type, refresh_token}`; every field of the
 *   answer optional;
 * - revocation: `POST {issuer}/oauth/revoke` JSON `{token, token_type_hint, client_id}`.
 *
 * The ID token comes straight from the token endpoint over TLS, so, as Codex does, its claims are read
 * without checking its signature (OpenID Connect Core §3.1.3.7 allows that for the code flow); the email,
 * plan and ChatGPT account id are what it says. The access token's own `exp` says when it needs renewing.
 *
 * Failure policy: every request has a time limit and a redirect is never followed (it would carry the code
 * or a token elsewhere); answers are read up to 1 MiB. An unreachable issuer is a NetworkError naming the
 * host; an answer that is not what the protocol says is an OAuthError naming the step; the server's text
 * reaches a message only as one bounded line, with the request's secrets masked. A refresh the server
 * refuses for good (`refresh_token_expired`, `_reused`, `_invalidated`, any 401, or 400 `invalid_grant`) is
 * a RefreshRefusedError; anything else leaves the session as it was. Nothing is stored here.
 */
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { type Fetch, type HttpResponse, nodeFetch } from "../../config/http.js";
import { issuerHost, issuerRefusal, OPENAI_ORIGINATOR } from "../../config/oauth.js";
import { jwtExpiry, jwtPayload, MAX_TOKEN_CHARS } from "../../credentials/jwt.js";
import type { OAuthSession, StoredCredential } from "../../credentials/store.js";
import { CancelledError, CodexError, NetworkError, OAuthError } from "../../errors.js";
import { oneLine, redact } from "../../safe-text.js";
import { maskToken } from "../api-key.js";
import { unreachable } from "./network.js";
import { pendingRevocation, type Revocation } from "./revoke.js";

declare const __VERSION__: string;

/** How long the device code lasts, and so how long codex polls (Codex's 15 minutes). */
const DEVICE_CODE_LIFETIME_MS = 15 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Token answers are a few KB; nothing OpenAI's sign-in sends comes near this. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface IssuerClient {
  issuer: string;
  clientId: string;
  /** The transport (config/network.ts: proxies, CA files); default: straight to the issuer. */
  fetch?: Fetch | undefined;
}

export interface TokenSet {
  idToken: string | undefined;
  accessToken: string | undefined;
  refreshToken: string | undefined;
}

/**
 * A sign-in to a plain http:// issuer on another machine is refused here, whoever built the settings (as
 * discovery does for the standard protocol): the code and tokens would cross the network in clear text.
 */
export function assertIssuerTransport(settings: IssuerClient & { allowInsecureHttp?: boolean | undefined }): void {
  if (settings.allowInsecureHttp === true) return;
  const refusal = issuerRefusal(new URL(settings.issuer), "oauth.issuer");
  if (refusal !== undefined) throw refusal;
}

/** Issuer URL + path, as Codex builds them (a trailing slash on the issuer is dropped). */
const endpoint = (issuer: string, path: string) => `${issuer.replace(/\/+$/, "")}${path}`;

// ---------------------------------------------------------------------------------------------------------
// Browser sign-in

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** 64 random bytes, base64url, and its S256 challenge (pkce.rs). */
export function createPkce(): Pkce {
  const verifier = randomBytes(64).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** 32 random bytes, base64url (server.rs `generate_state`). */
export const createState = () => randomBytes(32).toString("base64url");

export function authorizeUrl(
  settings: IssuerClient & { scopes: readonly string[] },
  redirectUri: string,
  pkce: Pkce,
  state: string,
  workspaces: readonly string[] | undefined,
): string {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: settings.clientId,
    redirect_uri: redirectUri,
    scope: settings.scopes.join(" "),
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
    id_token_add_organizations: "true",
    codex_cli_simplified_flow: "true",
    state,
    originator: OPENAI_ORIGINATOR,
  });
  if (workspaces !== undefined) query.set("allowed_workspace_id", workspaces.join(","));
  // URLSearchParams writes a space as `+`; Codex (and the issuer) expect `%20`.
  return `${endpoint(settings.issuer, "/oauth/authorize")}?${query.toString().replace(/\+/g, "%20")}`;
}

/**
 * The error a callback carries (`?error=…`), as one line: `access_denied` with `missing_codex_entitlement`
 * in its description means the workspace has not enabled Codex (server.rs's own words for it).
 */
export function callbackError(callback: URL): OAuthError | undefined {
  const error = callback.searchParams.get("error");
  if (error === null || error === "") return undefined;
  const description = callback.searchParams.get("error_description") ?? "";
  if (error === "access_denied" && description.toLowerCase().includes("missing_codex_entitlement")) {
    return new OAuthError(
      "access_denied",
      "Codex is not enabled for your ChatGPT workspace; ask your workspace administrator for access; nothing was stored",
    );
  }
  if (error === "access_denied") {
    return new OAuthError("access_denied", "the sign-in was denied in the browser; nothing was stored");
  }
  const why = description.trim() === "" ? oneLine(error, 60) : oneLine(description, 200);
  return new OAuthError(error, `the sign-in failed: ${why}; nothing was stored`);
}

/** `POST {issuer}/oauth/token`, form-encoded, as server.rs `exchange_code_for_tokens` sends it. */
export async function exchangeCode(
  settings: IssuerClient,
  redirectUri: string,
  verifier: string,
  code: string,
  signal?: AbortSignal,
): Promise<TokenSet> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    client_id: settings.clientId,
    code_verifier: verifier,
  });
  const answer = await post(
    settings.issuer,
    "/oauth/token",
    body,
    "the sign-in",
    [code, verifier],
    signal,
    settings.fetch,
  );
  if (answer.status < 200 || answer.status > 299)
    throw refused(answer, settings.issuer, "the sign-in", [code, verifier]);
  const json = answerObject(answer, settings.issuer, "the sign-in");
  const tokens = tokenSet(json);
  if (tokens.idToken === undefined || tokens.accessToken === undefined || tokens.refreshToken === undefined) {
    throw new OAuthError(
      undefined,
      `${issuerHost(settings.issuer)} answered the sign-in without an id_token, access_token and refresh_token`,
    );
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Claims

interface ChatgptClaims {
  email: string | undefined;
  subject: string | undefined;
  accountId: string | undefined;
  planType: string | undefined;
  userId: string | undefined;
}

const text = (v: unknown, max = 320): string | undefined =>
  typeof v === "string" && v !== "" && v.length <= max ? v : undefined;
const object = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** token_data.rs: the email at the top or under the profile claim; the rest under `https://api.openai.com/auth`. */
function chatgptClaims(idToken: string | undefined): ChatgptClaims {
  const claims = jwtPayload(idToken) ?? {};
  const auth = object(claims["https://api.openai.com/auth"]) ?? {};
  return {
    email: text(claims.email) ?? text(object(claims["https://api.openai.com/profile"])?.email),
    subject: text(claims.sub),
    accountId: text(auth.chatgpt_account_id, 200),
    planType: text(auth.chatgpt_plan_type, 64),
    userId: text(auth.chatgpt_user_id, 200) ?? text(auth.user_id, 200),
  };
}

/** An account id goes into a request header: visible ASCII only, or the sign-in is refused. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The credential codex stores for OpenAI's tokens. `previous` is the session being refreshed: what the
 * refresh answer leaves out (a new refresh token, a new ID token) stays as it was.
 */
export function credentialFromOpenAI(
  tokens: TokenSet,
  settings: IssuerClient,
  now: Date,
  previous?: StoredCredential,
): StoredCredential {
  const old = previous?.oauth;
  const accessToken = tokens.accessToken ?? previous?.token;
  if (accessToken === undefined) {
    throw new OAuthError(undefined, `${issuerHost(settings.issuer)} returned no access token`);
  }
  const fresh = tokens.idToken === undefined ? undefined : chatgptClaims(tokens.idToken);
  if (fresh?.accountId !== undefined && !HEADER_SAFE.test(fresh.accountId)) {
    throw new OAuthError(
      undefined,
      `${issuerHost(settings.issuer)} returned an ID token whose chatgpt_account_id is not an id`,
    );
  }
  // Codex reads the plan from the ID token, and the success page reads it from the access token.
  const accessClaims = jwtPayload(accessToken);
  const plan = fresh?.planType ?? text(object(accessClaims?.["https://api.openai.com/auth"])?.chatgpt_plan_type, 64);
  const session: OAuthSession = {
    issuer: settings.issuer,
    clientId: settings.clientId,
    refreshToken: tokens.refreshToken ?? old?.refreshToken,
    expiresAt: jwtExpiry(accessClaims),
    account: fresh === undefined ? old?.account : (fresh.email ?? fresh.subject ?? old?.account),
    subject: fresh?.subject ?? old?.subject,
    protocol: "openai",
    chatgptAccountId: fresh === undefined ? old?.chatgptAccountId : (fresh.accountId ?? old?.chatgptAccountId),
    chatgptPlanType: plan ?? old?.chatgptPlanType,
    chatgptUserId: fresh?.userId ?? old?.chatgptUserId,
    refreshedAt: now,
  };
  return { token: accessToken, oauth: session };
}

/**
 * server.rs `ensure_workspace_allowed`: with `forced_chatgpt_workspace_id`, the ID token's
 * chatgpt_account_id must be one of them, checked before anything is saved.
 */
export function workspaceRefusal(workspaces: readonly string[] | undefined, accountId: string | undefined) {
  if (workspaces === undefined) return undefined;
  if (accountId === undefined) {
    return "config.toml restricts sign-in to a ChatGPT workspace (forced_chatgpt_workspace_id), but this sign-in did not say which workspace it is for";
  }
  if (workspaces.includes(accountId)) return undefined;
  return `config.toml restricts sign-in to the ChatGPT workspace${workspaces.length > 1 ? "s" : ""} ${workspaces.map((w) => oneLine(w, 200)).join(", ")} (forced_chatgpt_workspace_id), and this sign-in is to another one`;
}

// ---------------------------------------------------------------------------------------------------------
// Refresh

export type RefreshRefusal = "refresh_token_expired" | "refresh_token_reused" | "refresh_token_invalidated" | "other";

/** The issuer will not renew this session, whatever is retried: sign in again. */
export class RefreshRefusedError extends Error {
  constructor(readonly reason: RefreshRefusal) {
    super(reason);
  }
}

const REFUSALS: readonly string[] = ["refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated"];

/** manager.rs: the code is `error` (a string), else `error.code`, else `code`. */
function errorCode(json: Record<string, unknown> | undefined): string | undefined {
  if (json === undefined) return undefined;
  return text(json.error, 200) ?? text(object(json.error)?.code, 200) ?? text(json.code, 200);
}

/**
 * `POST {issuer}/oauth/token` with JSON, as manager.rs `request_chatgpt_token_refresh`. Throws
 * RefreshRefusedError when the issuer refuses for good; NetworkError or OAuthError when it may work later.
 */
export async function refreshTokens(
  session: OAuthSession,
  timeoutMs = REQUEST_TIMEOUT_MS,
  fetch: Fetch = nodeFetch,
): Promise<TokenSet> {
  const refreshToken = session.refreshToken as string;
  const body = JSON.stringify({
    client_id: session.clientId,
    grant_type: "refresh_token",
    refresh_token: refreshToken,
  });
  const secrets = [refreshToken];
  const answer = await post(
    session.issuer,
    "/oauth/token",
    body,
    "renewing the session",
    secrets,
    AbortSignal.timeout(timeoutMs),
    fetch,
  );
  if (answer.status >= 200 && answer.status <= 299) {
    return tokenSet(answerObject(answer, session.issuer, "renewing the session"));
  }
  const code = errorCode(parseObject(answer.body))?.toLowerCase();
  if (code !== undefined && REFUSALS.includes(code)) throw new RefreshRefusedError(code as RefreshRefusal);
  // RFC 6749 says invalid_grant for a dead refresh token, without the subtype: as final as the others.
  if (answer.status === 401 || (answer.status === 400 && code === "invalid_grant"))
    throw new RefreshRefusedError("other");
  throw refused(answer, session.issuer, "renewing the session", secrets);
}

// ---------------------------------------------------------------------------------------------------------
// Revocation

/**
 * `POST {issuer}/oauth/revoke` with JSON, the refresh token first and then the access token (revoke.rs
 * sends `client_id` with a refresh token only), within one time budget. Reports what the server confirmed.
 */
export async function revokeTokens(
  credential: StoredCredential,
  budgetMs: number,
  fetch: Fetch = nodeFetch,
): Promise<Revocation> {
  const session = credential.oauth as OAuthSession;
  const { tokens, result } = pendingRevocation(credential);
  const secrets = tokens.map(([, t]) => t);
  const deadline = AbortSignal.timeout(Math.max(1, budgetMs));
  try {
    for (const [kind, token] of tokens) {
      const body = JSON.stringify({
        token,
        token_type_hint: kind,
        ...(kind === "refresh_token" ? { client_id: session.clientId } : {}),
      });
      const action = `revoking the ${kind.replace("_", " ")}`;
      const answer = await post(session.issuer, "/oauth/revoke", body, action, secrets, deadline, fetch);
      if (answer.status < 200 || answer.status > 299) throw refused(answer, session.issuer, action, secrets);
      result.revoked.push(kind);
      result.notRevoked = result.notRevoked.filter((k) => k !== kind);
    }
  } catch (err) {
    result.reason = err instanceof CodexError ? err.message : clean(String(err), secrets);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Device sign-in

export interface OpenAIDeviceCode {
  verificationUri: string;
  userCode: string;
  /** Seconds the code stays valid. */
  expiresIn: number;
  /** When it expires (by `clock`), and codex stops polling. */
  expiresAt: Date;
}

export interface OpenAIDeviceOptions {
  settings: IssuerClient & { allowInsecureHttp?: boolean | undefined };
  onCode: (code: OpenAIDeviceCode) => void | Promise<void>;
  signal?: AbortSignal | undefined;
  clock?: () => Date;
  /** How long to poll, in ms (default 15 minutes, as Codex). */
  lifetimeMs?: number | undefined;
}

/** device_code_auth.rs, end to end; returns the new credential (not stored). */
export async function loginWithOpenAIDevice(options: OpenAIDeviceOptions): Promise<StoredCredential> {
  const { settings } = options;
  assertIssuerTransport(settings);
  const host = issuerHost(settings.issuer);
  const started = await post(
    settings.issuer,
    "/api/accounts/deviceauth/usercode",
    JSON.stringify({ client_id: settings.clientId }),
    "the device sign-in",
    [],
    withTimeout(options.signal),
    settings.fetch,
  );
  if (started.status === 404) {
    throw new OAuthError(
      undefined,
      `device sign-in is not enabled on ${host}; use \`codex login\` in a browser, or \`codex login --with-api-key\``,
    );
  }
  if (started.status < 200 || started.status > 299) throw refused(started, settings.issuer, "the device sign-in", []);
  const json = answerObject(started, settings.issuer, "the device sign-in");
  const deviceAuthId = text(json.device_auth_id, 2000);
  const userCode = text(json.user_code, 100) ?? text(json.usercode, 100);
  if (deviceAuthId === undefined || userCode === undefined || !/^[\x20-\x7e]+$/.test(userCode)) {
    throw new OAuthError(
      undefined,
      `${host} answered the device sign-in without a usable device_auth_id and user_code`,
    );
  }
  // The interval arrives as a string ("5"); Codex parses it as whole seconds. 1 to 60 s here: a 0 would
  // have codex poll without pause, and a huge one would outlast the code.
  const raw =
    typeof json.interval === "number" ? json.interval : Number.parseInt(String(json.interval ?? "5").trim(), 10);
  const intervalMs = Math.min(60, Math.max(1, Number.isFinite(raw) ? raw : 5)) * 1000;
  const lifetimeMs = options.lifetimeMs ?? DEVICE_CODE_LIFETIME_MS;
  // Taken before the code is shown, so the time shown as left is never more than the polling really has.
  const deadline = Date.now() + lifetimeMs;
  await options.onCode({
    verificationUri: endpoint(settings.issuer, "/codex/device"),
    userCode,
    expiresIn: Math.round(lifetimeMs / 1000),
    expiresAt: new Date((options.clock ?? (() => new Date()))().getTime() + lifetimeMs),
  });

  const pollBody = JSON.stringify({ device_auth_id: deviceAuthId, user_code: userCode });
  const secrets = [deviceAuthId];
  for (;;) {
    const answer = await post(
      settings.issuer,
      "/api/accounts/deviceauth/token",
      pollBody,
      "the device sign-in",
      secrets,
      withTimeout(options.signal),
      settings.fetch,
    );
    if (answer.status >= 200 && answer.status <= 299) {
      const granted = answerObject(answer, settings.issuer, "the device sign-in");
      const code = text(granted.authorization_code, 4000);
      const verifier = text(granted.code_verifier, 200);
      if (code === undefined || verifier === undefined) {
        throw new OAuthError(
          undefined,
          `${host} approved the device sign-in without an authorization_code and code_verifier`,
        );
      }
      const tokens = await exchangeCode(
        settings,
        endpoint(settings.issuer, "/deviceauth/callback"),
        verifier,
        code,
        withTimeout(options.signal),
      );
      return credentialFromOpenAI(tokens, settings, (options.clock ?? (() => new Date()))());
    }
    if (answer.status !== 403 && answer.status !== 404) {
      // Codex stops on any other status; the two the user caused get the same words as the standard flow's.
      const code = errorCode(parseObject(answer.body));
      if (code === "authorization_declined" || code === "access_denied") {
        throw new OAuthError("access_denied", "the sign-in was denied on the verification page; nothing was stored");
      }
      if (code === "expired_token") {
        throw new OAuthError(
          "expired_token",
          "the code expired before it was approved; run `codex login --device-auth` again",
        );
      }
      throw refused(answer, settings.issuer, "the device sign-in", secrets);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new OAuthError(
        "expired_token",
        "the code expired before it was approved; run `codex login --device-auth` again",
      );
    }
    await sleep(Math.min(intervalMs, left), options.signal);
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  /** At most MAX_ANSWER_BYTES of the body, as text. */
  body: string;
}

function withTimeout(signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new CancelledError("sign-in cancelled; nothing was stored");
    throw err;
  }
}

/** One request to the issuer: `body` a string is JSON, URLSearchParams is a form. */
async function post(
  issuer: string,
  path: string,
  body: string | URLSearchParams,
  action: string,
  secrets: string[],
  signal: AbortSignal | undefined,
  fetch: Fetch = nodeFetch,
): Promise<Answer> {
  const host = issuerHost(issuer);
  const limit = signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  // The transport rejects an abort with its own AbortError; the signal's reason says timeout or Ctrl-C.
  const failure = (err: unknown) => requestFailure(limit.aborted ? limit.reason : err, host, action, secrets);
  let response: HttpResponse;
  try {
    response = await fetch(new URL(endpoint(issuer, path)), {
      method: "POST",
      headers: {
        "content-type": typeof body === "string" ? "application/json" : "application/x-www-form-urlencoded",
        accept: "application/json",
        originator: OPENAI_ORIGINATOR,
        "user-agent": `codex/${__VERSION__} node/${process.versions.node}`,
      },
      body: body.toString(),
      redirect: "manual",
      signal: limit,
    });
  } catch (err) {
    throw failure(err);
  }
  try {
    return { status: response.status, body: await readBounded(response) };
  } catch (err) {
    throw failure(err);
  }
}

async function readBounded(response: HttpResponse): Promise<string> {
  if (response.body === null) return "";
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body[Symbol.asyncIterator]();
  for (let next = await reader.next(); !next.done; next = await reader.next()) {
    size += next.value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.return?.();
      break;
    }
    chunks.push(Buffer.from(next.value));
  }
  return Buffer.concat(chunks).toString("utf8");
}

function requestFailure(err: unknown, host: string, action: string, secrets: string[]): CodexError {
  if (err instanceof CodexError) return err;
  const name = (err as Error | undefined)?.name;
  if (name === "TimeoutError") {
    return new NetworkError(host, "TIMEOUT", `the sign-in server ${host} did not answer in time (${action})`, {
      cause: err,
    });
  }
  if (name === "AbortError") return new CancelledError("sign-in cancelled; nothing was stored");
  return unreachable(err, host, secrets);
}

const clean = (s: string, secrets: string[], max = 200) =>
  oneLine(
    redact(s, secrets, (t) => maskToken(t, false)),
    max,
  );

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    return object(JSON.parse(body));
  } catch {
    return undefined;
  }
}

function answerObject(answer: Answer, issuer: string, action: string): Record<string, unknown> {
  const json = parseObject(answer.body);
  if (json === undefined) {
    throw new OAuthError(undefined, `${issuerHost(issuer)} answered ${action} with something other than a JSON object`);
  }
  return json;
}

function tokenSet(json: Record<string, unknown>): TokenSet {
  return {
    idToken: text(json.id_token, MAX_TOKEN_CHARS),
    accessToken: text(json.access_token, MAX_TOKEN_CHARS),
    refreshToken: text(json.refresh_token, MAX_TOKEN_CHARS),
  };
}

/** A non-2xx answer as an OAuthError: the status, the server's code and one line of its message. */
function refused(answer: Answer, issuer: string, action: string, secrets: string[]): OAuthError {
  const json = parseObject(answer.body);
  const code = errorCode(json);
  const message =
    text(json?.error_description, 2000) ??
    text(object(json?.error)?.message, 2000) ??
    (json === undefined ? answer.body : undefined);
  const detail = [
    code === undefined ? undefined : clean(code, secrets, 60),
    message === undefined || message.trim() === "" ? undefined : clean(message, secrets),
  ]
    .filter((s) => s !== undefined)
    .join(": ");
  return new OAuthError(
    code,
    `${issuerHost(issuer)} refused ${action} (HTTP ${answer.status}${detail === "" ? "" : `, ${detail}`})`,
  );
}
