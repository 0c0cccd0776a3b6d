/**
 * `codex token` through the CLI: the credential codex would send, printed for another program.
 * Not logged in is exit 4 with nothing on stdout; a stored key, a variable that wins over it, an
 * auth_command and each profile's own key are printed as they are; a terminal gets nothing without
 * --force; --json says the kind, expiry, account and source and never carries a refresh or ID token.
 * Sessions at expiry are renewed first, through the one locked refresh every command uses: ten callers at
 * once against the real authorization server (oidc-provider, refresh tokens rotating, reuse ending the
 * grant) and against OpenAI's sign-in fake cause one refresh grant, all ten print its token, and the session
 * renews again afterwards. Everything is on 127.0.0.1.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { expectNoSecret, runCli, runCliInPty, storedSession, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { browserLogin, oauthConfig } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";
import { CODEX_CLIENT_ID, type OpenAIFake, startOpenAIFake } from "./support/openai-fake.js";

const STORED = "sk-stored-0123456789abcdefSTOR";
const WORK = "sk-work-0123456789abcdefWORK";
const ENV_KEY = "sk-env-0123456789abcdefENVV";
const COMMAND_KEY = "sk-command-0123456789abcdefCMND";

const NOT_LOGGED_IN = "error: not logged in; run `codex login` to sign in (or set CODEX_API_KEY or OPENAI_API_KEY)\n";
const JSON_KEYS = ["account", "chatgpt_account_id", "expires_at", "kind", "source", "source_type", "token"];

describe("what is printed", () => {
  test("not logged in: exit 4 with the usual hint on stderr, nothing on stdout", async () => {
    const { home } = withConfig("");
    for (const args of [["token"], ["token", "--json"]]) {
      const r = await runCliInProcess(args, { home });
      expect(r).toMatchObject({ code: 4, stdout: "", stderr: NOT_LOGGED_IN });
    }
  });

  test("a stored API key: the key and a newline on stdout, nothing on stderr", async () => {
    const { home } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 0, stdout: `${STORED}\n`, stderr: "" });
  });

  test("--json: the key, its kind, no expiry, the account and where it is stored; nothing else", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["token", "--json"], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      token: STORED,
      kind: "api_key",
      expires_at: null,
      account: "default",
      source: configFile,
      source_type: "file",
      chatgpt_account_id: null,
    });
  });

  test("OPENAI_API_KEY set over a stored key: the variable's value is printed, and --json names it as the source", async () => {
    const { home } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["token"], { home, env: { OPENAI_API_KEY: ENV_KEY } });
    expect(r).toMatchObject({ code: 0, stdout: `${ENV_KEY}\n` });
    const j = await runCliInProcess(["token", "--json"], { home, env: { OPENAI_API_KEY: ENV_KEY } });
    expect(JSON.parse(j.stdout)).toMatchObject({
      token: ENV_KEY,
      kind: "api_key",
      source: "OPENAI_API_KEY",
      source_type: "env",
    });
    expectNoSecret(j, STORED);
  });

  test("an auth_command: its output is printed, and --json says it came from that command", async () => {
    const { home, configFile } = withConfig("");
    const script = join(home, "tok.sh");
    writeFileSync(script, `#!/bin/sh\nprintf '${COMMAND_KEY}\\n'\n`);
    chmodSync(script, 0o755);
    writeFileSync(configFile, `auth_command = ${JSON.stringify([script])}\n`, { mode: 0o600 });
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 0, stdout: `${COMMAND_KEY}\n`, stderr: "" });
    const j = await runCliInProcess(["token", "--json"], { home });
    expect(JSON.parse(j.stdout)).toMatchObject({
      token: COMMAND_KEY,
      kind: "command",
      source: "command `tok.sh`",
      source_type: "command",
    });
  });

  test("profiles: --profile NAME and CODEX_PROFILE select the profile's own key; without either, config.toml's", async () => {
    const { home, codexHome } = withConfig(`auth_token = "${STORED}"\n`);
    writeFileSync(join(codexHome, "work.config.toml"), `auth_token = "${WORK}"\n`, { mode: 0o600 });
    expect((await runCliInProcess(["token"], { home })).stdout).toBe(`${STORED}\n`);
    expect((await runCliInProcess(["token", "--profile", "work"], { home })).stdout).toBe(`${WORK}\n`);
    expect((await runCliInProcess(["--profile", "work", "token"], { home })).stdout).toBe(`${WORK}\n`);
    const env = await runCliInProcess(["token", "--json"], { home, env: { CODEX_PROFILE: "work" } });
    expect(JSON.parse(env.stdout)).toMatchObject({ token: WORK, account: "work" });
    // codex 0.1.0's `profile = "work"` selects nothing: the default account's key, and a warning as `run` gives.
    writeFileSync(join(codexHome, "config.toml"), `profile = "work"\nauth_token = "${STORED}"\n`, { mode: 0o600 });
    const legacy = await runCliInProcess(["token"], { home });
    expect(legacy).toMatchObject({ code: 0, stdout: `${STORED}\n` });
    expect(legacy.stderr).toMatch(
      /^warning: .*config\.toml has `profile = "work"`, which no longer selects an account/,
    );
    const missing = await runCliInProcess(["token", "--profile", "home"], { home });
    expect(missing).toMatchObject({ code: 4, stdout: "" });
    expect(missing.stderr).toBe(
      "error: profile home is not logged in; run `codex login --profile home` to sign in (or set CODEX_API_KEY or OPENAI_API_KEY)\n",
    );
  });
});

test("--help and shell completion know the command and its flags", async () => {
  const { home } = withConfig("");
  const help = await runCliInProcess(["token", "--help"], { home });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: codex token \[flags\]$/m);
  expect(help.stdout).toMatch(/^ {6}--force /m);
  const bash = await runCliInProcess(["completion", "bash"], { home });
  expect(bash.stdout).toContain("token) words='--json --force --profile");
  expect(bash.stdout).toMatch(/words='login logout status token /);
});

describe("a config.toml codex cannot trust or read", () => {
  test("writable by others: exit 1 saying so, nothing on stdout", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    chmodSync(configFile, 0o666);
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain(`${configFile} is writable by its group and others (mode 0666)`);
    expectNoSecret(r, STORED);
  });

  test("malformed around a key: exit 1 with path:line:col, the key nowhere", async () => {
    const { home, configFile } = withConfig(`model = "o3"\nauth_token = "${STORED}\n[tui]\n`);
    const r = await runCliInProcess(["token", "--json"], { home });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(new RegExp(`^error: ${configFile}:2:\\d+: `));
    expectNoSecret(r, STORED);
  });
});

describe("on a terminal", () => {
  test("refused without --force (exit 2, the key nowhere on screen); shown with --force", async () => {
    const { home } = withConfig(`auth_token = "${STORED}"\n`);
    const refused = await runCliInPty(["token"], { home });
    expect(refused.code).toBe(2);
    expect(refused.output).not.toContain(STORED);
    expect(refused.output).toContain("codex token does not print the credential on a terminal");
    expect(refused.output).toContain("add --force to show it");
    const json = await runCliInPty(["token", "--json"], { home });
    expect(json.code).toBe(2);
    expect(json.output).not.toContain(STORED);
    const forced = await runCliInPty(["token", "--force"], { home });
    expect(forced.code).toBe(0);
    expect(forced.output).toBe(`${STORED}\r\n`);
  });
});

describe("an OAuth session", () => {
  test("10 callers at once at expiry: one refresh grant at the issuer, all print its new access token, and the session renews again after", async () => {
    const oauth = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(oauth));
    const login = await browserLogin(home);
    expect(login.code, login.stderr).toBe(0);
    const before = storedSession(configFile);
    const setExpiry = (at: Date) =>
      writeFileSync(
        configFile,
        readFileSync(configFile, "utf8").replace(/^expires_at = [^\r\n]*/m, `expires_at = ${at.toISOString()}`),
      );
    setExpiry(new Date(Date.now() - 1_000));
    // Spawned: one renewal between ten processes is what the lock is for.
    const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(["token"], { home, timeoutMs: 40_000 })));
    const after = storedSession(configFile);
    expect(after.access).not.toBe(before.access);
    expect(after.refresh).not.toBe(before.refresh);
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${after.access}\n`, stderr: "" });
    expect(oauth.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
    expect((await oauth.introspect(after.access as string)).active).toBe(true);

    // Fresh now: printed as it is, without asking the issuer; --json has the new expiry and no other token.
    const json = await runCliInProcess(["token", "--json"], { home });
    const shown = JSON.parse(json.stdout);
    expect(Object.keys(shown).sort()).toEqual(JSON_KEYS);
    expect(shown).toMatchObject({ token: after.access, kind: "oauth", account: "default", source: configFile });
    expect(Date.parse(shown.expires_at)).toBe(Date.parse(after.expiresAt as string));
    expect(Date.parse(shown.expires_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expectNoSecret(json, after.refresh as string, before.refresh as string);
    expect(oauth.counts().refresh).toBe(1);

    // The refresh token saved is the live one: the next renewal works, with one more grant, and --json
    // gives the renewed token's expiry, not the one it found.
    setExpiry(new Date(Date.now() - 1_000));
    const again = await runCliInProcess(["token", "--json"], { home });
    const third = storedSession(configFile);
    expect(again.code, again.stderr).toBe(0);
    expect(third.access).not.toBe(after.access);
    const renewed = JSON.parse(again.stdout);
    expect(renewed.token).toBe(third.access);
    expect(Date.parse(renewed.expires_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(oauth.counts()).toMatchObject({ refresh: 2, refreshFailed: 0 });
    expect((await oauth.introspect(third.access as string)).active).toBe(true);
  }, 60_000);
});

/** config.toml as a ChatGPT sign-in leaves it (see chatgpt-session.test.ts), with an access token expiring soon. */
function chatgptHome(fake: OpenAIFake, ttlSeconds: number, top = "", tables = "") {
  const tokens = fake.mintSession({ accessTokenTtlSeconds: ttlSeconds });
  const exp = JSON.parse(Buffer.from(tokens.accessToken.split(".")[1] ?? "", "base64url").toString("utf8")).exp;
  const made = withConfig(
    [
      `${top}chatgpt_base_url = "${fake.chatgptBaseUrl.replace(/\/codex$/, "")}"`,
      `auth_token = "${tokens.accessToken}"`,
      "",
      "[oauth]",
      `issuer = "${fake.issuer}"`,
      'protocol = "openai"',
      "",
      "[oauth_session]",
      `issuer = "${fake.issuer}"`,
      `client_id = "${CODEX_CLIENT_ID}"`,
      `refresh_token = "${tokens.refreshToken}"`,
      `expires_at = ${new Date(exp * 1000).toISOString()}`,
      `account = "${fake.user.email}"`,
      'protocol = "openai"',
      `chatgpt_account_id = "${fake.user.accountId}"`,
      `refreshed_at = ${new Date().toISOString()}`,
      tables,
    ].join("\n"),
  );
  return { ...made, tokens };
}

describe("a ChatGPT sign-in", () => {
  test("10 callers at once within 5 minutes of expiry: one refresh at OpenAI's fake, all print its token; --json has the workspace header value", async () => {
    const fake = await startOpenAIFake({ refreshDelayMs: 300 });
    const { home, configFile, tokens } = chatgptHome(fake, 120);
    // Spawned: one refresh between ten processes is what the lock is for.
    const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(["token"], { home, timeoutMs: 40_000 })));
    const after = storedSession(configFile);
    expect(after.access).not.toBe(tokens.accessToken);
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${after.access}\n`, stderr: "" });
    expect(fake.refreshCount).toBe(1);
    expect(fake.tokenRequests.filter((t) => t.grantType === "refresh_token")).toHaveLength(1);
    expect(fake.accessTokenState(after.access as string)).toBe("live");

    const json = await runCliInProcess(["token", "--json"], { home });
    const shown = JSON.parse(json.stdout);
    expect(Object.keys(shown).sort()).toEqual(JSON_KEYS);
    expect(shown).toMatchObject({
      token: after.access,
      kind: "chatgpt",
      chatgpt_account_id: fake.user.accountId,
      source_type: "file",
    });
    expectNoSecret(json, after.refresh as string, tokens.refreshToken, tokens.idToken);
    expect(fake.refreshCount).toBe(1);
  }, 40_000);

  test("the issuer cannot be reached when a renewal is due: exit 1 naming it, nothing on stdout, the file unchanged", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile, tokens } = chatgptHome(fake, 120);
    const host = new URL(fake.issuer).host;
    await fake.close();
    const before = readFileSync(configFile, "utf8");
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain(host);
    expectNoSecret(r, tokens.accessToken, tokens.refreshToken);
    expect(readFileSync(configFile, "utf8")).toBe(before);
  });

  test("a session OpenAI ended: exit 4 telling to run `codex login`, nothing on stdout", async () => {
    const fake = await startOpenAIFake();
    const { home, tokens } = chatgptHome(fake, 120);
    fake.invalidateRefreshToken(tokens.refreshToken);
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 4, stdout: "" });
    expect(r.stderr).toContain("run `codex login` to sign in again");
  });

  test("the selected provider does not take OpenAI's credentials: exit 4 as `run` would, the session printed nowhere", async () => {
    const fake = await startOpenAIFake();
    const { home, tokens } = chatgptHome(
      fake,
      3600,
      'model_provider = "x"\n',
      '\n[model_providers.x]\nname = "Local"\nbase_url = "http://127.0.0.1:9/v1"\n',
    );
    const r = await runCliInProcess(["token"], { home });
    expect(r).toMatchObject({ code: 4, stdout: "" });
    expect(r.stderr).toContain("does not take OpenAI's credentials, so codex will not send it your ChatGPT sign-in");
    expectNoSecret(r, tokens.accessToken);
  });
});
