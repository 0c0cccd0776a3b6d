/**
 * Our users also run OpenAI's Codex CLI on the same ~/.codex. After each of our writes, the real Codex
 * (0.169.0, test/support/real-codex.ts: offline, in a network namespace of its own) must still load the
 * configuration: `codex login status` for the default account (config.toml), `codex -p NAME debug
 * prompt-input hi` for a profile (NAME.config.toml laid over config.toml), with no "Error loading
 * configuration" and no legacy refusal. Covered: an API key, a profile, keyring mode (a real Secret Service),
 * a ChatGPT session signed in through our CLI (device code, against test/support/openai-fake.ts), logout,
 * logout --profile, logout --all, and the move of codex 0.1.0's `[profiles.NAME]` credential; an auth.json
 * the real `codex login` wrote, seen by our status and removed by our logout --all; and exactly which of our
 * keys the real Codex's --strict-config calls unknown (the list docs/authentication.md gives).
 *
 * Needs root (the network namespace); skipped otherwise, saying why.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectNoSecret, freePort, ROOT, type RunResult, run, runCli, withConfig } from "./helpers.js";
import { type Keyring, startKeyring } from "./support/keyring.js";
import { startCli } from "./support/oauth-cli.js";
import { type OpenAIFake, startOpenAIFake } from "./support/openai-fake.js";
import {
  codexAuthJson,
  codexLoginStatus,
  codexProfileLoads,
  expectProfileLoads,
  expectStatusLoads,
  realCodexSkip,
  runIsolated,
  runRealCodex,
  strictUnknownKeys,
} from "./support/real-codex.js";

const KEY = "sk-interop-0123456789abcdefDFLT";
const WORK = "sk-interop-0123456789abcdefWORK";
const LEGACY = "sk-interop-0123456789abcdefLGCY";
const REAL = "sk-interop-0123456789abcdefREAL";

/**
 * Which of our keys the real Codex 0.169.0 reports as unknown (`--strict-config`). Codex ignores unknown
 * keys unless asked to be strict, so none of these stops it; docs/authentication.md lists them. A change
 * here is a change to that list.
 */
const UNKNOWN_TO_CODEX = {
  /** What `codex login --with-api-key` writes (config.toml, or a profile's file). */
  apiKey: ["auth_token"],
  /** A ChatGPT (or any OAuth) sign-in: the access token and the session beside it. */
  oauth: ["auth_token", "oauth_session"],
  /** cli_auth_credentials_store = "keyring" is Codex's own key; the note of where the secret is, ours. */
  keyring: ["auth_storage"],
  /** Settings we document that Codex does not know. */
  documented: [
    "auth_command",
    "credential_source",
    "model_providers.lan.allow_insecure_http",
    "model_providers.lan.request_timeout_ms",
    "oauth",
    "request_timeout_ms",
  ],
};

async function cli(args: string[], opts: { home: string; input?: string; env?: Record<string, string> }) {
  const r = await runCli(args, opts);
  expectNoSecret(r, KEY, WORK, LEGACY, REAL);
  return r;
}

async function expectOk(r: RunResult | Promise<RunResult>): Promise<RunResult> {
  const got = await r;
  expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: "" });
  return got;
}

const sorted = (keys: string[]) => [...keys].sort();

describe.skipIf(realCodexSkip !== undefined)("the real Codex CLI runs without a network", () => {
  let server: Server;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => {
      accepted.push(s);
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test("inside: only a loopback of its own, no way to the host's 127.0.0.1, and name lookups fail at once", async () => {
    const { home } = withConfig("");
    const port = (server.address() as { port: number }).port;
    const probe = `ip -o link | cut -d: -f2 | tr -d " "; cat /etc/resolv.conf; exec 3<>/dev/tcp/127.0.0.1/${port} && echo CONNECTED`;
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: home };
    for (const loopback of [false, true]) {
      const r = await runIsolated(["/bin/bash", "-c", probe], { env, cwd: home, loopback });
      expect(r.stdout).not.toContain("CONNECTED");
      expect(r.stdout.split("\n")[0]).toBe("lo");
      expect(r.stdout.split("\n")[1]).toBe(
        "# test/support/real-codex.ts: inside its network namespace every lookup fails at once",
      );
      expect(r.stdout).toContain("options timeout:0 attempts:1");
    }
    expect(accepted).toHaveLength(0);
    // The same probe outside does connect: the refusal above is the namespace's doing.
    const outside = await run("/bin/bash", ["-c", probe], { env, cwd: home });
    expect(outside.stdout).toContain("CONNECTED");
    expect(accepted).toHaveLength(1);
    expect(readFileSync("/etc/resolv.conf", "utf8")).not.toContain("real-codex.ts");
  });

  test("the real Codex's own attempt to reach api.openai.com fails at once", async () => {
    const { home } = withConfig('model = "o3"\n');
    const started = Date.now();
    expectProfileLoads(await codexProfileLoads(home, "work"));
    // musl's resolver would retry an unreachable name server for 5 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe.skipIf(realCodexSkip !== undefined)("after each of our writes, the real Codex CLI loads the config", () => {
  test("API key login, then logout (default account)", async () => {
    const { home, configFile } = withConfig('model = "o3"\n');
    expectStatusLoads(await codexLoginStatus(home));
    await expectOk(cli(["login", "--with-api-key"], { home, input: `${KEY}\n` }));
    expect(readFileSync(configFile, "utf8")).toContain("auth_token");
    expectStatusLoads(await codexLoginStatus(home));
    expectProfileLoads(await codexProfileLoads(home, "work"));
    expect(sorted(await strictUnknownKeys(readFileSync(configFile, "utf8")))).toEqual(UNKNOWN_TO_CODEX.apiKey);
    await expectOk(cli(["logout"], { home }));
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n');
    expectStatusLoads(await codexLoginStatus(home));
  });

  test("profile login (--profile work), then logout --profile work, then logout --all", async () => {
    const { home, codexHome, configFile } = withConfig('model = "o3"\n');
    const workFile = join(codexHome, "work.config.toml");
    await expectOk(cli(["login", "--with-api-key"], { home, input: `${KEY}\n` }));
    await expectOk(cli(["login", "--profile", "work", "--with-api-key"], { home, input: `${WORK}\n` }));
    expect(readFileSync(workFile, "utf8")).toContain("auth_token");
    expectProfileLoads(await codexProfileLoads(home, "work"));
    expectStatusLoads(await codexLoginStatus(home));
    expect(sorted(await strictUnknownKeys(readFileSync(workFile, "utf8")))).toEqual(UNKNOWN_TO_CODEX.apiKey);

    await expectOk(cli(["logout", "--profile", "work"], { home }));
    expect(existsSync(workFile)).toBe(false);
    expectProfileLoads(await codexProfileLoads(home, "work"));
    expectStatusLoads(await codexLoginStatus(home));

    await expectOk(cli(["login", "--profile", "work", "--with-api-key"], { home, input: `${WORK}\n` }));
    await expectOk(cli(["logout", "--all"], { home }));
    expect(existsSync(workFile)).toBe(false);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n');
    expectProfileLoads(await codexProfileLoads(home, "work"));
    expectStatusLoads(await codexLoginStatus(home));
  });

  test("codex 0.1.0's [profiles.work] credential: the real Codex refuses -p work until our login or logout moves it out", async () => {
    const legacy = `model = "o3"\n\n[profiles.work]\nauth_token = "${LEGACY}"\n`;
    for (const ours of [
      ["login", "--profile", "work", "--with-api-key"],
      ["logout", "--profile", "work"],
    ]) {
      const { home, configFile } = withConfig(legacy);
      const before = await codexProfileLoads(home, "work");
      expect(before.code).not.toBe(0);
      expect(before.stderr).toContain("cannot be used while");
      await expectOk(cli(ours, { home, input: `${WORK}\n` }));
      expect(readFileSync(configFile, "utf8")).not.toContain("[profiles.work]");
      expectProfileLoads(await codexProfileLoads(home, "work"));
      expectStatusLoads(await codexLoginStatus(home));
    }
  });

  describe("keyring mode, with a real Secret Service", () => {
    let keyring: Keyring;
    beforeAll(async () => {
      keyring = await startKeyring();
    });
    afterAll(() => keyring?.close());

    test('cli_auth_credentials_store = "keyring": login, profile login, logout --all', async () => {
      const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "keyring"\n');
      const env = keyring.env;
      await expectOk(cli(["login", "--with-api-key"], { home, input: `${KEY}\n`, env }));
      await expectOk(cli(["login", "--profile", "work", "--with-api-key"], { home, input: `${WORK}\n`, env }));
      const text = readFileSync(configFile, "utf8");
      expect(text).toContain('auth_storage = "keyring"');
      expect(text).not.toContain(KEY);
      // Codex reads its own keyring entry ("Codex Auth") through the same bus: none, so "Not logged in".
      expectStatusLoads(await codexLoginStatus(home, { env }));
      expectProfileLoads(await codexProfileLoads(home, "work", { env }));
      expect(sorted(await strictUnknownKeys(text))).toEqual(UNKNOWN_TO_CODEX.keyring);
      expect(sorted(await strictUnknownKeys(readFileSync(join(codexHome, "work.config.toml"), "utf8")))).toEqual(
        UNKNOWN_TO_CODEX.keyring,
      );
      await expectOk(cli(["logout", "--all"], { home, env }));
      expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
      expectStatusLoads(await codexLoginStatus(home, { env }));
      expectProfileLoads(await codexProfileLoads(home, "work", { env }));
    });
  });

  describe("a ChatGPT session signed in through our CLI (device code, OpenAI's protocol)", () => {
    let fake: OpenAIFake;
    beforeAll(async () => {
      fake = await startOpenAIFake({ deviceInterval: "1" });
    });
    afterAll(() => fake?.close());

    async function deviceLogin(home: string, args: string[] = []): Promise<void> {
      const login = startCli(["login", "--device-auth", ...args], { home, timeoutMs: 20_000 });
      await login.waitFor(/and enter the code: (\S+)\n/);
      fake.approveDevice();
      const r = await login.result;
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    }

    test("default account and a profile: login, strict keys, logout --all", async () => {
      const setup = `chatgpt_base_url = "${fake.chatgptBaseUrl.replace(/\/codex$/, "")}"\n\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\nredirect_port = ${await freePort()}\n`;
      const { home, codexHome, configFile } = withConfig(setup);
      await deviceLogin(home);
      const text = readFileSync(configFile, "utf8");
      expect(text).toContain("[oauth_session]");
      expectStatusLoads(await codexLoginStatus(home));
      // Our [oauth] table (the test's setting, pointing at the fake) is unknown to Codex too.
      expect(sorted(await strictUnknownKeys(text))).toEqual(sorted([...UNKNOWN_TO_CODEX.oauth, "oauth"]));

      await deviceLogin(home, ["--profile", "work"]);
      const workText = readFileSync(join(codexHome, "work.config.toml"), "utf8");
      expect(workText).toContain("[oauth_session]");
      expectProfileLoads(await codexProfileLoads(home, "work"));
      expect(sorted(await strictUnknownKeys(workText))).toEqual(UNKNOWN_TO_CODEX.oauth);

      await expectOk(cli(["logout", "--all"], { home }));
      expect(fake.revocations.filter((r) => r.status === 200)).toHaveLength(4);
      expect(readFileSync(configFile, "utf8")).toBe(setup);
      expectStatusLoads(await codexLoginStatus(home));
      expectProfileLoads(await codexProfileLoads(home, "work"));
    });
  });

  test("the settings we document: exactly these keys are unknown to the real Codex", async () => {
    const documented = [
      'model = "gpt-5"',
      'model_provider = "lan"',
      "request_timeout_ms = 60000",
      'cli_auth_credentials_store = "auto"',
      'auth_command = ["pass", "show", "openai"]',
      'credential_source = "stored"',
      'forced_login_method = "chatgpt"',
      'forced_chatgpt_workspace_id = "org-1"',
      'chatgpt_base_url = "https://chatgpt.com/backend-api"',
      'openai_base_url = "https://proxy.example/v1"',
      "",
      "[model_providers.lan]",
      'name = "LAN"',
      'base_url = "http://llm.lan:8080/v1"',
      'wire_api = "responses"',
      'env_key = "LAN_API_KEY"',
      'http_headers = { "X-Team" = "tools" }',
      'env_http_headers = { "X-Org" = "MY_ORG_VAR" }',
      'query_params = { "api-version" = "2025-04-01" }',
      "requires_openai_auth = false",
      "request_max_retries = 4",
      "stream_idle_timeout_ms = 300000",
      "request_timeout_ms = 60000",
      "allow_insecure_http = true",
      "",
      "[oauth]",
      'issuer = "https://auth.openai.com"',
      'protocol = "openai"',
      'client_id = "app_EMoamEEZ73f0CkXaXp7hrann"',
      'scopes = ["openid", "profile", "email", "offline_access"]',
      "redirect_port = 1455",
      "allow_insecure_http = false",
      "",
    ].join("\n");
    expect(sorted(await strictUnknownKeys(documented))).toEqual(UNKNOWN_TO_CODEX.documented);
    // docs/authentication.md names each of them (a provider's keys by their own name), and says which they are.
    const docs = readFileSync(join(ROOT, "docs", "authentication.md"), "utf8");
    const bullet = /^- \*\*Keys of codex's own\.\*\*[\s\S]*?(?=\n- \*\*)/m.exec(docs)?.[0] ?? "";
    const named = new Set(
      Object.values(UNKNOWN_TO_CODEX)
        .flat()
        .map((k) => k.replace(/^model_providers\.\w+\./, "")),
    );
    for (const key of named) expect(bullet, `docs/authentication.md names ${key}`).toContain(`\`${key}\``);
    const { home } = withConfig(documented);
    expectStatusLoads(await codexLoginStatus(home));
    expectProfileLoads(await codexProfileLoads(home, "work"));
  });
});

describe.skipIf(realCodexSkip !== undefined)('credential_source = "stored" beside the real Codex CLI', () => {
  test("in config.toml and in a profile's file: the real Codex loads both, and calls the key unknown only when strict", async () => {
    const { home, codexHome } = withConfig(`credential_source = "stored"\nauth_token = "${KEY}"\n`);
    const workText = `credential_source = "auto"\nauth_token = "${WORK}"\n`;
    writeFileSync(join(codexHome, "work.config.toml"), workText, { mode: 0o600 });
    // With a key in the environment, as the users of the setting have: the real Codex still loads the files.
    const env = { OPENAI_API_KEY: REAL };
    expectStatusLoads(await codexLoginStatus(home, { env }));
    expectProfileLoads(await codexProfileLoads(home, "work", { env }));
    const strict = await strictUnknownKeys(readFileSync(join(codexHome, "config.toml"), "utf8"));
    expect(sorted(strict)).toEqual(sorted([...UNKNOWN_TO_CODEX.apiKey, "credential_source"]));
    expect(sorted(await strictUnknownKeys(workText))).toEqual(
      sorted([...UNKNOWN_TO_CODEX.apiKey, "credential_source"]),
    );
    // And ours follows it: the stored key for the default account, the variable for the work profile.
    const st = JSON.parse((await cli(["status", "--json"], { home, env })).stdout);
    expect(st).toMatchObject({
      source_type: "file",
      credential_source: "stored",
      ignored_by_setting: ["OPENAI_API_KEY"],
    });
    const work = JSON.parse((await cli(["status", "--json", "--profile", "work"], { home, env })).stdout);
    expect(work).toMatchObject({ source_type: "env", credential_source: "auto", ignored_by_setting: [] });
  });
});

describe.skipIf(realCodexSkip !== undefined)("an auth.json written by the real `codex login`", () => {
  test("our status warns about it, naming it; our logout --all removes it; the real Codex is then logged out", async () => {
    const { home, codexHome } = withConfig('model = "o3"\n');
    const authJson = join(codexHome, "auth.json");
    const login = await runRealCodex(home, ["login", "--with-api-key"], { input: `${REAL}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(readFileSync(authJson, "utf8"))).toMatchObject({ OPENAI_API_KEY: REAL });
    const real = await codexLoginStatus(home);
    expect(real.code).toBe(0);
    expect(real.stdout + real.stderr).not.toContain(REAL);

    const status = await cli(["status"], { home });
    expect(status.stderr).toContain(
      `warning: ${authJson} (from OpenAI's Codex CLI) also holds a credential, which codex does not use; \`codex logout --all\` removes it\n`,
    );
    const json = await cli(["status", "--json"], { home });
    expect(json.stdout).toContain(authJson);

    const out = await cli(["logout", "--all"], { home });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`  Removed ${authJson} (OpenAI's Codex CLI's sign-in)\n`);
    expect(existsSync(authJson)).toBe(false);
    const after = await codexLoginStatus(home);
    expectStatusLoads(after);
    expect(after.code).toBe(1);
    expect(after.stdout + after.stderr).toContain("Not logged in");
  });

  test("with a ChatGPT session (the shape test/codex-auth-logout.test.ts uses): the real Codex is signed in with it; our logout --all revokes it", async () => {
    const fake = await startOpenAIFake();
    try {
      const setup = `[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`;
      const { home, codexHome } = withConfig(setup);
      const tokens = fake.mintSession();
      writeFileSync(join(codexHome, "auth.json"), codexAuthJson(tokens), { mode: 0o600 });
      const before = await codexLoginStatus(home);
      expectStatusLoads(before);
      expect(before.stderr + before.stdout).toMatch(/^Logged in using ChatGPT$/m);

      const out = await runCli(["logout", "--all"], { home });
      expectNoSecret(out, tokens.accessToken, tokens.refreshToken);
      expect(out.stdout).toContain(`  auth.json: Session revoked at ${fake.issuer}\n`);
      expect(fake.accessTokenState(tokens.accessToken)).toBe("revoked");
      const after = await codexLoginStatus(home);
      expectStatusLoads(after);
      expect(after.stdout + after.stderr).toContain("Not logged in");
    } finally {
      await fake.close();
    }
  });
});
