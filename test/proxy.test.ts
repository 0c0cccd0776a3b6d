/**
 * Proxies from the environment (src/config/proxy.ts, network.ts), through a real forward proxy: tinyproxy on
 * 127.0.0.1 (test/support/forward-proxy.ts), under a private mount namespace whose /etc/hosts alone makes
 * `provider.codex-test` and `auth.codex-test` 127.0.0.1. Nothing else on the machine resolves those names,
 * so a request to one that succeeds went through the proxy; tinyproxy's log shows the CONNECT too. The
 * provider and OpenAI's sign-in (the fake in test/support/openai-fake.ts) serve https with a certificate
 * from a throwaway CA made here with openssl, trusted through CODEX_CA_CERTIFICATE and the others.
 *
 * Needs root (unshare --mount) and tinyproxy (scripts/install-test-deps.sh); CI has both.
 */
import { readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { expectNoSecret, freePort, type RunResult, runCli, runNodeScript, tempDir, withConfig } from "./helpers.js";
import {
  type Certificates,
  makeCertificates,
  proxyFakesUsable,
  startTinyproxy,
  type Tinyproxy,
} from "./support/forward-proxy.js";
import { json, startFakeIssuer } from "./support/fake-issuer.js";
import { startOpenAIFake } from "./support/openai-fake.js";
import { type FakeProvider, responsesEvents, sse, startProvider } from "./support/provider.js";

const KEY = "sk-proxy-test-0123456789abcdefKEY1";
const PROVIDER = "provider.codex-test";
const AUTH = "auth.codex-test";
const USER = "proxyuser";
const PASSWORD = "pr0xy-Pa55word-77x";
const usable = proxyFakesUsable();
/** tinyproxy's answer to a CONNECT without a password (RFC 9110's 407), and with a wrong one (401: both count). */
const NO_PASSWORD = "HTTP 407 Proxy Authentication Required";
const WRONG_PASSWORD = "HTTP 401 Unauthorized";

let dir: string;
let certs: Certificates;
let proxy: Tinyproxy;
let guarded: Tinyproxy;

beforeAll(async () => {
  if (!usable) return;
  dir = tempDir("codex-proxy-");
  certs = makeCertificates(dir, [PROVIDER, AUTH, "127.0.0.1"]);
  [proxy, guarded] = await Promise.all([
    startTinyproxy(dir, [PROVIDER, AUTH]),
    startTinyproxy(dir, [PROVIDER, AUTH], { user: USER, password: PASSWORD }),
  ]);
});
afterAll(async () => {
  await Promise.all([proxy?.close(), guarded?.close()]);
});

const tls = () => ({ key: certs.key, cert: certs.cert, hostname: PROVIDER });

function providerHome(baseUrl: string, provider = ""): string {
  return withConfig(
    `auth_token = "${KEY}"\nmodel_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${baseUrl}"\n${provider}`,
  ).home;
}

async function run(server: FakeProvider, env: Record<string, string>, args = ["run", "hi"]): Promise<RunResult> {
  const r = await runCli(args, { home: providerHome(server.baseUrl), env });
  expectNoSecret(r, KEY, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
  if (!args.includes("--debug")) expect(r.stderr).not.toMatch(/\n\s+at |unexpected failure/);
  return r;
}

/** The lines of stderr, without the empty last one. */
const errLines = (r: RunResult) => r.stderr.split("\n").filter((l) => l !== "");
const connects = (p: Tinyproxy, host: string) => p.log().split(`CONNECT ${host}:`).length - 1;

describe.skipIf(!usable)("through the proxy, to a name only the proxy resolves", () => {
  test("codex run: HTTPS_PROXY and CODEX_CA_CERTIFICATE; the reply arrives, the proxy saw the CONNECT", async () => {
    const server = await startProvider({ tls: tls() });
    server.reply(sse(responsesEvents(["Hel", "lo"])));
    const before = connects(proxy, PROVIDER);
    const r = await run(server, { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("Hello\n");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(server.requests[0]?.headers["proxy-authorization"]).toBeUndefined();
    expect(connects(proxy, PROVIDER)).toBe(before + 1);
  });

  for (const [variable, ca] of [
    ["https_proxy", "SSL_CERT_FILE"],
    ["ALL_PROXY", "NODE_EXTRA_CA_CERTS"],
  ] as const) {
    test(`status --check: ${variable} and ${ca}: valid`, async () => {
      const server = await startProvider({ tls: tls() });
      server.reply((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"object":"list","data":[]}');
      });
      const r = await run(server, { [variable]: proxy.url, [ca]: certs.caFile }, ["status", "--check"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Check: valid (GET /v1/models at ${PROVIDER}:${server.port}: HTTP 200)`);
    });
  }

  test("an https:// proxy (TLS to the proxy too, trusted through CODEX_CA_CERTIFICATE)", async () => {
    // TLS in front of tinyproxy: what an https:// proxy is.
    const front = createTlsServer({ key: certs.key, cert: certs.cert }, (socket) => {
      const inner = connect(proxy.port, "127.0.0.1");
      socket.pipe(inner).pipe(socket);
      socket.on("error", () => inner.destroy());
      inner.on("error", () => socket.destroy());
    });
    // Every socket is ended when the test is: close() alone waits for a tunnel codex left half-open.
    const sockets = new Set<Socket>();
    front.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          front.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    );
    const port = (front.address() as AddressInfo).port;
    const server = await startProvider({ tls: tls() });
    server.reply(sse(responsesEvents(["tls"])));
    const before = connects(proxy, PROVIDER);
    const r = await run(server, { HTTPS_PROXY: `https://127.0.0.1:${port}`, CODEX_CA_CERTIFICATE: certs.caFile });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("tls\n");
    expect(connects(proxy, PROVIDER)).toBe(before + 1);
    // Without the CA, the TLS failure is the proxy's: it names the proxy, not the provider.
    const untrusted = await run(server, { HTTPS_PROXY: `https://127.0.0.1:${port}` });
    expect(untrusted.code).toBe(1);
    expect(errLines(untrusted)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: could not reach ${PROVIDER}:${server.port}: the proxy https://127\\.0\\.0\\.1:${port} \\(HTTPS_PROXY\\) did not answer \\(.*certificate.*\\); check HTTPS_PROXY`,
        ),
      ),
    ]);
  });

  test("without the CA: exit 1, the TLS failure names the host and the CA variables", async () => {
    const server = await startProvider({ tls: tls() });
    const r = await run(server, { HTTPS_PROXY: proxy.url });
    expect(r.code).toBe(1);
    expect(errLines(r)).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: secure connection to ${PROVIDER}:${server.port} failed: .*; if a proxy or gateway on your network re-signs TLS, set CODEX_CA_CERTIFICATE to a PEM file of its CA certificate`,
      ),
    );
  });

  test("plain http:// (allow_insecure_http): forwarded with its absolute URI", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["plain"])));
    const baseUrl = server.baseUrl.replace("127.0.0.1", PROVIDER);
    const home = providerHome(baseUrl, "allow_insecure_http = true\n");
    const r = await runCli(["run", "hi"], { home, env: { HTTP_PROXY: proxy.url } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("plain\n");
    expect(proxy.log()).toContain(`POST ${baseUrl}/responses`);
  });

  test("a port the proxy does not allow: its 403, naming the proxy and its variable, not the provider's answer", async () => {
    const strict = await startTinyproxy(dir, [PROVIDER], undefined, ["ConnectPort 443"]);
    onTestFinished(() => strict.close());
    const server = await startProvider({ tls: tls() });
    const r = await run(server, { HTTPS_PROXY: strict.url, CODEX_CA_CERTIFICATE: certs.caFile });
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: the proxy ${strict.url} (HTTPS_PROXY) does not allow connections to ${PROVIDER}:${server.port} (HTTP 403 Access violation); ask its administrators, or set NO_PROXY to reach ${PROVIDER} directly`,
    ]);
    expect(server.requests).toHaveLength(0);
  });

  test("a host the proxy cannot reach: the proxy's answer to CONNECT, naming the proxy and its variable", async () => {
    const port = await freePort();
    const home = providerHome(`https://nowhere.codex-test:${port}/v1`);
    const r = await runCli(["run", "hi"], {
      home,
      env: { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile },
    });
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: the proxy ${proxy.url.replace(/\./g, "\\.")} \\(HTTPS_PROXY\\) could not connect to nowhere\\.codex-test:${port} \\(HTTP 5\\d\\d[^)]*\\); check the host name, or set NO_PROXY to reach nowhere\\.codex-test directly$`,
        ),
      ),
    ]);
  });
});

describe.skipIf(!usable)("what goes around the proxy", () => {
  for (const noProxy of [
    PROVIDER,
    ".codex-test",
    "*.codex-test",
    "codex-test",
    `other.example, ${PROVIDER}:PORT`,
    "*",
  ]) {
    test(`NO_PROXY=${noProxy}: straight to the host, which this machine cannot resolve`, async () => {
      const server = await startProvider({ tls: tls() });
      const before = connects(proxy, PROVIDER);
      const r = await run(server, {
        HTTPS_PROXY: proxy.url,
        CODEX_CA_CERTIFICATE: certs.caFile,
        NO_PROXY: noProxy.replace("PORT", String(server.port)),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`could not resolve ${PROVIDER} (DNS lookup failed)`);
      expect(connects(proxy, PROVIDER)).toBe(before);
    });
  }

  for (const noProxy of ["example.com", `${PROVIDER}:1`, "codex", "vider.codex-test"]) {
    test(`no_proxy=${noProxy} does not exempt it: through the proxy`, async () => {
      const server = await startProvider({ tls: tls() });
      server.reply(sse(responsesEvents(["ok"])));
      const r = await run(server, { https_proxy: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile, no_proxy: noProxy });
      expect(r.code, r.stderr).toBe(0);
    });
  }

  test("this machine is never reached through a proxy, whatever the variables say (the proxy is down)", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const server = await startProvider();
    server.reply(sse(responsesEvents(["local"])));
    const r = await run(server, { HTTPS_PROXY: dead, HTTP_PROXY: dead, ALL_PROXY: dead, http_proxy: dead });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("local\n");
  });
});

describe.skipIf(!usable)("a proxy that asks for a password", () => {
  const withCredentials = (p: Tinyproxy, password = PASSWORD) =>
    p.url.replace("http://", `http://${USER}:${encodeURIComponent(password)}@`);

  test("credentials in the URL: sent as Proxy-Authorization, the reply arrives; the password is in no output, even with DEBUG=* and --debug", async () => {
    for (const args of [
      ["run", "hi"],
      ["--debug", "run", "hi"],
    ]) {
      const server = await startProvider({ tls: tls() });
      server.reply(sse(responsesEvents(["through"])));
      const r = await run(
        server,
        { HTTPS_PROXY: withCredentials(guarded), CODEX_CA_CERTIFICATE: certs.caFile, DEBUG: "*", NODE_DEBUG: "" },
        args,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("through\n");
      expect(r.stderr).toBe("");
      expect(server.requests[0]?.headers["proxy-authorization"]).toBeUndefined();
    }
  });

  test("a wrong password: the proxy's 407, naming the proxy (no password) and its variable; exit 1, not taken for the provider's answer", async () => {
    const server = await startProvider({ tls: tls() });
    const wrong = "not-the-Pa55word-99";
    for (const args of [
      ["run", "hi"],
      ["--debug", "run", "hi"],
    ]) {
      const r = await run(
        server,
        { HTTPS_PROXY: withCredentials(guarded, wrong), CODEX_CA_CERTIFICATE: certs.caFile, DEBUG: "*" },
        args,
      );
      expectNoSecret(r, wrong);
      expect(r.code).toBe(1);
      expect(errLines(r)[0]).toBe(
        `error: the proxy ${guarded.url} (HTTPS_PROXY) asks for a user name and password (${WRONG_PASSWORD}); check those in HTTPS_PROXY`,
      );
    }
    expect(server.requests).toHaveLength(0);
  });

  test("no credentials: the 407 says how to give them", async () => {
    const server = await startProvider({ tls: tls() });
    const r = await run(server, { HTTPS_PROXY: guarded.url, CODEX_CA_CERTIFICATE: certs.caFile }, [
      "status",
      "--check",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Check: unreachable (GET /v1/models at ${PROVIDER}:${server.port})`);
    expect(errLines(r)).toEqual([
      `error: the proxy ${guarded.url} (HTTPS_PROXY) asks for a user name and password (${NO_PASSWORD}); put them in HTTPS_PROXY as http://USER:PASSWORD@HOST:PORT; the credential was not checked`,
    ]);
  });

  test("plain http:// through it: the proxy's own 407 is the proxy's, not the provider's", async () => {
    const server = await startProvider();
    const baseUrl = server.baseUrl.replace("127.0.0.1", PROVIDER);
    const home = providerHome(baseUrl, "allow_insecure_http = true\n");
    const r = await runCli(["run", "hi"], { home, env: { HTTP_PROXY: guarded.url } });
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: the proxy ${guarded.url} (HTTP_PROXY) asks for a user name and password (HTTP 407 Proxy Authentication Required); put them in HTTP_PROXY as http://USER:PASSWORD@HOST:PORT`,
    ]);
    expect(server.requests).toHaveLength(0);
  });
});

describe.skipIf(!usable)("a proxy codex cannot use", () => {
  test("down: one line naming the proxy and its variable, exit 1", async () => {
    const port = await freePort();
    const server = await startProvider({ tls: tls() });
    const r = await run(server, {
      HTTPS_PROXY: `http://${USER}:${PASSWORD}@127.0.0.1:${port}`,
      CODEX_CA_CERTIFICATE: certs.caFile,
    });
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: could not reach ${PROVIDER}:${server.port}: the proxy http://127.0.0.1:${port} (HTTPS_PROXY) did not answer (connection refused); check HTTPS_PROXY, or set NO_PROXY to reach ${PROVIDER} directly`,
    ]);
  });

  test("one that accepts the connection and never answers CONNECT: codex stops at request_timeout_ms, naming the proxy, exit 1", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      for (const socket of held) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as AddressInfo).port;
    const server = await startProvider({ tls: tls() });
    const home = providerHome(server.baseUrl, "request_max_retries = 0\nrequest_timeout_ms = 700\n");
    const started = Date.now();
    const r = await runCli(["run", "hi"], {
      home,
      env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, CODEX_CA_CERTIFICATE: certs.caFile },
      timeoutMs: 10_000,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: no response from ${PROVIDER}:${server.port} within 0.7 s (request_timeout_ms): the proxy http://127.0.0.1:${port} (HTTPS_PROXY) did not open a connection to ${PROVIDER}:${server.port}; check HTTPS_PROXY, or set NO_PROXY to reach ${PROVIDER} directly`,
    ]);
    const check = await runCli(["status", "--check"], {
      home,
      env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, CODEX_CA_CERTIFICATE: certs.caFile },
      timeoutMs: 10_000,
    });
    expect(check.code).toBe(1);
    expect(errLines(check)).toEqual([
      `error: no answer from ${PROVIDER}:${server.port} within 0.7 s: the proxy http://127.0.0.1:${port} (HTTPS_PROXY) did not open a connection to ${PROVIDER}:${server.port}; check HTTPS_PROXY, or set NO_PROXY to reach ${PROVIDER} directly; the credential was not checked`,
    ]);
  });

  for (const [variable, value, line] of [
    [
      "HTTPS_PROXY",
      `socks5://${USER}:${PASSWORD}@127.0.0.1:1080`,
      "error: HTTPS_PROXY names a socks5:// proxy, which codex does not support; use an http:// or https:// proxy, or unset HTTPS_PROXY",
    ],
    [
      "all_proxy",
      `socks5h://127.0.0.1:1080`,
      "error: all_proxy names a socks5h:// proxy, which codex does not support; use an http:// or https:// proxy, or unset all_proxy",
    ],
    [
      "https_proxy",
      `http://${USER}:${PASSWORD}@[not a host`,
      "error: https_proxy is not a proxy URL; set it to http://HOST:PORT (or https://HOST:PORT), or unset it",
    ],
  ] as const) {
    test(`${variable}=${value.replace(PASSWORD, "…")}: one line naming the variable, exit 1, nothing sent`, async () => {
      const server = await startProvider({ tls: tls() });
      const r = await run(server, { [variable]: value, CODEX_CA_CERTIFICATE: certs.caFile });
      expect(r.code).toBe(1);
      expect(errLines(r)).toEqual([line]);
      expect(server.requests).toHaveLength(0);
    });
  }
});

describe.skipIf(!usable)("sign-in traffic through the proxy (OpenAI's sign-in, over https)", () => {
  test("an expired ChatGPT session is renewed through the proxy, the reply comes through it, and logout revokes through it", async () => {
    const fake = await startOpenAIFake({ tls: { key: certs.key, cert: certs.cert, hostname: AUTH } });
    const tokens = fake.mintSession({ accessTokenTtlSeconds: 0 });
    const past = new Date(Date.now() - 60_000).toISOString();
    const { home, configFile } = withConfig(
      `chatgpt_base_url = "${fake.chatgptBaseUrl.replace(/\/codex$/, "")}"\nauth_token = "${tokens.accessToken}"\n\n` +
        `[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n\n` +
        `[oauth_session]\nissuer = "${fake.issuer}"\nclient_id = "${fake.clientId}"\nrefresh_token = "${tokens.refreshToken}"\n` +
        `expires_at = ${past}\naccount = "${fake.user.email}"\nprotocol = "openai"\nchatgpt_account_id = "${fake.user.accountId}"\n`,
    );
    const env = { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile };
    const before = connects(proxy, AUTH);
    const r = await runCli(["run", "hi"], { home, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("You said: hi\n");
    expect(fake.refreshCount).toBe(1);
    expect(connects(proxy, AUTH)).toBe(before + 2); // the issuer, then the backend
    expect(readFileSync(configFile, "utf8")).not.toContain(tokens.refreshToken);

    const out = await runCli(["logout"], { home, env });
    expect(out.code, out.stderr).toBe(0);
    expect(fake.revocations.length).toBe(2); // the refresh token, then the access token
    expect(connects(proxy, AUTH)).toBe(before + 4);
  });

  test("the issuer's proxy refuses: the sign-in server's request fails with the proxy's line, not a sign-in error", async () => {
    const fake = await startOpenAIFake({ tls: { key: certs.key, cert: certs.cert, hostname: AUTH } });
    const tokens = fake.mintSession({ accessTokenTtlSeconds: 0 });
    const past = new Date(Date.now() - 60_000).toISOString();
    const { home } = withConfig(
      `chatgpt_base_url = "${fake.chatgptBaseUrl.replace(/\/codex$/, "")}"\nauth_token = "${tokens.accessToken}"\n\n` +
        `[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n\n` +
        `[oauth_session]\nissuer = "${fake.issuer}"\nclient_id = "${fake.clientId}"\nrefresh_token = "${tokens.refreshToken}"\n` +
        `expires_at = ${past}\naccount = "${fake.user.email}"\nprotocol = "openai"\n`,
    );
    const r = await runCli(["run", "hi"], {
      home,
      env: { HTTPS_PROXY: guarded.url, CODEX_CA_CERTIFICATE: certs.caFile },
    });
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: the proxy ${guarded.url} (HTTPS_PROXY) asks for a user name and password (${NO_PASSWORD}); put them in HTTPS_PROXY as http://USER:PASSWORD@HOST:PORT`,
    ]);
    expect(fake.refreshCount).toBe(0);
  });

  test("without the CA, renewing fails with the sign-in server's TLS line (both protocols), naming the host and the CA variables", async () => {
    const openai = await startOpenAIFake({ tls: { key: certs.key, cert: certs.cert, hostname: AUTH } });
    const standard = await startFakeIssuer({}, { key: certs.key, cert: certs.cert, hostname: AUTH });
    const local = `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "https://${PROVIDER}:9/v1"\n`;
    for (const [issuer, clientId, protocol, top] of [
      [
        openai.issuer,
        openai.clientId,
        'protocol = "openai"\n',
        `chatgpt_base_url = "https://${PROVIDER}:9/backend-api"\n`,
      ],
      [standard.issuer, standard.clientId, "", local],
    ] as const) {
      const { home } = withConfig(
        `auth_token = "at-old-0123456789"\n${top}\n` +
          `[oauth_session]\nissuer = "${issuer}"\nclient_id = "${clientId}"\nrefresh_token = "rt-old-0123456789"\nexpires_at = 2020-01-01T00:00:00.000Z\n${protocol}`,
      );
      const r = await runCli(["run", "hi"], { home, env: { HTTPS_PROXY: proxy.url } });
      expect(r.code, r.stderr).toBe(1);
      expect(errLines(r)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^error: secure connection to the sign-in server ${AUTH}:${new URL(issuer).port} failed: .*\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); if a proxy or gateway on your network re-signs TLS, set CODEX_CA_CERTIFICATE to a PEM file of its CA certificate \\(SSL_CERT_FILE and NODE_EXTRA_CA_CERTS work too\\)$`,
          ),
        ),
      ]);
    }
    expect(openai.refreshCount).toBe(0);
    expect(standard.posts).toEqual([]);
  });

  test("a standard OAuth issuer (openid-client): discovery and the refresh through the proxy, then revocation at logout", async () => {
    const issued = { access_token: "at-renewed-0123456789", refresh_token: "rt-renewed-0123456789" };
    const fake = await startFakeIssuer(
      {
        token: (_form, res) => json(res, 200, { ...issued, token_type: "Bearer", expires_in: 3600 }),
        revoke: (_form, res) => json(res, 200, {}),
      },
      { key: certs.key, cert: certs.cert, hostname: AUTH },
    );
    const server = await startProvider({ tls: tls() });
    server.reply(sse(responsesEvents(["renewed"])));
    const { home } = withConfig(
      `auth_token = "at-old-0123456789"\nmodel_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n\n` +
        `[oauth_session]\nissuer = "${fake.issuer}"\nclient_id = "${fake.clientId}"\nrefresh_token = "rt-old-0123456789"\nexpires_at = 2020-01-01T00:00:00.000Z\n`,
    );
    const env = { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile };
    const before = connects(proxy, AUTH);
    const r = await runCli(["run", "hi"], { home, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("renewed\n");
    expect(fake.posts.map((p) => p.endpoint)).toEqual(["token"]);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${issued.access_token}`);
    expect(connects(proxy, AUTH)).toBe(before + 2); // discovery, then the token endpoint

    const out = await runCli(["logout"], { home, env });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe("");
    expect(fake.posts.map((p) => p.endpoint)).toEqual(["token", "revoke", "revoke"]);
    expect(connects(proxy, AUTH)).toBe(before + 5);
  });
});

describe.skipIf(!usable)("codex doctor: the network checks", () => {
  interface Check {
    id: string;
    status: string;
    message: string;
    fix?: string;
  }
  const models: Parameters<FakeProvider["reply"]>[0] = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"object":"list","data":[]}');
  };
  const notFound: Parameters<FakeProvider["reply"]>[0] = (_req, res) => {
    res.writeHead(404);
    res.end();
  };

  async function doctor(server: FakeProvider, env: Record<string, string>, args: string[] = [], extra = "") {
    const home = providerHome(server.baseUrl, extra);
    const text = await runCli(["doctor", ...args], { home, env });
    const json = await runCli(["doctor", "--json", ...args], { home, env });
    for (const r of [text, json])
      expectNoSecret(r, KEY, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
    const checks = (JSON.parse(json.stdout) as { checks: Check[] }).checks;
    const by = Object.fromEntries(checks.map((c) => [c.id, c])) as Record<string, Check>;
    return { text, json, by };
  }

  test("--offline: the variables (the password not shown), which proxy each host takes, the CA files; no request", async () => {
    const server = await startProvider({ tls: tls() });
    const auth = guarded.url.replace("http://", `http://${USER}:${PASSWORD}@`);
    const d = await doctor(
      server,
      {
        HTTPS_PROXY: auth,
        NO_PROXY: "localhost,.corp.example",
        CODEX_CA_CERTIFICATE: certs.caFile,
        SSL_CERT_FILE: certs.caFile,
      },
      ["--offline"],
      `\n[oauth]\nissuer = "https://sso.corp.example"\n`,
    );
    expect(d.json.code, d.json.stdout).toBe(0);
    expect(d.by.proxy).toEqual({
      id: "proxy",
      status: "ok",
      message: `proxy variables: HTTPS_PROXY=${guarded.url} (with a user name and password, not shown), NO_PROXY=localhost,.corp.example; the provider (${PROVIDER}:${server.port}) through ${guarded.url} (HTTPS_PROXY); the sign-in server (sso.corp.example) directly (NO_PROXY lists .corp.example)`,
    });
    expect(d.by.ca).toEqual({
      id: "ca",
      status: "ok",
      message: `https trusts Node's own CA roots and CODEX_CA_CERTIFICATE=${certs.caFile} (1 certificate); SSL_CERT_FILE is not used (CODEX_CA_CERTIFICATE comes first)`,
    });
    expect(d.by.reach).toEqual({ id: "reach", status: "skipped", message: "network not checked (--offline)" });
    expect(d.text.stdout).toContain(
      `✓ ${d.by.proxy?.message}\n✓ ${d.by.ca?.message}\n- network not checked (--offline)\n`,
    );
    expect(server.requests).toHaveLength(0);
  });

  test("a proxy or CA variable codex cannot use: one problem each, with its fix; nothing is sent", async () => {
    const server = await startProvider({ tls: tls() });
    const d = await doctor(server, {
      HTTPS_PROXY: `socks5://${USER}:${PASSWORD}@127.0.0.1:1080`,
      NODE_EXTRA_CA_CERTS: `${dir}/nowhere.pem`,
    });
    expect(d.json.code).toBe(1);
    expect(d.by.proxy).toEqual({
      id: "proxy",
      status: "problem",
      message: "HTTPS_PROXY names a socks5:// proxy, which codex does not support",
      fix: "use an http:// or https:// proxy, or unset HTTPS_PROXY",
    });
    expect(d.by.ca).toEqual({
      id: "ca",
      status: "problem",
      message: `NODE_EXTRA_CA_CERTS names ${dir}/nowhere.pem, which does not exist`,
      fix: "point NODE_EXTRA_CA_CERTS at a PEM file of CA certificates, or unset it",
    });
    expect(d.by.reach?.status).toBe("skipped");
    expect(d.by.provider?.status).toBe("skipped");
    expect(server.requests).toHaveLength(0);
  });

  test("online: the provider and the sign-in server answer through the proxy (any HTTP answer counts)", async () => {
    const server = await startProvider({ tls: tls() });
    server.reply(notFound, models, notFound, models);
    const issuer = await startFakeIssuer({}, { key: certs.key, cert: certs.cert, hostname: AUTH });
    const d = await doctor(
      server,
      { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.caFile },
      [],
      `\n[oauth]\nissuer = "${issuer.issuer}"\n`,
    );
    expect(d.json.code, d.json.stdout).toBe(0);
    const port = new URL(issuer.issuer).port;
    expect(d.by.reach).toEqual({
      id: "reach",
      status: "ok",
      message: `${PROVIDER}:${server.port} answers (HTTP 404) through ${proxy.url} (HTTPS_PROXY); ${AUTH}:${port} answers (HTTP 404) through ${proxy.url} (HTTPS_PROXY)`,
    });
    expect(d.by.provider?.message).toBe(`${PROVIDER}:${server.port} accepts the credential (/v1/models)`);
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization ?? "-"}`)).toEqual([
      "GET / -",
      `GET /v1/models Bearer ${KEY}`,
      "GET / -",
      `GET /v1/models Bearer ${KEY}`,
    ]);
  });

  test("online, the proxy asks for a password: the reach problem names the proxy; the provider is not asked again", async () => {
    const server = await startProvider({ tls: tls() });
    const d = await doctor(server, { HTTPS_PROXY: guarded.url, CODEX_CA_CERTIFICATE: certs.caFile });
    expect(d.json.code).toBe(1);
    expect(d.by.reach).toEqual({
      id: "reach",
      status: "problem",
      message: `the provider ${PROVIDER}:${server.port} does not answer: the proxy ${guarded.url} (HTTPS_PROXY) asks for a user name and password (${NO_PASSWORD})`,
      fix: "put them in HTTPS_PROXY as http://USER:PASSWORD@HOST:PORT",
    });
    expect(d.by.provider).toEqual({
      id: "provider",
      status: "skipped",
      message: `provider ${server.baseUrl} not checked: ${PROVIDER}:${server.port} does not answer (see above)`,
    });
    expect(server.requests).toHaveLength(0);
  });

  test("online, without the CA: the TLS failure, and the CA variables as the fix", async () => {
    const server = await startProvider({ tls: tls() });
    const d = await doctor(server, { HTTPS_PROXY: proxy.url });
    expect(d.json.code).toBe(1);
    expect(d.by.reach?.message).toMatch(
      new RegExp(`^the provider ${PROVIDER}:${server.port} does not answer: .*\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)$`),
    );
    expect(d.by.reach?.fix).toBe(
      "if a proxy or gateway on your network re-signs TLS, set CODEX_CA_CERTIFICATE to a PEM file of its CA certificate (SSL_CERT_FILE and NODE_EXTRA_CA_CERTS work too)",
    );
  });
});

describe.skipIf(!usable)("the library", () => {
  test("networkFetch(env) from the package: the proxy and CA of the env given, the password in no output even with DEBUG=*", async () => {
    const server = await startProvider({ tls: tls() });
    server.reply(sse(responsesEvents(["library"])));
    const env = {
      HTTPS_PROXY: guarded.url.replace("http://", `http://${USER}:${PASSWORD}@`),
      CODEX_CA_CERTIFICATE: certs.caFile,
    };
    const script = `
      import { Config, networkFetch, openClient } from "codex-credentials";
      const env = { ...${JSON.stringify(env)}, CODEX_HOME: "/nonexistent", OPENAI_API_KEY: ${JSON.stringify(KEY)}, OPENAI_BASE_URL: ${JSON.stringify(server.baseUrl)} };
      const config = await Config.load({ env });
      const client = await openClient({ config, env, fetch: networkFetch(env) });
      const reply = await client.reply([{ role: "user", content: "hi" }]);
      console.log(reply.text);`;
    const r = await runNodeScript(script, { env: { PATH: process.env.PATH, DEBUG: "*" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("library\n");
    expectNoSecret(r, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
  });

  test("openClient without a fetch sends through the env's proxy, as the CLI does", async () => {
    const server = await startProvider({ tls: tls() });
    server.reply(sse(responsesEvents(["default transport"])));
    const before = connects(guarded, PROVIDER);
    const env = {
      HTTPS_PROXY: guarded.url.replace("http://", `http://${USER}:${PASSWORD}@`),
      CODEX_CA_CERTIFICATE: certs.caFile,
    };
    const script = `
      import { Config, openClient } from "codex-credentials";
      const env = { ...${JSON.stringify(env)}, CODEX_HOME: "/nonexistent", OPENAI_API_KEY: ${JSON.stringify(KEY)}, OPENAI_BASE_URL: ${JSON.stringify(server.baseUrl)} };
      const client = await openClient({ config: await Config.load({ env }), env });
      console.log((await client.reply([{ role: "user", content: "hi" }])).text);`;
    const r = await runNodeScript(script, { env: { PATH: process.env.PATH } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("default transport\n");
    expect(connects(guarded, PROVIDER)).toBe(before + 1);
  });
});
