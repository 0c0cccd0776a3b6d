/**
 * Where a credential may go (issue #18, items 1 and 2), end to end with the CLI and the library:
 *
 * 1. A provider never receives another's credential. A provider with `env_key` gets that variable or
 *    nothing (exit 4 naming it), never CODEX_API_KEY, OPENAI_API_KEY or the stored key; a custom provider
 *    without `env_key` gets the account's credential but never OpenAI's variables, unless it sets
 *    `requires_openai_auth = true`.
 * 2. No credential in clear text. A plain http:// base_url or OAuth issuer whose host is not this machine
 *    is refused before anything is sent or even looked up, unless its table opts in with
 *    `allow_insecure_http = true`.
 *
 * For item 2 the children run with test/support/test-dns.cjs preloaded: `*.test` names resolve to
 * 127.0.0.1 and every other name fails, so `http://provider.test:PORT/v1` is a host that is not loopback
 * by its text, yet reaches the fake provider on 127.0.0.1, and no real DNS is ever asked. Each refusal has
 * a control with the opt-in that shows the same request would otherwise arrive there, key and all.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  expectNoSecret,
  ROOT,
  type RunResult,
  removeAfterTest,
  runNodeScript,
  tempDir,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, responsesEvents, type Script, sse, startProvider } from "./support/provider.js";

const OPENAI_KEY = "sk-route-openai-0123456789abcdefOPNA";
const CODEX_KEY = "sk-route-codex-0123456789abcdefCDEX";
const STORED_KEY = "sk-route-stored-0123456789abcdefSTRD";
const ROUTER_KEY = "sk-route-router-0123456789abcdefROUT";
const ACCESS = "route-oauth-access-0123456789abcdefACCS";
const REFRESH = "route-oauth-refresh-0123456789abcdefRFSH";
const SECRETS = [OPENAI_KEY, CODEX_KEY, STORED_KEY, ROUTER_KEY, ACCESS, REFRESH];

const PRELOAD = join(ROOT, "test", "support", "test-dns.cjs");

/** GET /v1/models answered as OpenAI does. */
const models: Script = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ object: "list", data: [] }));
};

/** A config.toml with `top` keys, selecting provider `id` at `baseUrl` with `table` lines in its table. */
function providerConfig(id: string, baseUrl: string, table = "", top = ""): string {
  return `${top}model_provider = "${id}"\n\n[model_providers.${id}]\nname = "${id}"\nbase_url = "${baseUrl}"\n${table}`;
}

/** Every OpenAI credential a careless fallback could pick up. */
const OPENAI_ENV = { OPENAI_API_KEY: OPENAI_KEY, CODEX_API_KEY: CODEX_KEY };

/** stderr is exactly one `error: …` line; returns the message. */
function oneError(r: RunResult): string {
  expect(r.stderr, r.stderr).toMatch(/^error: [^\n]+\n$/);
  return r.stderr.slice("error: ".length, -1);
}

const authorizations = (server: FakeProvider) => server.requests.map((r) => r.headers.authorization);

describe("1. a provider never receives another's credential", () => {
  const ROUTER = (server: FakeProvider, stored = true) =>
    providerConfig(
      "openrouter",
      server.baseUrl,
      'env_key = "OPENROUTER_API_KEY"\n',
      stored ? `auth_token = "${STORED_KEY}"\n` : "",
    );
  const MISSING =
    "the provider `openrouter` reads its key from OPENROUTER_API_KEY, which is not set (Missing environment variable); set it, or choose another provider";

  test("env_key unset (or blank): run exits 4 naming the variable; OpenAI's keys and the stored key are not sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["must not be sent"])));
    const { home } = withConfig(ROUTER(server));
    for (const blank of [undefined, "", "   "]) {
      const r = await runCliInProcess(["run", "hi"], { home, env: { ...OPENAI_ENV, OPENROUTER_API_KEY: blank } });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toBe(MISSING);
      expectNoSecret(r, ...SECRETS);
    }
    expect(server.requests).toEqual([]);
  });

  test("env_key set: exactly that key is sent, nothing else", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(ROUTER(server));
    const r = await runCliInProcess(["run", "hi"], { home, env: { ...OPENAI_ENV, OPENROUTER_API_KEY: ROUTER_KEY } });
    expect(r.code, r.stderr).toBe(0);
    expect(authorizations(server)).toEqual([`Bearer ${ROUTER_KEY}`]);
  });

  test("status: not logged in, naming the variable the provider needs, exit 1; --json says which; --check sends nothing", async () => {
    const server = await startProvider();
    server.reply(models);
    const { home } = withConfig(ROUTER(server));
    const text = await runCliInProcess(["status"], { home, env: OPENAI_ENV });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(
      `Not logged in: ${MISSING}\n` +
        "  Note: CODEX_API_KEY and OPENAI_API_KEY are set but not sent to provider `openrouter`, which takes its key only from OPENROUTER_API_KEY\n",
    );
    expect(text.stderr).toBe("");
    const json = await runCliInProcess(["status", "--json"], { home, env: OPENAI_ENV });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      authenticated: false,
      method: null,
      source: null,
      hint: null,
      credential_error: MISSING,
      env_key: "OPENROUTER_API_KEY",
      missing_env_key: "OPENROUTER_API_KEY",
      ignored_env: ["CODEX_API_KEY", "OPENAI_API_KEY"],
    });
    const check = await runCliInProcess(["status", "--check"], { home, env: OPENAI_ENV });
    expect(check.code).toBe(1);
    for (const r of [text, json, check]) expectNoSecret(r, ...SECRETS);
    expect(server.requests).toEqual([]);
  });

  test("doctor: a credential problem naming the variable, with the fix; nothing sent", async () => {
    const server = await startProvider();
    const { home } = withConfig(ROUTER(server));
    const r = await runCliInProcess(["doctor", "--json"], { home, env: OPENAI_ENV });
    expect(r.code).toBe(1);
    const checks = (
      JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; message: string; fix?: string }> }
    ).checks;
    expect(checks.find((c) => c.id === "credential")).toEqual({
      id: "credential",
      status: "problem",
      message:
        "the provider `openrouter` reads its key only from OPENROUTER_API_KEY, which is not set; no other credential is sent to it",
      fix: "set OPENROUTER_API_KEY (`export OPENROUTER_API_KEY=…`), or choose another provider with model_provider in config.toml",
    });
    expect(checks.filter((c) => c.status === "problem").map((c) => c.id)).toEqual(["credential"]);
    expectNoSecret(r, ...SECRETS);
    expect(server.requests).toEqual([]);
  });

  test("the library: openClient() throws MissingEnvKeyError (an AuthRequiredError, exit 4) and sends nothing", async () => {
    const { AuthRequiredError, Config, MissingEnvKeyError, openClient } = await import("codex-credentials");
    const server = await startProvider();
    const { codexHome } = withConfig(ROUTER(server));
    const config = await Config.load({ codexHome });
    const err = await openClient({ config, env: OPENAI_ENV }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingEnvKeyError);
    expect(err).toBeInstanceOf(AuthRequiredError);
    expect(err).toMatchObject({
      code: "ENV_KEY_MISSING",
      exitCode: 4,
      provider: "openrouter",
      variable: "OPENROUTER_API_KEY",
      message: MISSING,
    });
    expect(server.requests).toEqual([]);
  });

  test("a custom provider without env_key gets the account's stored key, never OPENAI_API_KEY or CODEX_API_KEY", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(providerConfig("local", server.baseUrl, "", `auth_token = "${STORED_KEY}"\n`));
    const r = await runCliInProcess(["run", "hi"], { home, env: OPENAI_ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(authorizations(server)).toEqual([`Bearer ${STORED_KEY}`]);
    const st = await runCliInProcess(["status", "--json"], { home, env: OPENAI_ENV });
    expect(JSON.parse(st.stdout)).toMatchObject({
      authenticated: true,
      source_type: "file",
      hint: "sk-…STRD",
      shadowed: null,
      ignored_env: ["CODEX_API_KEY", "OPENAI_API_KEY"],
    });
    expectNoSecret(r, ...SECRETS);
    expectNoSecret(st, ...SECRETS);
  });

  test("... and without a stored key it is not logged in: run exits 4, status exits 1, nothing is sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["must not be sent"])));
    const { home } = withConfig(providerConfig("local", server.baseUrl));
    const run = await runCliInProcess(["run", "hi"], { home, env: OPENAI_ENV });
    expect(run.code).toBe(4);
    expect(oneError(run)).toBe("not logged in; run `codex login` to sign in");
    const st = await runCliInProcess(["status"], { home, env: OPENAI_ENV });
    expect(st.code).toBe(1);
    expect(st.stdout).toBe(
      "Not logged in. Run `codex login` to sign in.\n" +
        "  Note: CODEX_API_KEY and OPENAI_API_KEY are set but not sent to provider `local`: OpenAI's keys go only to providers with requires_openai_auth = true\n",
    );
    // Logout does not claim that a variable this provider never gets still authenticates codex.
    const out = await runCliInProcess(["logout"], { home, env: OPENAI_ENV });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe("");
    for (const r of [run, st, out]) expectNoSecret(r, ...SECRETS);
    expect(server.requests).toEqual([]);
  });

  test("requires_openai_auth = true: the provider is treated as OpenAI, variables included", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])), sse(responsesEvents(["ok"])));
    const { home } = withConfig(
      providerConfig("proxy", server.baseUrl, "requires_openai_auth = true\n", `auth_token = "${STORED_KEY}"\n`),
    );
    expect((await runCliInProcess(["run", "hi"], { home, env: OPENAI_ENV })).code).toBe(0);
    expect((await runCliInProcess(["run", "hi"], { home })).code).toBe(0);
    expect(authorizations(server)).toEqual([`Bearer ${CODEX_KEY}`, `Bearer ${STORED_KEY}`]);
  });

  test("login and logout warn only about variables the selected provider really uses", async () => {
    // A custom provider: OpenAI's variables never reach it, so they take precedence over nothing.
    const local = withConfig(providerConfig("local", "http://127.0.0.1:9/v1"));
    const login = await runCliInProcess(["login", "--with-api-key"], {
      home: local.home,
      env: OPENAI_ENV,
      input: STORED_KEY,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toBe("");
    const logout = await runCliInProcess(["logout"], { home: local.home, env: OPENAI_ENV });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toBe("");
    // A provider with env_key: the key just saved is never sent to it, whatever is unset.
    const router = withConfig(
      providerConfig("openrouter", "http://127.0.0.1:9/v1", 'env_key = "OPENROUTER_API_KEY"\n'),
    );
    const saved = await runCliInProcess(["login", "--with-api-key"], {
      home: router.home,
      env: OPENAI_ENV,
      input: STORED_KEY,
    });
    expect(saved.code).toBe(0);
    expect(saved.stderr).toBe(
      "warning: the selected provider `openrouter` takes its key only from OPENROUTER_API_KEY, so it does not use the credential just saved\n",
    );
    const gone = await runCliInProcess(["logout"], {
      home: router.home,
      env: { ...OPENAI_ENV, OPENROUTER_API_KEY: ROUTER_KEY },
    });
    expect(gone.stderr).toBe(
      "warning: OPENROUTER_API_KEY is set in your environment and still authenticates codex; unset it (`unset OPENROUTER_API_KEY`) to sign out completely\n",
    );
    for (const r of [login, logout, saved, gone]) expectNoSecret(r, ...SECRETS);
  });
});

/** Runs the CLI with test-dns.cjs preloaded; `log` receives every name it looked up. */
function runWithTestDns(args: string[], opts: { home: string; env?: Record<string, string | undefined> }) {
  const log = join(removeAfterTest(tempDir("codex-dns-")), "lookups");
  return runCliInProcess(args, {
    home: opts.home,
    env: { NODE_OPTIONS: `--require ${PRELOAD}`, TEST_DNS_LOG: log, ...opts.env },
  }).then((r) => ({ ...r, lookups: lookedUp(log) }));
}

function lookedUp(log: string): string[] {
  try {
    return readFileSync(log, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** `http://provider.test:PORT/v1`: the fake provider, under a name that is not loopback by its text. */
const remote = (server: FakeProvider) => `http://provider.test:${server.port}/v1`;

describe("2. no credential in clear text: a provider's http:// base_url on another host", () => {
  const REFUSAL = (host: string, setting: string, table: string) =>
    `refusing to send the credential to ${host} over plain http:// (${setting}): it would travel unencrypted; use an https:// ${setting === "OPENAI_BASE_URL" ? "URL in OPENAI_BASE_URL" : setting}, or, only if the network to ${host.replace(/:\d+$/, "")} is trusted, set allow_insecure_http = true in [${table}]`;

  test("run: refused before any lookup or request, exit 1; with allow_insecure_http = true the key does arrive", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const host = `provider.test:${server.port}`;
    const refused = withConfig(providerConfig("x", remote(server), "", `auth_token = "${STORED_KEY}"\n`));
    const r = await runWithTestDns(["run", "hi"], { home: refused.home });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toBe(REFUSAL(host, "model_providers.x.base_url", "model_providers.x"));
    expect(r.lookups).toEqual([]);
    expect(server.requests).toEqual([]);
    expectNoSecret(r, ...SECRETS);
    // The control: the same config, opted in, really sends the key to provider.test (so the refusal above
    // is what kept it from arriving).
    const allowed = withConfig(
      providerConfig("x", remote(server), "allow_insecure_http = true\n", `auth_token = "${STORED_KEY}"\n`),
    );
    const sent = await runWithTestDns(["run", "hi"], { home: allowed.home });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.lookups).toContain("provider.test");
    expect(authorizations(server)).toEqual([`Bearer ${STORED_KEY}`]);
    expect(server.requests[0]?.headers.host).toBe(host);
  });

  test("OPENAI_BASE_URL on another host: refused for OPENAI_API_KEY; [model_providers.openai] allow_insecure_http = true opts in", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const env = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: remote(server) };
    const r = await runWithTestDns(["run", "hi"], { home: testHome(), env });
    expect(r.code).toBe(1);
    expect(oneError(r)).toBe(REFUSAL(`provider.test:${server.port}`, "OPENAI_BASE_URL", "model_providers.openai"));
    expect(r.lookups).toEqual([]);
    expect(server.requests).toEqual([]);
    expectNoSecret(r, ...SECRETS);
    const { home } = withConfig("[model_providers.openai]\nallow_insecure_http = true\n");
    const sent = await runWithTestDns(["run", "hi"], { home, env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(authorizations(server)).toEqual([`Bearer ${OPENAI_KEY}`]);
  });

  test("status warns (and --json lists it), status --check refuses without sending, doctor flags it with the fix", async () => {
    const server = await startProvider();
    server.reply(models, models);
    const host = `provider.test:${server.port}`;
    const refusal = REFUSAL(host, "model_providers.x.base_url", "model_providers.x");
    const { home } = withConfig(providerConfig("x", remote(server), "", `auth_token = "${STORED_KEY}"\n`));
    const st = await runWithTestDns(["status"], { home });
    expect(st.code).toBe(0);
    expect(st.stderr).toBe(`warning: ${refusal}\n`);
    const json = await runWithTestDns(["status", "--json"], { home });
    expect(JSON.parse(json.stdout)).toMatchObject({
      authenticated: true,
      insecure_http: [{ what: "provider", setting: "model_providers.x.base_url", host }],
      warnings: [refusal],
    });
    const check = await runWithTestDns(["status", "--check"], { home });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`  Check: refused (nothing sent to ${host}: plain http:// to another machine)\n`);
    const checkJson = await runWithTestDns(["status", "--check", "--json"], { home });
    expect(checkJson.code).toBe(1);
    expect(JSON.parse(checkJson.stdout)).toMatchObject({ check: "refused", check_message: refusal });
    const doctor = await runWithTestDns(["doctor", "--json"], { home });
    expect(doctor.code).toBe(1);
    const checks = (
      JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; message: string; fix?: string }> }
    ).checks;
    expect(checks.filter((c) => c.status === "problem")).toEqual([
      {
        id: "settings",
        status: "problem",
        message: `refusing to send the credential to ${host} over plain http:// (model_providers.x.base_url): it would travel unencrypted`,
        fix: `use an https:// model_providers.x.base_url, or, only if the network to provider.test is trusted, set allow_insecure_http = true in [model_providers.x]`,
      },
    ]);
    expect(checks.find((c) => c.id === "provider")?.status).toBe("skipped");
    for (const r of [st, json, check, checkJson, doctor]) {
      expect(r.lookups).toEqual([]);
      expectNoSecret(r, ...SECRETS);
    }
    expect(server.requests).toEqual([]);
  });

  test.each([
    ["the default transport (node:http)", "undefined"],
    ["the global fetch", "globalThis.fetch"],
  ])(
    "the library through %s: openClient() and new Client() refuse; opted in, the key arrives",
    async (_name, fetch) => {
      const server = await startProvider();
      server.reply(sse(responsesEvents(["ok"])));
      const refused = withConfig(providerConfig("x", remote(server), "", `auth_token = "${STORED_KEY}"\n`));
      const allowed = withConfig(
        providerConfig("x", remote(server), "allow_insecure_http = true\n", `auth_token = "${STORED_KEY}"\n`),
      );
      const script = `
      import { Client, Config, nodeFetch, openClient, selectModel } from "codex-credentials";
      const fetch = ${fetch};
      const out = {};
      const refused = await Config.load({ codexHome: ${JSON.stringify(refused.codexHome)} });
      try { await openClient({ config: refused, env: {}, fetch }); out.open = "sent"; }
      catch (e) { out.open = [e.name, e.code, e.exitCode, e.host]; }
      const { model, provider } = selectModel(refused, {});
      const credential = { token: ${JSON.stringify(STORED_KEY)}, method: "api_key", source: { type: "file", path: "x" } };
      try { new Client({ provider, model, credential, fetch: fetch ?? nodeFetch }); out.client = "made"; }
      catch (e) { out.client = [e.name, e.code]; }
      const allowed = await Config.load({ codexHome: ${JSON.stringify(allowed.codexHome)} });
      const client = await openClient({ config: allowed, env: {}, fetch });
      out.reply = (await client.reply([{ role: "user", content: "hi" }])).text;
      process.stdout.write(JSON.stringify(out));
    `;
      const log = join(removeAfterTest(tempDir("codex-dns-")), "lookups");
      const r = await runNodeScript(script, {
        env: { PATH: process.env.PATH, LANG: "C.UTF-8", NODE_OPTIONS: `--require ${PRELOAD}`, TEST_DNS_LOG: log },
      });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({
        open: ["InsecureTransportError", "INSECURE_HTTP", 1, `provider.test:${server.port}`],
        client: ["InsecureTransportError", "INSECURE_HTTP"],
        reply: "ok",
      });
      // One request, the opted-in one: the refused ones sent nothing.
      expect(authorizations(server)).toEqual([`Bearer ${STORED_KEY}`]);
      expect(lookedUp(log)).toEqual(["provider.test"]);
    },
  );

  test.each([
    ["the default transport (node:http)", "undefined"],
    ["the global fetch", "globalThis.fetch"],
  ])(
    "the library through %s: a 307 or 308 from base_url is not followed; the other host gets nothing",
    async (_name, fetch) => {
      const elsewhere = await startProvider();
      const server = await startProvider();
      const redirect =
        (status: number): Script =>
        (_req, res) => {
          res.writeHead(status, { location: `${elsewhere.baseUrl}/responses` });
          res.end();
        };
      server.reply(redirect(307), redirect(308));
      const { codexHome } = withConfig(providerConfig("x", server.baseUrl, "", `auth_token = "${STORED_KEY}"\n`));
      const script = `
      import { Config, openClient } from "codex-credentials";
      const fetch = ${fetch};
      const config = await Config.load({ codexHome: ${JSON.stringify(codexHome)} });
      const out = [];
      for (let i = 0; i < 2; i++) {
        const client = await openClient({ config, env: {}, fetch });
        try { await client.reply([{ role: "user", content: "secret plans" }]); out.push("followed"); }
        catch (e) { out.push([e.name, e.status]); }
      }
      process.stdout.write(JSON.stringify(out));
    `;
      const r = await runNodeScript(script, { env: { PATH: process.env.PATH, LANG: "C.UTF-8" } });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual([
        ["ApiError", 307],
        ["ApiError", 308],
      ]);
      expect(server.requests).toHaveLength(2);
      expect(elsewhere.requests).toEqual([]);
    },
  );

  test("what counts as this machine: localhost, 127.0.0.0/8, [::1]; not a name, another address, or localhost.", async () => {
    const { Config, status } = await import("codex-credentials");
    const hostsOf = async (baseUrl: string) => {
      const { codexHome } = withConfig(providerConfig("x", baseUrl, "", `auth_token = "${STORED_KEY}"\n`));
      const st = await status({ config: await Config.load({ codexHome }), env: {} });
      return st.insecureHttp.map((i) => i.host);
    };
    for (const url of [
      "http://localhost:9/v1",
      "http://LOCALHOST:9/v1",
      "http://127.0.0.1:9/v1",
      "http://127.1.2.3:9/v1",
      "http://127.1:9/v1",
      "http://[::1]:9/v1",
      "http://[::ffff:127.0.0.1]:9/v1",
      "https://provider.test/v1",
    ]) {
      expect(await hostsOf(url), url).toEqual([]);
    }
    for (const [url, host] of [
      ["http://provider.test:9/v1", "provider.test:9"],
      ["http://10.0.0.1/v1", "10.0.0.1"],
      ["http://128.0.0.1:9/v1", "128.0.0.1:9"],
      ["http://[::2]:9/v1", "[::2]:9"],
      ["http://localhost.:9/v1", "localhost.:9"],
      ["http://127.0.0.1.nip.test:9/v1", "127.0.0.1.nip.test:9"],
      ["http://localhost.provider.test:9/v1", "localhost.provider.test:9"],
    ]) {
      expect(await hostsOf(url as string), url).toEqual([host]);
    }
  });
});

describe("2. no credential in clear text: an OAuth issuer on another host", () => {
  /** A stored OAuth session from `issuer`, its access token expired so that any use renews it; `tables` after it. */
  const session = (issuer: string, tables = "") =>
    `auth_token = "${ACCESS}"\n\n[oauth_session]\nissuer = "${issuer}"\nclient_id = "app_route"\nrefresh_token = "${REFRESH}"\nexpires_at = 2001-01-01T00:00:00Z\n${tables}`;
  const SESSION_REFUSAL = (host: string) =>
    `refusing to send the OAuth session's tokens to ${host} over plain http:// (the issuer it was signed in with): they would travel unencrypted; sign in again with an https:// issuer (\`codex login\`), or, only if the network to provider.test is trusted, set allow_insecure_http = true in [oauth]`;

  test("a stored session's http:// issuer: run does not refresh there, logout does not revoke there; status and doctor say so", async () => {
    const server = await startProvider();
    const issuer = `http://provider.test:${server.port}`;
    const host = `provider.test:${server.port}`;
    const { home } = withConfig(session(issuer));
    const run = await runWithTestDns(["run", "hi"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } });
    expect(run.code).toBe(1);
    expect(oneError(run)).toBe(SESSION_REFUSAL(host));
    const st = await runWithTestDns(["status", "--json"], { home });
    expect(JSON.parse(st.stdout)).toMatchObject({
      insecure_http: [{ what: "session_issuer", setting: "oauth_session.issuer", host }],
      warnings: [SESSION_REFUSAL(host)],
    });
    const doctor = await runWithTestDns(["doctor", "--json", "--offline"], { home });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; message: string }> })
      .checks;
    expect(checks.find((c) => c.id === "session")).toMatchObject({
      status: "problem",
      message: `refusing to send the OAuth session's tokens to ${host} over plain http:// (the issuer it was signed in with): they would travel unencrypted`,
    });
    const out = await runWithTestDns(["logout"], { home });
    expect(out.code).toBe(0);
    expect(out.stderr).toContain(`not revoked at ${host}: ${SESSION_REFUSAL(host)}`);
    for (const r of [run, st, doctor, out]) {
      expect(r.lookups).toEqual([]);
      expectNoSecret(r, ...SECRETS);
    }
    expect(server.requests).toEqual([]);
  });

  test("[oauth] allow_insecure_http = true: the refresh goes to the http:// issuer (the control)", async () => {
    const server = await startProvider();
    const { home } = withConfig(
      session(`http://provider.test:${server.port}`, "\n[oauth]\nallow_insecure_http = true\n"),
    );
    const run = await runWithTestDns(["run", "hi"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } });
    // The fake answers discovery with 418; what matters is that the request went there.
    expect(run.code).toBe(1);
    expect(run.lookups).toContain("provider.test");
    expect(server.requests.map((r) => r.path)).toContain("/.well-known/openid-configuration");
    expectNoSecret(run, ...SECRETS);
  });

  test("[oauth] issuer on another host over http://: login refuses before anything is opened or sent, exit 1", async () => {
    const server = await startProvider();
    const host = `provider.test:${server.port}`;
    const { home } = withConfig(`[oauth]\nissuer = "http://${host}"\n`);
    const r = await runWithTestDns(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(oneError(r)).toBe(
      `refusing to sign in with ${host} over plain http:// (oauth.issuer): the code and tokens would travel unencrypted; use an https:// issuer, or, only if the network to provider.test is trusted, set allow_insecure_http = true in [oauth]`,
    );
    expect(r.lookups).toEqual([]);
    expect(server.requests).toEqual([]);
    const st = await runWithTestDns(["status", "--json"], { home });
    expect(JSON.parse(st.stdout)).toMatchObject({
      insecure_http: [{ what: "oauth_issuer", setting: "oauth.issuer", host }],
    });
  });
});
