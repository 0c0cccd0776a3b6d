/**
 * Self-test of the OAuth test infrastructure (test/support/oauth-server.ts, test/support/browser.ts), without
 * the codex CLI: openid-client plays the client, real headless Chromium plays the user, and a small loopback
 * server on 127.0.0.1 takes the redirect.
 */
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import * as client from "openid-client";
import { describe, expect, onTestFinished, test } from "vitest";
import { approveDevice, signInWithBrowser } from "./support/browser.js";
import { type OAuthServer, startOAuthServer } from "./support/oauth-server.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const CALLBACK_PAGE = "Signed in to the test client. You can close this tab.";

/** The client's loopback redirect target: http://localhost:<port>/auth/callback, served on 127.0.0.1. */
async function startCallbackServer(): Promise<{ redirectUri: string; received: Promise<URL> }> {
  let resolveReceived!: (url: URL) => void;
  const received = new Promise<URL>((r) => {
    resolveReceived = r;
  });
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://localhost:${(server.address() as AddressInfo).port}`);
    if (url.pathname !== "/auth/callback") {
      res.writeHead(404).end();
      return;
    }
    resolveReceived(url);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>callback</title><p>${CALLBACK_PAGE}</p>`);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { redirectUri: `http://localhost:${(server.address() as AddressInfo).port}/auth/callback`, received };
}

/** A port nothing listens on (just released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function discover(server: OAuthServer, algorithm: "oidc" | "oauth2" = "oidc"): Promise<client.Configuration> {
  return client.discovery(new URL(server.issuer), server.clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
    algorithm,
  });
}

/** The whole authorization code + PKCE flow through the browser; returns the token response and what was seen. */
async function signIn(
  server: OAuthServer,
  opts: { scope?: string; login?: string; deny?: boolean; beforeExchange?: () => Promise<void> } = {},
) {
  const config = await discover(server);
  const callback = await startCallbackServer();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callback.redirectUri,
    scope: opts.scope ?? "openid profile email offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
  });
  const page = await signInWithBrowser(url.href, { login: opts.login, deny: opts.deny });
  // The browser returns once the callback page has loaded, so the redirect has arrived by now.
  const callbackUrl = await Promise.race([
    callback.received,
    sleep(2_000).then(() => {
      throw new Error(`no redirect reached the client; the browser ended at ${page.url}: ${page.text}`);
    }),
  ]);
  if (opts.deny) return { config, page, callbackUrl, state, tokens: undefined };
  await opts.beforeExchange?.();
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { config, page, callbackUrl, state, tokens };
}

/** The error an openid-client call failed with (its OAuth `error` code when the server sent one). */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { error?: string }).error ?? String(err);
  }
  throw new Error("expected the call to fail");
}

describe("authorization code + PKCE in a real browser", () => {
  test("returns access, refresh and ID tokens; the ID token carries the email claim", async () => {
    const server = await startOAuthServer();
    const { page, callbackUrl, tokens } = await signIn(server, { login: "alice" });

    expect(page.url).toBe(callbackUrl.href);
    expect(page.url).toMatch(/^http:\/\/localhost:\d+\/auth\/callback\?code=/);
    expect(page.text).toContain(CALLBACK_PAGE);
    expect(callbackUrl.searchParams.get("iss")).toBe(server.issuer);

    expect(tokens?.access_token).toEqual(expect.any(String));
    expect(tokens?.refresh_token).toEqual(expect.any(String));
    expect(tokens?.token_type.toLowerCase()).toBe("bearer");
    expect(tokens?.expires_in).toBeGreaterThan(3500);
    expect(tokens?.scope?.split(" ").sort()).toEqual(["email", "offline_access", "openid", "profile"]);
    const claims = tokens?.claims();
    expect(claims?.sub).toBe("alice");
    expect(claims?.email).toBe("alice@example.com");
    expect(claims?.iss).toBe(server.issuer);
    expect(claims?.aud).toBe(server.clientId);

    expect(server.counts()).toEqual({ refresh: 0, refreshFailed: 0, revocations: 0, devicePolls: 0, codeExchanges: 1 });
    expect(server.requests.filter((r) => r.grantType !== undefined)).toEqual([
      expect.objectContaining({ method: "POST", path: "/token", grantType: "authorization_code" }),
    ]);
    expect(server.requests.some((r) => r.method === "GET" && r.path === "/auth")).toBe(true);
  });

  test("plain OAuth (no openid scope) succeeds and returns no ID token", async () => {
    const server = await startOAuthServer();
    const { callbackUrl, tokens } = await signIn(server, { scope: "offline_access profile", login: "bob" });
    expect(callbackUrl.searchParams.get("code")).toEqual(expect.any(String));
    expect(tokens?.access_token).toEqual(expect.any(String));
    expect(tokens?.refresh_token).toEqual(expect.any(String));
    expect(tokens?.id_token).toBeUndefined();
    const info = await server.introspect(tokens?.access_token ?? "");
    expect(info).toMatchObject({ active: true, sub: "bob", client_id: server.clientId });
  });

  test("denying at the consent page redirects to the client with error=access_denied", async () => {
    const server = await startOAuthServer();
    const { page, callbackUrl, state } = await signIn(server, { deny: true });
    expect(callbackUrl.searchParams.get("error")).toBe("access_denied");
    expect(callbackUrl.searchParams.get("state")).toBe(state);
    expect(callbackUrl.searchParams.get("code")).toBeNull();
    expect(page.url).toBe(callbackUrl.href);
    expect(server.counts().codeExchanges).toBe(0);
  });

  test("a redirect nobody answers is reported as the URL that failed, not thrown", async () => {
    const server = await startOAuthServer();
    const config = await discover(server);
    const unused = await closedPort();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `http://localhost:${unused}/auth/callback`,
      scope: "openid",
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const page = await signInWithBrowser(url.href);
    expect(page.url).toMatch(new RegExp(`^http://localhost:${unused}/auth/callback\\?code=`));
    expect(page.text).toMatch(/^navigation failed: net::ERR_CONNECTION_REFUSED/);
  });
});

describe("device authorization grant", () => {
  test("approved in the browser (user code typed in), the poll returns tokens", async () => {
    const server = await startOAuthServer();
    const config = await discover(server);
    const device = await client.initiateDeviceAuthorization(config, { scope: "openid email offline_access" });
    expect(device.verification_uri).toBe(`${server.issuer}/device`);
    // Poll while the user is still signing in: authorization_pending first.
    const polling = client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.2 });
    const page = await approveDevice(device.verification_uri, device.user_code, { login: "carol" });
    expect(page.text).toContain("Sign-in Success");
    const tokens = await polling;
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.claims()).toMatchObject({ sub: "carol", email: "carol@example.com" });
    expect(server.counts().devicePolls).toBeGreaterThanOrEqual(2);
    expect(server.counts().codeExchanges).toBe(0);
  });

  test("slowDown: 1 answers a poll with slow_down; the client backs off and still gets tokens", async () => {
    const server = await startOAuthServer({ slowDown: 1 });
    const config = await discover(server);
    const device = await client.initiateDeviceAuthorization(config, { scope: "openid offline_access" });
    await approveDevice(device.verification_uri_complete ?? "", undefined);
    // openid-client adds 5 s to the interval on each slow_down (RFC 8628 §3.5): polls at ~0.1 s, then +5.1 s.
    const tokens = await client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.1 });
    expect(tokens.access_token).toEqual(expect.any(String));
    const polls = server.requests.filter((r) => r.grantType === "urn:ietf:params:oauth:grant-type:device_code");
    expect(polls).toHaveLength(2);
    expect(server.counts().devicePolls).toBe(2);
    const [a, b] = polls.map((p) => p.at) as [number, number];
    expect(b - a).toBeGreaterThanOrEqual(4_900);
  });

  test("denied in the browser (verification_uri_complete), the poll fails with access_denied", async () => {
    const server = await startOAuthServer();
    const config = await discover(server);
    const device = await client.initiateDeviceAuthorization(config, { scope: "openid offline_access" });
    expect(new URL(device.verification_uri_complete ?? "").searchParams.get("user_code")).toBe(device.user_code);
    const page = await approveDevice(device.verification_uri_complete ?? "", undefined, { deny: true });
    expect(page.text).not.toContain("Sign-in Success");
    expect(page.text).toContain("The Sign-in request was interrupted");
    expect(await oauthError(client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.1 }))).toBe(
      "access_denied",
    );
    expect(server.counts().devicePolls).toBe(1);
  });
});

describe("refresh tokens, revocation, introspection", () => {
  test("refresh rotates the refresh token; the old one is then invalid_grant", async () => {
    const server = await startOAuthServer();
    const { config, tokens } = await signIn(server);
    const first = tokens?.refresh_token ?? "";
    const refreshed = await client.refreshTokenGrant(config, first);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.access_token).not.toBe(tokens?.access_token);
    expect(refreshed.claims()?.email).toBe("alice@example.com");
    expect(server.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });

    const reuse = await server.tryRefresh(first);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe("invalid_grant");
    // oidc-provider's reuse detection: presenting a rotated refresh token revokes the whole grant.
    expect((await server.tryRefresh(refreshed.refresh_token ?? "")).body.error).toBe("invalid_grant");
    // tryRefresh is the test's own probe: not counted.
    expect(server.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });

    expect(await oauthError(client.refreshTokenGrant(config, first))).toBe("invalid_grant");
    expect(server.counts()).toMatchObject({ refresh: 1, refreshFailed: 1 });
  });

  test("a successful tryRefresh returns fresh tokens", async () => {
    const server = await startOAuthServer();
    const { tokens } = await signIn(server);
    const r = await server.tryRefresh(tokens?.refresh_token ?? "");
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toEqual(expect.any(String));
    expect(r.body.access_token).toEqual(expect.any(String));
  });

  test("revoking the refresh token kills it (and the grant's access token); counts show the revocation", async () => {
    const server = await startOAuthServer();
    const { config, tokens } = await signIn(server);
    const refreshToken = tokens?.refresh_token ?? "";
    expect((await server.introspect(refreshToken)).active).toBe(true);
    await client.tokenRevocation(config, refreshToken, { token_type_hint: "refresh_token" });
    expect(server.counts().revocations).toBe(1);
    const after = await server.tryRefresh(refreshToken);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe("invalid_grant");
    expect((await server.introspect(refreshToken)).active).toBe(false);
    expect((await server.introspect(tokens?.access_token ?? "")).active).toBe(false);
  });

  test("introspection: a fresh access token is active, and inactive once accessTokenTtl has passed", async () => {
    const server = await startOAuthServer({ accessTokenTtl: 1 });
    // Token times are whole seconds (exp = iat + 1), so a 1 s token issued late in a second lives only
    // until the next one: exchange the code just after a second starts.
    const { tokens } = await signIn(server, { beforeExchange: () => sleep(1_020 - (Date.now() % 1_000)) });
    expect(tokens?.expires_in).toBe(1);
    const fresh = await server.introspect(tokens?.access_token ?? "");
    expect(fresh).toMatchObject({ active: true, sub: "alice", client_id: server.clientId, token_type: "Bearer" });
    await sleep(2_000);
    expect(await server.introspect(tokens?.access_token ?? "")).toEqual({ active: false });
    expect(await server.introspect("not-a-token")).toEqual({ active: false });
  });
});

describe("metadata", () => {
  test("oauth2 discovery: no openid-configuration, metadata at oauth-authorization-server", async () => {
    const server = await startOAuthServer({ discovery: "oauth2" });
    const oidc = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    expect(oidc.status).toBe(404);
    const res = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.token_endpoint).toBe(`${server.issuer}/token`);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);

    const config = await discover(server, "oauth2");
    expect(config.serverMetadata().authorization_endpoint).toBe(`${server.issuer}/auth`);
    await expect(discover(server, "oidc")).rejects.toThrow();
  });

  test("oidc discovery (default) advertises every endpoint the CLI uses", async () => {
    const server = await startOAuthServer();
    const metadata = (await discover(server)).serverMetadata();
    expect(metadata).toMatchObject({
      issuer: server.issuer,
      authorization_endpoint: `${server.issuer}/auth`,
      token_endpoint: `${server.issuer}/token`,
      revocation_endpoint: `${server.issuer}/token/revocation`,
      introspection_endpoint: `${server.issuer}/token/introspection`,
      device_authorization_endpoint: `${server.issuer}/device/auth`,
    });
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]),
    );
  });

  test("revocation: false and deviceFlow: false drop those endpoints from the metadata", async () => {
    const server = await startOAuthServer({ revocation: false, deviceFlow: false });
    const metadata = (await discover(server)).serverMetadata();
    expect(metadata.revocation_endpoint).toBeUndefined();
    expect(metadata.device_authorization_endpoint).toBeUndefined();
    expect(metadata.token_endpoint).toBe(`${server.issuer}/token`);
    const res = await fetch(`${server.issuer}/token/revocation`, { method: "POST" });
    expect(res.status).toBe(404);
  });

  test("close() is idempotent and frees the port", async () => {
    const server = await startOAuthServer();
    await server.close();
    await server.close();
    await expect(fetch(`${server.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
