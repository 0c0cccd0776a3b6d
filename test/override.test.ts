/**
 * No silent override: when a variable (or an auth_command) wins over a credential the account has of its own,
 * `run` and `chat` say so in one line on standard error, once per process; `credential_source = "stored"`
 * makes codex ignore credentials in the environment altogether (run, chat, status, doctor, login, logout),
 * in config.toml or in a profile's file. Against a real provider on 127.0.0.1 (test/support/provider.ts),
 * which records the credential each request carried.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { expectNoSecret, type RunResult, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, responsesEvents, sse, startProvider } from "./support/provider.js";

const ENV_KEY = "sk-override-0123456789abcdefENVV";
const STORED = "sk-override-0123456789abcdefSTRD";
const WORK = "sk-override-0123456789abcdefWORK";
const COMMAND_TOKEN = "sk-override-0123456789abcdefCMND";
const SESSION_TOKEN = "opaque0123456789sessionTOKN";
const ALL = [ENV_KEY, STORED, WORK, COMMAND_TOKEN, SESSION_TOKEN];

/** The lines of stderr that are warnings. */
const warnings = (r: RunResult) => r.stderr.split("\n").filter((l) => l.startsWith("warning: "));

/** A provider that answers `n` requests with "Hello". */
async function provider(n = 1): Promise<FakeProvider> {
  const server = await startProvider();
  for (let i = 0; i < n; i++) server.reply(sse(responsesEvents(["Hello"])));
  return server;
}

/** An auth_command printing COMMAND_TOKEN: a script in the home, run without a shell. */
function commandToml(home: string): string {
  const script = join(home, "tok.sh");
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' '${COMMAND_TOKEN}'\n`);
  chmodSync(script, 0o700);
  return `auth_command = ["${script}"]\n`;
}

function bearer(server: FakeProvider, i = 0): string | undefined {
  return server.requests[i]?.headers.authorization;
}

describe("run and chat say when a variable or an auth_command overrides the account's credential", () => {
  test("run: a variable over a stored API key, one line on stderr naming both (masked) and the way out", async () => {
    const server = await provider();
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello\n");
    expect(bearer(server)).toBe(`Bearer ${ENV_KEY}`);
    expect(r.stderr).toBe(
      `warning: using OPENAI_API_KEY from the environment, not the API key stored in ${configFile} (sk-…STRD); unset OPENAI_API_KEY, or set credential_source = "stored" in ${configFile}, to use the stored one\n`,
    );
    expectNoSecret(r, ...ALL);
  });

  test("chat: said once for the whole conversation, never on stdout", async () => {
    const server = await provider(3);
    const { home } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["chat"], {
      home,
      env: { CODEX_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
      input: "one\ntwo\nthree\n",
    });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(3);
    expect(r.stdout).toBe("Hello\nHello\nHello\n");
    expect(warnings(r)).toHaveLength(1);
    expect(warnings(r)[0]).toMatch(
      /^warning: using CODEX_API_KEY from the environment, not the API key stored in .*\(sk-…STRD\)/,
    );
    expectNoSecret(r, ...ALL);
  });

  test("an OAuth sign-in is named by its kind and account, not by a token", async () => {
    const server = await provider();
    const { home, configFile } = withConfig(
      `auth_token = "${SESSION_TOKEN}"\n\n[oauth_session]\nissuer = "https://auth.example.com"\nclient_id = "c"\naccount = "dev@example.com"\n`,
    );
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([
      `warning: using OPENAI_API_KEY from the environment, not the OAuth session stored in ${configFile} (dev@example.com); unset OPENAI_API_KEY, or set credential_source = "stored" in ${configFile}, to use the stored one`,
    ]);
    expectNoSecret(r, ...ALL);
  });

  test("a credential the file records as in the keyring is named without asking the keyring", async () => {
    const server = await provider();
    // No keyring runs here: asking it would fail the run (DBUS_SESSION_BUS_ADDRESS points nowhere).
    const { home } = withConfig('auth_storage = "keyring"\n');
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: {
        OPENAI_API_KEY: ENV_KEY,
        OPENAI_BASE_URL: server.baseUrl,
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      },
    });
    expect(r.code).toBe(0);
    expect(warnings(r)).toHaveLength(1);
    expect(warnings(r)[0]).toContain("not the credential stored in the system keyring; unset OPENAI_API_KEY");
  });

  test("a variable over an auth_command: named, and the command is not run", async () => {
    const server = await provider();
    const { home, configFile } = withConfig("");
    writeFileSync(configFile, `${commandToml(home)}auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.code).toBe(0);
    expect(bearer(server)).toBe(`Bearer ${ENV_KEY}`);
    expect(warnings(r)).toEqual([
      `warning: using OPENAI_API_KEY from the environment, not the credential from command \`tok.sh\`; unset OPENAI_API_KEY, or set credential_source = "stored" in ${configFile}, to use the auth_command`,
    ]);
    expectNoSecret(r, ...ALL);
  });

  test("an auth_command over a stored key: named, with how to use the stored one", async () => {
    const server = await provider(2);
    const { home, configFile } = withConfig("");
    writeFileSync(configFile, `${commandToml(home)}auth_token = "${STORED}"\n`);
    const env = { OPENAI_BASE_URL: server.baseUrl };
    const r = await runCliInProcess(["run", "hi"], { home, env });
    expect(r.code).toBe(0);
    expect(bearer(server)).toBe(`Bearer ${COMMAND_TOKEN}`);
    const line = `warning: using the credential from auth_command \`tok.sh\`, not the API key stored in ${configFile} (sk-…STRD); remove auth_command from ${configFile} to use the stored one, or run \`codex logout\` to remove it`;
    expect(warnings(r)).toEqual([line]);
    const c = await runCliInProcess(["chat"], { home, env, input: "hi\n" });
    expect(c.code).toBe(0);
    expect(c.stdout).toBe("Hello\n");
    expect(warnings(c)).toEqual([line]);
    expectNoSecret(r, ...ALL);
    expectNoSecret(c, ...ALL);
  });

  test("nothing to say with only one of them: a variable alone, a stored key alone, an auth_command alone", async () => {
    const server = await provider(3);
    const env = { OPENAI_BASE_URL: server.baseUrl };
    const variable = withConfig("");
    const stored = withConfig(`auth_token = "${STORED}"\n`);
    const command = withConfig("");
    writeFileSync(command.configFile, commandToml(command.home));
    const runs = [
      await runCliInProcess(["run", "hi"], { home: variable.home, env: { ...env, OPENAI_API_KEY: ENV_KEY } }),
      await runCliInProcess(["run", "hi"], { home: stored.home, env }),
      await runCliInProcess(["run", "hi"], { home: command.home, env }),
    ];
    for (const r of runs)
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "Hello\n", stderr: "" });
  });

  test("a provider with env_key: its variable hides nothing (the account's credential never goes there)", async () => {
    const server = await provider();
    const { home } = withConfig(
      `auth_token = "${STORED}"\nmodel_provider = "x"\n\n[model_providers.x]\nbase_url = "${server.baseUrl}"\nenv_key = "X_KEY"\n`,
    );
    const r = await runCliInProcess(["run", "hi"], { home, env: { X_KEY: ENV_KEY } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(bearer(server)).toBe(`Bearer ${ENV_KEY}`);
  });
});

describe('credential_source = "stored"', () => {
  test("run sends the stored key, not the variable, and says nothing; status shows the stored one and the ignored variable", async () => {
    const server = await provider();
    const { home, configFile } = withConfig(`credential_source = "stored"\nauth_token = "${STORED}"\n`);
    const env = { OPENAI_API_KEY: ENV_KEY, CODEX_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl };
    const r = await runCliInProcess(["run", "hi"], { home, env });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "Hello\n", stderr: "" });
    expect(bearer(server)).toBe(`Bearer ${STORED}`);
    const st = await runCliInProcess(["status"], { home, env });
    expect(st.stdout).toBe(
      "Logged in using an API key: sk-…STRD\n" +
        `  Source: ${configFile}\n` +
        `  Provider: OpenAI (${server.baseUrl}, responses API)\n` +
        `  Note: CODEX_API_KEY and OPENAI_API_KEY are set but not used: credential_source = "stored" in ${configFile}\n`,
    );
    expect(st.code).toBe(0);
    const json = JSON.parse((await runCliInProcess(["status", "--json"], { home, env })).stdout);
    expect(json).toMatchObject({
      source_type: "file",
      hint: "sk-…STRD",
      shadowed: null,
      credential_source: "stored",
      ignored_by_setting: ["CODEX_API_KEY", "OPENAI_API_KEY"],
    });
    for (const x of [r, st]) expectNoSecret(x, ...ALL);
  });

  test("a variable holding no valid key is ignored too, not an error", async () => {
    const server = await provider();
    const { home } = withConfig(`credential_source = "stored"\nauth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: "not a key\n", OPENAI_BASE_URL: server.baseUrl },
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(bearer(server)).toBe(`Bearer ${STORED}`);
  });

  test("nothing stored: not logged in, whatever the variable holds (exit 4 for run, 1 for status)", async () => {
    const { home } = withConfig('credential_source = "stored"\n');
    const env = { OPENAI_API_KEY: ENV_KEY };
    const r = await runCliInProcess(["run", "hi"], { home, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: not logged in; run `codex login` to sign in/);
    const st = await runCliInProcess(["status"], { home, env });
    expect(st.code).toBe(1);
    expect(st.stdout).toContain('Note: OPENAI_API_KEY is set but not used: credential_source = "stored"');
    expectNoSecret(r, ...ALL);
  });

  test("an auth_command is the account's own: still used, the variable ignored", async () => {
    const server = await provider();
    const { home, configFile } = withConfig("");
    writeFileSync(configFile, `credential_source = "stored"\n${commandToml(home)}`);
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(bearer(server)).toBe(`Bearer ${COMMAND_TOKEN}`);
  });

  test("a provider whose only source is its env_key variable: exit 4, saying the setting ignores it", async () => {
    const { home, configFile } = withConfig(
      `credential_source = "stored"\nmodel_provider = "x"\n\n[model_providers.x]\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "X_KEY"\n`,
    );
    const r = await runCliInProcess(["run", "hi"], { home, env: { X_KEY: ENV_KEY } });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `error: the provider \`x\` reads its key only from X_KEY, which credential_source = "stored" in ${configFile} ignores; set credential_source = "auto" there (or in this profile's file), or choose another provider\n`,
    );
    expectNoSecret(r, ...ALL);
  });

  test.each([
    ["a word", '"env"'],
    ["a boolean", "true"],
  ])("an invalid value (%s): one clear error naming the file, for run and status", async (_, value) => {
    const { home, configFile } = withConfig(`credential_source = ${value}\nauth_token = "${STORED}"\n`);
    const expected = `error: ${configFile}: credential_source must be "auto" or "stored"\n`;
    for (const args of [["run", "hi"], ["status"]]) {
      const r = await runCliInProcess(args, { home, env: { OPENAI_API_KEY: ENV_KEY } });
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: "", stderr: expected });
    }
  });

  test('"auto" is the default, written out', async () => {
    const server = await provider();
    const { home } = withConfig(`credential_source = "auto"\nauth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.code).toBe(0);
    expect(bearer(server)).toBe(`Bearer ${ENV_KEY}`);
    expect(warnings(r)).toHaveLength(1);
  });

  test("in a profile's file, for that profile only; a profile's file can also set it back to auto", async () => {
    const server = await provider(4);
    const { home, codexHome } = withConfig(`auth_token = "${STORED}"\n`);
    writeFileSync(join(codexHome, "work.config.toml"), `credential_source = "stored"\nauth_token = "${WORK}"\n`, {
      mode: 0o600,
    });
    const env = { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: server.baseUrl };
    const work = await runCliInProcess(["--profile", "work", "run", "hi"], { home, env });
    expect({ code: work.code, stderr: work.stderr }).toEqual({ code: 0, stderr: "" });
    expect(bearer(server, 0)).toBe(`Bearer ${WORK}`);
    const dflt = await runCliInProcess(["run", "hi"], { home, env });
    expect(dflt.code).toBe(0);
    expect(bearer(server, 1)).toBe(`Bearer ${ENV_KEY}`);
    expect(warnings(dflt)).toHaveLength(1);

    // config.toml's setting applies to every account, unless the profile's file says otherwise.
    const other = withConfig(`credential_source = "stored"\nauth_token = "${STORED}"\n`);
    writeFileSync(join(other.codexHome, "home.config.toml"), `auth_token = "${WORK}"\n`, { mode: 0o600 });
    writeFileSync(join(other.codexHome, "lab.config.toml"), `credential_source = "auto"\nauth_token = "${WORK}"\n`, {
      mode: 0o600,
    });
    const inherited = await runCliInProcess(["--profile", "home", "run", "hi"], { home: other.home, env });
    expect({ code: inherited.code, stderr: inherited.stderr }).toEqual({ code: 0, stderr: "" });
    expect(bearer(server, 2)).toBe(`Bearer ${WORK}`);
    const lab = await runCliInProcess(["--profile", "lab", "run", "hi"], { home: other.home, env });
    expect(lab.code).toBe(0);
    expect(bearer(server, 3)).toBe(`Bearer ${ENV_KEY}`);
    expect(warnings(lab)[0]).toContain(
      `set credential_source = "stored" in ${join(other.codexHome, "lab.config.toml")}`,
    );
    for (const x of [work, dflt, inherited, lab]) expectNoSecret(x, ...ALL);
  });

  test("login and logout do not say that an ignored variable takes precedence or still authenticates", async () => {
    const { home } = withConfig('credential_source = "stored"\n');
    const env = { OPENAI_API_KEY: ENV_KEY };
    const login = await runCliInProcess(["login", "--with-api-key"], { home, env, input: `${STORED}\n` });
    expect(login.code).toBe(0);
    expect(login.stderr).toBe("");
    const logout = await runCliInProcess(["logout"], { home, env });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toBe("");
    // Under "auto" both say it.
    const auto = withConfig("");
    expect(
      (await runCliInProcess(["login", "--with-api-key"], { home: auto.home, env, input: `${STORED}\n` })).stderr,
    ).toContain("OPENAI_API_KEY is set in your environment and takes precedence");
    expect((await runCliInProcess(["logout"], { home: auto.home, env })).stderr).toContain(
      "OPENAI_API_KEY is set in your environment and still authenticates",
    );
    expectNoSecret(login, ...ALL);
  });

  test("doctor: the variable is named as set but not used; an invalid value is a settings problem", async () => {
    const { home, configFile } = withConfig(`credential_source = "stored"\nauth_token = "${STORED}"\n`);
    const env = { OPENAI_API_KEY: ENV_KEY };
    const d = await runCliInProcess(["doctor", "--offline", "--json"], { home, env });
    const checks = JSON.parse(d.stdout).checks as { id: string; status: string; message: string; fix?: string }[];
    expect(checks.find((c) => c.id === "environment")).toEqual({
      id: "environment",
      status: "ok",
      message: `OPENAI_API_KEY is set but not used: credential_source = "stored" in ${configFile}`,
    });
    expect(checks.find((c) => c.id === "credential")?.message).toBe(`an API key (sk-…STRD) from ${configFile}`);
    expectNoSecret(d, ...ALL);

    const bad = withConfig(`credential_source = "never"\nauth_token = "${STORED}"\n`);
    const b = await runCliInProcess(["doctor", "--offline", "--json"], { home: bad.home, env });
    const badChecks = JSON.parse(b.stdout).checks as { id: string; status: string; message: string }[];
    expect(badChecks.find((c) => c.id === "settings")).toMatchObject({
      status: "problem",
      message: `${bad.configFile}: credential_source must be "auto" or "stored"`,
    });
    expect(badChecks.find((c) => c.id === "credential")?.status).toBe("skipped");
    expect(b.code).toBe(1);

    // A provider whose only source is its env_key variable: what the setting leaves it with, and the way out.
    const envKey = withConfig(
      `credential_source = "stored"\nmodel_provider = "x"\n\n[model_providers.x]\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "X_KEY"\n`,
    );
    const e = await runCliInProcess(["doctor", "--offline", "--json"], { home: envKey.home, env: { X_KEY: ENV_KEY } });
    const envChecks = JSON.parse(e.stdout).checks as { id: string; status: string; message: string; fix?: string }[];
    expect(envChecks.find((c) => c.id === "credential")).toEqual({
      id: "credential",
      status: "problem",
      message: `the provider \`x\` reads its key only from X_KEY, which is set but ignored: credential_source = "stored" in ${envKey.configFile}`,
      fix: `set credential_source = "auto" in ${envKey.configFile} for this account, or choose another provider with model_provider`,
    });
    expect(envChecks.find((c) => c.id === "environment")).toMatchObject({
      status: "skipped",
      message: `X_KEY is set but not used: credential_source = "stored" in ${envKey.configFile}`,
    });
    expectNoSecret(e, ...ALL);
  });
});
