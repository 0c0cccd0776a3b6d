/**
 * A protocol-faithful stand-in for https://auth.openai.com and the ChatGPT Codex backend
 * (https://chatgpt.com/backend-api/codex), on 127.0.0.1, written from OpenAI's Codex CLI sources and
 * NOT from our client, so that a client passing against it speaks what OpenAI's Codex speaks.
 *
 *   const fake = await startOpenAIFake({ deviceInterval: "0" });
 *   // config: [oauth] issuer = fake.issuer, protocol = "openai"; chatgpt_base_url = fake.chatgptBaseUrl
 *   fake.approveDevice();
 *   expect(fake.backendRequests[0]?.headers["chatgpt-account-id"]).toBe(fake.user.accountId);
 *
 * Strict where Codex is exact (a test of our client should fail if it drifts from Codex), lenient where
 * Codex's own mock servers are (unknown fields, extra parameters). Every outside input is bounded: bodies
 * to 1 MiB (413 beyond), requests to 10 s.
 *
 * Followed, in openai/codex (file @ commit):
 *   codex-rs/login/src/server.rs @ 0483fd17ab6791a7c9dbc6a5906b0be26f4a841b
 *     authorize URL and its parameters, loopback redirect_uri, form-encoded code exchange, the token-exchange
 *     (API key) grant it still tries best-effort, callback error codes (access_denied +
 *     missing_codex_entitlement), allowed_workspace_id as ONE comma-joined parameter, token-endpoint errors
 *     read from `error` (string) / `error.code` + `error_description` / `error.message`.
 *   codex-rs/login/src/pkce.rs @ 71163530a46dc568775f9ee95a9b57de3385cd9a (verifier 64 bytes b64url, S256)
 *   codex-rs/login/src/device_code_auth.rs @ 0483fd17ab6791a7c9dbc6a5906b0be26f4a841b
 *     /api/accounts/deviceauth/usercode and /token (JSON), interval parsed FROM A STRING, 403/404 = pending,
 *     200 = {authorization_code, code_challenge, code_verifier}, exchange with {issuer}/deviceauth/callback.
 *   codex-rs/login/tests/suite/device_code_login.rs @ 5ac8249d4822d4af139a60acaa7b6ed34ed2bdc8
 *     (interval "0" as a string; denial = 401 {"error":"authorization_declined","error_description":"Denied"})
 *   codex-rs/login/src/token_data.rs @ 1245f8b0dcedd3f9221ca85b49192564b0f1b8ff (claims, email fallback)
 *   codex-rs/login/src/auth/manager.rs @ 0126a9dd8ce398bce4ee305279fcd2030a7f24ed
 *     JSON refresh {client_id, grant_type, refresh_token}; every answer field optional; a 401 (or a known
 *     code) is permanent; code from `error` string, else `error.code`, else top-level `code`.
 *   codex-rs/login/src/auth/util.rs @ 88b816c031ba80aeea31b6181fb9992552ebb6c1 (refresh_token_reused body)
 *   codex-rs/login/tests/suite/auth_refresh.rs @ 025035948ba9f3d7580aef46a37bfce0e1d08c48 (401 error shapes)
 *   codex-rs/login/src/auth/revoke.rs @ 409afc20462c448d09155cb27912b12496f66c3e
 *     JSON {token, token_type_hint, client_id}; client_id only with a refresh token.
 *   codex-rs/login/src/auth/default_client.rs @ 0157182cc759013a1f13876e9449b6d97157c84a (originator, UA)
 *   codex-rs/login/tests/suite/login_server_e2e.rs @ 236fc646dc6600c3055b298ca24927f1483b3719
 *   codex-rs/model-provider-info/src/lib.rs @ 05673f5e289f12a19a658ad0e9975a823c6afd78 (ChatGPT base URL)
 *   codex-rs/codex-api/src/auth.rs @ 11c2b970a42f877d2eab4d99289729c9cf21badc (ChatGPT-Account-ID)
 *   codex-rs/codex-api/src/requests/headers.rs @ 546585f878221c955ad33efff34925776893774a (session_id)
 *   codex-rs/codex-api/src/endpoint/responses.rs @ 572001021bd7cc1f1bc99cf3679488fdc37fbc98 (Accept: SSE)
 *   codex-rs/codex-api/src/common.rs @ 5c159cd93372b0a6a60addeea96ead0b889599e8 (ResponsesApiRequest)
 *   codex-rs/codex-api/src/sse/responses.rs @ 0a7fb0d762765b7777bd3ca30edabcbeeab1abb0 (events parsed)
 *   codex-rs/codex-api/src/endpoint/models.rs @ 001cb8e233f250c7086c791c51390286c087faea (?client_version=)
 *   codex-rs/protocol/src/openai_models.rs @ 0d4367d0e6a976082b36d9eea8f8a579fca368cb (ModelsResponse)
 * Where Codex's source is silent, the backend's answers are the ones users of the real service quote in
 * public issues (`{"detail":"Store must be set to false"}`, `{"detail":"Unauthorized"}`, token_expired /
 * token_invalidated bodies); a few are this fake's own choice and say so where they are made.
 */
import { createHash, generateKeyPair, type KeyObject, randomBytes, randomUUID, sign } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

export const CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
/** The scopes Codex asks for (server.rs adds api.connectors.*; the four below are the required ones). */
export const REQUIRED_SCOPES = ["openid", "profile", "email", "offline_access"] as const;
const MAX_BODY = 1024 * 1024;
const AUTH_CODE_TTL_S = 600;
const DEVICE_CODE_TTL_S = 15 * 60;

export interface Workspace {
  /** The ChatGPT account (workspace) id: `chatgpt_account_id`, sent back as `ChatGPT-Account-ID`. */
  accountId: string;
  /** free, go, plus, pro, team, business, enterprise, edu, … (token_data.rs); defaults to the user's. */
  planType?: string;
  title?: string;
}

export interface FakeUserOptions {
  email?: string;
  /** Put the email only under `https://api.openai.com/profile` (token_data.rs reads it there second). */
  emailOnlyInProfile?: boolean;
  sub?: string;
  chatgptUserId?: string;
  planType?: string;
  /** The workspaces the user belongs to; the first is the default. `[]`: tokens carry no account id. */
  workspaces?: Workspace[];
}

export interface FakeUser {
  email: string;
  emailOnlyInProfile: boolean;
  sub: string;
  chatgptUserId: string;
  planType: string;
  workspaces: Workspace[];
  /** The default workspace's account id (undefined when the user has none). */
  accountId: string | undefined;
}

export interface ReplyContext {
  /** Text of the last user message in `input` (input_text parts joined). */
  lastUserText: string;
  // biome-ignore lint/suspicious/noExplicitAny: the Responses request body as the client sent it
  body: any;
}

export interface OpenAIFakeOptions {
  clientId?: string;
  user?: FakeUserOptions;
  /** Access-token lifetime in seconds (default 3600). 2 = short-lived; 0 or negative = already expired. */
  accessTokenTtlSeconds?: number;
  /** Refresh tokens rotate (default true). When false the refresh answer omits refresh_token (Codex keeps its old one). */
  rotateRefreshTokens?: boolean;
  /** The refresh answer omits id_token (manager.rs: every field optional). Default false. */
  refreshOmitsIdToken?: boolean;
  /** Delay before a refresh is answered (the token is consumed at once, as a real server does). Default 0. */
  refreshDelayMs?: number;
  /** Accept a form-encoded refresh. Default false: Codex sends JSON (manager.rs), so our client must too. */
  acceptFormRefresh?: boolean;
  /** `interval` in the usercode answer, A STRING as OpenAI sends it (default "1"). */
  deviceInterval?: string;
  /** false: the usercode endpoint answers 404, device sign-in not enabled. Default true. */
  deviceAuthEnabled?: boolean;
  /** Status while a device code is pending: 403 (default) or 404; Codex treats both as "keep polling". */
  devicePendingStatus?: 403 | 404;
  /** Ports accepted in redirect_uri `http://localhost:{port}/auth/callback`. Default: any (tests bind
   *  anywhere); OpenAI's registration allows only 1455 and 1457 (server.rs). */
  redirectPorts?: number[];
  /** When set, the authorize `originator` must equal it (Codex: `codex_cli_rs`). Default: any non-empty. */
  expectedOriginator?: string;
  /** Issue tokens for the user's default workspace even when allowed_workspace_id excludes it, so tests can
   *  prove the client checks the id_token itself (server.rs ensure_workspace_allowed). Default false. */
  ignoreAllowedWorkspace?: boolean;
  /** Answer the token-exchange grant (requested_token=openai-api-key) with this key. Default: refused. */
  apiKey?: string;
  /** Model slugs the backend serves (and /models lists). */
  models?: string[];
  /** The backend requires an `originator` header (400 without). Default true. */
  requireOriginator?: boolean;
  /** When set, `instructions` must satisfy it, else 400 {"detail":"Instructions are not valid"}. */
  requiredInstructions?: string | ((instructions: string) => boolean);
  /** The streamed reply. Default: `You said: <last user text>`. */
  reply?: string | ((ctx: ReplyContext) => string);
  /** Extra claims merged into every ID token (top level), e.g. hostile values. */
  idTokenClaims?: Record<string, unknown>;
  /**
   * Serve both over https with this certificate, under this host name (`https://NAME:PORT`): for tests
   * whose name only a proxy resolves (test/proxy.test.ts). Default: plain http on 127.0.0.1.
   */
  tls?: { key: string; cert: string; hostname: string };
}

export interface AuthorizeRecord {
  query: Record<string, string>;
  outcome: "code" | "denied" | "refused" | "workspace_refused";
  /** What was wrong, one line per parameter (outcome "refused"). */
  problems: string[];
  /** The workspace the code was issued for. */
  accountId?: string;
}

export interface TokenRecord {
  grantType: string;
  contentType: string;
  status: number;
  /** The OAuth/OpenAI error code answered, if any. */
  error?: string;
  /** The request's parameters, secrets (code, verifier, tokens) replaced by `<redacted>`. */
  params: Record<string, string>;
}

export interface DevicePoll {
  /** Date.now() when the poll arrived. */
  at: number;
  deviceAuthId: string;
  userCode: string;
  status: number;
}

export interface RevocationRecord {
  contentType: string;
  tokenTypeHint?: string;
  clientId?: string;
  /** What the token turned out to be. */
  kind: "refresh_token" | "access_token" | "unknown";
  /** sha256 of the token, hex; compare with `fake.hash(token)`. */
  tokenSha256: string;
  status: number;
}

export type BackendAuth = "live" | "missing" | "unknown" | "expired" | "revoked";

export interface BackendRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Request headers, lower-cased names, without authorization and cookie. */
  headers: Record<string, string>;
  /** What the bearer token was. */
  auth: BackendAuth;
  /** sha256 of the bearer token (when there was one). */
  tokenSha256?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed JSON body, as sent
  body: any;
  status: number;
}

export interface SessionTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

export interface OpenAIFake {
  /** `http://127.0.0.1:PORT`, standing in for https://auth.openai.com (no trailing slash). */
  issuer: string;
  /** `http://127.0.0.1:PORT2/backend-api/codex`, standing in for https://chatgpt.com/backend-api/codex. */
  chatgptBaseUrl: string;
  clientId: string;
  user: FakeUser;
  /** Model slugs served. */
  models: string[];
  authorizeRequests: AuthorizeRecord[];
  tokenRequests: TokenRecord[];
  deviceCodeRequests: Array<{ clientId?: string; status: number }>;
  devicePolls: DevicePoll[];
  revocations: RevocationRecord[];
  backendRequests: BackendRecord[];
  /** Successful refreshes so far. */
  readonly refreshCount: number;
  /** The next authorize request is answered with `error=access_denied` (the entitlement variant carries
   *  error_description=missing_codex_entitlement, which Codex words on its own). */
  denyNextAuthorize(kind?: "access_denied" | "missing_codex_entitlement"): void;
  /** Approves a pending device code (the only one, or the one with this user code). */
  approveDevice(userCode?: string, opts?: { accountId?: string }): void;
  denyDevice(userCode?: string): void;
  expireDevice(userCode?: string): void;
  /** Marks a refresh token (default: every active one) expired: refresh_token_expired. */
  expireRefreshToken(token?: string): void;
  /** Marks a refresh token (default: every active one) invalidated: refresh_token_invalidated. */
  invalidateRefreshToken(token?: string): void;
  /** The next n refreshes fail with this status (default 500, `{"error":"temporary-failure"}`). */
  failNextRefresh(n?: number, status?: number): void;
  setAccessTokenTtl(seconds: number): void;
  /** A fresh session as if the user had just signed in (no browser), for tests that seed a config. */
  mintSession(opts?: { accountId?: string; accessTokenTtlSeconds?: number }): SessionTokens;
  /** Signs any payload with this fake's key (RS256, its kid). */
  sign(payload: Record<string, unknown>): string;
  /** Is this access token one the backend would serve now? */
  accessTokenState(token: string): BackendAuth;
  hash(token: string): string;
  close(): Promise<void>;
}

// --- small helpers -------------------------------------------------------------------------------------

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");
const nowS = () => Math.floor(Date.now() / 1000);
const sha256hex = (s: string) => createHash("sha256").update(s).digest("hex");
const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomToken = (prefix: string, bytes = 32) => `${prefix}${randomBytes(bytes).toString("base64url")}`;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BodyTooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, title: string, lines: string[]): void {
  const esc = (s: string) =>
    s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>` +
      `<h1>${esc(title)}</h1>${lines.map((l) => `<p>${esc(l)}</p>`).join("")}</body></html>`,
  );
}

function contentType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Form or JSON into string fields; anything else (or a non-object / non-string value) is undefined. */
function parseFields(type: string, raw: string): Record<string, string> | undefined {
  if (type === "application/x-www-form-urlencoded") {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      if (k in out) return undefined; // a repeated parameter is ambiguous: refuse it
      out[k] = v;
    }
    return out;
  }
  if (type === "application/json") {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== "string") return undefined;
      out[k] = val;
    }
    return out;
  }
  return undefined;
}

const SECRET_PARAMS = new Set(["code", "code_verifier", "refresh_token", "subject_token", "token", "access_token"]);
const redactParams = (p: Record<string, string>) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, SECRET_PARAMS.has(k) ? "<redacted>" : v]));

/** OAuth-style error (what server.rs parse_token_endpoint_error reads first). */
const oauthError = (error: string, description: string) => ({ error, error_description: description });

/** OpenAI-style error, the shape util.rs's test quotes for refresh_token_reused. */
const openaiError = (code: string, message: string) => ({
  error: { message, type: "invalid_request_error", param: null, code },
});

const REFRESH_MESSAGES = {
  // Verbatim from codex-rs/login/src/auth/util.rs's test of the real answer.
  refresh_token_reused:
    "Your refresh token has already been used to generate a new access token. Please try signing in again.",
  // The next two are this fake's wording; Codex reads only the code.
  refresh_token_expired: "Your refresh token has expired. Please try signing in again.",
  refresh_token_invalidated: "Your refresh token has been invalidated. Please try signing in again.",
} as const;

interface Family {
  id: string;
  accountId: string | undefined;
  alive: boolean;
  /** Why it died: reuse of a rotated refresh token, a revocation, or a replayed authorization code. */
  death?: "reused" | "revoked" | "code_replayed";
}
interface RefreshEntry {
  familyId: string;
  state: "active" | "used" | "expired" | "invalidated";
}
interface AccessEntry {
  familyId: string;
  accountId: string | undefined;
  exp: number;
  revoked: boolean;
}
interface CodeEntry {
  clientId: string;
  redirectUri: string;
  challenge: string;
  accountId: string | undefined;
  expiresAt: number;
  used: boolean;
  familyId?: string;
}
interface DeviceEntry {
  deviceAuthId: string;
  userCode: string;
  expiresAt: number;
  state: "pending" | "approved" | "denied" | "expired" | "consumed";
  accountId: string | undefined;
  verifier: string;
}

const DEFAULT_MODELS = ["gpt-5.1-codex", "gpt-5.1-codex-mini", "gpt-5-codex", "gpt-5"];

/** A ModelInfo with every field openai_models.rs requires (ModelsResponse is `{ models: [...] }`). */
function modelInfo(slug: string, priority: number) {
  return {
    slug,
    display_name: slug,
    description: `${slug} (fake)`,
    default_reasoning_level: "medium",
    supported_reasoning_levels: [
      { effort: "low", description: "Fast responses with lighter reasoning" },
      { effort: "medium", description: "Balances speed and reasoning depth" },
      { effort: "high", description: "Greater reasoning depth" },
    ],
    shell_type: "shell_command",
    visibility: "list",
    supported_in_api: true,
    priority,
    upgrade: null,
    base_instructions: "You are Codex, a coding agent.",
    supports_reasoning_summaries: true,
    support_verbosity: false,
    default_verbosity: null,
    apply_patch_tool_type: "freeform",
    truncation_policy: { mode: "tokens", limit: 10_000 },
    supports_parallel_tool_calls: true,
    context_window: 272_000,
    experimental_supported_tools: [],
    input_modalities: ["text", "image"],
  };
}

function lastUserText(input: unknown[]): string {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { type?: unknown; role?: unknown; content?: unknown } | null;
    if (item === null || typeof item !== "object" || item.role !== "user") continue;
    if (item.type !== undefined && item.type !== "message") continue;
    if (typeof item.content === "string") return item.content;
    if (!Array.isArray(item.content)) return "";
    return item.content
      .filter((p): p is { type: string; text: string } => p?.type === "input_text" && typeof p.text === "string")
      .map((p) => p.text)
      .join("");
  }
  return "";
}

interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}
let nextKeyPair: Promise<KeyPair> | undefined;
const makeKeyPair = () =>
  new Promise<KeyPair>((resolve, reject) =>
    generateKeyPair("rsa", { modulusLength: 2048 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );
/** Each fake gets its own key; the next one is made in the background (~0.2 s of CPU each, off the main thread). */
function takeKeyPair(): Promise<KeyPair> {
  const key = nextKeyPair ?? makeKeyPair();
  nextKeyPair = makeKeyPair();
  nextKeyPair.catch(() => {
    nextKeyPair = undefined;
  });
  return key;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // Bounded in time as well as size: a client that stalls mid-request does not hold a test open.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return sockets;
}

// --- the fake ----------------------------------------------------------------------------------------------

/** Starts the issuer and the backend; both close when the current test ends (or on `close()`). */
export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<OpenAIFake> {
  const clientId = options.clientId ?? CODEX_CLIENT_ID;
  const u = options.user ?? {};
  const planType = u.planType ?? "plus";
  const workspaces = (u.workspaces ?? [{ accountId: `acct-${randomUUID()}`, title: "Personal" }]).map((w) => ({
    ...w,
    planType: w.planType ?? planType,
  }));
  const user: FakeUser = {
    email: u.email ?? "user@example.com",
    emailOnlyInProfile: u.emailOnlyInProfile ?? false,
    sub: u.sub ?? `auth0|${randomBytes(12).toString("hex")}`,
    chatgptUserId: u.chatgptUserId ?? `user-${randomBytes(12).toString("base64url")}`,
    planType,
    workspaces,
    accountId: workspaces[0]?.accountId,
  };
  const models = options.models ?? DEFAULT_MODELS;
  let accessTtl = options.accessTokenTtlSeconds ?? 3600;

  const { privateKey, publicKey } = await takeKeyPair();
  const kid = `fake-${randomBytes(6).toString("hex")}`;
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };

  const families = new Map<string, Family>();
  const refreshTokens = new Map<string, RefreshEntry>();
  const accessTokens = new Map<string, AccessEntry>();
  const codes = new Map<string, CodeEntry>();
  const devices = new Map<string, DeviceEntry>();
  let refreshCount = 0;
  let refreshFailures: { n: number; status: number } = { n: 0, status: 500 };
  let nextDenial: "access_denied" | "missing_codex_entitlement" | undefined;

  const authorizeRequests: AuthorizeRecord[] = [];
  const tokenRequests: TokenRecord[] = [];
  const deviceCodeRequests: OpenAIFake["deviceCodeRequests"] = [];
  const devicePolls: DevicePoll[] = [];
  const revocations: RevocationRecord[] = [];
  const backendRequests: BackendRecord[] = [];

  let issuer = "";

  const signJwt = (key: KeyObject, payload: Record<string, unknown>) => {
    const header = b64url(JSON.stringify({ alg: "RS256", kid, typ: "JWT" }));
    const body = b64url(JSON.stringify(payload));
    return `${header}.${body}.${b64url(sign("sha256", Buffer.from(`${header}.${body}`), key))}`;
  };

  const workspace = (accountId: string | undefined) => user.workspaces.find((w) => w.accountId === accountId);

  const idToken = (accountId: string | undefined, sessionId: string) => {
    const iat = nowS();
    const ws = workspace(accountId);
    const auth: Record<string, unknown> = {
      chatgpt_plan_type: ws?.planType ?? user.planType,
      chatgpt_user_id: user.chatgptUserId,
      user_id: user.chatgptUserId,
      // id_token_add_organizations=true is why the id token lists them.
      organizations: user.workspaces.map((w, i) => ({
        id: `org-${sha256hex(w.accountId).slice(0, 24)}`,
        is_default: i === 0,
        role: "owner",
        title: w.title ?? "Personal",
      })),
      groups: [],
    };
    if (accountId !== undefined) auth.chatgpt_account_id = accountId;
    const claims: Record<string, unknown> = {
      iss: issuer,
      aud: clientId,
      sub: user.sub,
      iat,
      exp: iat + 3600,
      auth_time: iat,
      jti: randomUUID(),
      sid: sessionId,
      email_verified: true,
      "https://api.openai.com/auth": auth,
    };
    if (user.emailOnlyInProfile) claims["https://api.openai.com/profile"] = { email: user.email, email_verified: true };
    else claims.email = user.email;
    return signJwt(privateKey, { ...claims, ...options.idTokenClaims });
  };

  const accessToken = (familyId: string, accountId: string | undefined, sessionId: string, ttl = accessTtl) => {
    const iat = nowS();
    const exp = iat + ttl;
    const auth: Record<string, unknown> = {
      chatgpt_compute_residency: "no_constraint",
      chatgpt_plan_type: workspace(accountId)?.planType ?? user.planType,
      chatgpt_user_id: user.chatgptUserId,
      user_id: user.chatgptUserId,
    };
    if (accountId !== undefined) {
      auth.chatgpt_account_id = accountId;
      auth.chatgpt_account_user_id = `${user.chatgptUserId}__${accountId}`;
    }
    // The real access token is a JWT for the API audience, not for the client (the ID token is for the client).
    const token = signJwt(privateKey, {
      iss: issuer,
      aud: ["https://api.openai.com/v1"],
      client_id: clientId,
      sub: user.sub,
      iat,
      nbf: iat,
      exp,
      jti: randomUUID(),
      scp: [...REQUIRED_SCOPES],
      session_id: sessionId,
      "https://api.openai.com/auth": auth,
      "https://api.openai.com/profile": { email: user.email, email_verified: true },
    });
    accessTokens.set(token, { familyId, accountId, exp, revoked: false });
    return { token, ttl };
  };

  const newSession = (accountId: string | undefined, ttl = accessTtl) => {
    const family: Family = { id: randomUUID(), accountId, alive: true };
    families.set(family.id, family);
    const sessionId = `authsess_${randomBytes(12).toString("base64url")}`;
    const refresh = randomToken("rt_");
    refreshTokens.set(refresh, { familyId: family.id, state: "active" });
    const access = accessToken(family.id, accountId, sessionId, ttl);
    return { family, idToken: idToken(accountId, sessionId), access, refresh, sessionId };
  };

  const killFamily = (id: string, death: NonNullable<Family["death"]>) => {
    const family = families.get(id);
    if (family === undefined || !family.alive) return;
    family.alive = false;
    family.death = death;
  };

  const accessTokenState = (token: string): BackendAuth => {
    const entry = accessTokens.get(token);
    if (entry === undefined) return "unknown";
    if (entry.revoked || families.get(entry.familyId)?.alive !== true) return "revoked";
    if (entry.exp <= nowS()) return "expired";
    return "live";
  };

  const findDevice = (userCode?: string): DeviceEntry => {
    const all = [...devices.values()];
    const hit =
      userCode === undefined ? all.filter((d) => d.state === "pending") : all.filter((d) => d.userCode === userCode);
    if (hit.length !== 1) {
      throw new Error(`openai-fake: ${hit.length} device codes match ${userCode ?? "(pending)"}; name one`);
    }
    return hit[0] as DeviceEntry;
  };

  const markRefresh = (token: string | undefined, state: "expired" | "invalidated") => {
    if (token !== undefined) {
      const entry = refreshTokens.get(token);
      if (entry === undefined) throw new Error("openai-fake: unknown refresh token");
      entry.state = state;
      return;
    }
    for (const entry of refreshTokens.values()) if (entry.state === "active") entry.state = state;
  };

  // --- issuer: authorize ------------------------------------------------------------------------------------

  const authorize = (url: URL, res: ServerResponse) => {
    const query: Record<string, string> = {};
    const problems: string[] = [];
    for (const [k, v] of url.searchParams) {
      if (k in query) problems.push(`${k} is repeated`);
      query[k] = v;
    }
    const expect = (name: string, ok: (v: string) => boolean, want: string) => {
      const v = query[name];
      if (v === undefined || v === "") problems.push(`${name} is missing (expected ${want})`);
      else if (!ok(v)) problems.push(`${name} is wrong (expected ${want})`);
    };
    expect("response_type", (v) => v === "code", "code");
    expect("client_id", (v) => v === clientId, clientId);
    expect(
      "redirect_uri",
      (v) => {
        const m = /^http:\/\/localhost:([1-9][0-9]{0,4})\/auth\/callback$/.exec(v);
        if (m === null) return false;
        const port = Number(m[1]);
        return port <= 65535 && (options.redirectPorts === undefined || options.redirectPorts.includes(port));
      },
      `http://localhost:{${options.redirectPorts?.join("|") ?? "port"}}/auth/callback`,
    );
    expect(
      "scope",
      (v) => {
        const scopes = v.split(" ");
        return REQUIRED_SCOPES.every((s) => scopes.includes(s));
      },
      `space-separated scopes including ${REQUIRED_SCOPES.join(" ")}`,
    );
    // 64 random bytes as the verifier make a 43-character S256 challenge (pkce.rs).
    expect("code_challenge", (v) => /^[A-Za-z0-9_-]{43}$/.test(v), "BASE64URL(SHA256(verifier)), 43 characters");
    expect("code_challenge_method", (v) => v === "S256", "S256");
    expect("id_token_add_organizations", (v) => v === "true", "true");
    expect("codex_cli_simplified_flow", (v) => v === "true", "true");
    expect("state", (v) => v.length <= 512, "an unguessable value");
    expect(
      "originator",
      (v) => options.expectedOriginator === undefined || v === options.expectedOriginator,
      options.expectedOriginator ?? "the client's originator, e.g. codex_cli_rs",
    );
    if (problems.length > 0) {
      authorizeRequests.push({ query, outcome: "refused", problems });
      html(res, 400, "Invalid authorization request", problems);
      return;
    }
    const redirect = new URL(query.redirect_uri as string);
    const state = query.state as string;
    const denial = nextDenial;
    nextDenial = undefined;
    if (denial !== undefined) {
      redirect.searchParams.set("error", "access_denied");
      redirect.searchParams.set(
        "error_description",
        denial === "missing_codex_entitlement" ? "missing_codex_entitlement" : "The user denied the request",
      );
      redirect.searchParams.set("state", state);
      authorizeRequests.push({ query, outcome: "denied", problems: [] });
      res.writeHead(302, { location: redirect.href, "cache-control": "no-store" });
      res.end();
      return;
    }
    // allowed_workspace_id is ONE parameter, the ids joined by "," (server.rs).
    let accountId = user.accountId;
    const allowed = query.allowed_workspace_id?.split(",").filter((s) => s !== "");
    if (allowed !== undefined && !options.ignoreAllowedWorkspace) {
      const pick = user.workspaces.find((w) => allowed.includes(w.accountId));
      if (pick === undefined) {
        // This fake's choice: the user cannot pick an allowed workspace, so the browser comes back denied.
        redirect.searchParams.set("error", "access_denied");
        redirect.searchParams.set("error_description", `You are not a member of workspace ${allowed.join(", ")}`);
        redirect.searchParams.set("state", state);
        authorizeRequests.push({ query, outcome: "workspace_refused", problems: [] });
        res.writeHead(302, { location: redirect.href, "cache-control": "no-store" });
        res.end();
        return;
      }
      accountId = pick.accountId;
    }
    const code = randomToken("ac_");
    codes.set(code, {
      clientId,
      redirectUri: query.redirect_uri as string,
      challenge: query.code_challenge as string,
      accountId,
      expiresAt: nowS() + AUTH_CODE_TTL_S,
      used: false,
    });
    redirect.searchParams.set("code", code);
    redirect.searchParams.set("state", state);
    authorizeRequests.push({ query, outcome: "code", problems: [], accountId });
    res.writeHead(302, { location: redirect.href, "cache-control": "no-store" });
    res.end();
  };

  // --- issuer: token --------------------------------------------------------------------------------------

  const token = async (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const type = contentType(req);
    const p = parseFields(type, raw);
    const record: TokenRecord = {
      grantType: p?.grant_type ?? "",
      contentType: type,
      status: 0,
      params: p === undefined ? {} : redactParams(p),
    };
    tokenRequests.push(record);
    const answer = (status: number, body: unknown, error?: string) => {
      record.status = status;
      if (error !== undefined) record.error = error;
      json(res, status, body);
    };
    const bad = (status: number, error: string, description: string) =>
      answer(status, oauthError(error, description), error);
    if (p === undefined) {
      return bad(400, "invalid_request", "The body must be a form or a JSON object of strings.");
    }
    const grant = p.grant_type;

    if (grant === "authorization_code") {
      // Codex sends the code exchange form-encoded (server.rs exchange_code_for_tokens), never JSON.
      if (type !== "application/x-www-form-urlencoded") {
        return bad(400, "invalid_request", "The authorization_code grant must be form-encoded.");
      }
      for (const k of ["code", "redirect_uri", "client_id", "code_verifier"]) {
        if (!p[k]) return bad(400, "invalid_request", `Missing ${k}.`);
      }
      if (p.client_id !== clientId) return bad(401, "invalid_client", "Unknown client.");
      const entry = codes.get(p.code as string);
      if (entry === undefined || entry.expiresAt <= nowS()) {
        return bad(400, "invalid_grant", "The authorization code is invalid or expired.");
      }
      if (entry.used) {
        // RFC 6749 §4.1.2: a replayed code revokes what it had issued.
        if (entry.familyId !== undefined) killFamily(entry.familyId, "code_replayed");
        return bad(400, "invalid_grant", "The authorization code has already been used.");
      }
      if (entry.clientId !== p.client_id || entry.redirectUri !== p.redirect_uri) {
        return bad(400, "invalid_grant", "redirect_uri does not match the authorization request.");
      }
      if (s256(p.code_verifier as string) !== entry.challenge) {
        return bad(400, "invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge.");
      }
      entry.used = true;
      const s = newSession(entry.accountId);
      entry.familyId = s.family.id;
      return answer(200, {
        id_token: s.idToken,
        access_token: s.access.token,
        refresh_token: s.refresh,
        expires_in: s.access.ttl,
        token_type: "Bearer",
        scope: REQUIRED_SCOPES.join(" "),
      });
    }

    if (grant === "refresh_token") {
      if (type !== "application/json" && !options.acceptFormRefresh) {
        return bad(400, "invalid_request", "The refresh_token grant takes a JSON body.");
      }
      if (p.client_id !== clientId) return bad(401, "invalid_client", "Unknown client.");
      if (!p.refresh_token) return bad(400, "invalid_request", "Missing refresh_token.");
      if (refreshFailures.n > 0) {
        refreshFailures.n--;
        return answer(refreshFailures.status, { error: "temporary-failure" }, "temporary-failure");
      }
      const entry = refreshTokens.get(p.refresh_token);
      const fail = (code: keyof typeof REFRESH_MESSAGES) =>
        answer(401, openaiError(code, REFRESH_MESSAGES[code]), code);
      if (entry === undefined) {
        // An unknown token: the 401 users of the real service quote; Codex treats any 401 as permanent.
        return answer(
          401,
          openaiError("token_expired", "Could not validate your token. Please try signing in again."),
          "token_expired",
        );
      }
      const family = families.get(entry.familyId) as Family;
      if (entry.state === "used") {
        // A rotated token came back: someone holds a copy. OpenAI ends the whole family.
        killFamily(family.id, "reused");
        return fail("refresh_token_reused");
      }
      if (entry.state === "expired") return fail("refresh_token_expired");
      if (entry.state === "invalidated" || !family.alive) return fail("refresh_token_invalidated");
      // Consumed before the (optional) delay, so a concurrent second use sees it as reused.
      const rotate = options.rotateRefreshTokens ?? true;
      let refresh: string | undefined;
      if (rotate) {
        entry.state = "used";
        refresh = randomToken("rt_");
        refreshTokens.set(refresh, { familyId: family.id, state: "active" });
      }
      const sessionId = `authsess_${randomBytes(12).toString("base64url")}`;
      const access = accessToken(family.id, family.accountId, sessionId);
      refreshCount++;
      if (options.refreshDelayMs) await sleep(options.refreshDelayMs);
      const body: Record<string, unknown> = {
        access_token: access.token,
        expires_in: access.ttl,
        token_type: "Bearer",
      };
      if (!options.refreshOmitsIdToken) body.id_token = idToken(family.accountId, sessionId);
      if (refresh !== undefined) body.refresh_token = refresh;
      return answer(200, body);
    }

    if (grant === "urn:ietf:params:oauth:grant-type:token-exchange") {
      // server.rs obtain_api_key: best effort, form-encoded, requested_token=openai-api-key.
      if (p.client_id !== clientId) return bad(401, "invalid_client", "Unknown client.");
      if (p.requested_token !== "openai-api-key" || !p.subject_token) {
        return bad(400, "invalid_request", "Unsupported token exchange.");
      }
      if (options.apiKey === undefined) {
        return bad(400, "invalid_request", "This account has no API organization to issue a key for.");
      }
      return answer(200, { access_token: options.apiKey });
    }

    return bad(400, "unsupported_grant_type", `Unsupported grant_type ${JSON.stringify(grant ?? "")}.`);
  };

  // --- issuer: device code (Codex's own protocol, not RFC 8628) ----------------------------------------------

  const deviceUserCode = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const p = parseFields(contentType(req), raw);
    const record = { clientId: p?.client_id, status: 0 };
    deviceCodeRequests.push(record);
    const answer = (status: number, body: unknown) => {
      record.status = status;
      json(res, status, body);
    };
    if (options.deviceAuthEnabled === false) return answer(404, { detail: "Not Found" });
    if (contentType(req) !== "application/json" || p === undefined) {
      return answer(400, oauthError("invalid_request", "The body must be JSON {client_id}."));
    }
    if (p.client_id !== clientId) return answer(400, oauthError("invalid_client", "Unknown client."));
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");
    const entry: DeviceEntry = {
      deviceAuthId: `deviceauth_${randomBytes(16).toString("hex")}`,
      userCode: `${pick(4)}-${pick(5)}`,
      expiresAt: nowS() + DEVICE_CODE_TTL_S,
      state: "pending",
      accountId: user.accountId,
      verifier: randomBytes(64).toString("base64url"),
    };
    devices.set(entry.deviceAuthId, entry);
    // interval is a string on the wire: device_code_auth.rs parses it with String::deserialize.
    answer(200, {
      device_auth_id: entry.deviceAuthId,
      user_code: entry.userCode,
      interval: options.deviceInterval ?? "1",
    });
  };

  const deviceToken = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const p = parseFields(contentType(req), raw);
    const poll: DevicePoll = {
      at: Date.now(),
      deviceAuthId: p?.device_auth_id ?? "",
      userCode: p?.user_code ?? "",
      status: 0,
    };
    devicePolls.push(poll);
    const answer = (status: number, body: unknown) => {
      poll.status = status;
      json(res, status, body);
    };
    if (contentType(req) !== "application/json" || p === undefined) {
      return answer(400, oauthError("invalid_request", "The body must be JSON {device_auth_id, user_code}."));
    }
    const entry = devices.get(poll.deviceAuthId);
    // This fake's choice: an unknown pair is 400, never 403/404, which Codex would poll on for 15 minutes.
    if (entry === undefined || entry.userCode !== poll.userCode) {
      return answer(400, oauthError("invalid_request", "Unknown device_auth_id or user_code."));
    }
    if (entry.state === "pending" && entry.expiresAt <= nowS()) entry.state = "expired";
    switch (entry.state) {
      case "pending":
        return answer(options.devicePendingStatus ?? 403, oauthError("authorization_pending", "Waiting for the user."));
      case "denied":
        // The denial body Codex's own device_code_login tests use.
        return answer(401, oauthError("authorization_declined", "Denied"));
      case "expired":
        // This fake's choice: a status Codex does not poll on, so a faithful client stops.
        return answer(410, oauthError("expired_token", "The device code has expired. Sign in again."));
      case "consumed":
        return answer(400, oauthError("invalid_grant", "This device code has already been used."));
      case "approved": {
        entry.state = "consumed";
        const code = randomToken("ac_");
        const challenge = s256(entry.verifier);
        codes.set(code, {
          clientId,
          redirectUri: `${issuer}/deviceauth/callback`,
          challenge,
          accountId: entry.accountId,
          expiresAt: nowS() + AUTH_CODE_TTL_S,
          used: false,
        });
        return answer(200, { authorization_code: code, code_challenge: challenge, code_verifier: entry.verifier });
      }
    }
  };

  // --- issuer: revoke --------------------------------------------------------------------------------------

  const revoke = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const type = contentType(req);
    let body: unknown;
    try {
      body = type === "application/json" ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const fields = (body !== null && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const str = (k: string) => (typeof fields[k] === "string" ? (fields[k] as string) : undefined);
    const tok = str("token");
    const record: RevocationRecord = {
      contentType: type,
      kind: "unknown",
      tokenSha256: tok === undefined ? "" : sha256hex(tok),
      status: 0,
    };
    const hint = str("token_type_hint");
    const cid = str("client_id");
    if (hint !== undefined) record.tokenTypeHint = hint;
    if (cid !== undefined) record.clientId = cid;
    revocations.push(record);
    const answer = (status: number, b: unknown) => {
      record.status = status;
      json(res, status, b);
    };
    // Codex revokes with JSON (revoke.rs), not RFC 7009's form.
    if (type !== "application/json" || tok === undefined || tok === "") {
      return answer(400, oauthError("invalid_request", "The body must be JSON {token, token_type_hint, client_id}."));
    }
    if (cid !== undefined && cid !== clientId) return answer(401, oauthError("invalid_client", "Unknown client."));
    const refresh = refreshTokens.get(tok);
    const access = accessTokens.get(tok);
    if (refresh !== undefined) {
      record.kind = "refresh_token";
      // Revoking a refresh token ends the grant: its refresh tokens and the access tokens it issued.
      killFamily(refresh.familyId, "revoked");
    } else if (access !== undefined) {
      record.kind = "access_token";
      access.revoked = true;
    }
    // RFC 7009 §2.2: an unknown token is not an error.
    answer(200, {});
  };

  // --- issuer server -------------------------------------------------------------------------------------

  const tls = options.tls;
  const createServer = (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server =>
    tls === undefined ? createHttpServer(handler) : (createHttpsServer(tls, handler) as unknown as Server);
  const origin = (port: number) => (tls === undefined ? `http://127.0.0.1:${port}` : `https://${tls.hostname}:${port}`);

  const issuerServer = createServer(async (req, res) => {
    let raw = "";
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        json(res, 413, oauthError("invalid_request", "Request body too large."), { connection: "close" });
        return;
      }
      res.destroy();
      return;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case "GET /.well-known/openid-configuration":
          return json(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/oauth/authorize`,
            token_endpoint: `${issuer}/oauth/token`,
            jwks_uri: `${issuer}/.well-known/jwks.json`,
            response_types_supported: ["code"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
            code_challenge_methods_supported: ["S256"],
            scopes_supported: [...REQUIRED_SCOPES],
          });
        case "GET /.well-known/jwks.json":
          return json(res, 200, { keys: [jwk] });
        case "GET /oauth/authorize":
          return authorize(url, res);
        case "POST /oauth/token":
          return await token(req, raw, res);
        case "POST /oauth/revoke":
          return revoke(req, raw, res);
        case "POST /api/accounts/deviceauth/usercode":
          return deviceUserCode(req, raw, res);
        case "POST /api/accounts/deviceauth/token":
          return deviceToken(req, raw, res);
        case "GET /codex/device":
          return html(res, 200, "Sign in to Codex with a device code", [
            "Enter the one-time code shown in your terminal.",
          ]);
        case "POST /codex/device": {
          // A browser test can approve through the page, as a person would.
          const code = new URLSearchParams(raw).get("user_code") ?? "";
          const entry = [...devices.values()].find((d) => d.userCode === code && d.state === "pending");
          if (entry === undefined) return html(res, 400, "Unknown or expired code", []);
          entry.state = "approved";
          return html(res, 200, "Codex is signed in", ["You may close this window."]);
        }
        default:
          return json(res, 404, { detail: "Not Found" });
      }
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { message: `openai-fake: ${(err as Error).message}` } });
      else res.destroy();
    }
  });

  // --- backend -------------------------------------------------------------------------------------------

  const backendServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === "authorization" || k === "cookie" || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    const record: BackendRecord = {
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      auth: "missing",
      body: undefined,
      status: 0,
    };
    backendRequests.push(record);
    const answer = (status: number, body: unknown) => {
      record.status = status;
      json(res, status, body);
    };
    let raw = "";
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        record.status = 413;
        json(res, 413, { detail: "Request body too large" }, { connection: "close" });
        return;
      }
      res.destroy();
      return;
    }
    if (raw !== "") {
      try {
        record.body = JSON.parse(raw);
      } catch {
        record.body = raw.slice(0, 1000);
      }
    }
    const route = `${req.method} ${url.pathname}`;
    if (route !== "POST /backend-api/codex/responses" && route !== "GET /backend-api/codex/models") {
      return answer(404, { detail: "Not Found" });
    }

    // Authorization: Bearer <access token>, then ChatGPT-Account-ID equal to the token's account.
    const authz = req.headers.authorization ?? "";
    const bearer = /^Bearer (\S+)$/.exec(authz)?.[1];
    if (bearer === undefined) return answer(401, { detail: "Unauthorized" });
    record.tokenSha256 = sha256hex(bearer);
    record.auth = accessTokenState(bearer);
    // The three 401 bodies are the ones users of the real backend quote.
    if (record.auth === "unknown") return answer(401, { detail: "Unauthorized" });
    if (record.auth === "revoked") {
      return answer(401, {
        error: {
          message: "Your authentication token has been invalidated. Please try signing in again.",
          type: "invalid_request_error",
          code: "token_invalidated",
          param: null,
        },
        status: 401,
      });
    }
    if (record.auth === "expired") {
      return answer(401, {
        error: {
          message: "Provided authentication token is expired. Please try signing in again.",
          type: null,
          code: "token_expired",
          param: null,
        },
        status: 401,
      });
    }
    const tokenAccount = (accessTokens.get(bearer) as AccessEntry).accountId;
    const headerAccount = req.headers["chatgpt-account-id"];
    // 403, not 401: a refresh would not fix it, and a 401 would make Codex refresh and retry.
    if (tokenAccount !== undefined && headerAccount === undefined) {
      return answer(403, { detail: "Missing ChatGPT-Account-ID header." });
    }
    if (headerAccount !== tokenAccount) {
      return answer(403, { detail: "ChatGPT-Account-ID does not match the access token's account." });
    }
    if ((options.requireOriginator ?? true) && !req.headers.originator) {
      return answer(400, { detail: "Missing originator header." });
    }

    if (route === "GET /backend-api/codex/models") {
      // models.rs always appends ?client_version=<version>.
      if (!url.searchParams.get("client_version")) return answer(400, { detail: "client_version is required." });
      record.status = 200;
      const body = { models: models.map((slug, i) => modelInfo(slug, i + 1)) };
      return json(res, 200, body, { etag: `"${sha256hex(JSON.stringify(body)).slice(0, 16)}"` });
    }

    // POST /responses: the body the backend requires (common.rs ResponsesApiRequest).
    const b = record.body;
    if (b === null || typeof b !== "object" || Array.isArray(b)) return answer(400, { detail: "Invalid JSON body." });
    if (typeof b.model !== "string" || b.model === "") return answer(400, { detail: "Model is required" });
    if (!models.includes(b.model)) {
      return answer(400, {
        detail: `The '${b.model.slice(0, 100)}' model is not supported when using Codex with a ChatGPT account.`,
      });
    }
    if (typeof b.instructions !== "string") return answer(400, { detail: "Instructions are required" });
    const want = options.requiredInstructions;
    if (want !== undefined && !(typeof want === "string" ? b.instructions === want : want(b.instructions))) {
      return answer(400, { detail: "Instructions are not valid" });
    }
    if (!Array.isArray(b.input)) return answer(400, { detail: "Input must be a list" });
    if (b.store !== false) return answer(400, { detail: "Store must be set to false" });
    if (b.stream !== true) return answer(400, { detail: "Stream must be set to true" });

    const lastText = lastUserText(b.input);
    const text =
      typeof options.reply === "function"
        ? options.reply({ lastUserText: lastText, body: b })
        : (options.reply ?? `You said: ${lastText}`);
    record.status = 200;
    streamReply(res, b.model, text, lastText);
  });

  const issuerSockets = trackSockets(issuerServer);
  const backendSockets = trackSockets(backendServer);
  const issuerPort = await listen(issuerServer);
  const backendPort = await listen(backendServer);
  issuer = origin(issuerPort);

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= Promise.all(
      [
        [issuerServer, issuerSockets],
        [backendServer, backendSockets],
      ].map(
        ([server, sockets]) =>
          new Promise<void>((resolve) => {
            for (const s of sockets as Set<Socket>) s.destroy();
            (server as Server).close(() => resolve());
          }),
      ),
    ).then(() => undefined);
    return closed;
  };
  try {
    onTestFinished(close);
  } catch {
    // Started outside a test (beforeAll): the caller closes it.
  }

  return {
    issuer,
    chatgptBaseUrl: `${origin(backendPort)}/backend-api/codex`,
    clientId,
    user,
    models,
    authorizeRequests,
    tokenRequests,
    deviceCodeRequests,
    devicePolls,
    revocations,
    backendRequests,
    get refreshCount() {
      return refreshCount;
    },
    denyNextAuthorize(kind = "access_denied") {
      nextDenial = kind;
    },
    approveDevice(userCode, opts) {
      const entry = findDevice(userCode);
      if (opts?.accountId !== undefined) {
        if (workspace(opts.accountId) === undefined) throw new Error("openai-fake: the user has no such workspace");
        entry.accountId = opts.accountId;
      }
      entry.state = "approved";
    },
    denyDevice(userCode) {
      findDevice(userCode).state = "denied";
    },
    expireDevice(userCode) {
      findDevice(userCode).state = "expired";
    },
    expireRefreshToken(tok) {
      markRefresh(tok, "expired");
    },
    invalidateRefreshToken(tok) {
      markRefresh(tok, "invalidated");
    },
    failNextRefresh(n = 1, status = 500) {
      refreshFailures = { n, status };
    },
    setAccessTokenTtl(seconds) {
      accessTtl = seconds;
    },
    mintSession(opts) {
      const s = newSession(opts?.accountId ?? user.accountId, opts?.accessTokenTtlSeconds ?? accessTtl);
      return { idToken: s.idToken, accessToken: s.access.token, refreshToken: s.refresh };
    },
    sign(payload) {
      return signJwt(privateKey, payload);
    },
    accessTokenState,
    hash: sha256hex,
    close,
  };
}

/** One Responses-API SSE reply, as codex-api/src/sse/responses.rs reads it (`event:` + `data:` lines). */
function streamReply(res: ServerResponse, model: string, text: string, prompt: string): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  const id = `resp_${randomBytes(12).toString("hex")}`;
  const itemId = `msg_${randomBytes(12).toString("hex")}`;
  const created = nowS();
  let seq = 0;
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const base = { id, object: "response", created_at: created, model, instructions: null, store: false };
  send("response.created", { response: { ...base, status: "in_progress", output: [] } });
  send("response.in_progress", { response: { ...base, status: "in_progress", output: [] } });
  send("response.output_item.added", {
    output_index: 0,
    item: { id: itemId, type: "message", status: "in_progress", role: "assistant", content: [] },
  });
  send("response.content_part.added", {
    item_id: itemId,
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "", annotations: [] },
  });
  // Several pieces, so a client that keeps only the last delta is caught.
  const pieces = text.match(/[\s\S]{1,8}/g) ?? [];
  for (const delta of pieces) {
    send("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta });
  }
  send("response.output_text.done", { item_id: itemId, output_index: 0, content_index: 0, text });
  const part = { type: "output_text", text, annotations: [] };
  send("response.content_part.done", { item_id: itemId, output_index: 0, content_index: 0, part });
  const item = { id: itemId, type: "message", status: "completed", role: "assistant", content: [part] };
  send("response.output_item.done", { output_index: 0, item });
  const inputTokens = Math.max(1, Math.ceil(prompt.length / 4));
  const outputTokens = Math.max(1, Math.ceil(text.length / 4));
  send("response.completed", {
    response: {
      ...base,
      status: "completed",
      output: [item],
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    },
  });
  res.end();
}
