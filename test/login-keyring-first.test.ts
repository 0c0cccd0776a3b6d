/**
 * Keyring before the browser (#21): with `cli_auth_credentials_store = "keyring"`, `codex login` asks the keyring
 * before a browser or device sign-in starts. A keyring that does not answer is one line and exit 1, and the issuer
 * (the standard test server, OpenAI's fake) has seen no request at all: no sign-in is completed and then thrown
 * away. "auto" still signs in and falls back to config.toml, as before.
 */
import { readFileSync, realpathSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort, runNodeScript, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type Keyring, startKeyring, withoutBus } from "./support/keyring.js";
import { oauthConfig, startCli } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";
import { startOpenAIFake } from "./support/openai-fake.js";

const NOT_STARTED =
  'the sign-in was not started (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)';
const NO_BUS =
  "the system keyring (Secret Service) is not available: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service cannot be reached";

const METHODS = [["--no-browser"], ["--device-auth"]];

describe("a keyring that does not answer: one line, and the issuer sees nothing", () => {
  test.each(METHODS)("standard issuer, %s", async (flag) => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(`cli_auth_credentials_store = "keyring"\n${await oauthConfig(server)}`);
    const before = readFileSync(configFile, "utf8");
    const r = await runCliInProcess(["login", flag as string], { home, env: withoutBus(), timeoutMs: 15_000 });
    expect(r).toMatchObject({ code: 1, stdout: "", stderr: `error: ${NO_BUS}; ${NOT_STARTED}\n` });
    expect(server.requests).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe(before);
  });

  test.each(METHODS)("OpenAI's sign-in, %s", async (flag) => {
    const fake = await startOpenAIFake();
    const { home } = withConfig(
      `cli_auth_credentials_store = "keyring"\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\nredirect_port = ${await freePort()}\n`,
    );
    const r = await runCliInProcess(["login", flag as string], { home, env: withoutBus(), timeoutMs: 15_000 });
    expect(r).toMatchObject({ code: 1, stdout: "", stderr: `error: ${NO_BUS}; ${NOT_STARTED}\n` });
    expect(fake.authorizeRequests).toEqual([]);
    expect(fake.deviceCodeRequests).toEqual([]);
    expect(fake.tokenRequests).toEqual([]);
  });

  test('"auto" is not held up: the device sign-in completes and goes to config.toml, with the warning it had', async () => {
    const fake = await startOpenAIFake({ deviceInterval: "1" });
    const { home, configFile } = withConfig(
      `cli_auth_credentials_store = "auto"\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`,
    );
    const cli = startCli(["login", "--device-auth"], { home, env: withoutBus(), timeoutMs: 20_000 });
    await cli.waitFor(/enter the code: \S+/);
    fake.approveDevice();
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${NO_BUS}; storing the credential in ${configFile} instead\n`);
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });
});

describe("a locked keyring (a real Secret Service)", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  test("the account's entry cannot be read: the device sign-in does not start; the entry is untouched", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = withConfig(
      `cli_auth_credentials_store = "keyring"\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`,
    );
    const key = "sk-kr-first-0123456789abcdefFRST";
    const stored = await runCliInProcess(["login", "--with-api-key"], { home, env: keyring.env, input: key });
    expect(stored.code, stored.stderr).toBe(0);
    const before = readFileSync(configFile, "utf8");
    await keyring.lock();
    try {
      const r = await runCliInProcess(["login", "--device-auth"], { home, env: keyring.env, timeoutMs: 15_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: the system keyring \\(Secret Service\\) is not available: [^\\n]*unlock[^\\n]*; ${NOT_STARTED.replace(/[()]/g, "\\$&")}\\n$`,
        ),
      );
      expect(fake.deviceCodeRequests).toEqual([]);
      expect(readFileSync(configFile, "utf8")).toBe(before);
    } finally {
      await keyring.unlock();
    }
    expect(await keyring.lookup({ service: "codex" })).toBe(`{"token":"${key}"}`);
  });

  test("no entry of the account yet: a read answers, the throwaway write does not; nothing is left behind", async () => {
    const fake = await startOpenAIFake();
    const { home } = withConfig(
      `cli_auth_credentials_store = "keyring"\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`,
    );
    await keyring.lock();
    try {
      const r = await runCliInProcess(["login", "--device-auth", "--profile", "fresh"], {
        home,
        env: keyring.env,
        timeoutMs: 15_000,
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(NOT_STARTED);
      expect(fake.deviceCodeRequests).toEqual([]);
    } finally {
      await keyring.unlock();
    }
    const probe = { service: "codex", username: `fresh@${realpathSync(home)}#sign-in-check` };
    expect(await keyring.lookup(probe)).toBe(null);
    // Unlocked: the check passes, and its throwaway entry is gone again.
    const script = `
      import { checkKeyringFirst } from "codex-credentials";
      await checkKeyringFirst({ env: process.env, profile: "fresh" });
      console.log("checked");`;
    const ok = await runNodeScript(script, { env: { ...keyring.env, CODEX_HOME: home, PATH: process.env.PATH } });
    expect(ok.stdout, ok.stderr).toBe("checked\n");
    expect(await keyring.lookup(probe)).toBe(null);
  });
});
