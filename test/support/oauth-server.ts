/**
 * A real OAuth 2.0 / OpenID Connect authorization server (panva's oidc-provider v9) on 127.0.0.1, in the
 * test process, for tests that sign the built CLI in through a browser (see ./browser.ts) or the device flow.
 *
 *   const server = await startOAuthServer({ accessTokenTtl: 1 });
 *   // … run `codex login` with the issuer/client id pointing at server.issuer / server.clientId …
 *   expect(server.counts().codeExchanges).toBe(1);
 *   expect((await server.tryRefresh(oldRefreshToken)).body.error).toBe("invalid_grant");
 *
 * One public native client (`clientId`, no secret, PKCE S256 required) may use any port on
 * `http://localhost:<port>/auth/callback` (or `http://127.0.0.1:<port>/auth/callback`). Any login name signs in
 * (oidc-provider's development login and consent pages); the account's claims are `sub` = the login and
 * `email` = `<login>@example.com`, and the ID token carries them. A refresh token is issued whenever
 * `offline_access` is granted, and rotates on every use; reusing a rotated one is `invalid_grant` AND revokes the
 * whole grant (oidc-provider's reuse detection), so the newest refresh token dies with it.
 *
 * Routes (oidc-provider defaults): /auth, /token, /token/revocation, /token/introspection, /device/auth,
 * /device (verification page), /me, /jwks, /session/end, /.well-known/openid-configuration.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

export interface OAuthServerOptions {
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds (default 14 days). */
  refreshTokenTtl?: number;
  /**
   * "oauth2": /.well-known/openid-configuration answers 404 and the same metadata is served at
   * /.well-known/oauth-authorization-server (a plain-OAuth server). Default "oidc" (both answer).
   */
  discovery?: "oidc" | "oauth2";
  /** revocation_endpoint enabled (default true). */
  revocation?: boolean;
  /** Device authorization grant enabled (default true). */
  deviceFlow?: boolean;
  /** Answer this many device-code token polls with error slow_down before normal behaviour (default 0). */
  slowDown?: number;
  /**
   * The `interval` (seconds) the device authorization response advertises (default 1). oidc-provider sends
   * none, and clients then poll every 5 s, which would make every device-flow test take that long.
   */
  deviceInterval?: number;
  /** The `expires_in` (seconds) the device authorization response advertises instead of the real one (600). */
  deviceExpiresIn?: number;
}

export interface OAuthRequest {
  method: string;
  /** Path without the query, e.g. `/token`. */
  path: string;
  /** For POST /token: the grant_type sent. */
  grantType?: string;
  /** When the request arrived (Date.now()), e.g. to check polling intervals. */
  at: number;
}

export interface IntrospectionResult {
  active: boolean;
  sub?: string;
  client_id?: string;
  token_type?: string;
  scope?: string;
  exp?: number;
  [claim: string]: unknown;
}

export interface OAuthServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  issuer: string;
  port: number;
  /** The public native client (token_endpoint_auth_method "none"). */
  clientId: string;
  /**
   * Every request to the server (the browser's included), in arrival order. The server's own helper calls
   * (`introspect`, `tryRefresh`) are left out, here and in `counts()`.
   */
  requests: OAuthRequest[];
  /**
   * refresh / refreshFailed: refresh_token grants answered 200 / with an error. revocations: requests to the
   * revocation endpoint. devicePolls: device_code grant requests (slow_down answers included). codeExchanges:
   * authorization_code grant requests (whatever the outcome).
   */
  counts(): { refresh: number; refreshFailed: number; revocations: number; devicePolls: number; codeExchanges: number };
  /** Asks the introspection endpoint (as a separate confidential resource-server client) whether a token is active. */
  introspect(token: string): Promise<IntrospectionResult>;
  /** A refresh_token grant made directly by the test (a dead token answers 400 `{ error: "invalid_grant" }`). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields the token endpoint answered
  tryRefresh(refreshToken: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

const CLIENT_ID = "codex-cli";
const RESOURCE_SERVER_ID = "resource-server";
const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** Marks the helper's own requests so they stay out of `requests` and `counts()`. */
const INTERNAL_HEADER = "x-oauth-server-internal";

// The parts of oidc-provider's (untyped) API used here. The package ships no type declarations, so it is
// imported through a non-literal specifier and described by these.
interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  status: number;
  body: unknown;
  req: IncomingMessage & { body?: string };
  is(...types: string[]): string | false | null;
  get(header: string): string;
  set(header: string, value: string): void;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface ProviderInstance {
  use(fn: Middleware): unknown;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
interface SourceLike {
  scopes: Set<string>;
}
interface ClientLike {
  grantTypeAllowed(type: string): boolean;
}

const OIDC_PROVIDER: string = "oidc-provider";
let providerClass: Promise<ProviderClass> | undefined;
function loadProvider(): Promise<ProviderClass> {
  providerClass ??= (import(OIDC_PROVIDER) as Promise<{ default: ProviderClass }>).then((m) => m.default);
  return providerClass;
}

// oidc-provider prints development notices on first use of each default ("you SHOULD change it …") and a
// warning that devInteractions are on; both are expected here, so they are kept out of the test output.
const SILENCED = [
  /^oidc-provider NOTICE: /,
  /^oidc-provider WARNING: a quick start development-only feature devInteractions is enabled/,
  /^oidc-provider WARNING: already parsed request body detected/,
  /^oidc-provider WARNING: a quick start development-only in-memory adapter is used/,
  /^oidc-provider WARNING: Unsupported runtime/,
];
let consoleFiltered = false;
function filterProviderNoise(): void {
  if (consoleFiltered) return;
  consoleFiltered = true;
  for (const method of ["info", "warn"] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === "string" && SILENCED.some((re) => re.test(first))) return;
      original.apply(console, args);
    };
  }
}

// One signing key per test process (RSA key generation costs tens of milliseconds).
let signingJwk: Record<string, unknown> | undefined;
function signingKey(): Record<string, unknown> {
  if (signingJwk === undefined) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    signingJwk = {
      ...privateKey.export({ format: "jwk" }),
      kid: randomBytes(8).toString("hex"),
      use: "sig",
      alg: "RS256",
    };
  }
  return signingJwk;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the server; it is closed when the current test finishes (or by `close()`). */
export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const refreshTokenTtl = options.refreshTokenTtl ?? 14 * 24 * 60 * 60;
  const discoveryMode = options.discovery ?? "oidc";
  const revocation = options.revocation ?? true;
  const deviceFlow = options.deviceFlow ?? true;
  let slowDownLeft = options.slowDown ?? 0;

  filterProviderNoise();
  const Provider = await loadProvider();

  // Listen first: the issuer identifier has to carry the port.
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const resourceServerSecret = randomBytes(24).toString("base64url");

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: "codex CLI (test)",
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token", ...(deviceFlow ? [DEVICE_CODE_GRANT] : [])],
        response_types: ["code"],
        // A native client's loopback redirect URI matches any port (RFC 8252 §7.3), so these two registrations
        // accept http://localhost:<any port>/auth/callback and http://127.0.0.1:<any port>/auth/callback.
        redirect_uris: ["http://localhost/auth/callback", "http://127.0.0.1/auth/callback"],
      },
      {
        // The resource server that asks the introspection endpoint about tokens (introspect()).
        client_id: RESOURCE_SERVER_ID,
        client_secret: resourceServerSecret,
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    async findAccount(_ctx: unknown, sub: string) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: `${sub}@example.com` };
        },
      };
    },
    claims: {
      openid: ["sub"],
      email: ["email"],
      profile: ["name", "preferred_username"],
    },
    scopes: ["openid", "offline_access", "profile", "email"],
    // Put the scope's claims (email) in the ID token itself, not only behind the userinfo endpoint.
    conformIdTokenClaims: false,
    responseTypes: ["code"],
    pkce: { required: () => true },
    // A refresh token whenever offline_access is granted (the default, spelled out). oidc-provider follows OIDC
    // Core §11 and drops offline_access from an authorization request without prompt=consent; the middleware
    // below adds prompt=consent to such requests, so asking for offline_access is enough (as with most servers).
    issueRefreshToken: async (_ctx: unknown, client: ClientLike, source: SourceLike) =>
      client.grantTypeAllowed("refresh_token") && source.scopes.has("offline_access"),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      RefreshToken: refreshTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 60 * 60,
      Grant: Math.max(refreshTokenTtl, 14 * 24 * 60 * 60),
    },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: deviceFlow },
      revocation: { enabled: revocation },
      introspection: { enabled: true },
    },
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
  });

  const requests: OAuthRequest[] = [];
  const tally = { refresh: 0, refreshFailed: 0, revocations: 0, devicePolls: 0, codeExchanges: 0 };

  provider.use(async (ctx, next) => {
    const internal = ctx.get(INTERNAL_HEADER) === "1";
    let grantType: string | undefined;
    if (ctx.method === "POST" && ctx.path === "/token" && ctx.is("application/x-www-form-urlencoded")) {
      // Read the body here to see the grant type; oidc-provider then parses this string instead of the stream.
      const raw = await readBody(ctx.req);
      ctx.req.body = raw;
      grantType = new URLSearchParams(raw).get("grant_type") ?? undefined;
    }
    if (!internal) {
      const entry: OAuthRequest = { method: ctx.method, path: ctx.path, at: Date.now() };
      if (grantType !== undefined) entry.grantType = grantType;
      requests.push(entry);
      if (ctx.method === "POST" && ctx.path === "/token/revocation") tally.revocations++;
      if (grantType === DEVICE_CODE_GRANT) tally.devicePolls++;
      if (grantType === "authorization_code") tally.codeExchanges++;
    }

    if (ctx.method === "GET" && ctx.path === "/auth") {
      // Keep offline_access (see issueRefreshToken above): the consent page is shown either way, since every
      // sign-in starts from a fresh browser session.
      const query = new URLSearchParams(ctx.querystring);
      const prompts = (query.get("prompt") ?? "").split(" ").filter(Boolean);
      const scopes = (query.get("scope") ?? "").split(" ");
      if (scopes.includes("offline_access") && !prompts.includes("consent") && !prompts.includes("none")) {
        query.set("prompt", [...prompts, "consent"].join(" "));
        ctx.querystring = query.toString();
      }
    }
    if (discoveryMode === "oauth2" && ctx.path === "/.well-known/openid-configuration") {
      ctx.status = 404;
      ctx.set("cache-control", "no-store");
      ctx.body = { error: "not_found", error_description: "this is a plain OAuth 2.0 server" };
      return;
    }
    if (grantType === DEVICE_CODE_GRANT && slowDownLeft > 0) {
      slowDownLeft--;
      ctx.status = 400;
      ctx.set("cache-control", "no-store");
      ctx.body = { error: "slow_down", error_description: "you are polling too quickly and should back off" };
      return;
    }

    await next();

    if (ctx.method === "POST" && ctx.path === "/device/auth" && ctx.status === 200 && isRecord(ctx.body)) {
      ctx.body = {
        ...ctx.body,
        interval: options.deviceInterval ?? 1,
        ...(options.deviceExpiresIn === undefined ? {} : { expires_in: options.deviceExpiresIn }),
      };
    }
    if (!internal && grantType === "refresh_token") {
      if (ctx.status === 200) tally.refresh++;
      else tally.refreshFailed++;
    }
  });

  server.on("request", provider.callback());

  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${issuer}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", [INTERNAL_HEADER]: "1", ...headers },
      body: new URLSearchParams(form).toString(),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  };

  let closed: Promise<void> | undefined;
  const oauth: OAuthServer = {
    issuer,
    port,
    clientId: CLIENT_ID,
    requests,
    counts: () => ({ ...tally }),
    async introspect(token) {
      const basic = Buffer.from(`${RESOURCE_SERVER_ID}:${resourceServerSecret}`).toString("base64");
      const { status, body } = await post("/token/introspection", { token }, { authorization: `Basic ${basic}` });
      if (status !== 200) throw new Error(`introspection answered ${status}: ${JSON.stringify(body)}`);
      return body as IntrospectionResult;
    },
    tryRefresh: (refreshToken) =>
      post("/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: CLIENT_ID }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
  onTestFinished(() => oauth.close());
  return oauth;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
