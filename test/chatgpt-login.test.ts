/**
 * `codex login` with ChatGPT, end to end: the CLI against the protocol-faithful fake of auth.openai.com
 * (test/support/openai-fake.ts, on 127.0.0.1, `[oauth] protocol = "openai"`), the browser part driven by real
 * headless Chromium. What OpenAI's Codex CLI sends is what the fake insists on; these tests add what the user
 * sees and what is stored (or, on every refusal, that nothing is).
 */
import { readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { describe, expect, test } from "vitest";
import { expectNoSecret, freePort, reachable, type RunResult, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { signInWithBrowser } from "./support/browser.js";
import { type RunningCli, startCli } from "./support/oauth-cli.js";
import {
  CODEX_CLIENT_ID,
  type OpenAIFake,
  type OpenAIFakeOptions,
  type SessionTokens,
  startOpenAIFake,
} from "./support/openai-fake.js";

/** The sign-in URL `codex login --no-browser` prints for OpenAI's protocol. */
const AUTHORIZE_URL = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m;
const USER_CODE = /and enter the code: (\S+)\n/;
/** Exactly the parameters OpenAI's Codex CLI puts on its authorize URL (server.rs), without a forced workspace. */
const CODEX_AUTHORIZE_PARAMS = [
  "client_id",
  "code_challenge",
  "code_challenge_method",
  "codex_cli_simplified_flow",
  "id_token_add_organizations",
  "originator",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `chatgpt_base_url` is the backend-api root; the fake serves `{root}/codex`. */
const backendRoot = (fake: OpenAIFake) => fake.chatgptBaseUrl.replace(/\/codex$/, "");

/**
 * config.toml for the fake: top-level keys (`top`, then chatgpt_base_url) before `[oauth]`. `port`: a
 * redirect_port (a free one by default, so tests never fight over 1455); null leaves the default port.
 * `protocol`: "openai" by default; null leaves the key out.
 */
async function fakeConfig(
  fake: OpenAIFake,
  opts: { top?: string; oauth?: string; port?: number | null; session?: string; protocol?: string | null } = {},
): Promise<string> {
  const port = opts.port === undefined ? await freePort() : opts.port;
  const protocol = opts.protocol === undefined ? "openai" : opts.protocol;
  return (
    `${opts.top ?? ""}chatgpt_base_url = "${backendRoot(fake)}"\n\n` +
    `[oauth]\nissuer = "${fake.issuer}"\n${protocol === null ? "" : `protocol = "${protocol}"\n`}` +
    `${port === null ? "" : `redirect_port = ${port}\n`}${opts.oauth ?? ""}` +
    (opts.session ?? "")
  );
}

/** A signed-in ChatGPT session as `codex login` stores it, for seeding a config without a browser. */
function seededSession(
  fake: OpenAIFake,
  tokens: SessionTokens,
  issuer = fake.issuer,
): { top: string; session: string } {
  const now = new Date();
  return {
    top: `auth_token = "${tokens.accessToken}"\n`,
    session:
      `\n[oauth_session]\nissuer = "${issuer}"\nclient_id = "${fake.clientId}"\n` +
      `refresh_token = "${tokens.refreshToken}"\nexpires_at = ${new Date(now.getTime() + 3_600_000).toISOString()}\n` +
      `account = "${fake.user.email}"\nprotocol = "openai"\nchatgpt_account_id = "${fake.user.accountId}"\n` +
      `chatgpt_plan_type = "${fake.user.planType}"\nrefreshed_at = ${now.toISOString()}\n`,
  };
}

interface Stored {
  config: string;
  accessToken: string;
  refreshToken: string;
  session: Record<string, string>;
}

/** What config.toml holds after a sign-in: the tokens and the `[oauth_session]` keys (values as written). */
function stored(configFile: string): Stored {
  const config = readFileSync(configFile, "utf8");
  const accessToken = /^auth_token = "([^"]+)"$/m.exec(config)?.[1] ?? "";
  const table = config.slice(config.indexOf("[oauth_session]\n"));
  const session: Record<string, string> = {};
  for (const m of table.matchAll(/^(\w+) = (.*)$/gm)) session[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
  return { config, accessToken, refreshToken: session.refresh_token ?? "", session };
}

/** `codex login --no-browser …` in the background; resolves once it has printed the authorize URL. */
async function startBrowserLogin(home: string, args: string[] = []): Promise<{ cli: RunningCli; url: URL }> {
  const cli = startCli(["login", "--no-browser", ...args], { home, timeoutMs: 30_000 });
  const [, raw] = await cli.waitFor(AUTHORIZE_URL);
  return { cli, url: new URL(raw as string) };
}

/** Signs in through Chromium; returns the CLI's result, the URL it printed and the page the browser ended on. */
async function browserLogin(home: string, args: string[] = []) {
  const { cli, url } = await startBrowserLogin(home, args);
  const page = await signInWithBrowser(url.href);
  return { result: await cli.result, url, page, code: new URL(page.url).searchParams.get("code") ?? "" };
}

/** `codex login --device-auth` in the background; resolves once it has shown the code. */
async function startDeviceLogin(home: string): Promise<{ cli: RunningCli; userCode: string }> {
  const cli = startCli(["login", "--device-auth"], { home, timeoutMs: 30_000 });
  const [, userCode] = await cli.waitFor(USER_CODE);
  return { cli, userCode: userCode as string };
}

/** Holds `port` on 127.0.0.1 (as another program would); undefined when someone else already holds it. */
function hold(port: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      err.code === "EADDRINUSE" || err.code === "EACCES" ? resolve(undefined) : reject(err),
    );
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(server));
  });
}

const release = (server: Server | undefined) => new Promise<void>((r) => (server ? server.close(() => r()) : r()));

async function heldBySomeoneElse(port: number): Promise<boolean> {
  const probe = await hold(port);
  await release(probe);
  return probe === undefined || (await reachable("::1", port));
}

function expectOpenAISession(
  s: Stored,
  fake: OpenAIFake,
  expected: { account: string; plan: string; accountId: string },
) {
  expect(s.session).toMatchObject({
    issuer: fake.issuer,
    client_id: CODEX_CLIENT_ID,
    account: expected.account,
    subject: fake.user.sub,
    protocol: "openai",
    chatgpt_account_id: expected.accountId,
    chatgpt_plan_type: expected.plan,
    chatgpt_user_id: fake.user.chatgptUserId,
  });
  expect(s.session.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(s.session.refreshed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(fake.accessTokenState(s.accessToken)).toBe("live");
}

function loggedInLine(r: RunResult, who: string, plan: string, configFile: string): void {
  expect(r.stdout.split("\n")[0]).toBe(`✅ Logged in using ChatGPT as ${who} (${plan} plan), stored in ${configFile}`);
}

async function fakeWith(options: OpenAIFakeOptions = {}) {
  return startOpenAIFake({ deviceInterval: "1", ...options });
}

describe("browser sign-in with ChatGPT", () => {
  test("the authorize URL carries exactly Codex's parameters, the code exchange is a form with the verifier, the session is stored 0600", async () => {
    const fake = await fakeWith({ expectedOriginator: "codex_cli_rs", user: { planType: "pro" } });
    const port = await freePort();
    const { home, configFile } = withConfig(await fakeConfig(fake, { top: '# mine\nmodel = "gpt-5.1-codex"\n', port }));
    const { result: r, url, page, code } = await browserLogin(home);

    expect(url.origin + url.pathname).toBe(`${fake.issuer}/oauth/authorize`);
    expect([...url.searchParams.keys()].sort()).toEqual(CODEX_AUTHORIZE_PARAMS);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: "code",
      client_id: CODEX_CLIENT_ID,
      redirect_uri: `http://localhost:${port}/auth/callback`,
      scope: "openid profile email offline_access",
      code_challenge_method: "S256",
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      originator: "codex_cli_rs",
    });
    // Spaces as %20, as Codex writes them; 64-byte verifier → 43-char challenge; 32-byte state.
    expect(url.search).toContain("scope=openid%20profile%20email%20offline_access");
    expect(q.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(q.state).toMatch(/^[\w-]{43}$/);
    expect(fake.authorizeRequests.map((a) => a.outcome)).toEqual(["code"]);
    expect(page.text).toContain("You are signed in");

    // One exchange, form-encoded, with the redirect URI and a verifier the fake checked against the challenge.
    expect(fake.tokenRequests).toHaveLength(1);
    expect(fake.tokenRequests[0]).toMatchObject({
      grantType: "authorization_code",
      contentType: "application/x-www-form-urlencoded",
      status: 200,
      params: {
        grant_type: "authorization_code",
        code: "<redacted>",
        code_verifier: "<redacted>",
        client_id: CODEX_CLIENT_ID,
        redirect_uri: `http://localhost:${port}/auth/callback`,
      },
    });

    expect(r.code, r.stderr).toBe(0);
    loggedInLine(r, "user@example.com", "pro", configFile);
    expect(r.stdout).toMatch(
      /\n {2}The access token expires in (59 min|60 min|1 h); codex renews it automatically\.\n$/,
    );
    const s = stored(configFile);
    expect(
      s.config.startsWith(`# mine\nmodel = "gpt-5.1-codex"\nchatgpt_base_url = "${backendRoot(fake)}"\nauth_token = "`),
    ).toBe(true);
    expectOpenAISession(s, fake, {
      account: "user@example.com",
      plan: "pro",
      accountId: fake.user.accountId as string,
    });
    expect(s.config).not.toContain(code);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(code).toMatch(/^ac_/);
    expectNoSecret(r, s.accessToken, s.refreshToken, code);
  });

  test("an email given only under https://api.openai.com/profile is the account", async () => {
    const fake = await fakeWith({ user: { email: "profile-only@example.com", emailOnlyInProfile: true } });
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const { result: r } = await browserLogin(home);
    expect(r.code, r.stderr).toBe(0);
    loggedInLine(r, "profile-only@example.com", "plus", configFile);
    expect(stored(configFile).session.account).toBe("profile-only@example.com");
  });

  test.each([
    ["access_denied", "the sign-in was denied in the browser; nothing was stored"],
    [
      "missing_codex_entitlement",
      "Codex is not enabled for your ChatGPT workspace; ask your workspace administrator for access; nothing was stored",
    ],
  ] as const)("denied in the browser (%s): its own message, exit 1, nothing stored", async (kind, message) => {
    const fake = await fakeWith();
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const before = readFileSync(configFile);
    fake.denyNextAuthorize(kind);
    const { result: r, page } = await browserLogin(home);
    expect(page.text).toContain("Sign-in cancelled");
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe(`error: ${message}`);
    expect(r.stdout).toBe("");
    expect(readFileSync(configFile)).toEqual(before);
    expect(fake.tokenRequests).toHaveLength(0);
  });

  test("the default port 1455 held by another program: codex listens on 1457 and the redirect URI says so", async (ctx) => {
    if ((await heldBySomeoneElse(1455)) || (await heldBySomeoneElse(1457))) {
      ctx.skip("1455 or 1457 is already in use on this machine");
    }
    const blocker = await hold(1455);
    if (blocker === undefined) ctx.skip("1455 was taken meanwhile");
    try {
      const fake = await fakeWith({ redirectPorts: [1455, 1457] });
      const { home, configFile } = withConfig(await fakeConfig(fake, { port: null }));
      const { cli, url } = await startBrowserLogin(home);
      expect(url.searchParams.get("redirect_uri")).toBe("http://localhost:1457/auth/callback");
      expect(await reachable("127.0.0.1", 1457)).toBe(true);
      await signInWithBrowser(url.href);
      const r = await cli.result;
      expect(r.code, r.stderr).toBe(0);
      loggedInLine(r, "user@example.com", "plus", configFile);
      expect(fake.tokenRequests[0]?.params.redirect_uri).toBe("http://localhost:1457/auth/callback");
    } finally {
      await release(blocker);
    }
  });

  test("a port chosen with --port or redirect_port never moves: busy, it is the PortInUseError, nothing stored", async () => {
    const fake = await fakeWith();
    const blocker = (await hold(0)) as Server;
    const port = (blocker.address() as { port: number }).port;
    const expected = `error: port ${port} on 127.0.0.1 is in use (another \`codex login\` running?); choose another with \`codex login --port N\`, or sign in with \`codex login --device-auth\`\n`;
    try {
      const flag = withConfig(await fakeConfig(fake, { port: null }));
      const before = readFileSync(flag.configFile);
      const r = await runCliInProcess(["login", "--no-browser", "--port", String(port)], {
        home: flag.home,
        timeoutMs: 10_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(expected);
      expect(readFileSync(flag.configFile)).toEqual(before);

      const setting = withConfig(await fakeConfig(fake, { port }));
      const r2 = await runCliInProcess(["login", "--no-browser"], { home: setting.home, timeoutMs: 10_000 });
      expect(r2.code).toBe(1);
      expect(r2.stderr).toBe(expected);
      expect(fake.authorizeRequests).toHaveLength(0);
    } finally {
      await release(blocker);
    }
  });
});

describe("device sign-in with ChatGPT (--device-auth)", () => {
  test("Ctrl-C between polls: cancelled at once, not at the next poll; nothing stored, no more polls", async () => {
    const fake = await fakeWith({ deviceInterval: "20" });
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const before = readFileSync(configFile);
    const { cli } = await startDeviceLogin(home);
    await until("the first pending poll", () => fake.devicePolls.length >= 1);
    const polls = fake.devicePolls.length;
    const sent = Date.now();
    cli.kill("SIGINT");
    const r = await cli.result;
    expect(Date.now() - sent).toBeLessThan(5000); // the 20 s wait was cut short
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe("error: sign-in cancelled; nothing was stored");
    expect(fake.devicePolls).toHaveLength(polls);
    expect(fake.tokenRequests).toHaveLength(0);
    expect(readFileSync(configFile)).toEqual(before);
  });

  test("usercode {client_id}; the page, the code and the phishing warning; 403 polls at the string interval; the exchange names {issuer}/deviceauth/callback", async () => {
    const fake = await fakeWith({ deviceInterval: "2", devicePendingStatus: 403 });
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const { cli, userCode } = await startDeviceLogin(home);
    expect(fake.deviceCodeRequests).toEqual([{ clientId: CODEX_CLIENT_ID, status: 200 }]);
    await until("two pending polls", () => fake.devicePolls.length >= 2);
    fake.approveDevice();
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^${escapeRegExp(`To sign in, open this page on any device:\n\n  ${fake.issuer}/codex/device\n\nand enter the code: ${userCode}\n\n`)}` +
          "Device codes are a common phishing target\\. Never share this code\\.\n\n" +
          "Waiting for you to enter the code for up to 15 minutes \\(until \\d\\d:\\d\\d\\)\\. Press Ctrl-C to cancel\\.\n$",
      ),
    );
    const polls = fake.devicePolls;
    expect(polls.map((p) => p.status)).toEqual([...polls.slice(1).map(() => 403), 200]);
    expect(new Set(polls.map((p) => `${p.deviceAuthId} ${p.userCode}`)).size).toBe(1);
    expect(polls[0]?.userCode).toBe(userCode);
    // interval "2", a string: two seconds between polls (not a default of 5, nor the 1 s floor).
    for (let i = 1; i < polls.length; i++) {
      const gap = (polls[i]?.at as number) - (polls[i - 1]?.at as number);
      expect(gap).toBeGreaterThanOrEqual(1800);
      expect(gap).toBeLessThan(4500);
    }
    expect(fake.tokenRequests).toHaveLength(1);
    expect(fake.tokenRequests[0]).toMatchObject({
      grantType: "authorization_code",
      contentType: "application/x-www-form-urlencoded",
      status: 200,
      params: {
        client_id: CODEX_CLIENT_ID,
        redirect_uri: `${fake.issuer}/deviceauth/callback`,
        code_verifier: "<redacted>",
      },
    });
    loggedInLine(r, "user@example.com", "plus", configFile);
    const s = stored(configFile);
    expectOpenAISession(s, fake, {
      account: "user@example.com",
      plan: "plus",
      accountId: fake.user.accountId as string,
    });
    expectNoSecret(r, s.accessToken, s.refreshToken, polls[0]?.deviceAuthId as string);
  });

  test("404 while pending is polled on too", async () => {
    const fake = await fakeWith({ devicePendingStatus: 404 });
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const { cli } = await startDeviceLogin(home);
    await until("a pending poll", () => fake.devicePolls.length >= 1);
    fake.approveDevice();
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(fake.devicePolls.map((p) => p.status)).toEqual([...fake.devicePolls.slice(1).map(() => 404), 200]);
    loggedInLine(r, "user@example.com", "plus", configFile);
  });

  test("usercode answered 404: device sign-in is not enabled, exit 1, nothing stored", async () => {
    const fake = await fakeWith({ deviceAuthEnabled: false });
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const before = readFileSync(configFile);
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: device sign-in is not enabled on ${new URL(fake.issuer).host}; use \`codex login\` in a browser, or \`codex login --with-api-key\`\n`,
    );
    expect(fake.deviceCodeRequests).toEqual([{ clientId: CODEX_CLIENT_ID, status: 404 }]);
    expect(fake.devicePolls).toHaveLength(0);
    expect(readFileSync(configFile)).toEqual(before);
  });

  test.each([
    ["denied", "the sign-in was denied on the verification page; nothing was stored"],
    ["expired", "the code expired before it was approved; run `codex login --device-auth` again"],
  ] as const)("%s on the device page: exit 1, says so, nothing stored", async (outcome, message) => {
    const fake = await fakeWith();
    const { home, configFile } = withConfig(await fakeConfig(fake));
    const before = readFileSync(configFile);
    const { cli } = await startDeviceLogin(home);
    await until("a pending poll", () => fake.devicePolls.length >= 1);
    if (outcome === "denied") fake.denyDevice();
    else fake.expireDevice();
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe(`error: ${message}`);
    expect(r.stdout).toBe("");
    expect(fake.tokenRequests).toHaveLength(0);
    expect(readFileSync(configFile)).toEqual(before);
  });
});

/** The replaced session was revoked as Codex does: JSON, the refresh token (with client_id), then the access token. */
function expectRevoked(fake: OpenAIFake, old: SessionTokens): void {
  expect(fake.revocations).toEqual([
    {
      contentType: "application/json",
      tokenTypeHint: "refresh_token",
      clientId: CODEX_CLIENT_ID,
      kind: "refresh_token",
      tokenSha256: fake.hash(old.refreshToken),
      status: 200,
    },
    {
      contentType: "application/json",
      tokenTypeHint: "access_token",
      kind: "access_token",
      tokenSha256: fake.hash(old.accessToken),
      status: 200,
    },
  ]);
  expect(fake.accessTokenState(old.accessToken)).toBe("revoked");
}

describe("signing in again replaces the session and revokes the one it replaces", () => {
  test("with the browser", async () => {
    const fake = await fakeWith();
    const old = fake.mintSession();
    const { home, configFile } = withConfig(await fakeConfig(fake, seededSession(fake, old)));
    const { result: r } = await browserLogin(home);
    expect(r.code, r.stderr).toBe(0);
    // Under the line it belongs to, after the new session's own.
    expect(r.stdout.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^ {2}The access token expires in /),
      `  The previous session was revoked at ${new URL(fake.issuer).host}.`,
      "",
    ]);
    loggedInLine(r, "user@example.com", "plus", configFile);
    expectRevoked(fake, old);
    const s = stored(configFile);
    expect(s.accessToken).not.toBe(old.accessToken);
    expect(fake.accessTokenState(s.accessToken)).toBe("live");
    expect(s.config.match(/^\[oauth_session\]$/gm)).toHaveLength(1);
    expectNoSecret(r, old.accessToken, old.refreshToken, s.accessToken, s.refreshToken);
  });

  test("with a device code", async () => {
    const fake = await fakeWith();
    const old = fake.mintSession();
    const { home, configFile } = withConfig(await fakeConfig(fake, seededSession(fake, old)));
    const { cli } = await startDeviceLogin(home);
    fake.approveDevice();
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`\n  The previous session was revoked at ${new URL(fake.issuer).host}.\n`);
    expectRevoked(fake, old);
    expect(fake.accessTokenState(stored(configFile).accessToken)).toBe("live");
    expectNoSecret(r, old.accessToken, old.refreshToken);
  });

  test("with an API key", async () => {
    const fake = await fakeWith();
    const old = fake.mintSession();
    const { home, configFile } = withConfig(await fakeConfig(fake, seededSession(fake, old)));
    const key = "sk-test-replaces-a-chatgpt-session-1234";
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${key}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `✅ Logged in using an API key (sk-…1234), stored in ${configFile}\n  The previous session was revoked at ${new URL(fake.issuer).host}.\n`,
    );
    expectRevoked(fake, old);
    const config = readFileSync(configFile, "utf8");
    expect(config).toContain(`auth_token = "${key}"\n`);
    expect(config).not.toContain("[oauth_session]");
    expectNoSecret(r, old.accessToken, old.refreshToken, key);
  });

  test("a revocation that fails: still logged in, with a warning naming what may stay valid", async () => {
    const fake = await fakeWith();
    const old = fake.mintSession();
    // The session being replaced came from an issuer that no longer answers.
    const gone = `http://127.0.0.1:${await freePort()}`;
    const { home, configFile } = withConfig(await fakeConfig(fake, seededSession(fake, old, gone)));
    const key = "sk-test-after-a-failed-revocation-5678";
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: key });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…5678), stored in ${configFile}\n`);
    const host = new URL(gone).host;
    expect(r.stderr).toBe(
      `warning: the previous session was replaced here but not revoked at ${host}: could not reach the sign-in server ${host}: connection refused; its refresh token and access token may stay valid there until the server expires them\n`,
    );
    expect(readFileSync(configFile, "utf8")).toContain(`auth_token = "${key}"\n`);
    expect(fake.revocations).toHaveLength(0);
    expectNoSecret(r, old.accessToken, old.refreshToken, key);
  });
});

describe("forced_login_method", () => {
  test('"chatgpt": --with-api-key is refused before standard input is read, exit 1, nothing stored', async () => {
    const fake = await fakeWith();
    const { home, configFile } = withConfig(await fakeConfig(fake, { top: 'forced_login_method = "chatgpt"\n' }));
    const before = readFileSync(configFile);
    // Standard input stays open and silent: a codex that read it first would wait there, not answer.
    const r = await runCliInProcess(["login", "--with-api-key"], { home, silentStdin: true, timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: config.toml allows only sign-in with ChatGPT (forced_login_method = "chatgpt"), not an API key; run `codex login` (or `codex login --device-auth`)\n',
    );
    expect(r.stdout).toBe("");
    expect(readFileSync(configFile)).toEqual(before);
  });

  test('"api": --device-auth is refused, nothing sent or stored; `codex login` with a key on standard input works', async () => {
    const fake = await fakeWith();
    const { home, configFile } = withConfig(await fakeConfig(fake, { top: 'forced_login_method = "api"\n' }));
    const before = readFileSync(configFile);
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: config.toml allows only API keys (forced_login_method = "api"), not sign-in in a browser or on another device; run `codex login --with-api-key`\n',
    );
    expect(fake.deviceCodeRequests).toHaveLength(0);
    expect(readFileSync(configFile)).toEqual(before);

    const key = "sk-test-only-keys-here-abcd";
    const ok = await runCliInProcess(["login"], { home, input: `${key}\n`, timeoutMs: 10_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`✅ Logged in using an API key (sk-…abcd), stored in ${configFile}\n`);
    expect(readFileSync(configFile, "utf8")).toContain(`auth_token = "${key}"\n`);
    expect(fake.authorizeRequests).toHaveLength(0);
    expectNoSecret(ok, key);
  });
});

describe("forced_chatgpt_workspace_id", () => {
  const workspaces = [
    { accountId: "ws-personal-1111", title: "Personal", planType: "plus" },
    { accountId: "ws-team-2222", title: "Team", planType: "team" },
  ];

  test("a list is sent as one comma-joined allowed_workspace_id; a sign-in to one of them is stored", async () => {
    const fake = await fakeWith({ user: { workspaces } });
    const { home, configFile } = withConfig(
      await fakeConfig(fake, { top: 'forced_chatgpt_workspace_id = ["ws-other-0000", "ws-team-2222"]\n' }),
    );
    const { result: r, url } = await browserLogin(home);
    expect(url.searchParams.getAll("allowed_workspace_id")).toEqual(["ws-other-0000,ws-team-2222"]);
    expect([...url.searchParams.keys()].sort()).toEqual([...CODEX_AUTHORIZE_PARAMS, "allowed_workspace_id"].sort());
    expect(r.code, r.stderr).toBe(0);
    loggedInLine(r, "user@example.com", "team", configFile);
    expect(stored(configFile).session.chatgpt_account_id).toBe("ws-team-2222");
  });

  test("a browser sign-in whose ID token names another workspace is refused before anything is saved", async () => {
    const fake = await fakeWith({ user: { workspaces }, ignoreAllowedWorkspace: true });
    const { home, configFile } = withConfig(
      await fakeConfig(fake, { top: 'forced_chatgpt_workspace_id = "ws-team-2222"\n' }),
    );
    const before = readFileSync(configFile);
    const { result: r, url, page } = await browserLogin(home);
    expect(url.searchParams.get("allowed_workspace_id")).toBe("ws-team-2222");
    // The issuer did issue tokens (for ws-personal-1111): the refusal is codex's own check.
    expect(fake.tokenRequests.map((t) => t.status)).toEqual([200]);
    expect(page.text).toContain("Sign-in failed");
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe(
      "error: config.toml restricts sign-in to the ChatGPT workspace ws-team-2222 (forced_chatgpt_workspace_id), and this sign-in is to another one; nothing was stored",
    );
    expect(readFileSync(configFile)).toEqual(before);
  });

  test("a device sign-in approved for another workspace is refused before anything is saved", async () => {
    const fake = await fakeWith({ user: { workspaces } });
    const { home, configFile } = withConfig(
      await fakeConfig(fake, { top: 'forced_chatgpt_workspace_id = "ws-team-2222"\n' }),
    );
    const before = readFileSync(configFile);
    const { cli, userCode } = await startDeviceLogin(home);
    fake.approveDevice(userCode, { accountId: "ws-personal-1111" });
    const r = await cli.result;
    expect(fake.tokenRequests.map((t) => t.status)).toEqual([200]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe(
      "error: config.toml restricts sign-in to the ChatGPT workspace ws-team-2222 (forced_chatgpt_workspace_id), and this sign-in is to another one; nothing was stored",
    );
    expect(readFileSync(configFile)).toEqual(before);
  });
});

describe("the protocol is never guessed", () => {
  // The fake publishes OpenID discovery metadata (as auth.openai.com does), so the standard flow gets as far as
  // the authorize URL or the device endpoint the metadata lists; it never falls back to OpenAI's own endpoints.
  test('protocol = "standard": the browser sign-in is the standards\' one, which the OpenAI issuer refuses', async () => {
    const fake = await fakeWith();
    const { home, configFile } = withConfig(await fakeConfig(fake, { protocol: "standard" }));
    const before = readFileSync(configFile);
    const { cli, url } = await startBrowserLogin(home);
    expect(url.origin + url.pathname).toBe(`${fake.issuer}/oauth/authorize`);
    expect(url.searchParams.get("nonce")).toMatch(/^[\w-]{20,}$/);
    for (const openaiOnly of ["originator", "codex_cli_simplified_flow", "id_token_add_organizations"]) {
      expect(url.searchParams.has(openaiOnly), openaiOnly).toBe(false);
    }
    const answer = await fetch(url, { redirect: "manual" });
    expect(answer.status).toBe(400);
    expect(fake.authorizeRequests[0]?.outcome).toBe("refused");
    cli.kill("SIGINT");
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe("error: sign-in cancelled; nothing was stored");
    expect(fake.tokenRequests).toHaveLength(0);
    expect(readFileSync(configFile)).toEqual(before);
  });

  test.each([
    ['protocol = "standard"', "standard"],
    ["no protocol key, an issuer other than https://auth.openai.com", null],
  ] as const)(
    "%s: --device-auth looks for RFC 8628 in the metadata, never at OpenAI's device endpoints",
    async (_, protocol) => {
      const fake = await fakeWith();
      const { home, configFile } = withConfig(await fakeConfig(fake, { protocol }));
      const before = readFileSync(configFile);
      const r = await runCliInProcess(["login", "--device-auth"], { home });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: ${fake.issuer} does not offer device sign-in (it publishes no device_authorization_endpoint); use \`codex login\` in a browser, or \`codex login --with-api-key\`\n`,
      );
      expect(fake.deviceCodeRequests).toHaveLength(0);
      expect(readFileSync(configFile)).toEqual(before);
    },
  );
});
