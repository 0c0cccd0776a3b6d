/**
 * A ChatGPT session in use, end to end: the CLI against the OpenAI fake (./support/openai-fake.ts,
 * auth.openai.com and the ChatGPT Codex backend on 127.0.0.1), with config.toml (or the keyring) seeded as
 * a sign-in leaves it. `run` and `chat` reach `{chatgpt_base_url}/codex/responses` as OpenAI's Codex CLI
 * sends them; the session is renewed with Codex's JSON refresh before a request (5 minutes before `exp`, or
 * 8 days after the last renewal without one) and once after a 401, one refresh between ten processes;
 * OpenAI's three refusal codes end it; `logout` revokes with JSON; `status` shows the plan and a masked
 * workspace and `--check` asks the backend; the session goes only to providers that take OpenAI's
 * credentials, and config.toml's sign-in restrictions rule it out. No token ever appears in any output.
 */
import { existsSync, readFileSync } from "node:fs";
import { Config, openClient } from "codex-credentials";
import { describe, expect, onTestFinished, test } from "vitest";
import { expectNoSecret, freePort, runCli, type RunResult, storedSession, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type Keyring, startKeyring } from "./support/keyring.js";
import {
  CODEX_CLIENT_ID,
  type OpenAIFake,
  type OpenAIFakeOptions,
  type SessionTokens,
  startOpenAIFake,
} from "./support/openai-fake.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The backend-api ROOT, which `chatgpt_base_url` names (requests go to `{it}/codex`). */
const backendRoot = (fake: OpenAIFake) => fake.chatgptBaseUrl.replace(/\/codex$/, "");
const hostOf = (url: string) => new URL(url).host;
const last4 = (s: string) => s.slice(-4);

function jwtExp(jwt: string): number {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")).exp as number;
}

/** A TOML datetime as codex writes them. */
const tomlDate = (d: Date) => d.toISOString();

interface SeedOptions {
  /** Options for a fake started here (ignored with `fake`). */
  fakeOptions?: OpenAIFakeOptions;
  fake?: OpenAIFake;
  /** The access token's lifetime (default: the fake's). */
  accessTokenTtlSeconds?: number;
  /** Tokens to store instead of a freshly minted session's. */
  tokens?: SessionTokens;
  /** `expires_at`: the token's own exp (default), another date, or absent. */
  expiresAt?: Date | null;
  /** `refreshed_at` (default now). */
  refreshedAt?: Date;
  /** Top-level lines of the user's own (before any table). */
  top?: string;
  /** Tables of the user's own, after [oauth]. */
  tables?: string;
  /** The session's issuer (default the fake's). */
  sessionIssuer?: string;
}

interface Seeded {
  fake: OpenAIFake;
  home: string;
  codexHome: string;
  configFile: string;
  tokens: SessionTokens;
  /** config.toml as seeded. */
  seeded: string;
  /** config.toml as seeded, less `auth_token` and `[oauth_session]`: what logout must leave. */
  withoutCredential: string;
  /** Runs the CLI; no token known so far may appear in its output. */
  cli(
    args: string[],
    opts?: { env?: Record<string, string | undefined>; input?: string; spawned?: boolean },
  ): Promise<RunResult>;
  /** Remembers a token (read from the file) as a secret that no output may contain. */
  secret(...tokens: Array<string | undefined>): void;
  /** No token seen in this test appears in any output of any command run in it. */
  noSecretLeaked(): void;
}

/**
 * A CODEX_HOME signed in with ChatGPT, as a sign-in leaves it: `auth_token` and `[oauth_session]` with the
 * session's claims, `[oauth]` at the fake with `protocol = "openai"`, `chatgpt_base_url` at its backend.
 */
async function seed(opts: SeedOptions = {}): Promise<Seeded> {
  const fake = opts.fake ?? (await startOpenAIFake(opts.fakeOptions));
  const tokens =
    opts.tokens ??
    fake.mintSession(
      opts.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: opts.accessTokenTtlSeconds },
    );
  const expiresAt = opts.expiresAt === undefined ? new Date(jwtExp(tokens.accessToken) * 1000) : opts.expiresAt;
  const top = `chatgpt_base_url = "${backendRoot(fake)}"\n${opts.top ?? ""}`;
  const oauth = `[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`;
  const session = [
    "[oauth_session]",
    `issuer = "${opts.sessionIssuer ?? fake.issuer}"`,
    `client_id = "${CODEX_CLIENT_ID}"`,
    `refresh_token = "${tokens.refreshToken}"`,
    ...(expiresAt === null ? [] : [`expires_at = ${tomlDate(expiresAt)}`]),
    `account = "${fake.user.email}"`,
    `subject = "${fake.user.sub}"`,
    'protocol = "openai"',
    `chatgpt_account_id = "${fake.user.accountId}"`,
    `chatgpt_plan_type = "${fake.user.planType}"`,
    `chatgpt_user_id = "${fake.user.chatgptUserId}"`,
    `refreshed_at = ${tomlDate(opts.refreshedAt ?? new Date())}`,
    "",
  ].join("\n");
  const tables = opts.tables ?? "";
  const seeded = `${top}auth_token = "${tokens.accessToken}"\n\n${oauth}${tables}\n${session}`;
  const withoutCredential = `${top}\n${oauth}${tables}`;
  const { home, codexHome, configFile } = withConfig(seeded);
  const secrets = new Set<string>([tokens.accessToken, tokens.refreshToken, tokens.idToken]);
  const results: RunResult[] = [];
  return {
    fake,
    home,
    codexHome,
    configFile,
    tokens,
    seeded,
    withoutCredential,
    async cli(args, o = {}) {
      const r = await (o.spawned ? runCli : runCliInProcess)(args, { home, env: o.env, input: o.input });
      results.push(r);
      expectNoSecret(r, ...secrets);
      expect(r.stderr).not.toMatch(/\n\s+at |unexpected failure/);
      return r;
    },
    secret(...more) {
      for (const t of more) if (t !== undefined) secrets.add(t);
    },
    noSecretLeaked() {
      for (const t of [storedSession(configFile).access, storedSession(configFile).refresh])
        if (t !== undefined) secrets.add(t);
      for (const r of results) expectNoSecret(r, ...secrets);
    },
  };
}

/** A refresh the way Codex sends it, from the test: consumes (rotates) the refresh token at the fake. */
async function refreshAtFake(fake: OpenAIFake, refreshToken: string) {
  const res = await fetch(`${fake.issuer}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: fake.clientId, grant_type: "refresh_token", refresh_token: refreshToken }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string; id_token: string };
}

/** Revokes a token at the fake as another client (or the user, on the web) would: JSON, revoke.rs's shape. */
async function revokeAtFake(fake: OpenAIFake, token: string, hint: "refresh_token" | "access_token") {
  const res = await fetch(`${fake.issuer}/oauth/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      token,
      token_type_hint: hint,
      ...(hint === "refresh_token" ? { client_id: fake.clientId } : {}),
    }),
  });
  expect(res.status).toBe(200);
}

/** The refresh requests the fake received (the code exchange and device calls are not made here). */
const refreshes = (fake: OpenAIFake) => fake.tokenRequests.filter((t) => t.grantType === "refresh_token");

describe("run and chat reach the ChatGPT backend as Codex sends them", () => {
  test("run: POST {chatgpt}/codex/responses with the bearer, ChatGPT-Account-ID, originator, a session_id, SSE; instructions, store false, stream true; the reply printed", async () => {
    const s = await seed();
    const r = await s.cli(["run", "explain PKCE"]);
    expect(r).toMatchObject({ code: 0, stdout: "You said: explain PKCE\n", stderr: "" });
    expect(s.fake.backendRequests).toHaveLength(1);
    const req = s.fake.backendRequests[0];
    expect(req).toMatchObject({
      method: "POST",
      path: "/backend-api/codex/responses",
      auth: "live",
      tokenSha256: s.fake.hash(s.tokens.accessToken),
      status: 200,
    });
    expect(req?.headers).toMatchObject({
      "chatgpt-account-id": s.fake.user.accountId,
      originator: "codex_cli_rs",
      accept: "text/event-stream",
      "content-type": "application/json",
    });
    expect(req?.headers.session_id).toMatch(UUID);
    expect(req?.body).toEqual({
      model: "gpt-5",
      instructions: expect.stringMatching(/\S/),
      input: [{ role: "user", content: "explain PKCE" }],
      store: false,
      stream: true,
    });
    // Nothing renewed: the token had an hour left.
    expect(s.fake.tokenRequests).toEqual([]);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.seeded);

    // Another process, another session_id.
    const again = await s.cli(["run", "--json", "once more"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ text: "You said: once more", model: "gpt-5", provider: "openai" });
    expect(s.fake.backendRequests[1]?.headers.session_id).toMatch(UUID);
    expect(s.fake.backendRequests[1]?.headers.session_id).not.toBe(req?.headers.session_id);
    s.noSecretLeaked();
  });

  test("chat, piped: two turns, one session_id for the process, the second turn carrying the first", async () => {
    const s = await seed();
    const r = await s.cli(["chat"], { input: "pick a number\nnow double it\n" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("You said: pick a number\n");
    expect(r.stdout).toContain("You said: now double it\n");
    const [first, second] = s.fake.backendRequests;
    expect(s.fake.backendRequests).toHaveLength(2);
    for (const req of [first, second]) {
      expect(req).toMatchObject({ method: "POST", path: "/backend-api/codex/responses", auth: "live", status: 200 });
      expect(req?.headers).toMatchObject({
        "chatgpt-account-id": s.fake.user.accountId,
        originator: "codex_cli_rs",
        accept: "text/event-stream",
      });
      expect(req?.body).toMatchObject({ model: "gpt-5", instructions: expect.any(String), store: false, stream: true });
      expect(req?.body.input.every((m: { role: string }) => m.role !== "system")).toBe(true);
    }
    expect(first?.headers.session_id).toMatch(UUID);
    expect(second?.headers.session_id).toBe(first?.headers.session_id);
    expect(first?.body.input).toEqual([{ role: "user", content: "pick a number" }]);
    expect(second?.body.input).toEqual([
      { role: "user", content: "pick a number" },
      { role: "assistant", content: "You said: pick a number" },
      { role: "user", content: "now double it" },
    ]);
    s.noSecretLeaked();
  });

  test("library: a system message becomes the instructions, and is not in input", async () => {
    const s = await seed({ fakeOptions: { requiredInstructions: "Answer in one word." } });
    const env = { HOME: s.home, CODEX_HOME: s.codexHome, PATH: process.env.PATH };
    const config = await Config.load({ codexHome: s.codexHome, env });
    const client = await openClient({ config, env });
    const reply = await client.reply([
      { role: "system", content: "Answer in one word." },
      { role: "user", content: "hello" },
    ]);
    expect(reply.text).toBe("You said: hello");
    expect(s.fake.backendRequests[0]?.body).toMatchObject({
      instructions: "Answer in one word.",
      input: [{ role: "user", content: "hello" }],
      store: false,
      stream: true,
    });
  });
});

describe("renewal before a request", () => {
  test("an access token expiring within 5 minutes: one JSON refresh, then the request with the new token; config.toml gets the rotated tokens", async () => {
    const s = await seed({ accessTokenTtlSeconds: 120, refreshedAt: new Date(Date.now() - 60 * MIN) });
    const before = Date.now();
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
    expect(refreshes(s.fake)).toEqual([
      {
        grantType: "refresh_token",
        contentType: "application/json",
        status: 200,
        params: { client_id: CODEX_CLIENT_ID, grant_type: "refresh_token", refresh_token: "<redacted>" },
      },
    ]);
    expect(s.fake.tokenRequests).toHaveLength(1);
    const after = storedSession(s.configFile);
    s.secret(after.access, after.refresh);
    expect(after.access).not.toBe(s.tokens.accessToken);
    expect(after.refresh).not.toBe(s.tokens.refreshToken);
    expect(s.fake.backendRequests).toHaveLength(1);
    expect(s.fake.backendRequests[0]).toMatchObject({ auth: "live", tokenSha256: s.fake.hash(after.access ?? "") });
    // Only the tokens, their expiry and refreshed_at changed: every other byte, the chatgpt fields included, is kept.
    const newExp = new Date(jwtExp(after.access ?? "") * 1000);
    expect(after.text).toBe(
      s.seeded
        .replace(s.tokens.accessToken, after.access ?? "")
        .replace(s.tokens.refreshToken, after.refresh ?? "")
        .replace(/^expires_at = .*$/m, `expires_at = ${tomlDate(newExp)}`)
        .replace(/^refreshed_at = .*$/m, `refreshed_at = ${after.refreshedAt}`),
    );
    const refreshedAt = Date.parse(after.refreshedAt ?? "");
    expect(refreshedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(refreshedAt).toBeLessThanOrEqual(Date.now() + 1000);
    s.noSecretLeaked();
  });

  test("not renewed while 6 minutes or more remain", async () => {
    const s = await seed({ accessTokenTtlSeconds: 390 });
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n" });
    expect(s.fake.tokenRequests).toEqual([]);
    expect(s.fake.backendRequests[0]).toMatchObject({ auth: "live", tokenSha256: s.fake.hash(s.tokens.accessToken) });
    expect(readFileSync(s.configFile, "utf8")).toBe(s.seeded);
  });

  test("without expires_at: renewed when refreshed_at is more than 8 days old, not when 7", async () => {
    const fake = await startOpenAIFake();
    const fresh = await seed({ fake, expiresAt: null, refreshedAt: new Date(Date.now() - 7 * DAY) });
    const r7 = await fresh.cli(["run", "seven days"]);
    expect(r7).toMatchObject({ code: 0, stdout: "You said: seven days\n" });
    expect(refreshes(fake)).toEqual([]);
    expect(readFileSync(fresh.configFile, "utf8")).toBe(fresh.seeded);

    const old = await seed({ fake, expiresAt: null, refreshedAt: new Date(Date.now() - 8 * DAY - 60 * MIN) });
    const r8 = await old.cli(["run", "eight days"]);
    expect(r8).toMatchObject({ code: 0, stdout: "You said: eight days\n" });
    expect(refreshes(fake)).toHaveLength(1);
    const after = storedSession(old.configFile);
    old.secret(after.access, after.refresh);
    expect(after.access).not.toBe(old.tokens.accessToken);
    expect(fake.backendRequests.at(-1)).toMatchObject({ auth: "live", tokenSha256: fake.hash(after.access ?? "") });
    expect(Date.now() - Date.parse(after.refreshedAt ?? "")).toBeLessThan(MIN);
    old.noSecretLeaked();
  });
});

describe("a 401 from the backend", () => {
  test("an access token revoked at the server while its refresh token lives: one refresh, one retry", async () => {
    const s = await seed();
    await revokeAtFake(s.fake, s.tokens.accessToken, "access_token");
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
    expect(refreshes(s.fake)).toHaveLength(1);
    expect(s.fake.refreshCount).toBe(1);
    const after = storedSession(s.configFile);
    s.secret(after.access, after.refresh);
    expect(s.fake.backendRequests.map((b) => [b.auth, b.status])).toEqual([
      ["revoked", 401],
      ["live", 200],
    ]);
    expect(s.fake.backendRequests[0]?.tokenSha256).toBe(s.fake.hash(s.tokens.accessToken));
    expect(s.fake.backendRequests[1]?.tokenSha256).toBe(s.fake.hash(after.access ?? ""));
    // The retry is the same request.
    expect(s.fake.backendRequests[1]?.body).toEqual(s.fake.backendRequests[0]?.body);
    expect(s.fake.backendRequests[1]?.headers.session_id).toBe(s.fake.backendRequests[0]?.headers.session_id);
    s.noSecretLeaked();
  });

  test("a 401 again after the refresh: no second refresh, exit 4", async () => {
    const s = await seed();
    await revokeAtFake(s.fake, s.tokens.accessToken, "access_token");
    // Every token the refresh gives out is already expired when it reaches the backend.
    s.fake.setAccessTokenTtl(-60);
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: the credential was rejected by ${hostOf(s.fake.chatgptBaseUrl)} (HTTP 401): the ChatGPT sign-in stored in ${s.configFile}; run \`codex login\` to sign in again\n`,
    );
    expect(refreshes(s.fake)).toHaveLength(1);
    expect(s.fake.backendRequests.map((b) => [b.auth, b.status])).toEqual([
      ["revoked", 401],
      ["expired", 401],
    ]);
    s.noSecretLeaked();
  });
});

test("10 concurrent runs with an expiring token: one refresh at the fake, all 10 succeed", async () => {
  const fake = await startOpenAIFake({ refreshDelayMs: 300 });
  const s = await seed({ fake, accessTokenTtlSeconds: 120 });
  // Spawned: one refresh between ten processes is what the lock is for.
  const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.cli(["run", `run ${i}`], { spawned: true })));
  runs.forEach((r, i) => {
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: `You said: run ${i}\n` });
  });
  expect(fake.refreshCount).toBe(1);
  expect(refreshes(fake)).toHaveLength(1);
  expect(fake.tokenRequests.some((t) => t.error === "refresh_token_reused")).toBe(false);
  const after = storedSession(s.configFile);
  s.secret(after.access, after.refresh);
  expect(fake.backendRequests).toHaveLength(10);
  for (const b of fake.backendRequests) {
    expect(b).toMatchObject({ auth: "live", status: 200, tokenSha256: fake.hash(after.access ?? "") });
  }
  s.noSecretLeaked();
}, 40_000);

describe("OpenAI ends the session", () => {
  const ended = (code: string, why: string) =>
    `error: your ChatGPT session ended (${code}: ${why}); run \`codex login\` to sign in again\n`;

  test.each([
    ["refresh_token_expired", "the refresh token expired"],
    [
      "refresh_token_reused",
      "the refresh token was already used, by another program signed in with the same session or a copy of it",
    ],
    ["refresh_token_invalidated", "the refresh token was revoked"],
  ])(
    "%s: exit 4 saying so, ended_at recorded; status then says the session expired without asking the fake",
    async (code, why) => {
      const fake = await startOpenAIFake();
      const tokens = fake.mintSession({ accessTokenTtlSeconds: 120 });
      // Another copy of the session renewed it first: the stored refresh token is a consumed one.
      if (code === "refresh_token_reused") await refreshAtFake(fake, tokens.refreshToken);
      const s = await seed({ fake, tokens });
      if (code === "refresh_token_expired") fake.expireRefreshToken(tokens.refreshToken);
      if (code === "refresh_token_invalidated") fake.invalidateRefreshToken(tokens.refreshToken);
      const started = Date.now();
      const r = await s.cli(["run", "hi"]);
      expect(r).toMatchObject({ code: 4, stdout: "", stderr: ended(code, why) });
      expect(fake.tokenRequests.at(-1)).toMatchObject({ grantType: "refresh_token", status: 401, error: code });
      expect(fake.backendRequests).toEqual([]);
      const after = storedSession(s.configFile);
      expect(after.endedAt).toBeDefined();
      expect(Date.parse(after.endedAt ?? "")).toBeGreaterThanOrEqual(started - 1000);
      // Only ended_at was added: the tokens are as they were.
      expect(after.access).toBe(tokens.accessToken);
      expect(after.refresh).toBe(tokens.refreshToken);

      const asked = fake.tokenRequests.length;
      const st = await s.cli(["status"]);
      expect(st.code).toBe(1);
      expect(st.stdout).toBe(
        `Your session expired. Run \`codex login\` to sign in again.\n  Account: ${fake.user.email} at ${fake.issuer}\n  Source: ${s.configFile}\n`,
      );
      // Neither status nor a later run asks the issuer or the backend again.
      const again = await s.cli(["run", "hi"]);
      expect(again.code).toBe(4);
      expect(fake.tokenRequests).toHaveLength(asked);
      expect(fake.backendRequests).toEqual([]);
      s.noSecretLeaked();
    },
  );

  test("a 500 on refresh: exit 1, the file unchanged, nothing sent to the backend", async () => {
    const s = await seed({ accessTokenTtlSeconds: 120 });
    s.fake.failNextRefresh(1, 500);
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: ${hostOf(s.fake.issuer)} refused renewing the session (HTTP 500, temporary-failure)\n`,
    );
    expect(readFileSync(s.configFile, "utf8")).toBe(s.seeded);
    expect(s.fake.backendRequests).toEqual([]);
    // And the session still works once the issuer does.
    const later = await s.cli(["run", "hi"]);
    expect(later).toMatchObject({ code: 0, stdout: "You said: hi\n" });
    s.noSecretLeaked();
  });
});

describe("logout", () => {
  test("revokes at /oauth/revoke with JSON: the refresh token with client_id, then the access token without; the backend then refuses it", async () => {
    const s = await seed();
    const r = await s.cli(["logout"]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  Removed from ${s.configFile}\n  Session revoked at ${s.fake.issuer}\n`,
      stderr: "",
    });
    expect(s.fake.revocations).toEqual([
      {
        contentType: "application/json",
        tokenTypeHint: "refresh_token",
        clientId: CODEX_CLIENT_ID,
        kind: "refresh_token",
        tokenSha256: s.fake.hash(s.tokens.refreshToken),
        status: 200,
      },
      {
        contentType: "application/json",
        tokenTypeHint: "access_token",
        kind: "access_token",
        tokenSha256: s.fake.hash(s.tokens.accessToken),
        status: 200,
      },
    ]);
    expect(s.fake.accessTokenState(s.tokens.accessToken)).toBe("revoked");
    const res = await fetch(`${s.fake.chatgptBaseUrl}/models?client_version=0.1.0`, {
      headers: {
        authorization: `Bearer ${s.tokens.accessToken}`,
        "chatgpt-account-id": s.fake.user.accountId ?? "",
        originator: "codex_cli_rs",
      },
    });
    expect(res.status).toBe(401);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.withoutCredential);
    s.noSecretLeaked();
  });

  test("a dead issuer: logout still succeeds, with the warning", async () => {
    const port = await freePort();
    const dead = `http://127.0.0.1:${port}`;
    const s = await seed({ sessionIssuer: dead });
    const r = await s.cli(["logout"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${s.configFile}\n`);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: removed from this machine, but not revoked at 127\\.0\\.0\\.1:${port}: could not reach the sign-in server 127\\.0\\.0\\.1:${port}: connection refused; it may still accept the refresh token until the server expires it, and the access token until \\S+ \\(in [^)]+\\)\\n$`,
      ),
    );
    expect(readFileSync(s.configFile, "utf8")).toBe(s.withoutCredential);
    s.noSecretLeaked();
  });
});

describe("status", () => {
  test("names the ChatGPT plan and a masked workspace, and the backend as the provider; --json has chatgpt, never the full id or a token", async () => {
    const s = await seed();
    const accountId = s.fake.user.accountId as string;
    const r = await s.cli(["status"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      new RegExp(
        [
          `^Logged in using ChatGPT as user@example\\.com \\(plus plan\\): …${last4(s.tokens.accessToken).replace(/[-]/g, "\\-")}`,
          `  Workspace: …${last4(accountId)}`,
          `  Issuer: ${s.fake.issuer}`,
          "  Access token: expires in (59|60) min \\(renewed automatically\\)",
          `  Source: ${s.configFile}`,
          `  Provider: ChatGPT \\(${s.fake.chatgptBaseUrl}, responses API\\)`,
          "$",
        ].join("\\n"),
      ),
    );
    expect(r.stdout).not.toContain(accountId);

    const j = await s.cli(["status", "--json"]);
    expect(j.code).toBe(0);
    expect(j.stdout).not.toContain(accountId);
    const json = JSON.parse(j.stdout);
    expect(json).toMatchObject({
      authenticated: true,
      method: "oauth",
      source: s.configFile,
      source_type: "file",
      oauth: { issuer: s.fake.issuer, account: "user@example.com", refreshable: true, session_ended: false },
      chatgpt: { account_id: `…${last4(accountId)}`, plan: "plus" },
      provider: { id: "openai", name: "ChatGPT", base_url: s.fake.chatgptBaseUrl, wire_api: "responses" },
    });
    // status asks nobody.
    expect(s.fake.backendRequests).toEqual([]);
    expect(s.fake.tokenRequests).toEqual([]);
    s.noSecretLeaked();
  });

  test("--check asks GET {chatgpt}/codex/models?client_version=… with the ChatGPT headers: valid", async () => {
    const s = await seed();
    const r = await s.cli(["status", "--check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `\n  Check: valid (GET /backend-api/codex/models at ${hostOf(s.fake.chatgptBaseUrl)}: HTTP 200)\n`,
    );
    expect(s.fake.backendRequests).toHaveLength(1);
    const req = s.fake.backendRequests[0];
    expect(req).toMatchObject({ method: "GET", path: "/backend-api/codex/models", auth: "live", status: 200 });
    expect(req?.query.client_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(req?.headers).toMatchObject({ "chatgpt-account-id": s.fake.user.accountId, originator: "codex_cli_rs" });
    expect(req?.headers.session_id).toMatch(UUID);
    s.noSecretLeaked();
  });

  test("--check on a session revoked at the server: rejected, exit 4", async () => {
    const s = await seed();
    await revokeAtFake(s.fake, s.tokens.refreshToken, "refresh_token");
    const r = await s.cli(["status", "--check"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/\n {2}Check: rejected \(GET \/backend-api\/codex\/models at [^)]+\)\n$/);
    expect(r.stderr).toBe(
      "error: your ChatGPT session ended (refresh_token_invalidated: the refresh token was revoked); run `codex login` to sign in again\n",
    );
    expect(s.fake.backendRequests.map((b) => [b.auth, b.status])).toEqual([["revoked", 401]]);
    expect(storedSession(s.configFile).endedAt).toBeDefined();
    s.noSecretLeaked();
  });
});

describe("where the ChatGPT token may go", () => {
  test("a custom provider without requires_openai_auth: run exits 4 and the provider receives nothing", async () => {
    const api = await startProvider();
    const s = await seed({
      top: `model_provider = "local"\n`,
      tables: `\n[model_providers.local]\nname = "Local"\nbase_url = "${api.baseUrl}"\n`,
    });
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({
      code: 4,
      stdout: "",
      stderr:
        "error: the provider `local` does not take OpenAI's credentials, so codex will not send it your ChatGPT sign-in; give it its own (auth_command, or `codex login --with-api-key`), or set requires_openai_auth = true in its table if it is a proxy in front of OpenAI\n",
    });
    expect(api.requests).toEqual([]);
    expect(s.fake.backendRequests).toEqual([]);
    expect(s.fake.tokenRequests).toEqual([]);
  });

  test("with requires_openai_auth = true: the request goes to its own base_url, with the account header", async () => {
    const api = await startProvider();
    api.reply(sse(responsesEvents(["proxied"])));
    const s = await seed({
      top: `model_provider = "proxy"\n`,
      tables: `\n[model_providers.proxy]\nname = "Proxy"\nbase_url = "${api.baseUrl}"\nrequires_openai_auth = true\n`,
    });
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({ code: 0, stdout: "proxied\n" });
    expect(api.requests).toHaveLength(1);
    const req = api.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(`${new URL(api.baseUrl).pathname}/responses`);
    expect(req?.headers).toMatchObject({
      authorization: `Bearer ${s.tokens.accessToken}`,
      "chatgpt-account-id": s.fake.user.accountId,
      originator: "codex_cli_rs",
    });
    expect(req?.body).toMatchObject({ instructions: expect.any(String), store: false, stream: true });
    expect(s.fake.backendRequests).toEqual([]);
  });
});

describe("a stored ChatGPT session that config.toml's restrictions rule out", () => {
  test.each([
    [
      'forced_login_method = "api"',
      'config.toml allows only API keys (forced_login_method = "api"), and the credential in use is a sign-in session',
      "run `codex login --with-api-key`",
    ],
    [
      'forced_chatgpt_workspace_id = "acct-someone-else"',
      "config.toml restricts sign-in to the ChatGPT workspace acct-someone-else (forced_chatgpt_workspace_id), and the session in use is for another one",
      "run `codex login` to sign in to it",
    ],
  ])("%s: run exits 4 sending nothing, status says not logged in, doctor flags it", async (setting, reason, fix) => {
    const s = await seed({ top: `${setting}\n` });
    const r = await s.cli(["run", "hi"]);
    expect(r).toMatchObject({ code: 4, stdout: "", stderr: `error: ${reason}; ${fix}\n` });
    expect(s.fake.backendRequests).toEqual([]);
    expect(s.fake.tokenRequests).toEqual([]);

    const st = await s.cli(["status"]);
    expect(st.code).toBe(1);
    expect(st.stdout).toBe(`Not logged in: ${reason}; ${fix}\n`);

    const doc = await s.cli(["doctor"]);
    expect(doc.code).toBe(1);
    expect(doc.stdout).toContain(
      `✗ a ChatGPT sign-in (…${last4(s.tokens.accessToken)}) from ${s.configFile}, which codex will not use: ${reason}\n    fix: ${fix}\n`,
    );
    // Not even doctor's check sends a credential the restrictions rule out.
    expect(doc.stdout).toContain(
      "\n- provider not checked: config.toml's sign-in restrictions rule out the credential\n",
    );
    expect(s.fake.backendRequests).toEqual([]);
    s.noSecretLeaked();
  });

  test('forced_login_method = "chatgpt" with OPENAI_API_KEY set: run exits 4, the key sent nowhere', async () => {
    const api = await startProvider();
    const key = "sk-forced-0123456789abcdefKEY1";
    const s = await seed({ top: 'forced_login_method = "chatgpt"\n' });
    const r = await s.cli(["run", "hi"], { env: { OPENAI_API_KEY: key, OPENAI_BASE_URL: api.baseUrl } });
    expectNoSecret(r, key);
    expect(r).toMatchObject({
      code: 4,
      stdout: "",
      stderr:
        'error: config.toml allows only sign-in with ChatGPT (forced_login_method = "chatgpt"), and the credential in use is an API key; run `codex login` to sign in with ChatGPT\n',
    });
    expect(api.requests).toEqual([]);
    expect(s.fake.backendRequests).toEqual([]);
  });
});

const hasSecretService =
  process.platform === "linux" &&
  ["/usr/bin/gnome-keyring-daemon", "/usr/bin/dbus-daemon", "/usr/bin/secret-tool"].every((p) => existsSync(p));

describe.skipIf(!hasSecretService)("the session in the keyring", () => {
  test("renewal rewrites the entry with the new tokens and the chatgpt fields intact; config.toml is not touched", async () => {
    const keyring: Keyring = await startKeyring();
    onTestFinished(() => keyring.close());
    const fake = await startOpenAIFake();
    const tokens = fake.mintSession({ accessTokenTtlSeconds: 120 });
    const refreshedAt = new Date(Date.now() - 60 * MIN);
    const config = `cli_auth_credentials_store = "keyring"\nchatgpt_base_url = "${backendRoot(fake)}"\nauth_storage = "keyring"\n\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`;
    const { home, codexHome, configFile } = withConfig(config);
    const entry = { service: "codex", username: `default@${codexHome}` };
    const oauth = {
      issuer: fake.issuer,
      clientId: CODEX_CLIENT_ID,
      refreshToken: tokens.refreshToken,
      expiresAt: new Date(jwtExp(tokens.accessToken) * 1000).toISOString(),
      account: fake.user.email,
      subject: fake.user.sub,
      protocol: "openai",
      chatgptAccountId: fake.user.accountId,
      chatgptPlanType: "plus",
      chatgptUserId: fake.user.chatgptUserId,
      refreshedAt: refreshedAt.toISOString(),
    };
    await keyring.store(entry, JSON.stringify({ token: tokens.accessToken, oauth }), `keyring:${entry.username}@codex`);
    const env = keyring.env;
    const secrets = [tokens.accessToken, tokens.refreshToken];

    const st = await runCliInProcess(["status"], { home, env });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/^Logged in using ChatGPT as user@example\.com \(plus plan\): …/);
    expect(st.stdout).toContain("\n  Source: system keyring (Secret Service)\n");

    const r = await runCliInProcess(["run", "hi"], { home, env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
    expect(fake.refreshCount).toBe(1);
    const items = await keyring.search(entry);
    expect(items).toHaveLength(1);
    const renewed = JSON.parse(items[0]?.secret ?? "{}");
    secrets.push(renewed.token, renewed.oauth.refreshToken);
    expect(renewed.token).not.toBe(tokens.accessToken);
    expect(fake.backendRequests[0]).toMatchObject({ auth: "live", tokenSha256: fake.hash(renewed.token) });
    expect(renewed.oauth).toEqual({
      ...oauth,
      refreshToken: expect.not.stringMatching(tokens.refreshToken),
      expiresAt: new Date(jwtExp(renewed.token) * 1000).toISOString(),
      refreshedAt: expect.any(String),
    });
    expect(Date.now() - Date.parse(renewed.oauth.refreshedAt)).toBeLessThan(MIN);
    expect(readFileSync(configFile, "utf8")).toBe(config);
    for (const out of [st, r]) expectNoSecret(out, ...secrets);
  });
});
