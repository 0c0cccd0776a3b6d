/**
 * The settings behind the ChatGPT sign-in: which protocol an issuer is spoken to with (decided by config,
 * never by a server), Codex's sign-in restrictions, and `chatgpt_base_url`, each checked before anything
 * is opened or sent.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, onTestFinished, test, vi } from "vitest";
import {
  Config,
  InsecureTransportError,
  loginRestrictions,
  loginWithBrowser,
  loginWithDevice,
  oauthSettings,
  openClient,
} from "../src/index.js";
import { homeWithConfig, ROOT } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

async function settingsFor(text: string) {
  const { codexHome } = homeWithConfig(text);
  return oauthSettings(await Config.load({ codexHome }));
}

describe("[oauth] protocol", () => {
  test("OpenAI's issuer speaks OpenAI's protocol by default, with or without a trailing slash; any other issuer the standard one", async () => {
    expect((await settingsFor("")).protocol).toBe("openai");
    expect((await settingsFor('[oauth]\nissuer = "https://auth.openai.com/"\n')).protocol).toBe("openai");
    expect((await settingsFor('[oauth]\nissuer = "https://login.example.com"\n')).protocol).toBe("standard");
    expect((await settingsFor('[oauth]\nissuer = "http://127.0.0.1:9"\n')).protocol).toBe("standard");
  });

  test("the setting wins both ways", async () => {
    const openai = await settingsFor('[oauth]\nissuer = "http://127.0.0.1:9"\nprotocol = "openai"\n');
    expect(openai.protocol).toBe("openai");
    const standard = await settingsFor('[oauth]\nprotocol = "standard"\n');
    expect(standard).toMatchObject({ issuer: "https://auth.openai.com", protocol: "standard" });
  });

  test("the fallback port applies only to the default port", async () => {
    expect((await settingsFor("")).defaultPort).toBe(true);
    expect((await settingsFor("[oauth]\nredirect_port = 1455\n")).defaultPort).toBe(false);
  });

  test("any other value stops `codex login` before anything is opened, file untouched", async () => {
    const text = '[oauth]\nissuer = "http://127.0.0.1:9"\nprotocol = "oidc"\n';
    const { home, configFile } = homeWithConfig(text);
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${configFile}: oauth.protocol must be "openai" or "standard"`);
    expect(r.stdout).toBe("");
    expect(readFileSync(configFile, "utf8")).toBe(text);
  });
});

describe("forced_login_method and forced_chatgpt_workspace_id", () => {
  const restrictions = async (text: string) => {
    const { codexHome } = homeWithConfig(text);
    return loginRestrictions(await Config.load({ codexHome }));
  };

  test("read as Codex writes them: one workspace or a list", async () => {
    expect(await restrictions("")).toEqual({ method: undefined, workspaces: undefined });
    expect(await restrictions('forced_login_method = "chatgpt"\nforced_chatgpt_workspace_id = "org-a"\n')).toEqual({
      method: "chatgpt",
      workspaces: ["org-a"],
    });
    expect(
      await restrictions('forced_login_method = "api"\nforced_chatgpt_workspace_id = ["org-a", "org-b"]\n'),
    ).toEqual({
      method: "api",
      workspaces: ["org-a", "org-b"],
    });
  });

  test.each([
    ['forced_login_method = "web"\n', 'forced_login_method must be "chatgpt" or "api"'],
    ["forced_login_method = true\n", 'forced_login_method must be "chatgpt" or "api"'],
    ["forced_chatgpt_workspace_id = 42\n", "forced_chatgpt_workspace_id must be a workspace id"],
    ["forced_chatgpt_workspace_id = []\n", "forced_chatgpt_workspace_id must be a workspace id"],
    ['forced_chatgpt_workspace_id = ["org a"]\n', "forced_chatgpt_workspace_id must be a workspace id"],
  ])("%j is refused by login, naming the key", async (text, message) => {
    const { home, configFile } = homeWithConfig(text);
    const r = await runCliInProcess(["login", "--with-api-key"], {
      home,
      input: "sk-proj-abcdefghijklmnopqrstuvwxyz\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${configFile}: ${message}`);
    expect(readFileSync(configFile, "utf8")).toBe(text);
  });
});

describe("chatgpt_base_url", () => {
  /** A ChatGPT session as codex stores it; the token never needs to be valid: nothing is sent. */
  const session = (top: string) =>
    `${top}auth_token = "eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.c2ln"\n\n[oauth_session]\nissuer = "https://auth.openai.com"\nclient_id = "app_EMoamEEZ73f0CkXaXp7hrann"\nrefresh_token = "rt_not_used_here"\nexpires_at = 2099-01-01T00:00:00Z\nprotocol = "openai"\nchatgpt_account_id = "acct-1234567890abcdef"\n`;

  test("a ChatGPT session's requests go to {chatgpt_base_url}/codex; an API key's still to the provider", async () => {
    const { codexHome } = homeWithConfig(session('chatgpt_base_url = "https://chatgpt.example.com/backend-api/"\n'));
    const client = await openClient({ config: await Config.load({ codexHome }), env: {} });
    expect(client.provider).toMatchObject({
      name: "ChatGPT",
      baseUrl: "https://chatgpt.example.com/backend-api/codex",
      wireApi: "responses",
    });
    const keyed = homeWithConfig('auth_token = "sk-proj-abcdefghijklmnopqrstuvwxyz"\n');
    const keyClient = await openClient({ config: await Config.load({ codexHome: keyed.codexHome }), env: {} });
    expect(keyClient.provider.baseUrl).toBe("https://api.openai.com/v1");
  });

  test("the default is ChatGPT's backend", async () => {
    const { codexHome } = homeWithConfig(session(""));
    const client = await openClient({ config: await Config.load({ codexHome }), env: {} });
    expect(client.provider.baseUrl).toBe("https://chatgpt.com/backend-api/codex");
  });

  test("plain http:// to another machine is refused before anything is looked up or sent", async () => {
    // `*.test` resolves to 127.0.0.1 under the preload, so even a broken refusal stays on this machine.
    const { home } = homeWithConfig(session('chatgpt_base_url = "http://chatgpt.test:9/backend-api"\n'));
    const log = join(home, "lookups");
    const r = await runCliInProcess(["run", "hello"], {
      home,
      env: { NODE_OPTIONS: `--require ${join(ROOT, "test", "support", "test-dns.cjs")}`, TEST_DNS_LOG: log },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refusing to send");
    expect(r.stderr).toContain("chatgpt.test:9");
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").toBe("");
  });

  test("doctor flags it with the fix, and sends nothing", async () => {
    const { home } = homeWithConfig(session('chatgpt_base_url = "http://chatgpt.test:9/backend-api"\n'));
    const log = join(home, "lookups");
    const r = await runCliInProcess(["doctor", "--json"], {
      home,
      env: { NODE_OPTIONS: `--require ${join(ROOT, "test", "support", "test-dns.cjs")}`, TEST_DNS_LOG: log },
    });
    expect(r.code).toBe(1);
    const provider = JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === "provider");
    expect(provider.status).toBe("problem");
    expect(provider.message).toContain("chatgpt_base_url");
    expect(provider.fix).toContain("https:// chatgpt_base_url");
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").toBe("");
  });

  test("status says a ChatGPT sign-in is not used for a provider that does not take OpenAI's credentials", async () => {
    const top = 'model_provider = "local"\n';
    const table = '\n[model_providers.local]\nbase_url = "http://127.0.0.1:9/v1"\n';
    const { home } = homeWithConfig(`${session(top)}${table}`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "Not logged in: the provider `local` does not take OpenAI's credentials, so codex will not send it your ChatGPT sign-in; give it its own (auth_command, or `codex login --with-api-key`), or set requires_openai_auth = true in its table if it is a proxy in front of OpenAI\n",
    );
  });

  test("a value that is not a URL names the key", async () => {
    const { home, configFile } = homeWithConfig(session('chatgpt_base_url = "chatgpt"\n'));
    const r = await runCliInProcess(["run", "hello"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${configFile}: chatgpt_base_url must be an http:// or https:// URL`);
  });
});

test("a forced workspace with a standard issuer is refused before anything is opened: only a ChatGPT sign-in names one", async () => {
  const text = 'forced_chatgpt_workspace_id = "org-a"\n\n[oauth]\nissuer = "http://127.0.0.1:9"\n';
  const { home, configFile } = homeWithConfig(text);
  const r = await runCliInProcess(["login", "--no-browser"], { home });
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe(
    "error: config.toml restricts sign-in to a ChatGPT workspace (forced_chatgpt_workspace_id), which only a ChatGPT sign-in can satisfy, and [oauth] speaks the standard protocol to 127.0.0.1:9; nothing was opened or stored",
  );
  expect(readFileSync(configFile, "utf8")).toBe(text);
});

test("the library refuses OpenAI's sign-in to a plain http:// issuer on another machine, whoever built the settings", async () => {
  const settings = {
    ...(await settingsFor("")),
    issuer: "http://auth.test:9",
    allowInsecureHttp: false,
  };
  let shown = 0;
  const onUrl = () => {
    shown++;
  };
  // Nothing may leave this process, even were the refusal missing: every request is recorded and failed.
  const requests: string[] = [];
  vi.stubGlobal("fetch", async (url: string | URL) => {
    requests.push(String(url));
    throw new TypeError("fetch failed");
  });
  onTestFinished(() => {
    vi.unstubAllGlobals();
  });
  await expect(loginWithBrowser({ settings, port: 0, onUrl })).rejects.toBeInstanceOf(InsecureTransportError);
  await expect(loginWithDevice({ settings, onCode: onUrl })).rejects.toBeInstanceOf(InsecureTransportError);
  expect(shown).toBe(0);
  expect(requests).toEqual([]);
});
