/**
 * The browser sign-in's loopback callback (RFC 8252 §8.3): the redirect URI says `localhost`, which a browser
 * may take to 127.0.0.1 or to [::1] (Chromium tries [::1] first), so codex listens on both, on one port. A
 * port another program holds on either address stops the sign-in before any URL is shown or opened: that
 * program (another local user's, say) would otherwise receive the authorization code and `state`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { Config, loginWithBrowser, oauthSettings, PortInUseError } from "../src/index.js";
import { CLI, cleanEnv, expectNoSecret, freePort, httpGet, reachable, run, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { signInWithBrowser } from "./support/browser.js";
import { AUTH_URL, oauthConfig, startCli } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";

/** Whether this machine has an IPv6 loopback to test with. */
const hasIPv6 = await new Promise<boolean>((resolve) => {
  const s = createServer()
    .once("error", () => resolve(false))
    .listen(0, "::1", () => s.close(() => resolve(true)));
});

/** A listener on host:port that is not codex, closed after the test; counts the connections it gets. */
async function blocker(host: string, port = 0): Promise<{ port: number; connections: () => number }> {
  // "::" alone (IPv6 only): the dual-stack "::" would take 127.0.0.1 too, which "0.0.0.0" already covers.
  const ipv6Only = host === "::";
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // As a hostile listener would: exclusive of codex, with no sharing.
    server.listen({ host, port, exclusive: true, ipv6Only }, resolve);
  });
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, connections: () => connections };
}

const busy = (port: number, address: string) =>
  `error: port ${port} on ${address} is in use (another \`codex login\` running?); choose another with \`codex login --port N\`, or sign in with \`codex login --device-auth\`\n`;

describe.skipIf(!hasIPv6)("the callback listens on 127.0.0.1 and [::1]", () => {
  test.each([
    ["::1", "[::1]"],
    ["::", "[::1]"],
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "127.0.0.1"],
  ])(
    "another program listening on %s: login refuses naming %s, before any URL is shown or opened; nothing stored",
    async (host, named) => {
      const server = await startOAuthServer();
      const { home, configFile } = withConfig(await oauthConfig(server));
      const before = readFileSync(configFile);
      const held = await blocker(host);
      const opened = join(home, "opened-url");
      const browser = join(home, "browser.cjs");
      writeFileSync(browser, `require("fs").writeFileSync(${JSON.stringify(opened)}, process.argv[2]);\n`);
      const r = await runCliInProcess(["login", "--port", String(held.port)], {
        home,
        env: { BROWSER: `${process.execPath} ${browser}` },
        timeoutMs: 10_000,
      });
      expect(r.stderr).toBe(busy(held.port, named));
      expect(r.stdout).toBe("");
      expect(r.code).toBe(1);
      expect(existsSync(opened)).toBe(false);
      expect(readFileSync(configFile)).toEqual(before);
      expect(held.connections()).toBe(0);
      expect(server.requests).toEqual([]);
    },
  );

  test.each(["[::1]", "127.0.0.1"])(
    "the browser's callback arriving on %s completes the sign-in; a forged one there is refused",
    async (address) => {
      const server = await startOAuthServer();
      const port = await freePort();
      const { home, configFile } = withConfig(await oauthConfig(server));
      const cli = startCli(["login", "--no-browser", "--port", String(port)], { home });
      const [, raw] = await cli.waitFor(AUTH_URL);
      expect(await reachable("127.0.0.1", port)).toBe(true);
      expect(await reachable("::1", port)).toBe(true);
      const forged = await httpGet(`http://${address}:${port}/auth/callback?code=forged&state=not-the-state`);
      expect(forged.status).toBe(400);
      const page = await signInWithBrowser(raw as string, { login: "erin", localhostAs: address });
      expect(page.text).toContain("You are signed in");
      const r = await cli.result;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("✅ Logged in as erin@example.com");
      const access = /^auth_token = "([^"]+)"$/m.exec(readFileSync(configFile, "utf8"))?.[1] as string;
      expectNoSecret(r, access);
      expect(server.counts().codeExchanges).toBe(1);
      // Both listeners are closed afterwards.
      expect(await reachable("127.0.0.1", port)).toBe(false);
      expect(await reachable("::1", port)).toBe(false);
    },
  );

  test("library: port 0 listens on one port the system picks, on both addresses; a held port is a PortInUseError", async () => {
    const server = await startOAuthServer();
    const { codexHome } = withConfig(await oauthConfig(server));
    const settings = oauthSettings(await Config.load({ codexHome }));
    const abort = new AbortController();
    let port = 0;
    const flow = loginWithBrowser({
      settings,
      port: 0,
      signal: abort.signal,
      onUrl: (url) => {
        port = Number(new URL(new URL(url).searchParams.get("redirect_uri") as string).port);
      },
    }).catch((err: unknown) => err);
    for (let i = 0; i < 100 && port === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(port).toBeGreaterThan(0);
    expect(await reachable("127.0.0.1", port)).toBe(true);
    expect(await reachable("::1", port)).toBe(true);
    abort.abort();
    await flow;

    const held = await blocker("::1");
    const failure = await loginWithBrowser({ settings, port: held.port, onUrl: () => {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PortInUseError);
    expect(failure).toMatchObject({ code: "PORT_IN_USE", port: held.port, address: "[::1]" });
    // What it bound on 127.0.0.1 before finding [::1] taken is released.
    expect(await reachable("127.0.0.1", held.port)).toBe(false);
  });
});

/** Whether this process may make a network namespace (root in CI; not in every container). */
const canUnshare = spawnSync("unshare", ["-n", "true"]).status === 0;

describe.skipIf(!canUnshare)("a system without IPv6", () => {
  test("binding ::1 fails with EADDRNOTAVAIL: login listens on 127.0.0.1 alone and goes on", async () => {
    // A network namespace whose loopback has IPv6 switched off. The test's authorization server is outside
    // it, so the sign-in goes on to fail at discovery: past the point where a refused ::1 would have stopped it.
    const port = await freePort();
    const closed = await freePort();
    const { home } = withConfig(`[oauth]\nissuer = "http://127.0.0.1:${closed}"\nclient_id = "c"\n`);
    const env = cleanEnv(home);
    const script = [
      "ip link set lo up",
      "echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6",
      `node -e "require('net').createServer().on('error',e=>console.error('probe',e.code)).listen({host:'::1',port:${port}},function(){this.close()})"`,
      `exec "$NODE" "$CLI" login --no-browser --port ${port}`,
    ].join(" && ");
    const r = await run("unshare", ["-n", "sh", "-c", script], {
      env: { ...env, NODE: process.execPath, CLI, PATH: `${join(process.execPath, "..")}:${env.PATH}` },
      timeoutMs: 15_000,
    });
    expect(r.stderr).toContain("probe EADDRNOTAVAIL\n");
    expect(r.stderr).toContain(`error: could not reach the sign-in server 127.0.0.1:${closed}`);
    expect(r.stderr).not.toContain("in use");
    expect(r.code).toBe(1);
  });
});
