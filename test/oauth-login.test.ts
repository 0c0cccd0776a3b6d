/**
 * `codex login` with OAuth, end to end: the CLI against a real authorization server (oidc-provider,
 * in process on 127.0.0.1) and a real browser (Chromium through playwright-core) signing in on the
 * server's own pages.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Config, loginWithBrowser, OAuthError, oauthSettings } from "../src/index.js";
import { codexHomeOf, expectNoSecret, freePort, httpGet, reachable, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { approveDevice, signInWithBrowser } from "./support/browser.js";
import { AUTH_URL, browserLogin, oauthConfig, signedIn, startCli } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";

const DEVICE_URL = /open this page on any device:\n\n {2}(\S+)\n/;
const USER_CODE = /enter the code: (\S+)/;

describe("browser sign-in", () => {
  test("signs in, stores the session 0600 beside the user's settings, status --json shows the account", async () => {
    const server = await startOAuthServer();
    const original = `# my settings\nmodel = "o3"\n\n${await oauthConfig(server)}`;
    const { home, configFile } = withConfig(original);
    const r = await browserLogin(home, { login: "alice" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✅ Logged in as alice@example.com with ${new URL(server.issuer).host} (OAuth)`);
    expect(r.stdout).toContain("codex renews it automatically");
    const config = readFileSync(configFile, "utf8");
    expect(config.startsWith('# my settings\nmodel = "o3"\nauth_token = "')).toBe(true);
    expect(config).toContain(original.slice(original.indexOf("[oauth]")));
    expect(config).toMatch(
      /\[oauth_session\]\nissuer = "http:\/\/127\.0\.0\.1:\d+"\nclient_id = "[^"]+"\nrefresh_token = "[^"]+"\nexpires_at = \d{4}-/,
    );
    expect(config).toContain('account = "alice@example.com"\nsubject = "alice"\n');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(codexHomeOf(home))).toEqual(["config.toml"]);
    expect(server.counts().codeExchanges).toBe(1);

    const access = /^auth_token = "([^"]+)"$/m.exec(config)?.[1] as string;
    const refresh = /^refresh_token = "([^"]+)"$/m.exec(config)?.[1] as string;
    expectNoSecret(r, access, refresh);
    expect((await server.introspect(access)).active).toBe(true);

    const st = await runCliInProcess(["status", "--json"], { home });
    expect(st.code).toBe(0);
    const json = JSON.parse(st.stdout);
    expect(json).toMatchObject({
      authenticated: true,
      method: "oauth",
      source: configFile,
      source_type: "file",
      oauth: {
        issuer: server.issuer,
        account: "alice@example.com",
        expired: false,
        refreshable: true,
        session_ended: false,
      },
    });
    expect(Date.parse(json.oauth.expires_at)).toBeGreaterThan(Date.now() + 30 * 60_000);
    expectNoSecret(st, access, refresh);

    const text = await runCliInProcess(["status"], { home });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Logged in with OAuth as alice@example.com: …\S{4}\n/);
    expect(text.stdout).toContain(`  Issuer: ${server.issuer}\n`);
    expect(text.stdout).toMatch(/ {2}Access token: expires in (59 min|1 h) \(renewed automatically\)\n/);
    expectNoSecret(text, access, refresh);
  });

  test("$BROWSER is launched with the URL (no shell), and that browser completes the sign-in", async () => {
    const server = await startOAuthServer();
    const { home, codexHome } = withConfig(await oauthConfig(server));
    const opened = join(home, "opened-url");
    const script = join(home, "browser.cjs");
    writeFileSync(script, `require("fs").writeFileSync(${JSON.stringify(opened)}, process.argv[2]);\n`);
    const cli = startCli(["login"], { home, env: { BROWSER: `${process.execPath} ${script}` } });
    await cli.waitFor(/Opening your browser/);
    for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 50));
    const url = readFileSync(opened, "utf8");
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\?/);
    await signInWithBrowser(url, { login: "bob" });
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Logged in as bob@example.com");
    expect(readFileSync(join(codexHome, "config.toml"), "utf8")).toContain('account = "bob@example.com"');
  });

  test("the URL carries PKCE S256, state, nonce and the loopback redirect on the chosen --port", async () => {
    const server = await startOAuthServer();
    const { home } = withConfig(await oauthConfig(server));
    const port = await freePort();
    const cli = startCli(["login", "--no-browser", "--port", String(port)], { home });
    const [, raw] = await cli.waitFor(AUTH_URL);
    const url = new URL(raw as string);
    expect(url.searchParams.get("redirect_uri")).toBe(`http://localhost:${port}/auth/callback`);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get("nonce")).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get("scope")).toBe("openid profile email offline_access");
    await signInWithBrowser(url.href);
    expect((await cli.result).code).toBe(0);
  });

  test("a callback with the wrong state is refused and the flow keeps waiting for the real one", async () => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const before = readFileSync(configFile);
    const cli = startCli(["login", "--no-browser"], { home });
    const [, raw] = await cli.waitFor(AUTH_URL);
    const redirect = new URL(raw as string).searchParams.get("redirect_uri") as string;
    const forged = await httpGet(`${redirect.replace("localhost", "127.0.0.1")}?code=forged&state=not-the-state`);
    expect(forged.status).toBe(400);
    expect(forged.body).toContain("does not match");
    const other = await httpGet(redirect.replace("localhost", "127.0.0.1").replace("/auth/callback", "/"));
    expect(other.status).toBe(404);
    expect(readFileSync(configFile)).toEqual(before);
    const done = await signInWithBrowser(raw as string, { login: "carol" });
    expect(done.text).toContain("You are signed in");
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(server.counts().codeExchanges).toBe(1);
  });

  test("the loopback server answers on 127.0.0.1 and ::1 only: not on this machine's other addresses", async () => {
    const server = await startOAuthServer();
    const port = await freePort();
    const { home } = withConfig(await oauthConfig(server));
    const cli = startCli(["login", "--no-browser", "--port", String(port)], { home });
    const [, raw] = await cli.waitFor(AUTH_URL);
    expect(await reachable("127.0.0.1", port)).toBe(true);
    // Both addresses `localhost` may resolve to (RFC 8252 §8.3); see oauth-loopback.test.ts.
    expect(await reachable("::1", port)).toBe(true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal)
      .map((a) => a?.address as string);
    for (const address of others) expect(await reachable(address, port), address).toBe(false);
    await signInWithBrowser(raw as string);
    expect((await cli.result).code).toBe(0);
  });

  test("denied in the browser: the page says so, exit 1, nothing stored", async () => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const before = readFileSync(configFile);
    const cli = startCli(["login", "--no-browser"], { home });
    const [, raw] = await cli.waitFor(AUTH_URL);
    const page = await signInWithBrowser(raw as string, { deny: true });
    expect(page.url).toContain("error=access_denied");
    expect(page.text).toContain("Sign-in cancelled");
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: the sign-in was denied in the browser; nothing was stored\n");
    expect(readFileSync(configFile)).toEqual(before);
    expect(server.counts().codeExchanges).toBe(0);
  });

  test("Ctrl-C while waiting: says cancelled, exit 1, nothing written, the port is released", async () => {
    const server = await startOAuthServer();
    const port = await freePort();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const before = readFileSync(configFile);
    const cli = startCli(["login", "--no-browser", "--port", String(port)], { home });
    await cli.waitFor(AUTH_URL);
    cli.kill("SIGINT");
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: sign-in cancelled; nothing was stored\n");
    expect(readFileSync(configFile)).toEqual(before);
    expect(await reachable("127.0.0.1", port)).toBe(false);
  });

  test("a busy port: one clear line suggesting --port and --device-auth, exit 1, nothing written", async () => {
    const server = await startOAuthServer();
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { home, configFile } = withConfig(await oauthConfig(server));
      const before = readFileSync(configFile);
      const r = await runCliInProcess(["login", "--no-browser", "--port", String(port)], { home });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: port ${port} on 127.0.0.1 is in use (another \`codex login\` running?); choose another with \`codex login --port N\`, or sign in with \`codex login --device-auth\`\n`,
      );
      expect(readFileSync(configFile)).toEqual(before);
    } finally {
      blocker.close();
    }
  });

  test("a plain OAuth 2.0 server (RFC 8414 metadata, no openid scope): signs in without an ID token", async () => {
    const server = await startOAuthServer({ discovery: "oauth2" });
    const { home, configFile } = withConfig(await oauthConfig(server, 'scopes = ["profile", "offline_access"]\n'));
    const r = await browserLogin(home);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✅ Logged in with ${new URL(server.issuer).host} (OAuth)`);
    const config = readFileSync(configFile, "utf8");
    expect(config).not.toContain("account =");
    expect(config).toContain("refresh_token =");
    const st = await runCliInProcess(["status", "--json"], { home });
    expect(JSON.parse(st.stdout).oauth).toMatchObject({ account: null, issuer: server.issuer });
    expect(server.requests.map((q) => q.path)).toContain("/.well-known/oauth-authorization-server");
  });

  test("logging in with an API key afterwards replaces the session: no OAuth line is left", async () => {
    const server = await startOAuthServer();
    const original = await oauthConfig(server);
    const { home, configFile } = withConfig(original);
    await signedIn(home);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: "sk-replacement-key-000000001111\n" });
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`auth_token = "sk-replacement-key-000000001111"\n${original}`);
  });
});

test("library: no answer from the browser within the time limit is an OAuthError, and the port is freed", async () => {
  const server = await startOAuthServer();
  const { codexHome } = withConfig(await oauthConfig(server));
  const settings = oauthSettings(await Config.load({ codexHome }));
  let shown = "";
  const port = await freePort();
  const started = Date.now();
  const onUrl = (url: string) => {
    shown = url;
  };
  const failure = await loginWithBrowser({ settings, port, timeoutMs: 300, onUrl }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(OAuthError);
  expect((failure as Error).message).toContain("no answer from the browser within");
  expect(shown).toContain("code_challenge=");
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await reachable("127.0.0.1", port)).toBe(false);
});

describe("device sign-in (RFC 8628)", () => {
  test("prints the URL and code, approved in the browser: exit 0, session stored", async () => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const cli = startCli(["login", "--device-auth"], { home });
    const [, verification] = await cli.waitFor(DEVICE_URL);
    const [, code] = await cli.waitFor(USER_CODE);
    await cli.waitFor(
      /Waiting for you to enter the code for up to \d+ minutes \(until \d\d:\d\d\)\. Press Ctrl-C to cancel\./,
    );
    await approveDevice(verification as string, code as string, { login: "dana" });
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("✅ Logged in as dana@example.com");
    const config = readFileSync(configFile, "utf8");
    expect(config).toContain('account = "dana@example.com"');
    const access = /^auth_token = "([^"]+)"$/m.exec(config)?.[1] as string;
    expectNoSecret(r, access);
    expect((await server.introspect(access)).active).toBe(true);
  });

  test("slow_down: polling backs off and still completes", async () => {
    const server = await startOAuthServer({ slowDown: 1 });
    const { home } = withConfig(await oauthConfig(server));
    const cli = startCli(["login", "--device-auth"], { home });
    const [, verification] = await cli.waitFor(DEVICE_URL);
    const [, code] = await cli.waitFor(USER_CODE);
    await approveDevice(verification as string, code as string);
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    const polls = server.requests.filter((q) => q.grantType === "urn:ietf:params:oauth:grant-type:device_code");
    expect(polls.length).toBeGreaterThanOrEqual(2);
    // After slow_down the interval grows by 5 s (RFC 8628 §3.5).
    const gaps = polls.slice(1).map((q, i) => q.at - (polls[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(5_500);
  }, 60_000);

  test("denied on the verification page: exit 1, says so, nothing stored", async () => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const before = readFileSync(configFile);
    const cli = startCli(["login", "--device-auth"], { home });
    const [, verification] = await cli.waitFor(DEVICE_URL);
    const [, code] = await cli.waitFor(USER_CODE);
    await approveDevice(verification as string, code as string, { deny: true });
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: the sign-in was denied on the verification page; nothing was stored\n");
    expect(readFileSync(configFile)).toEqual(before);
  });

  test("an issuer without device flow: a clear error before anything is shown", async () => {
    const server = await startOAuthServer({ deviceFlow: false });
    const { home } = withConfig(await oauthConfig(server));
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${server.issuer} does not offer device sign-in (it publishes no device_authorization_endpoint); use \`codex login\` in a browser, or \`codex login --with-api-key\`\n`,
    );
  });
});

describe("settings and usage", () => {
  test('[oauth] issuer = "http://auth.example.com": exit 1, refused as unencrypted, nothing contacted or written', async () => {
    const { home, configFile } = withConfig('[oauth]\nissuer = "http://auth.example.com"\n');
    const before = readFileSync(configFile);
    const r = await runCliInProcess(["login", "--no-browser"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: refusing to sign in with auth.example.com over plain http:// (oauth.issuer): the code and tokens would travel unencrypted; use an https:// issuer, or, only if the network to auth.example.com is trusted, set allow_insecure_http = true in [oauth]\n",
    );
    expect(readFileSync(configFile)).toEqual(before);
  });

  test.each([
    ['issuer = "https://user:pw@auth.example.com"', "oauth.issuer must be an https:// URL"],
    ["redirect_port = 70000", "oauth.redirect_port must be a port number"],
    ['scopes = "openid"', "oauth.scopes must be an array of scope names"],
    ['client_id = ""', "oauth.client_id must be a non-empty string"],
  ])("[oauth] %s: exit 1 naming the key, nothing contacted or written", async (line, message) => {
    const { home, configFile } = withConfig(`[oauth]\n${line}\n`);
    const before = readFileSync(configFile);
    const r = await runCliInProcess(["login", "--no-browser"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${configFile}: ${message}`);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(readFileSync(configFile)).toEqual(before);
  });

  test.each([
    [["login", "--with-api-key", "--device-auth"], "choose one of --with-api-key and --device-auth"],
    [["login", "--port", "0"], "--port needs a port number from 1 to 65535"],
    [["login", "--port", "http"], "--port needs a port number from 1 to 65535"],
    [["login", "--with-api-key", "--no-browser"], "--port and --no-browser apply to the browser sign-in"],
  ])("%j: usage error, exit 2", async (args, message) => {
    const home = testHome();
    const r = await runCliInProcess(args, { home, input: "sk-unused-key-0000000000\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(readdirSync(home)).toEqual([]);
  });
});
