/**
 * Profiles as OpenAI's Codex CLI (0.134 and later) defines them, `$CODEX_HOME/NAME.config.toml` laid over
 * config.toml, where accounts.test.ts does not already look: a profile's file is trusted only as config.toml is,
 * a malformed one stops that profile alone, a ChatGPT session still in codex 0.1.0's `[profiles.NAME]` moves
 * to the profile's file when it is renewed, `codex doctor` names what the real Codex refuses, and the library's
 * view of a profile (settings merged, credentials its own, writes to its file only).
 */
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config, InvalidInputError } from "codex-credentials";
import { describe, expect, test } from "vitest";
import { expectNoSecret, storedSession, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { withoutBus } from "./support/keyring.js";
import { CODEX_CLIENT_ID, startOpenAIFake } from "./support/openai-fake.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const KEY = "sk-prof-0123456789abcdefghPROF";
const WORK_KEY = "sk-prof-work-0123456789abcdWORK";

const header = (name: string) =>
  `# Created by codex-credentials for \`--profile ${name}\`; its logout deletes this file when nothing else is in it.\n`;

function profile(codexHome: string, name: string, text: string, mode = 0o600): string {
  const path = join(codexHome, `${name}.config.toml`);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

describe("a profile's file is trusted as config.toml is", () => {
  test("writable by others: its credential is not sent where it says, and status says why; config.toml's own account is unaffected", async () => {
    const server = await startProvider();
    const { home, codexHome } = withConfig(
      `model_provider = "x"\nauth_token = "${KEY}"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const work = profile(codexHome, "work", `auth_token = "${WORK_KEY}"\n`, 0o666);
    const r = await runCliInProcess(["run", "--profile", "work", "hi"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${work} is writable by its group and others (mode 0666)`);
    expect(r.stderr).toContain(`chmod go-w ${work}`);
    expect(server.requests).toEqual([]);
    const st = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(st.stderr).toContain(`${work} is writable by its group and others (mode 0666)`);
    // The default account's settings come from config.toml alone, which is the user's.
    server.reply(sse(responsesEvents(["ok"])));
    expect(await runCliInProcess(["run", "hi"], { home })).toMatchObject({ code: 0, stdout: "ok\n" });
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${KEY}`]);
    for (const x of [r, st]) expectNoSecret(x, KEY, WORK_KEY);
  });

  test("config.toml writable by others: a profile, whose settings lie over it, sends nothing either", async () => {
    const server = await startProvider();
    const { home, codexHome, configFile } = withConfig(
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    chmodSync(configFile, 0o666);
    profile(codexHome, "work", `auth_token = "${WORK_KEY}"\n`);
    const r = await runCliInProcess(["run", "--profile", "work", "hi"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${configFile} is writable by its group and others (mode 0666)`);
    expect(server.requests).toEqual([]);
    expectNoSecret(r, WORK_KEY);
  });

  test("an auth_command in a profile file others can write is not run", async () => {
    const { home, codexHome } = withConfig("");
    const marker = join(home, "ran");
    const script = join(home, "tok.sh");
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\necho ${WORK_KEY}\n`, { mode: 0o700 });
    const work = profile(codexHome, "work", `auth_command = ["${script}"]\n`, 0o620);
    const st = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(st.code).toBe(1);
    expect(st.stdout).toContain(`${work} is writable by its group (mode 0620)`);
    expect(existsSync(marker)).toBe(false);
    expectNoSecret(st, WORK_KEY);
  });
});

describe("a profile's file that does not parse", () => {
  test("stops that profile with path:line:col, exit 1, the file untouched; the default account works", async () => {
    const { home, codexHome } = withConfig(`auth_token = "${KEY}"\n`);
    const text = `auth_token = "${WORK_KEY}"\nmodel = = "o3"\n`;
    const work = profile(codexHome, "work", text);
    for (const args of [
      ["status", "--profile", "work"],
      ["logout", "--profile", "work"],
      ["run", "--profile", "work", "hi"],
    ]) {
      const r = await runCliInProcess(args, { home });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error: ${work.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:9: `));
      expectNoSecret(r, WORK_KEY);
    }
    const login = await runCliInProcess(["login", "--with-api-key", "--profile", "work"], { home, input: `${KEY}\n` });
    expect(login.code).toBe(1);
    expect(readFileSync(work, "utf8")).toBe(text);
    expect((await runCliInProcess(["status"], { home })).code).toBe(0);
    const doctor = await runCliInProcess(["doctor", "--offline", "--json", "--profile", "work"], {
      home,
      env: withoutBus(),
    });
    const config = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; message: string }> })
      .checks[0];
    expect(config).toMatchObject({ id: "config", status: "problem" });
    expect(config?.message).toContain(`${work}:2:9: `);
  });
});

describe("a ChatGPT session codex 0.1.0 kept in [profiles.work]", () => {
  test("renewed before a request: the new tokens go to work.config.toml, and the table's keys leave config.toml", async () => {
    const fake = await startOpenAIFake();
    const tokens = fake.mintSession({ accessTokenTtlSeconds: 60 });
    const base = `chatgpt_base_url = "${fake.chatgptBaseUrl.replace(/\/codex$/, "")}"\n\n[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\n`;
    const legacy = [
      "",
      "[profiles.work]",
      `auth_token = "${tokens.accessToken}"`,
      "",
      "[profiles.work.oauth_session]",
      `issuer = "${fake.issuer}"`,
      `client_id = "${CODEX_CLIENT_ID}"`,
      `refresh_token = "${tokens.refreshToken}"`,
      `expires_at = ${new Date(Date.now() + 60_000).toISOString()}`,
      'protocol = "openai"',
      `chatgpt_account_id = "${fake.user.accountId}"`,
      "",
    ].join("\n");
    const { home, codexHome, configFile } = withConfig(base + legacy);
    const r = await runCliInProcess(["run", "--profile", "work", "hi"], { home });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
    const work = join(codexHome, "work.config.toml");
    const moved = storedSession(work);
    expect(moved.access).toBeDefined();
    expect(moved.access).not.toBe(tokens.accessToken);
    expect(moved.refresh).not.toBe(tokens.refreshToken);
    expect(moved.text.startsWith(`${header("work")}auth_token = "${moved.access}"\n\n[oauth_session]\n`)).toBe(true);
    expect(moved.text).toContain(`chatgpt_account_id = "${fake.user.accountId}"`);
    // [profiles.work.oauth_session] is a table of its own: it goes with the key, and the bare [profiles.work] too.
    expect(readFileSync(configFile, "utf8")).toBe(base);
    expect(fake.backendRequests[0]).toMatchObject({ auth: "live", tokenSha256: fake.hash(moved.access ?? "") });
    expectNoSecret(r, tokens.accessToken, tokens.refreshToken, moved.access ?? "", moved.refresh ?? "");
  });
});

describe("codex doctor: what OpenAI's Codex CLI refuses", () => {
  interface Check {
    id: string;
    status: string;
    message: string;
    fix?: string;
  }
  async function codexCli(home: string, args: string[] = []): Promise<{ code: number | null; checks: Check[] }> {
    const r = await runCliInProcess(["doctor", "--offline", "--json", ...args], { home, env: withoutBus() });
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks.filter((c) => c.id === "codex-cli");
    return { code: r.code, checks };
  }

  test("the profile = selector, each [profiles.NAME] table with its fix, none of it when there is nothing to refuse", async () => {
    const { home, codexHome, configFile } = withConfig(
      `profile = "work"\nauth_token = "${KEY}"\n\n[profiles.work]\nauth_token = "${WORK_KEY}"\n\n[profiles.mine]\nmodel = "o3"\nauth_token = "${WORK_KEY}"\n`,
    );
    const { code, checks } = await codexCli(home);
    expect(code).toBe(1);
    expect(checks).toEqual([
      {
        id: "codex-cli",
        status: "problem",
        message: `${configFile} has \`profile = "work"\`, which no longer selects an account, and OpenAI's Codex CLI refuses to load a config.toml with it ("legacy \`profile\` config is no longer supported")`,
        fix: "remove it, and use `--profile work` (or CODEX_PROFILE=work) with work.config.toml instead",
      },
      {
        id: "codex-cli",
        status: "problem",
        message: `${configFile} has a legacy [profiles.work] table, which OpenAI's Codex CLI refuses beside \`--profile work\` ("move those settings into work.config.toml")`,
        fix: `\`codex login --profile work\` (or \`codex logout --profile work\`) moves codex's keys into ${join(codexHome, "work.config.toml")} and removes the table`,
      },
      {
        id: "codex-cli",
        status: "problem",
        message: `${configFile} has a legacy [profiles.mine] table, which OpenAI's Codex CLI refuses beside \`--profile mine\` ("move those settings into mine.config.toml")`,
        fix: `move \`model\` into ${join(codexHome, "mine.config.toml")} and remove the table (\`codex login --profile mine\` moves codex's own keys)`,
      },
    ]);
    const clean = withConfig(`auth_token = "${KEY}"\n`);
    profile(clean.codexHome, "work", `auth_token = "${WORK_KEY}"\n`);
    expect(await codexCli(clean.home)).toEqual({
      code: 0,
      checks: [
        { id: "codex-cli", status: "ok", message: "nothing here that OpenAI's Codex CLI refuses (1 profile file)" },
      ],
    });
  });

  test('wire_api = "chat": a warning, not a problem (codex speaks it); in config.toml, and in the profile doctor is asked about', async () => {
    const chat =
      '[model_providers.local]\nname = "Ollama"\nbase_url = "http://127.0.0.1:11434/v1"\nwire_api = "chat"\n';
    const { home, codexHome, configFile } = withConfig(`model_provider = "local"\n${chat}`);
    const inBase = await codexCli(home);
    expect(inBase.checks).toHaveLength(1);
    expect(inBase.checks[0]).toMatchObject({
      status: "warning",
      message: `model_providers.local.wire_api = "chat" in ${configFile}: codex speaks Chat Completions to it, but OpenAI's Codex CLI refuses to load a config with it (it says wire_api = "chat" is no longer supported)`,
    });
    expect(inBase.checks[0]?.fix).toContain(
      `move this provider into a profile file (e.g. ${join(codexHome, "chat.config.toml")}`,
    );

    const moved = withConfig("");
    const file = profile(moved.codexHome, "local", `model_provider = "local"\n${chat}`);
    expect((await codexCli(moved.home)).checks).toMatchObject([{ status: "ok" }]);
    const asked = await codexCli(moved.home, ["--profile", "local"]);
    expect(asked.checks).toEqual([
      {
        id: "codex-cli",
        status: "warning",
        message: `model_providers.local.wire_api = "chat" in ${file}: codex speaks Chat Completions to it, but OpenAI's Codex CLI refuses to load a config with it (it says wire_api = "chat" is no longer supported)`,
        fix: "only `--profile local` loads it; OpenAI's Codex CLI refuses that profile, not config.toml",
      },
    ]);
    // Asked about another profile, config.toml's provider is named once, as config.toml's.
    const other = withConfig(`model_provider = "local"\n${chat}`);
    profile(other.codexHome, "work", 'model = "o3"\n');
    expect((await codexCli(other.home, ["--profile", "work"])).checks).toMatchObject([
      { status: "warning", message: expect.stringContaining(`in ${other.configFile}:`) },
    ]);
    // A warning alone does not fail doctor, whose text output marks it "!".
    const text = await runCliInProcess(["doctor", "--offline", "--profile", "local"], {
      home: moved.home,
      env: withoutBus(),
    });
    expect(text.stdout).toContain(`! model_providers.local.wire_api = "chat" in ${file}`);
  });

  test("a table redefining one of Codex's built-in providers, and a provider without a name: problems, with the fix", async () => {
    const { home, configFile } = withConfig(
      '[model_providers.openai]\nbase_url = "https://proxy.example/v1"\n\n[model_providers.ollama]\nname = "O"\nbase_url = "http://127.0.0.1:11434/v1"\n\n[model_providers.mine]\nbase_url = "http://127.0.0.1:9/v1"\n',
    );
    const { code, checks } = await codexCli(home);
    expect(code).toBe(1);
    expect(checks).toEqual([
      {
        id: "codex-cli",
        status: "problem",
        message: `${configFile} has a [model_providers.openai] table: OpenAI's Codex CLI refuses to load it ("model_providers contains reserved built-in provider IDs: \`openai\`")`,
        fix: 'set the built-in provider\'s URL with openai_base_url = "…" at the top level instead (codex reads it too), and remove the table',
      },
      {
        id: "codex-cli",
        status: "problem",
        message: `${configFile} has a [model_providers.ollama] table: OpenAI's Codex CLI refuses to load it ("model_providers contains reserved built-in provider IDs: \`ollama\`")`,
        fix: 'give it an id of your own (e.g. [model_providers.local], and model_provider = "local")',
      },
      {
        id: "codex-cli",
        status: "problem",
        message: `model_providers.mine in ${configFile} has no name: OpenAI's Codex CLI refuses to load it ("provider name must not be empty")`,
        fix: 'add name = "…" to [model_providers.mine] (what status shows as the provider)',
      },
    ]);
    // codex's own keys alone do not redefine the built-in provider, for the real Codex either.
    const own = withConfig("[model_providers.openai]\nallow_insecure_http = true\n");
    expect((await codexCli(own.home)).checks).toMatchObject([{ status: "ok" }]);
  });
});

describe("openai_base_url, Codex's key for the built-in provider's URL", () => {
  test("routes the built-in provider (over OPENAI_BASE_URL), is checked for plain http://, and status names it", async () => {
    const server = await startProvider();
    const { home, codexHome } = withConfig(`openai_base_url = "${server.baseUrl}"\nauth_token = "${KEY}"\n`);
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } });
    expect(r).toMatchObject({ code: 0, stdout: "ok\n" });
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${KEY}`]);
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout).toContain(`  Provider: OpenAI (${server.baseUrl}, responses API)\n`);
    // In a profile's file too.
    profile(codexHome, "lan", 'openai_base_url = "http://llm.lan:8080/v1"\n');
    const lan = await runCliInProcess(["run", "--profile", "lan", "hi"], { home });
    expect(lan.code).toBe(1);
    expect(lan.stderr).toContain("over plain http:// (openai_base_url)");
    expect(server.requests).toHaveLength(1);
    for (const x of [r, st, lan]) expectNoSecret(x, KEY);
  });
});

describe("the library's view of a profile", () => {
  test("Config.load({ profile }): settings merged over config.toml's, the credential its own, writes to its file only", async () => {
    const { codexHome, configFile } = withConfig(
      `model = "gpt-5"\nauth_token = "${KEY}"\n\n[model_providers.x]\nname = "X"\nbase_url = "http://127.0.0.1:9/v1"\n`,
    );
    profile(codexHome, "work", '[model_providers.x]\nbase_url = "http://127.0.0.1:8/v1"\n');
    const config = await Config.load({ codexHome, profile: "work" });
    expect(config.path).toBe(join(codexHome, "work.config.toml"));
    expect(config.get("model")).toBe("gpt-5");
    expect(config.get("model_providers.x")).toEqual({ name: "X", base_url: "http://127.0.0.1:8/v1" });
    expect(config.get("auth_token")).toBeUndefined();
    expect(config.authToken).toBeUndefined();
    config.set("model", "o3");
    expect(await config.save()).toBe(true);
    expect(readFileSync(join(codexHome, "work.config.toml"), "utf8")).toBe(
      'model = "o3"\n[model_providers.x]\nbase_url = "http://127.0.0.1:8/v1"\n',
    );
    expect(readFileSync(configFile, "utf8")).toContain('model = "gpt-5"');
    expect(config.base.get("model")).toBe("gpt-5");
    expect(config.view("default")).toBe(config.base);
    expect(config.base.view("work")).toBe(config);
  });

  test("a name that is no profile name is refused before any path is made of it", async () => {
    const { codexHome } = withConfig("");
    for (const name of ["../x", "a/b", "", "a b"]) {
      await expect(Config.load({ codexHome, profile: name })).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });
});

describe("a profile's file codex created, behind a symbolic link", () => {
  test("logout edits the file the link leads to and deletes neither", async () => {
    const { home, codexHome } = withConfig("");
    const target = join(home, "dotfiles-work.toml");
    writeFileSync(target, `${header("work")}auth_token = "${WORK_KEY}"\n`, { mode: 0o600 });
    symlinkSync(target, join(codexHome, "work.config.toml"));
    const r = await runCliInProcess(["logout", "--profile", "work"], { home });
    expect(r.code).toBe(0);
    expect(lstatSync(join(codexHome, "work.config.toml")).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe(header("work"));
  });
});

describe("a move out of [profiles.work] cut short: the key in both work.config.toml and config.toml's table", () => {
  test("logout --profile work removes both and names each file once", async () => {
    const { home, codexHome, configFile } = withConfig(`[profiles.work]\nauth_token = "${WORK_KEY}"\n`);
    const own = join(codexHome, "work.config.toml");
    writeFileSync(own, `auth_token = "${KEY}"\n`, { mode: 0o600 });
    const r = await runCliInProcess(["logout", "--profile", "work"], { home });
    expect(r).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  work: Removed from ${own}\n  work: Removed from ${configFile}\n`,
      stderr: "",
    });
    expectNoSecret(r, KEY, WORK_KEY);
  });
});
