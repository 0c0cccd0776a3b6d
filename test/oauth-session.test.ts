/**
 * An OAuth session from sign-in to sign-out, end to end with the CLI (spawned where processes meet): renewal
 * before expiry and after a 401, one renewal between ten concurrent processes, a session the server ended (and
 * one that cannot be renewed), what `codex status` says at each stage, and `codex logout` revoking at the
 * issuer — or saying what it could not, when the issuer is down, silent, or offers no revocation.
 *
 * Everything is on 127.0.0.1: a real authorization server (oidc-provider, in process), a real browser signing
 * in, and a fake OpenAI API that checks every bearer token with the authorization server's introspection
 * endpoint, as a real resource server would. Every command that could hold a credential has OPENAI_BASE_URL
 * pointing at that fake API, and no token ever appears in any command's output.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import { Config, logout, maskToken, refreshSession, SessionEndedError, status } from "../src/index.js";
import { expectNoSecret, type RunResult, runCli, storedSession, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { browserLogin, oauthConfig } from "./support/oauth-cli.js";
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "./support/oauth-server.js";
import { type FakeProvider, responsesEvents, type Script, sse, startProvider } from "./support/provider.js";

/** The user's own settings, around which codex keeps its lines. */
const USER_TOP = [
  "# codex settings, written by hand",
  'model = "gpt-5"   # keep this comment',
  "",
  "# how long to wait",
  "request_timeout_ms = 20000",
  "",
].join("\n");
const USER_TABLES = "[tui]\nnotifications = true  # a trailing comment\n";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bearer token a recorded API request carried. */
const bearer = (api: FakeProvider, i: number): string =>
  String(api.requests[i]?.headers.authorization ?? "").replace(/^Bearer /, "");

/** An API reply that asks the authorization server about the bearer token first: 401 when it is not active. */
function checked(oauth: OAuthServer, text = "ok"): Script {
  return async (req, res) => {
    const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!(await oauth.introspect(token)).active) {
      rejected(req, res);
      return;
    }
    await sse(responsesEvents([text]))(req, res);
  };
}

/** GET /v1/models as a resource server answers it: the models when the issuer says the token is active, else 401. */
function checkedModels(oauth: OAuthServer): Script {
  return async (req, res) => {
    const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    const active = (await oauth.introspect(token)).active;
    res.writeHead(active ? 200 : 401, { "content-type": "application/json" });
    res.end(JSON.stringify(active ? { object: "list", data: [] } : { error: { message: "invalid token" } }));
  };
}

/** An API reply that refuses whatever token it got. */
const rejected: Script = (_req, res) => {
  res.writeHead(401, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message: "invalid token" } }));
};

/** Revokes a token at the authorization server behind codex's back, as another client would (RFC 7009). */
async function revokeAtServer(oauth: OAuthServer, token: string, hint: "refresh_token" | "access_token") {
  const res = await fetch(`${oauth.issuer}/token/revocation`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, token_type_hint: hint, client_id: oauth.clientId }).toString(),
  });
  expect(res.status).toBe(200);
}

interface Session {
  oauth: OAuthServer;
  api: FakeProvider;
  home: string;
  codexHome: string;
  configFile: string;
  /** config.toml before sign-in. */
  original: string;
  /** The tokens sign-in stored. */
  access: string;
  refresh: string;
  /** Runs the CLI with OPENAI_BASE_URL at the fake API; every result is kept for `noSecretLeaked`. */
  cli(args: string[], opts?: { timeoutMs?: number; spawned?: boolean }): Promise<RunResult>;
  /** Reads config.toml, remembering every token it holds as a secret. */
  read(): ReturnType<typeof storedSession>;
  /** Rewrites `expires_at` in [oauth_session] (the token itself is unchanged). */
  setExpiry(at: Date): void;
  /** No token seen in this test appears in any output of any command run in it (sign-in included). */
  noSecretLeaked(): void;
}

/** A signed-in CODEX_HOME (browser sign-in through the real server), with an API that checks tokens. */
async function session(options: OAuthServerOptions & { original?: (oauthSection: string) => string } = {}) {
  const oauth = await startOAuthServer(options);
  const api = await startProvider();
  const section = await oauthConfig(oauth);
  const original = options.original?.(section) ?? `${USER_TOP}${USER_TABLES}\n${section}`;
  const { home, codexHome, configFile } = withConfig(original);
  const env = { OPENAI_BASE_URL: api.baseUrl };
  const results: RunResult[] = [];
  const secrets = new Set<string>();
  const login = await browserLogin(home, { env });
  expect(login.code, login.stderr).toBe(0);
  results.push(login);
  const s: Session = {
    oauth,
    api,
    home,
    codexHome,
    configFile,
    original,
    access: "",
    refresh: "",
    async cli(args, opts = {}) {
      const r = await (opts.spawned ? runCli : runCliInProcess)(args, { home, env, timeoutMs: opts.timeoutMs });
      results.push(r);
      s.read();
      return r;
    },
    read() {
      const now = storedSession(configFile);
      for (const t of [now.access, now.refresh]) if (t !== undefined) secrets.add(t);
      return now;
    },
    setExpiry(at) {
      const text = readFileSync(configFile, "utf8");
      expect(text).toMatch(/^expires_at = /m);
      writeFileSync(configFile, text.replace(/^expires_at = [^\r\n]*/m, `expires_at = ${at.toISOString()}`));
    },
    noSecretLeaked() {
      s.read();
      for (const t of s.api.requests.map((_, i) => bearer(s.api, i))) if (t !== "") secrets.add(t);
      expect(secrets.size).toBeGreaterThanOrEqual(2);
      for (const r of results) expectNoSecret(r, ...secrets);
    },
  };
  const first = s.read();
  s.access = first.access as string;
  s.refresh = first.refresh as string;
  expect(s.access).toMatch(/\S{20,}/);
  expect(s.refresh).toMatch(/\S{20,}/);
  return s;
}

/** `text` with the session's token lines given the values `after` holds: what a renewal may change, no more. */
function withTokensOf(text: string, after: ReturnType<typeof storedSession>): string {
  return text
    .replace(/^auth_token = "[^"]+"/m, `auth_token = "${after.access}"`)
    .replace(/^refresh_token = "[^"]+"/m, `refresh_token = "${after.refresh}"`)
    .replace(/^expires_at = [^\r\n]*/m, `expires_at = ${after.expiresAt}`);
}

/** A TCP server that accepts connections and never writes a byte; closed when the test finishes. */
async function silentServer() {
  const sockets = new Set<Socket>();
  let connected: () => void = () => {};
  const firstConnection = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, firstConnection, connections: () => sockets.size };
}

describe("renewal", () => {
  test("a fresh token is sent as it is; an expired one is renewed first, both tokens rotated in place, nothing else in the file touched", async () => {
    const s = await session();
    const afterLogin = readFileSync(s.configFile, "utf8");
    s.api.reply(checked(s.oauth, "first reply"));
    const first = await s.cli(["run", "hi"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe("first reply\n");
    expect(bearer(s.api, 0)).toBe(s.access);
    expect(s.oauth.counts().refresh).toBe(0);
    expect(readFileSync(s.configFile, "utf8")).toBe(afterLogin);

    s.setExpiry(new Date(Date.now() - 10 * 60_000));
    const before = readFileSync(s.configFile, "utf8");
    s.api.reply(checked(s.oauth, "second reply"));
    const second = await s.cli(["run", "hi"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe("second reply\n");
    expect(second.stderr).toBe("");
    expect(s.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    expect(s.api.requests).toHaveLength(2);

    const after = s.read();
    expect(after.access).not.toBe(s.access);
    expect(after.refresh).not.toBe(s.refresh);
    // The request carried the renewed token, which the server knows as active.
    expect(bearer(s.api, 1)).toBe(after.access);
    expect((await s.oauth.introspect(after.access as string)).active).toBe(true);
    expect(Date.parse(after.expiresAt as string)).toBeGreaterThan(Date.now() + 50 * 60_000);
    // Every other byte of the file is as it was: the user's lines, the [oauth] table, the session's other keys.
    expect(after.text).toBe(withTokensOf(before, after));
    expect(after.text.startsWith(`${USER_TOP.split("\n\n")[0]}\n`)).toBe(true);
    expect(readdirSync(s.codexHome)).toEqual(["config.toml"]);

    s.noSecretLeaked();
    // Last, because reusing a rotated-out refresh token makes oidc-provider end the whole grant.
    const reuse = await s.oauth.tryRefresh(s.refresh);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe("invalid_grant");
  });

  test("an access token that lives less than a minute (accessTokenTtl 30 s): every run renews it first, each time with the newest refresh token", async () => {
    const s = await session({ accessTokenTtl: 30 });
    const seen = [s.access];
    const refreshTokens = [s.refresh];
    for (let i = 0; i < 2; i++) {
      s.api.reply(checked(s.oauth, `reply ${i}`));
      const r = await s.cli(["run", "hi"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`reply ${i}\n`);
      expect(s.oauth.counts()).toMatchObject({ refresh: i + 1, refreshFailed: 0 });
      const now = s.read();
      expect(bearer(s.api, i)).toBe(now.access);
      seen.push(now.access as string);
      refreshTokens.push(now.refresh as string);
    }
    expect(new Set(seen).size).toBe(3);
    expect(new Set(refreshTokens).size).toBe(3);
    s.noSecretLeaked();
  });

  test("a 401 while the file says the token is fresh: exactly one renewal, the request retried with the new token", async () => {
    // 2 s, not 1: oidc-provider counts lifetimes from the start of the current second, so a 1 s token may have
    // only milliseconds left when issued, and the renewed one must still be valid when the retry reaches the API.
    const s = await session({ accessTokenTtl: 2 });
    // The file says an hour (no renewal before sending); the server says expired.
    s.setExpiry(new Date(Date.now() + 3_600_000));
    for (let i = 0; i < 50 && (await s.oauth.introspect(s.access)).active; i++) await sleep(100);
    expect((await s.oauth.introspect(s.access)).active).toBe(false);

    s.api.reply(checked(s.oauth, "never sent"), checked(s.oauth, "after renewal"));
    const r = await s.cli(["run", "hi"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("after renewal\n");
    expect(r.stderr).toBe("");
    expect(s.api.requests).toHaveLength(2);
    expect(bearer(s.api, 0)).toBe(s.access);
    const after = s.read();
    expect(after.access).not.toBe(s.access);
    expect(after.refresh).not.toBe(s.refresh);
    expect(bearer(s.api, 1)).toBe(after.access);
    expect(s.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    s.noSecretLeaked();
  });

  test("the renewed token is rejected too: exit 4 telling to run `codex login`, after exactly one renewal", async () => {
    const s = await session();
    s.api.reply(rejected, rejected, rejected);
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: the credential was rejected by 127\.0\.0\.1:\d+ \(HTTP 401\): .*run `codex login` to sign in again\n$/,
    );
    expect(r.stderr).toContain(s.configFile);
    expect(s.api.requests).toHaveLength(2);
    expect(s.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    // The renewal was kept: the file holds the rotated tokens, and the one request after it carried them.
    const after = s.read();
    expect(after.refresh).not.toBe(s.refresh);
    expect(bearer(s.api, 0)).toBe(s.access);
    expect(bearer(s.api, 1)).toBe(after.access);
    expect((await s.oauth.introspect(after.access as string)).active).toBe(true);
    s.noSecretLeaked();
  });

  test("10 runs started at once at expiry: all exit 0, exactly one renewal reaches the server, all 10 requests carry its token", async () => {
    const s = await session();
    s.setExpiry(new Date(Date.now() - 1_000));
    for (let i = 0; i < 10; i++) s.api.reply(checked(s.oauth, "concurrent reply"));
    // Spawned: one renewal between ten processes is what the lock is for.
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => s.cli(["run", "hi"], { timeoutMs: 40_000, spawned: true })),
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("concurrent reply\n");
    }
    expect(s.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    const after = s.read();
    expect(after.access).not.toBe(s.access);
    expect(after.refresh).not.toBe(s.refresh);
    expect(s.api.requests).toHaveLength(10);
    expect(s.api.requests.map((_, i) => bearer(s.api, i))).toEqual(Array(10).fill(after.access));
    // The file is whole and nothing (lock, temp file) is left beside it.
    expect(readdirSync(s.codexHome)).toEqual(["config.toml"]);
    expect(Date.parse(after.expiresAt as string)).toBeGreaterThan(Date.now() + 50 * 60_000);
    // The refresh token saved is the live one: renewing with it works (and ends this test's use of the grant).
    s.noSecretLeaked();
    expect((await s.oauth.tryRefresh(after.refresh as string)).status).toBe(200);
  }, 40_000);

  test("5 runs rejected at once with the same old token: one renewal between them, every retry carries the new token", async () => {
    const s = await session();
    // The API no longer accepts the token sign-in issued (the file still says it is good for an hour). It holds
    // its 401s until all five requests are in, so all five processes ask for a renewal at the same moment.
    let arrived = 0;
    let allIn: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      allIn = resolve;
    });
    const refusesOld: Script = async (req, res) => {
      if (req.headers.authorization === `Bearer ${s.access}`) {
        if (++arrived === 5) allIn();
        await barrier;
        return rejected(req, res);
      }
      await checked(s.oauth, "retried")(req, res);
    };
    for (let i = 0; i < 10; i++) s.api.reply(refusesOld);
    const runs = await Promise.all(Array.from({ length: 5 }, () => s.cli(["run", "hi"], { timeoutMs: 40_000 })));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("retried\n");
    }
    expect(s.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    const after = s.read();
    const sent = s.api.requests.map((_, i) => bearer(s.api, i));
    expect(sent).toHaveLength(10);
    expect(sent.filter((t) => t === s.access)).toHaveLength(5);
    expect(sent.filter((t) => t === after.access)).toHaveLength(5);
    s.noSecretLeaked();
  }, 40_000);

  test("the authorization server is down when a renewal is due: exit 1 naming it, nothing sent, nothing changed, still renewable", async () => {
    const s = await session();
    s.setExpiry(new Date(Date.now() - 60_000));
    const before = readFileSync(s.configFile, "utf8");
    await s.oauth.close();
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: could not reach the sign-in server ${new URL(s.oauth.issuer).host}: connection refused\n`,
    );
    expect(s.api.requests).toHaveLength(0);
    expect(readFileSync(s.configFile, "utf8")).toBe(before);
    const st = await s.cli(["status"]);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain("  Access token: expired 1 min ago; renewed on next use\n");
    s.noSecretLeaked();
  });
});

describe("a session that ended", () => {
  test("refresh token revoked at the server, access token expired: exit 4 sending nothing, ended_at recorded, status says expired", async () => {
    const s = await session();
    await revokeAtServer(s.oauth, s.refresh, "refresh_token");
    s.setExpiry(new Date(Date.now() - 60_000));
    const before = readFileSync(s.configFile, "utf8");

    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: your session ended \(127\.0\.0\.1:\d+ no longer accepts it\); run `codex login` to sign in again\n$/,
    );
    expect(s.api.requests).toHaveLength(0);
    expect(s.oauth.counts()).toMatchObject({ refresh: 0, refreshFailed: 1 });
    const after = s.read();
    expect(after.endedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(Math.abs(Date.parse(after.endedAt as string) - Date.now())).toBeLessThan(60_000);
    // Only the ended_at line was added, in [oauth_session]; the tokens stay (logout revokes them later).
    expect(after.text.slice(after.text.indexOf("[oauth_session]"))).toMatch(/^ended_at = /m);
    expect(after.text.replace(/^ended_at = [^\r\n]*\r?\n/m, "")).toBe(before);

    // The next command knows without asking the server again.
    const requestsSoFar = s.oauth.requests.length;
    const again = await s.cli(["run", "hi"]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("run `codex login`");
    expect(s.oauth.requests.length).toBe(requestsSoFar);
    expect(s.api.requests).toHaveLength(0);

    const st = await s.cli(["status"]);
    expect(st.code).toBe(1);
    expect(st.stdout).toBe(
      `Your session expired. Run \`codex login\` to sign in again.\n  Account: alice@example.com at ${s.oauth.issuer}\n  Source: ${s.configFile}\n`,
    );
    const json = await s.cli(["status", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      authenticated: false,
      method: "oauth",
      oauth: { issuer: s.oauth.issuer, account: "alice@example.com", expired: true, session_ended: true },
    });
    expect(s.oauth.requests.length).toBe(requestsSoFar);

    // Logging out of an ended session still gives the user's file back.
    const out = await s.cli(["logout"]);
    expect(out.code, out.stderr).toBe(0);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    s.noSecretLeaked();
  });

  test("the grant revoked while the file says the token is fresh: the 401's renewal meets invalid_grant, exit 4 after one request", async () => {
    const s = await session();
    // Revoking the access token ends the whole grant at oidc-provider: the refresh token dies with it.
    await revokeAtServer(s.oauth, s.access, "access_token");
    s.api.reply(checked(s.oauth), checked(s.oauth));
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: your session ended \(127\.0\.0\.1:\d+ no longer accepts it\); run `codex login`/);
    expect(s.api.requests).toHaveLength(1);
    expect(s.oauth.counts()).toMatchObject({ refresh: 0, refreshFailed: 1 });
    expect(s.read().endedAt).toMatch(/^\d{4}-/);
    expect((await s.cli(["status"])).code).toBe(1);
    s.noSecretLeaked();
  });

  test("10 runs at once on a session the server ended: all exit 4, one refresh attempt between them, nothing sent", async () => {
    const s = await session();
    await revokeAtServer(s.oauth, s.refresh, "refresh_token");
    s.setExpiry(new Date(Date.now() - 1_000));
    // Spawned: one renewal between ten processes is what the lock is for.
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => s.cli(["run", "hi"], { timeoutMs: 40_000, spawned: true })),
    );
    for (const r of runs) {
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^error: your session ended\b.*run `codex login`/);
    }
    expect(s.oauth.counts()).toMatchObject({ refresh: 0, refreshFailed: 1 });
    expect(s.api.requests).toHaveLength(0);
    expect(s.read().endedAt).toMatch(/^\d{4}-/);
    expect(readdirSync(s.codexHome)).toEqual(["config.toml"]);
    s.noSecretLeaked();
  }, 40_000);

  test("no refresh token: the access token is used while it lasts; once expired, exit 4 sending nothing, status says expired", async () => {
    const s = await session();
    writeFileSync(s.configFile, readFileSync(s.configFile, "utf8").replace(/^refresh_token = .*\n/m, ""));
    // 30 s left: within the renewal margin, but there is nothing to renew with, so it is used as it is.
    s.setExpiry(new Date(Date.now() + 30_000));
    s.api.reply(checked(s.oauth, "still valid"));
    const ok = await s.cli(["run", "hi"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("still valid\n");

    s.setExpiry(new Date(Date.now() - 1_000));
    const oauthRequests = s.oauth.requests.length;
    const r = await s.cli(["run", "hi"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: your session expired and cannot be renewed .*run `codex login`/);
    expect(s.api.requests).toHaveLength(1);
    expect(s.oauth.requests.length).toBe(oauthRequests);

    const st = await s.cli(["status"]);
    expect(st.code).toBe(1);
    expect(st.stdout).toContain("Your session expired. Run `codex login` to sign in again.\n");
    const json = JSON.parse((await s.cli(["status", "--json"])).stdout);
    expect(json).toMatchObject({ authenticated: false, oauth: { refreshable: false, session_ended: true } });
    s.noSecretLeaked();
  });
});

describe("status", () => {
  test("an expired access token with a refresh token: logged in, 'expired … ago; renewed on next use', no server asked", async () => {
    const s = await session();
    const expiredAt = new Date(Date.now() - 5 * 60_000);
    s.setExpiry(expiredAt);
    const oauthRequests = s.oauth.requests.length;

    const text = await s.cli(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Logged in with OAuth as alice@example.com: …\S{4}\n/);
    expect(text.stdout).toContain(`…${s.access.slice(-4)}\n`);
    expect(text.stdout).toContain(`  Issuer: ${s.oauth.issuer}\n`);
    expect(text.stdout).toContain("  Access token: expired 5 min ago; renewed on next use\n");
    expect(text.stdout).toContain(`  Source: ${s.configFile}\n`);

    const json = await s.cli(["status", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      authenticated: true,
      method: "oauth",
      source: s.configFile,
      source_type: "file",
      oauth: {
        issuer: s.oauth.issuer,
        account: "alice@example.com",
        expires_at: expiredAt.toISOString(),
        expired: true,
        refreshable: true,
        session_ended: false,
      },
    });
    // status never contacts a server.
    expect(s.oauth.requests.length).toBe(oauthRequests);
    expect(s.oauth.counts().refresh).toBe(0);
    expect(s.api.requests).toHaveLength(0);
    s.noSecretLeaked();
  });

  test("--check: the provider, which asks the issuer about the token, accepts it; a token the issuer let expire is renewed once and checked again", async () => {
    const s = await session();
    s.api.reply(checkedModels(s.oauth));
    const valid = await s.cli(["status", "--check", "--json"]);
    expect(valid.code, valid.stderr).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ method: "oauth", check: "valid" });
    expect(bearer(s.api, 0)).toBe(s.access);
    expect(s.api.requests[0]?.path).toBe("/v1/models");
    expect(s.oauth.counts().refresh).toBe(0);
    s.noSecretLeaked();

    // The file says an hour; the issuer says the token is over: the 401 leads to one renewal, then "valid".
    const t = await session({ accessTokenTtl: 2 });
    t.setExpiry(new Date(Date.now() + 3_600_000));
    for (let i = 0; i < 50 && (await t.oauth.introspect(t.access)).active; i++) await sleep(100);
    t.api.reply(checkedModels(t.oauth), checkedModels(t.oauth));
    const renewed = await t.cli(["status", "--check"]);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toContain("  Check: valid (GET /v1/models at");
    expect(t.oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    expect(t.api.requests).toHaveLength(2);
    expect(bearer(t.api, 0)).toBe(t.access);
    expect(bearer(t.api, 1)).toBe(t.read().access);
    expect(bearer(t.api, 1)).not.toBe(t.access);
    t.noSecretLeaked();
  });

  test("--check on a session revoked at the issuer: rejected, exit 4, 'run `codex login`' — and an issuer that is down is unreachable, exit 1", async () => {
    const s = await session();
    s.api.reply(checkedModels(s.oauth));
    await revokeAtServer(s.oauth, s.refresh, "refresh_token");
    const r = await s.cli(["status", "--check"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("  Check: rejected");
    expect(r.stderr).toMatch(
      /^error: your session ended \(127\.0\.0\.1:\d+ no longer accepts it\); run `codex login` to sign in again\n$/,
    );
    s.noSecretLeaked();

    // A second session whose access token has expired, with its issuer gone: the renewal cannot be made.
    const t = await session();
    t.setExpiry(new Date(Date.now() - 60_000));
    await t.oauth.close();
    const down = await t.cli(["status", "--check", "--json"]);
    expect(down.code).toBe(1);
    const json = JSON.parse(down.stdout);
    expect(json.check).toBe("unreachable");
    expect(json.check_message).toMatch(
      /could not reach the sign-in server 127\.0\.0\.1:\d+: connection refused; the credential was not checked$/,
    );
    expect(t.api.requests).toHaveLength(0);
    t.noSecretLeaked();
  });
});

describe("logout", () => {
  test("revokes both tokens at the issuer, says so, and gives back the user's file byte for byte", async () => {
    const s = await session();
    const r = await s.cli(["logout"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `✅ Logged out successfully\n  Removed from ${s.configFile}\n  Session revoked at ${s.oauth.issuer}\n`,
    );
    expect(r.stderr).toBe("");
    expect(s.oauth.counts().revocations).toBe(2);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expect(readdirSync(s.codexHome)).toEqual(["config.toml"]);
    expect((await s.oauth.introspect(s.access)).active).toBe(false);
    const reuse = await s.oauth.tryRefresh(s.refresh);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe("invalid_grant");

    const st = await s.cli(["status"]);
    expect(st.code).toBe(1);
    expect(st.stdout).toContain("Not logged in.");
    const run = await s.cli(["run", "hi"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("not logged in; run `codex login`");
    expect(s.api.requests).toHaveLength(0);
    const twice = await s.cli(["logout"]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe("No credential stored by codex; nothing to remove.\n");
    expect(s.oauth.counts().revocations).toBe(2);
    s.noSecretLeaked();
  });

  test("a file with a BOM and CRLF line endings survives sign-in, renewal and logout byte for byte", async () => {
    const s = await session({
      original: (section) => `\uFEFF${`${USER_TOP}${USER_TABLES}\n${section}`.replaceAll("\n", "\r\n")}`,
    });
    const signedIn = readFileSync(s.configFile, "utf8");
    expect(signedIn.startsWith("\uFEFF")).toBe(true);
    expect(signedIn.replaceAll("\r\n", "")).not.toContain("\n");
    s.setExpiry(new Date(Date.now() - 1_000));
    const before = readFileSync(s.configFile, "utf8");
    s.api.reply(checked(s.oauth, "renewed"));
    const r = await s.cli(["run", "hi"]);
    expect(r.code, r.stderr).toBe(0);
    expect(s.oauth.counts().refresh).toBe(1);
    const after = s.read();
    expect(after.access).not.toBe(s.access);
    expect(after.text).toBe(withTokensOf(before, after));
    const out = await s.cli(["logout"]);
    expect(out.code, out.stderr).toBe(0);
    expect(readFileSync(s.configFile)).toEqual(Buffer.from(s.original, "utf8"));
    s.noSecretLeaked();
  });

  test("the authorization server is down: exit 0, cleared, a warning with the access token's expiry, quickly", async () => {
    const s = await session();
    const expiresAt = new Date(s.read().expiresAt as string).toISOString();
    await s.oauth.close();
    const started = Date.now();
    const r = await s.cli(["logout"]);
    const took = Date.now() - started;
    expect(took).toBeLessThan(7_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${s.configFile}\n`);
    const host = new URL(s.oauth.issuer).host;
    expect(r.stderr).toMatch(/^warning: /);
    expect(r.stderr).toContain(`removed from this machine, but not revoked at ${host}`);
    expect(r.stderr).toContain(`could not reach the sign-in server ${host}: connection refused`);
    expect(r.stderr).toContain(`the access token until ${expiresAt}`);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    s.noSecretLeaked();
  });

  test("an issuer that accepts connections and never answers: cleared before the wait, exit 0 within the 5 s budget, warning", async () => {
    const s = await session();
    const silent = await silentServer();
    const text = readFileSync(s.configFile, "utf8");
    const at = text.indexOf("[oauth_session]");
    const rewritten =
      text.slice(0, at) + text.slice(at).replace(/^issuer = "[^"]+"/m, `issuer = "http://127.0.0.1:${silent.port}"`);
    expect(rewritten).not.toBe(text);
    writeFileSync(s.configFile, rewritten);
    const expiresAt = new Date(s.read().expiresAt as string).toISOString();

    const started = Date.now();
    const running = s.cli(["logout"], { timeoutMs: 20_000 });
    // While logout waits on the silent issuer, the session is already gone from the file.
    await Promise.race([silent.firstConnection, sleep(5_000)]);
    expect(silent.connections()).toBeGreaterThan(0);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    const r = await running;
    const took = Date.now() - started;
    expect(took).toBeLessThan(8_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${s.configFile}\n`);
    expect(r.stderr).toContain(`removed from this machine, but not revoked at 127.0.0.1:${silent.port}`);
    expect(r.stderr).toContain("did not answer in time");
    expect(r.stderr).toContain(`the access token until ${expiresAt}`);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    // Indeed not revoked: the real server still honours the access token.
    expect((await s.oauth.introspect(s.access)).active).toBe(true);
    s.noSecretLeaked();
  });

  test("a server without a revocation endpoint: exit 0, cleared, a warning that it offers no way to revoke tokens", async () => {
    const s = await session({ revocation: false });
    const r = await s.cli(["logout"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${s.configFile}\n`);
    expect(r.stderr).toContain(
      `not revoked at ${new URL(s.oauth.issuer).host}: ${new URL(s.oauth.issuer).host} offers no way to revoke tokens`,
    );
    expect(r.stderr).toContain("the access token until ");
    expect(s.oauth.counts().revocations).toBe(0);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    s.noSecretLeaked();
  });

  test("--no-revoke: nothing reaches the server, cleared, a warning that the session was not revoked", async () => {
    const s = await session();
    const oauthRequests = s.oauth.requests.length;
    const r = await s.cli(["logout", "--no-revoke"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${s.configFile}\n`);
    expect(r.stderr).toBe(
      `warning: the session was not revoked at ${new URL(s.oauth.issuer).host} (--no-revoke); its tokens stay valid there until they expire\n`,
    );
    expect(s.oauth.counts().revocations).toBe(0);
    expect(s.oauth.requests.length).toBe(oauthRequests);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expect((await s.oauth.introspect(s.access)).active).toBe(true);
    s.noSecretLeaked();
  });
});

describe("library", () => {
  test("logout() on a signed-in CODEX_HOME: removed, both tokens revoked, nothing left", async () => {
    const s = await session();
    const result = await logout({ codexHome: s.codexHome, env: {} });
    expect(result).toMatchObject({
      removed: true,
      removedFrom: [s.configFile],
      revocationSkipped: null,
      stillAuthenticatedBy: [],
      revocation: {
        issuer: s.oauth.issuer,
        revoked: ["refresh_token", "access_token"],
        notRevoked: [],
        reason: undefined,
      },
    });
    expect(result.revocation?.accessTokenExpiresAt).toBeInstanceOf(Date);
    expect(JSON.stringify(result)).not.toContain(s.access);
    expect(JSON.stringify(result)).not.toContain(s.refresh);
    expect(s.oauth.counts().revocations).toBe(2);
    expect(readFileSync(s.configFile, "utf8")).toBe(s.original);
    expect((await s.oauth.introspect(s.access)).active).toBe(false);
  });

  test("refreshSession() renews only a stale session and saves it; status() reports expiry; invalid_grant is SessionEndedError", async () => {
    const s = await session();
    const clock = () => new Date();

    // Not stale: the stored credential comes back as it is, no request made.
    const same = await refreshSession(await Config.load({ codexHome: s.codexHome }), { clock, isStale: () => false });
    expect(same.token).toBe(s.access);
    expect(same.oauth?.refreshToken).toBe(s.refresh);
    expect(s.oauth.counts().refresh).toBe(0);

    const renewed = await refreshSession(await Config.load({ codexHome: s.codexHome }), {
      clock,
      isStale: () => true,
    });
    expect(s.oauth.counts().refresh).toBe(1);
    expect(renewed.token).not.toBe(s.access);
    expect(renewed.oauth).toMatchObject({ issuer: s.oauth.issuer, account: "alice@example.com", subject: "alice" });
    expect(renewed.oauth?.refreshToken).not.toBe(s.refresh);
    expect(renewed.oauth?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    const onDisk = s.read();
    expect(onDisk.access).toBe(renewed.token);
    expect(onDisk.refresh).toBe(renewed.oauth?.refreshToken);

    // Two hours on, the token has expired but can be renewed: still logged in.
    const later = await status({ codexHome: s.codexHome, env: {}, clock: () => new Date(Date.now() + 2 * 3_600_000) });
    expect(later).toMatchObject({
      authenticated: true,
      method: "oauth",
      hint: maskToken(renewed.token, false),
      session: { issuer: s.oauth.issuer, expired: true, refreshable: true, ended: false },
    });
    expect(JSON.stringify(later)).not.toContain(renewed.token);

    // The server ends the grant; the next renewal is a SessionEndedError (exit 4) and is recorded.
    await revokeAtServer(s.oauth, renewed.token, "access_token");
    const failure = await refreshSession(await Config.load({ codexHome: s.codexHome }), {
      clock,
      isStale: () => true,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SessionEndedError);
    expect((failure as SessionEndedError).exitCode).toBe(4);
    expect((failure as Error).message).toContain("run `codex login`");
    expect(s.read().endedAt).toMatch(/^\d{4}-/);
    const ended = await status({ codexHome: s.codexHome, env: {} });
    expect(ended).toMatchObject({ authenticated: false, session: { ended: true } });
  });
});
