/**
 * Self-tests of test/support/openai-fake.ts, driven with plain fetch exactly as OpenAI's Codex CLI speaks
 * the protocol (codex-rs/login, codex-api): if these pass, a client that passes against the fake speaks it too.
 */
import { createHash, createPublicKey, type JsonWebKey, randomBytes, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CODEX_CLIENT_ID, type OpenAIFake, startOpenAIFake } from "./support/openai-fake.js";

const REDIRECT = "http://localhost:1455/auth/callback";

function pkce() {
  const verifier = randomBytes(64).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(fake: OpenAIFake, challenge: string, extra: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: fake.clientId,
    redirect_uri: REDIRECT,
    scope: "openid profile email offline_access api.connectors.read api.connectors.invoke",
    code_challenge: challenge,
    code_challenge_method: "S256",
    id_token_add_organizations: "true",
    codex_cli_simplified_flow: "true",
    state: randomBytes(32).toString("base64url"),
    originator: "codex_cli_rs",
    ...extra,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${fake.issuer}/oauth/authorize?${q}`;
}

/** The browser's part: the fake answers the authorize request with a redirect to the loopback. */
async function authorize(fake: OpenAIFake, challenge: string, extra: Record<string, string | undefined> = {}) {
  const res = await fetch(authorizeUrl(fake, challenge, extra), { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location") ?? "");
}

function exchange(fake: OpenAIFake, code: string, verifier: string, redirectUri = REDIRECT) {
  return fetch(`${fake.issuer}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      client_id: fake.clientId,
      code_verifier: verifier,
    }),
  });
}

async function signIn(fake: OpenAIFake, extra: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkce();
  const code = (await authorize(fake, challenge, extra)).searchParams.get("code") ?? "";
  const res = await exchange(fake, code, verifier);
  expect(res.status).toBe(200);
  return (await res.json()) as { id_token: string; access_token: string; refresh_token: string };
}

function refresh(fake: OpenAIFake, refreshToken: string) {
  return fetch(`${fake.issuer}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: fake.clientId, grant_type: "refresh_token", refresh_token: refreshToken }),
  });
}

function postJson(url: string, body: unknown) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function responses(
  fake: OpenAIFake,
  accessToken: string,
  accountId: string | undefined,
  body: Record<string, unknown> = {},
  headerChanges: Record<string, string | undefined> = {},
) {
  const headers: Record<string, string | undefined> = {
    authorization: `Bearer ${accessToken}`,
    "content-type": "application/json",
    accept: "text/event-stream",
    originator: "codex_cli_rs",
    session_id: "0199a0c2-0000-7000-8000-000000000000",
  };
  if (accountId !== undefined) headers["chatgpt-account-id"] = accountId;
  Object.assign(headers, headerChanges);
  return fetch(`${fake.chatgptBaseUrl}/responses`, {
    method: "POST",
    headers: Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined)),
    body: JSON.stringify({
      model: "gpt-5.1-codex",
      instructions: "You are Codex.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi there" }] }],
      tools: [],
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning: null,
      store: false,
      stream: true,
      include: [],
      ...body,
    }),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: SSE payloads are read field by field
function sseEvents(text: string): any[] {
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("event: "))
    .map((e) => JSON.parse(e.split("\ndata: ")[1] ?? ""));
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8"));
}

describe("openai-fake: browser sign-in", () => {
  it("answers a faithful authorize request with a redirect carrying code and state", async () => {
    const fake = await startOpenAIFake();
    const { challenge } = pkce();
    const url = authorizeUrl(fake, challenge, { state: "st-1" });
    const res = await fetch(url, { redirect: "manual" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("st-1");
    expect(location.searchParams.get("code")).toMatch(/^ac_/);
    expect(fake.authorizeRequests[0]).toMatchObject({ outcome: "code", accountId: fake.user.accountId });
    expect(fake.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.chatgptBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/backend-api\/codex$/);
    expect(fake.clientId).toBe(CODEX_CLIENT_ID);
  });

  it("refuses, with a readable 400 page, every parameter Codex would not send", async () => {
    const fake = await startOpenAIFake({ expectedOriginator: "codex_cli_rs", redirectPorts: [1455, 1457] });
    const { challenge } = pkce();
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{ response_type: "token" }, "response_type"],
      [{ client_id: "app_other" }, "client_id"],
      [{ redirect_uri: "http://127.0.0.1:1455/auth/callback" }, "redirect_uri"],
      [{ redirect_uri: "http://localhost:1455/callback" }, "redirect_uri"],
      [{ redirect_uri: "http://localhost:9999/auth/callback" }, "redirect_uri"],
      [{ scope: "openid profile email" }, "scope"],
      [{ code_challenge: undefined }, "code_challenge"],
      [{ code_challenge_method: "plain" }, "code_challenge_method"],
      [{ id_token_add_organizations: undefined }, "id_token_add_organizations"],
      [{ codex_cli_simplified_flow: "false" }, "codex_cli_simplified_flow"],
      [{ state: undefined }, "state"],
      [{ originator: "something_else" }, "originator"],
    ];
    for (const [extra, name] of cases) {
      const res = await fetch(authorizeUrl(fake, challenge, extra), { redirect: "manual" });
      expect(res.status, name).toBe(400);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(await res.text()).toContain(`${name} is`);
    }
    const ok = await fetch(authorizeUrl(fake, challenge, { redirect_uri: "http://localhost:1457/auth/callback" }), {
      redirect: "manual",
    });
    expect(ok.status).toBe(302);
  });

  it("denies on request, including the missing_codex_entitlement variant", async () => {
    const fake = await startOpenAIFake();
    const { challenge } = pkce();
    fake.denyNextAuthorize("missing_codex_entitlement");
    const denied = await authorize(fake, challenge, { state: "s" });
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("error_description")).toBe("missing_codex_entitlement");
    expect(denied.searchParams.get("state")).toBe("s");
    expect(denied.searchParams.has("code")).toBe(false);
    fake.denyNextAuthorize();
    expect((await authorize(fake, challenge)).searchParams.get("error")).toBe("access_denied");
    expect((await authorize(fake, challenge)).searchParams.has("code")).toBe(true);
  });

  it("enforces PKCE, binds the code to its redirect_uri, and lets a code be used once", async () => {
    const fake = await startOpenAIFake();
    const { verifier, challenge } = pkce();
    const code = (await authorize(fake, challenge)).searchParams.get("code") ?? "";
    const wrong = await exchange(fake, code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    expect((await exchange(fake, code, verifier, "http://localhost:1457/auth/callback")).status).toBe(400);
    const json = await postJson(`${fake.issuer}/oauth/token`, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: fake.clientId,
      code_verifier: verifier,
    });
    expect(json.status).toBe(400); // Codex sends the exchange form-encoded
    const ok = await exchange(fake, code, verifier);
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as Record<string, unknown>;
    expect(Object.keys(tokens)).toEqual(expect.arrayContaining(["id_token", "access_token", "refresh_token"]));
    const again = await exchange(fake, code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
    // The replayed code took back what it had issued.
    expect(fake.accessTokenState(tokens.access_token as string)).toBe("revoked");
    expect(fake.tokenRequests.map((r) => r.status)).toEqual([400, 400, 400, 200, 400]);
    expect(JSON.stringify(fake.tokenRequests)).not.toContain(verifier);
  });

  it("issues RS256 JWTs, published in the JWKS, with the claims where OpenAI puts them", async () => {
    const fake = await startOpenAIFake({ user: { email: "ada@example.com", planType: "pro" } });
    const t = await signIn(fake);
    const jwks = (await (await fetch(`${fake.issuer}/.well-known/jwks.json`)).json()) as { keys: JsonWebKeyWithKid[] };
    for (const jwt of [t.id_token, t.access_token]) {
      const [h, p, s] = jwt.split(".") as [string, string, string];
      const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      expect(jwk).toBeDefined();
      const key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
      expect(verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))).toBe(true);
    }
    const id = claims(t.id_token);
    expect(id).toMatchObject({ iss: fake.issuer, aud: fake.clientId, sub: fake.user.sub, email: "ada@example.com" });
    expect(typeof id.iat).toBe("number");
    expect(id["https://api.openai.com/auth"]).toMatchObject({
      chatgpt_account_id: fake.user.accountId,
      chatgpt_plan_type: "pro",
      chatgpt_user_id: fake.user.chatgptUserId,
    });
    const access = claims(t.access_token);
    expect(access).toMatchObject({ iss: fake.issuer, client_id: fake.clientId, sub: fake.user.sub });
    expect((access.exp as number) - (access.iat as number)).toBe(3600);
    expect(access["https://api.openai.com/auth"]).toMatchObject({
      chatgpt_account_id: fake.user.accountId,
      chatgpt_plan_type: "pro",
    });
  });

  it("can put the email only under https://api.openai.com/profile", async () => {
    const fake = await startOpenAIFake({ user: { email: "p@example.com", emailOnlyInProfile: true } });
    const id = claims((await signIn(fake)).id_token);
    expect(id.email).toBeUndefined();
    expect(id["https://api.openai.com/profile"]).toEqual({ email: "p@example.com", email_verified: true });
  });

  it("picks the allowed workspace, and refuses one the user is not in", async () => {
    const fake = await startOpenAIFake({
      user: { workspaces: [{ accountId: "acct-home" }, { accountId: "acct-work", planType: "team" }] },
    });
    const t = await signIn(fake, { allowed_workspace_id: "acct-other,acct-work" });
    expect(claims(t.id_token)["https://api.openai.com/auth"]).toMatchObject({
      chatgpt_account_id: "acct-work",
      chatgpt_plan_type: "team",
    });
    const refused = await authorize(fake, pkce().challenge, { allowed_workspace_id: "acct-other" });
    expect(refused.searchParams.get("error")).toBe("access_denied");
    expect(refused.searchParams.has("code")).toBe(false);
    const lax = await startOpenAIFake({ ignoreAllowedWorkspace: true });
    const mismatched = await signIn(lax, { allowed_workspace_id: "acct-other" });
    expect(claims(mismatched.id_token)["https://api.openai.com/auth"]).toMatchObject({
      chatgpt_account_id: lax.user.accountId,
    });
  });
});

describe("openai-fake: refresh", () => {
  it("rotates; a reused refresh token is refresh_token_reused (401) and ends the whole family", async () => {
    const fake = await startOpenAIFake();
    const first = await signIn(fake);
    const r1 = await refresh(fake, first.refresh_token);
    expect(r1.status).toBe(200);
    const second = (await r1.json()) as Record<string, string>;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.id_token).toBeDefined();
    expect(fake.refreshCount).toBe(1);

    const reused = await refresh(fake, first.refresh_token);
    expect(reused.status).toBe(401);
    // The body codex-rs/login/src/auth/util.rs quotes; Codex reads error.code (manager.rs).
    expect(await reused.json()).toEqual({
      error: {
        message:
          "Your refresh token has already been used to generate a new access token. Please try signing in again.",
        type: "invalid_request_error",
        param: null,
        code: "refresh_token_reused",
      },
    });
    const latest = await refresh(fake, second.refresh_token as string);
    expect(latest.status).toBe(401);
    expect(((await latest.json()) as { error: { code: string } }).error.code).toBe("refresh_token_invalidated");
    expect(fake.accessTokenState(second.access_token as string)).toBe("revoked");
    expect((await responses(fake, second.access_token as string, fake.user.accountId)).status).toBe(401);
    expect(fake.refreshCount).toBe(1);
  });

  it("answers refresh_token_expired and refresh_token_invalidated through the hooks", async () => {
    const fake = await startOpenAIFake();
    const a = await signIn(fake);
    fake.expireRefreshToken(a.refresh_token);
    const expired = await refresh(fake, a.refresh_token);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe("refresh_token_expired");
    const b = await signIn(fake);
    fake.invalidateRefreshToken();
    const invalid = await refresh(fake, b.refresh_token);
    expect(invalid.status).toBe(401);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("refresh_token_invalidated");
  });

  it("takes JSON only (as Codex sends it), and can fail transiently", async () => {
    const fake = await startOpenAIFake();
    const t = await signIn(fake);
    const form = await fetch(`${fake.issuer}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: fake.clientId,
        grant_type: "refresh_token",
        refresh_token: t.refresh_token,
      }),
    });
    expect(form.status).toBe(400);
    fake.failNextRefresh();
    expect((await refresh(fake, t.refresh_token)).status).toBe(500);
    expect((await refresh(fake, t.refresh_token)).status).toBe(200);
  });

  it("can omit refresh_token and id_token from the answer, keeping the old refresh token valid", async () => {
    const fake = await startOpenAIFake({ rotateRefreshTokens: false, refreshOmitsIdToken: true });
    const t = await signIn(fake);
    const body = (await (await refresh(fake, t.refresh_token)).json()) as Record<string, unknown>;
    expect(body.access_token).toBeDefined();
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
    expect((await refresh(fake, t.refresh_token)).status).toBe(200);
  });
});

describe("openai-fake: device sign-in", () => {
  it("gives the interval as a string, is pending with 403, then hands out a code to exchange", async () => {
    const fake = await startOpenAIFake({ deviceInterval: "0" });
    const uc = await postJson(`${fake.issuer}/api/accounts/deviceauth/usercode`, { client_id: fake.clientId });
    expect(uc.status).toBe(200);
    const dc = (await uc.json()) as { device_auth_id: string; user_code: string; interval: unknown };
    expect(dc.interval).toBe("0");
    expect(dc.user_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{5}$/);
    const poll = () =>
      postJson(`${fake.issuer}/api/accounts/deviceauth/token`, {
        device_auth_id: dc.device_auth_id,
        user_code: dc.user_code,
      });
    expect((await poll()).status).toBe(403);
    expect((await poll()).status).toBe(403);
    fake.approveDevice(dc.user_code);
    const ok = await poll();
    expect(ok.status).toBe(200);
    const answer = (await ok.json()) as { authorization_code: string; code_challenge: string; code_verifier: string };
    expect(Object.keys(answer).sort()).toEqual(["authorization_code", "code_challenge", "code_verifier"]);
    expect(createHash("sha256").update(answer.code_verifier).digest("base64url")).toBe(answer.code_challenge);
    expect((await exchange(fake, answer.authorization_code, answer.code_verifier)).status).toBe(400);
    const tokens = await exchange(
      fake,
      answer.authorization_code,
      answer.code_verifier,
      `${fake.issuer}/deviceauth/callback`,
    );
    expect(tokens.status).toBe(200);
    expect(fake.devicePolls.map((p) => p.status)).toEqual([403, 403, 200]);
    expect(fake.devicePolls[1]?.at).toBeGreaterThanOrEqual(fake.devicePolls[0]?.at ?? Infinity);
    expect((await poll()).status).toBe(400); // consumed
  });

  it("answers 404 when device sign-in is not enabled", async () => {
    const fake = await startOpenAIFake({ deviceAuthEnabled: false });
    const res = await postJson(`${fake.issuer}/api/accounts/deviceauth/usercode`, { client_id: fake.clientId });
    expect(res.status).toBe(404);
    expect((await fetch(`${fake.issuer}/codex/device`)).headers.get("content-type")).toContain("text/html");
  });

  it("denies (401 authorization_declined) and expires (a status Codex does not poll on)", async () => {
    const fake = await startOpenAIFake({ devicePendingStatus: 404 });
    const start = async () =>
      (await (
        await postJson(`${fake.issuer}/api/accounts/deviceauth/usercode`, { client_id: fake.clientId })
      ).json()) as { device_auth_id: string; user_code: string };
    const poll = (d: { device_auth_id: string; user_code: string }) =>
      postJson(`${fake.issuer}/api/accounts/deviceauth/token`, d);
    const a = await start();
    expect((await poll(a)).status).toBe(404);
    fake.denyDevice(a.user_code);
    const denied = await poll(a);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: "authorization_declined", error_description: "Denied" });
    const b = await start();
    fake.expireDevice(b.user_code);
    expect((await poll(b)).status).toBe(410);
  });
});

describe("openai-fake: revocation and the backend", () => {
  it("a revoked access token is refused by the backend; a revoked refresh token ends its family", async () => {
    const fake = await startOpenAIFake();
    const t = await signIn(fake);
    expect((await responses(fake, t.access_token, fake.user.accountId)).status).toBe(200);
    const r = await postJson(`${fake.issuer}/oauth/revoke`, { token: t.access_token, token_type_hint: "access_token" });
    expect(r.status).toBe(200);
    const refused = await responses(fake, t.access_token, fake.user.accountId);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("token_invalidated");

    const u = await signIn(fake);
    const rr = await postJson(`${fake.issuer}/oauth/revoke`, {
      token: u.refresh_token,
      token_type_hint: "refresh_token",
      client_id: fake.clientId,
    });
    expect(rr.status).toBe(200);
    expect((await refresh(fake, u.refresh_token)).status).toBe(401);
    expect(fake.accessTokenState(u.access_token)).toBe("revoked");
    expect(fake.revocations).toEqual([
      expect.objectContaining({ kind: "access_token", tokenTypeHint: "access_token", status: 200 }),
      expect.objectContaining({
        kind: "refresh_token",
        clientId: fake.clientId,
        tokenSha256: fake.hash(u.refresh_token),
      }),
    ]);
    expect(JSON.stringify(fake.revocations)).not.toContain(u.refresh_token);
    const form = await fetch(`${fake.issuer}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: u.access_token }),
    });
    expect(form.status).toBe(400);
  });

  it("streams a Responses reply echoing the last user message, and records the request without secrets", async () => {
    const fake = await startOpenAIFake();
    const t = fake.mintSession();
    const res = await responses(fake, t.accessToken, fake.user.accountId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = sseEvents(await res.text());
    expect(events[0].type).toBe("response.created");
    const text = events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
    expect(text).toBe("You said: hi there");
    const done = events.at(-1);
    expect(done.type).toBe("response.completed");
    expect(done.response.usage).toMatchObject({ input_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    const rec = fake.backendRequests[0];
    expect(rec).toMatchObject({ path: "/backend-api/codex/responses", auth: "live", status: 200 });
    expect(rec?.headers.originator).toBe("codex_cli_rs");
    expect(rec?.headers["chatgpt-account-id"]).toBe(fake.user.accountId);
    expect(rec?.headers.session_id).toBeDefined();
    expect(rec?.body.store).toBe(false);
    expect(JSON.stringify(fake.backendRequests)).not.toContain(t.accessToken);
  });

  it("refuses a missing or wrong account header, an expired or unknown token, and a body Codex would not send", async () => {
    const fake = await startOpenAIFake();
    const t = fake.mintSession();
    const account = fake.user.accountId;
    const missing = await responses(fake, t.accessToken, undefined);
    expect(missing.status).toBe(403);
    expect((await responses(fake, t.accessToken, "acct-someone-else")).status).toBe(403);
    const expired = await responses(fake, fake.mintSession({ accessTokenTtlSeconds: -5 }).accessToken, account);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe("token_expired");
    const unknown = await responses(fake, fake.sign({ sub: "forged" }), account);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ detail: "Unauthorized" });
    const bodies: Array<[Record<string, unknown>, string]> = [
      [{ store: true }, "Store must be set to false"],
      [{ store: undefined }, "Store must be set to false"],
      [{ stream: false }, "Stream must be set to true"],
      [{ instructions: undefined }, "Instructions are required"],
      [{ input: "hi" }, "Input must be a list"],
      [{ model: "gpt-4o" }, "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account."],
    ];
    for (const [body, detail] of bodies) {
      const res = await responses(fake, t.accessToken, account, body);
      expect(res.status, detail).toBe(400);
      expect(await res.json()).toEqual({ detail });
    }
    const noOriginator = await responses(fake, t.accessToken, account, {}, { originator: undefined });
    expect(noOriginator.status).toBe(400);
    expect(await noOriginator.json()).toEqual({ detail: "Missing originator header." });
  });

  it("expires a short-lived access token on time", async () => {
    const fake = await startOpenAIFake({ accessTokenTtlSeconds: 1 });
    const t = fake.mintSession();
    expect(fake.accessTokenState(t.accessToken)).toBe("live");
    // exp = floor(issue time) + 1, so it has passed at most 1 s after issue.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await responses(fake, t.accessToken, fake.user.accountId)).status).toBe(401);
  });

  it("lists models for GET /models?client_version=…, with the same auth checks", async () => {
    const fake = await startOpenAIFake({ models: ["gpt-5.1-codex", "gpt-5"] });
    const t = fake.mintSession();
    const headers = {
      authorization: `Bearer ${t.accessToken}`,
      "chatgpt-account-id": fake.user.accountId ?? "",
      originator: "codex_cli_rs",
    };
    const res = await fetch(`${fake.chatgptBaseUrl}/models?client_version=0.99.0`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBeTruthy();
    const body = (await res.json()) as { models: Array<Record<string, unknown>> };
    expect(body.models.map((m) => m.slug)).toEqual(["gpt-5.1-codex", "gpt-5"]);
    expect(body.models[0]).toMatchObject({ visibility: "list", supported_in_api: true, priority: 1 });
    expect((await fetch(`${fake.chatgptBaseUrl}/models`, { headers })).status).toBe(400);
    expect((await fetch(`${fake.chatgptBaseUrl}/models?client_version=1`)).status).toBe(401);
  });

  it("bounds request bodies to 1 MiB", async () => {
    const fake = await startOpenAIFake();
    const big = "x".repeat(1024 * 1024 + 1);
    const res = await fetch(`${fake.issuer}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: big,
    });
    expect(res.status).toBe(413);
    const t = fake.mintSession();
    expect((await responses(fake, t.accessToken, fake.user.accountId, { pad: big })).status).toBe(413);
  });
});

describe("openai-fake: options", () => {
  it("consumes a refresh token before a slow answer, so a concurrent second use is a reuse", async () => {
    const fake = await startOpenAIFake({ refreshDelayMs: 150 });
    const t = fake.mintSession();
    const [a, b] = await Promise.all([refresh(fake, t.refreshToken), refresh(fake, t.refreshToken)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const won = (await (a.status === 200 ? a : b).json()) as { access_token: string };
    expect(fake.accessTokenState(won.access_token)).toBe("revoked");
    expect(fake.refreshCount).toBe(1);
  });

  it("answers Codex's best-effort API-key exchange only when given a key", async () => {
    const exchangeKey = (fake: OpenAIFake, idToken: string) =>
      fetch(`${fake.issuer}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          client_id: fake.clientId,
          requested_token: "openai-api-key",
          subject_token: idToken,
          subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        }),
      });
    const plain = await startOpenAIFake();
    expect((await exchangeKey(plain, plain.mintSession().idToken)).status).toBe(400);
    const keyed = await startOpenAIFake({ apiKey: "sk-fake-key" });
    const res = await exchangeKey(keyed, keyed.mintSession().idToken);
    expect(await res.json()).toEqual({ access_token: "sk-fake-key" });
    expect(keyed.tokenRequests[0]).toMatchObject({
      grantType: "urn:ietf:params:oauth:grant-type:token-exchange",
      params: { subject_token: "<redacted>", requested_token: "openai-api-key" },
    });
  });

  it("checks instructions when told to, and replies as told", async () => {
    const fake = await startOpenAIFake({
      requiredInstructions: "You are Codex.",
      reply: ({ lastUserText }) => `<${lastUserText}>`,
    });
    const t = fake.mintSession();
    const bad = await responses(fake, t.accessToken, fake.user.accountId, { instructions: "Be a pirate." });
    expect(await bad.json()).toEqual({ detail: "Instructions are not valid" });
    const ok = await responses(fake, t.accessToken, fake.user.accountId);
    const deltas = sseEvents(await ok.text()).filter((e) => e.type === "response.output_text.delta");
    expect(deltas.map((e) => e.delta).join("")).toBe("<hi there>");
  });

  it("serves a user without a workspace: no account claim, and no account header expected", async () => {
    const fake = await startOpenAIFake({
      user: { workspaces: [] },
      idTokenClaims: { email: "x\u001b[31m@example.com" },
    });
    const t = fake.mintSession();
    const auth = claims(t.idToken)["https://api.openai.com/auth"] as Record<string, unknown>;
    expect(auth.chatgpt_account_id).toBeUndefined();
    expect(claims(t.idToken).email).toBe("x\u001b[31m@example.com");
    expect((await responses(fake, t.accessToken, undefined)).status).toBe(200);
    expect((await responses(fake, t.accessToken, "acct-x")).status).toBe(403);
  });

  it("lets a browser approve a device code on the verification page, and records usercode requests", async () => {
    const fake = await startOpenAIFake();
    const dc = (await (
      await postJson(`${fake.issuer}/api/accounts/deviceauth/usercode`, { client_id: fake.clientId })
    ).json()) as { device_auth_id: string; user_code: string };
    const page = await fetch(`${fake.issuer}/codex/device`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ user_code: dc.user_code }),
    });
    expect(page.status).toBe(200);
    expect((await postJson(`${fake.issuer}/api/accounts/deviceauth/token`, dc)).status).toBe(200);
    expect(fake.deviceCodeRequests).toEqual([{ clientId: fake.clientId, status: 200 }]);
    const wrongClient = await postJson(`${fake.issuer}/api/accounts/deviceauth/usercode`, { client_id: "app_x" });
    expect(wrongClient.status).toBe(400);
  });

  it("changes the lifetime of access tokens issued from then on", async () => {
    const fake = await startOpenAIFake();
    fake.setAccessTokenTtl(-1);
    const t = fake.mintSession();
    expect(fake.accessTokenState(t.accessToken)).toBe("expired");
  });
});

type JsonWebKeyWithKid = JsonWebKey & { kid?: string };
