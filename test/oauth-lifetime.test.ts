/**
 * An OAuth session's life after sign-in, end to end with the built CLI: renewal before expiry and after a
 * 401, one renewal between concurrent processes, a session the server ended, and logout revoking at the
 * server (or saying what it could not). The API server checks every bearer token with the authorization
 * server's introspection endpoint, as a real resource server would.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { describe, expect, test } from "vitest";
import { logout } from "../src/index.js";
import { codexHomeOf, expectNoSecret, runCli, withConfig } from "./helpers.js";
import { oauthConfig, signedIn } from "./support/oauth-cli.js";
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "./support/oauth-server.js";
import { type FakeProvider, responsesEvents, type Script, sse, startProvider } from "./support/provider.js";

const USER_SETTINGS = '# my settings\nmodel = "gpt-5"   # keep this comment\n\n[tui]\nnotifications = true\n';

/** An API reply that checks the bearer token with the authorization server first (401 when inactive). */
function checked(oauth: OAuthServer, text = "ok"): Script {
  return async (req, res) => {
    const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!(await oauth.introspect(token)).active) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "invalid or expired token" } }));
      return;
    }
    await sse(responsesEvents([text]))(req, res);
  };
}

const bearer = (api: FakeProvider, i: number) =>
  String(api.requests[i]?.headers.authorization ?? "").replace(/^Bearer /, "");

interface Session {
  oauth: OAuthServer;
  api: FakeProvider;
  home: string;
  configFile: string;
  /** config.toml before sign-in. */
  original: string;
  access: string;
  refresh: string;
  env: Record<string, string>;
}

async function session(options: OAuthServerOptions = {}): Promise<Session> {
  const oauth = await startOAuthServer(options);
  const api = await startProvider();
  const original = `${USER_SETTINGS}\n${await oauthConfig(oauth)}`;
  const { home, configFile } = withConfig(original);
  const { accessToken, refreshToken } = await signedIn(home);
  return {
    oauth,
    api,
    home,
    configFile,
    original,
    access: accessToken,
    refresh: refreshToken,
    env: { OPENAI_BASE_URL: api.baseUrl },
  };
}

/** Rewrites `expires_at` in config.toml (the access token itself is unchanged). */
function setExpiry(s: Session, at: Date): void {
  const text = readFileSync(s.configFile, "utf8");
  writeFileSync(s.configFile, text.replace(/^expires_at = .*$/m, `expires_at = ${at.toISOString()}`));
}

const tokensIn = (configFile: string) => {
  const text = readFileSync(configFile, "utf8");
  return {
    text,
    access: /^auth_token = "([^"]+)"$/m.exec(text)?.[1],
    refresh: /^refresh_token = "([^"]+)"$/m.exec(text)?.[1],
  };
};

describe("renewal", () => {
  test("a fresh token is used as it is; one expiring within a minute is renewed first and the rotated tokens saved", async () => {
    const s = await session();
    s.api.reply(checked(s.oauth, "first"));
    const first = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe("first\n");
    expect(bearer(s.api, 0)).toBe(s.access);
    expect(s.oauth.counts().refresh).toBe(0);

    setExpiry(s, new Date(Date.now() + 30_000));
    const before = readFileSync(s.configFile, "utf8");
    s.api.reply(checked(s.oauth, "second"));
    const second = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe("second\n");
    expect(s.oauth.counts().refresh).toBe(1);
    const after = tokensIn(s.configFile);
    expect(after.access).not.toBe(s.access);
    expect(after.refresh).not.toBe(s.refresh);
    expect(bearer(s.api, 1)).toBe(after.access);
    expect(Date.parse(/^expires_at = (.*)$/m.exec(after.text)?.[1] ?? "")).toBeGreaterThan(Date.now() + 30 * 60_000);
    // Only the three token lines changed.
    const changed = after.text.split("\n").filter((line, i) => line !== before.split("\n")[i]);
    expect(changed.map((l) => l.split(" = ")[0])).toEqual(["auth_token", "refresh_token", "expires_at"]);
    expect(after.text.startsWith(USER_SETTINGS.split("\n\n")[0] as string)).toBe(true);
    expectNoSecret(first, s.access, s.refresh);
    expectNoSecret(second, s.access, s.refresh, after.access as string, after.refresh as string);
    // The rotated-out refresh token is dead (checked last: reusing it ends the whole grant).
    expect((await s.oauth.tryRefresh(s.refresh)).body.error).toBe("invalid_grant");
  });

  test("a 401 from the API: one renewal, the request retried with the new token", async () => {
    const s = await session({ accessTokenTtl: 1 });
    setExpiry(s, new Date(Date.now() + 3_600_000));
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await s.oauth.introspect(s.access)).active).toBe(false);
    s.api.reply(checked(s.oauth), checked(s.oauth, "after renewal"));
    const r = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("after renewal\n");
    expect(s.api.requests).toHaveLength(2);
    expect(bearer(s.api, 0)).toBe(s.access);
    expect(bearer(s.api, 1)).toBe(tokensIn(s.configFile).access);
    expect(s.oauth.counts().refresh).toBe(1);
    expectNoSecret(r, s.access, s.refresh);
  });

  test("a renewed token rejected too: exit 4 after exactly one renewal", async () => {
    const s = await session();
    const reject: Script = (_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "no" } }));
    };
    s.api.reply(reject, reject, reject);
    const r = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("run `codex login`");
    expect(s.api.requests).toHaveLength(2);
    expect(s.oauth.counts().refresh).toBe(1);
    expectNoSecret(r, s.access, s.refresh);
  });

  test("10 concurrent runs at expiry: exactly one renewal reaches the server, all 10 succeed with its token", async () => {
    const s = await session();
    setExpiry(s, new Date(Date.now() - 1_000));
    for (let i = 0; i < 10; i++) s.api.reply(checked(s.oauth, `reply ${i}`));
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => runCli(["run", "hi"], { home: s.home, env: s.env, timeoutMs: 40_000 })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(s.oauth.counts().refresh).toBe(1);
    expect(s.oauth.counts().refreshFailed).toBe(0);
    const { access } = tokensIn(s.configFile);
    expect(new Set(s.api.requests.map((_, i) => bearer(s.api, i)))).toEqual(new Set([access]));
    expect(s.api.requests).toHaveLength(10);
  }, 60_000);

  test("status: an expired access token with a refresh token is still logged in, renewed on next use", async () => {
    const s = await session();
    setExpiry(s, new Date(Date.now() - 5 * 60_000));
    const text = await runCli(["status"], { home: s.home });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("  Access token: expired 5 min ago; renewed on next use\n");
    const json = JSON.parse((await runCli(["status", "--json"], { home: s.home })).stdout);
    expect(json.authenticated).toBe(true);
    expect(json.oauth).toMatchObject({ expired: true, refreshable: true, session_ended: false });
    expect(s.oauth.counts().refresh).toBe(0);
  });
});

describe("a session that ended", () => {
  test("refresh token revoked at the server: run exits 4 sending nothing, ended_at recorded, status says expired", async () => {
    const s = await session();
    expect((await s.oauth.tryRefresh(s.refresh)).status).toBe(200);
    // That rotated the refresh token codex holds out, and reusing it now ends the grant (reuse detection).
    setExpiry(s, new Date(Date.now() - 1_000));
    const r = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^error: your session ended \(127\.0\.0\.1:\d+ no longer accepts it\); run `codex login` to sign in again\n$/,
    );
    expect(s.api.requests).toHaveLength(0);
    expect(s.oauth.counts().refreshFailed).toBe(1);
    expect(readFileSync(s.configFile, "utf8")).toMatch(/^ended_at = \d{4}-/m);

    const again = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(again.code).toBe(4);
    expect(s.oauth.counts().refreshFailed).toBe(1);

    const st = await runCli(["status"], { home: s.home });
    expect(st.code).toBe(1);
    expect(st.stdout).toContain("Your session expired. Run `codex login` to sign in again.\n");
    const json = JSON.parse((await runCli(["status", "--json"], { home: s.home })).stdout);
    expect(json.authenticated).toBe(false);
    expect(json.oauth.session_ended).toBe(true);
    expectNoSecret(r, s.access, s.refresh);
  });

  test("expired with no refresh token: exit 4, nothing sent; still valid without one: used until it expires", async () => {
    const s = await session();
    const text = readFileSync(s.configFile, "utf8").replace(/^refresh_token = .*\n/m, "");
    writeFileSync(s.configFile, text);
    setExpiry(s, new Date(Date.now() + 30_000));
    s.api.reply(checked(s.oauth, "still fine"));
    const ok = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("still fine\n");

    setExpiry(s, new Date(Date.now() - 1_000));
    const r = await runCli(["run", "hi"], { home: s.home, env: s.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("your session expired and cannot be renewed");
    expect(s.api.requests).toHaveLength(1);
    expect((await runCli(["status"], { home: s.home })).code).toBe(1);
  });
});

describe("logout", () => {
  test("revokes refresh then access token at the issuer; the file is the user's original again", async () => {
    const s = await session();
    const r = await runCli(["logout"], { home: s.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Session revoked at ${s.oauth.issuer}\n`);
    expect(r.stderr).toBe("");
    expect(s.oauth.counts().revocations).toBe(2);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expect((await s.oauth.tryRefresh(s.refresh)).body.error).toBe("invalid_grant");
    expect((await s.oauth.introspect(s.access)).active).toBe(false);
    expectNoSecret(r, s.access, s.refresh);
  });

  test("the authorization server is down: cleared locally, warned with the access token's expiry, exit 0", async () => {
    const s = await session();
    const expiresAt = /^expires_at = (.*)$/m.exec(readFileSync(s.configFile, "utf8"))?.[1] as string;
    await s.oauth.close();
    const started = Date.now();
    const r = await runCli(["logout"], { home: s.home });
    expect(Date.now() - started).toBeLessThan(7_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("✅ Logged out successfully\n");
    expect(r.stderr).toContain(
      `warning: removed from this machine, but not revoked at ${new URL(s.oauth.issuer).host}`,
    );
    expect(r.stderr).toContain("connection refused");
    expect(r.stderr).toContain(`the access token until ${new Date(expiresAt).toISOString()}`);
    expect(r.stderr).toContain("the refresh token until the server expires it");
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expectNoSecret(r, s.access, s.refresh);
  });

  test("an issuer that never answers: logout gives up after its 5 s budget, clears, warns, exit 0", async () => {
    const s = await session();
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket)).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    try {
      const port = (silent.address() as { port: number }).port;
      const text = readFileSync(s.configFile, "utf8");
      writeFileSync(
        s.configFile,
        text.replace(/^issuer = "http:\/\/127\.0\.0\.1:\d+"$/gm, (line, offset) =>
          offset > text.indexOf("[oauth_session]") ? `issuer = "http://127.0.0.1:${port}"` : line,
        ),
      );
      const started = Date.now();
      const r = await runCli(["logout"], { home: s.home });
      const took = Date.now() - started;
      expect(took).toBeGreaterThan(4_500);
      expect(took).toBeLessThan(8_000);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("✅ Logged out successfully\n");
      expect(r.stderr).toContain("did not answer in time");
      expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test("a server without a revocation endpoint: says so, clears, exit 0", async () => {
    const s = await session({ revocation: false });
    const r = await runCli(["logout"], { home: s.home });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("offers no way to revoke tokens (no revocation_endpoint)");
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
  });

  test("--no-revoke: nothing reaches the server, the session is forgotten, a warning says it stays valid", async () => {
    const s = await session();
    const r = await runCli(["logout", "--no-revoke"], { home: s.home });
    expect(r.code).toBe(0);
    expect(s.oauth.counts().revocations).toBe(0);
    expect(r.stderr).toContain("the session was not revoked at");
    expect(r.stderr).toContain("(--no-revoke)");
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expect((await s.oauth.introspect(s.access)).active).toBe(true);
  });

  test("library logout(): reports both tokens revoked", async () => {
    const s = await session();
    const result = await logout({ codexHome: codexHomeOf(s.home), env: {} });
    expect(result.removed).toBe(true);
    expect(result.revocation).toMatchObject({
      issuer: s.oauth.issuer,
      revoked: ["refresh_token", "access_token"],
      notRevoked: [],
      reason: undefined,
    });
    expect(JSON.stringify(result)).not.toContain(s.access);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
  });
});
