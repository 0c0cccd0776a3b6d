/**
 * Accounts (profiles) through the CLI. A profile is a file, `$CODEX_HOME/NAME.config.toml`, laid over
 * config.toml, as OpenAI's Codex CLI (0.134 and later) defines it: which account a command acts on
 * (--profile, CODEX_PROFILE, else config.toml's top-level keys; `profile = "…"` no longer selects),
 * `status --all`, `logout --profile` / `--all` (leaving every file byte for byte as it was before the logins,
 * and no profile file codex created), codex 0.1.0's `[profiles.NAME]` credentials read and moved, OpenAI's
 * Codex CLI's auth.json, the warning about a credential in a file others can read, `codex run` per profile,
 * and the same from the library.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loginWithApiKey, logout, saveCredential, status, statusAll } from "codex-credentials";
import { describe, expect, test } from "vitest";
import { agePath, expectNoSecret, pathState, type RunResult, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, responsesEvents, sse, startProvider } from "./support/provider.js";

const DEFAULT_KEY = "sk-acct-default-0123456789abcDFLT";
const WORK_KEY = "sk-acct-work-0123456789abcdefWORK";
const PERSONAL_KEY = "sk-acct-personal-0123456789abcPRSN";
const O3_KEY = "sk-acct-o3-0123456789abcdefgO3O3";
const ENV_KEY = "sk-acct-env-0123456789abcdefENVK";
const CODEX_CLI_KEY = "sk-codexcli-0123456789abcdefCDXA";
const CODEX_CLI_ACCESS = "eyJhbGciOiJSUzI1NiJ9.codexcli-access-0123456789.sigACCS";
const CODEX_CLI_REFRESH = "rt-codexcli-refresh-0123456789abcdREFR";
const CODEX_CLI_ID = "eyJhbGciOiJSUzI1NiJ9.codexcli-id-0123456789.sigIDTK";
const OAUTH_ACCESS = "oauth-access-0123456789abcdefghOAUT";
const OAUTH_REFRESH = "oauth-refresh-0123456789abcdefREFR";
const SECRETS = [
  DEFAULT_KEY,
  WORK_KEY,
  PERSONAL_KEY,
  O3_KEY,
  ENV_KEY,
  CODEX_CLI_KEY,
  CODEX_CLI_ACCESS,
  CODEX_CLI_REFRESH,
  CODEX_CLI_ID,
  OAUTH_ACCESS,
  OAUTH_REFRESH,
];

const NAME_RULE = "a profile name: 1 to 64 letters, digits, '-' or '_'";
const NOTHING = "No credential stored by codex; nothing to remove.\n";
const LOGGED_OUT = "✅ Logged out successfully\n";

/** A config.toml as people write them: comments, trailing comments, a provider. */
const REALISTIC = [
  "# ~/.codex/config.toml",
  'model = "o3"            # the model I use most',
  'approval_policy = "on-request"',
  "",
  "# Local models",
  "[model_providers.ollama]",
  'name = "Ollama"',
  'base_url = "http://127.0.0.1:11434/v1"',
  "",
  "[tui]",
  "notifications = true",
  "",
].join("\n");

/** A profile file the user wrote, without a credential. */
const O3_PROFILE = 'model = "o3"\nmodel_reasoning_effort = "high"   # think hard\n';

/** The first line of a profile file codex creates. */
const header = (name: string) =>
  `# Created by codex-credentials for \`--profile ${name}\`; its logout deletes this file when nothing else is in it.\n`;

/** `$CODEX_HOME/NAME.config.toml` of the home. */
const profileFile = (home: string, name: string) => join(home, ".codex", `${name}.config.toml`);

/** Writes a profile file the user made (0600). */
function writeProfile(home: string, name: string, text: string): string {
  const path = profileFile(home, name);
  mkdirSync(join(home, ".codex"), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** Runs the CLI and checks that no secret of this file reached either stream. */
async function cli(args: string[], opts: { home: string; env?: Record<string, string | undefined>; input?: string }) {
  const r = await runCliInProcess(args, opts);
  expectNoSecret(r, ...SECRETS);
  return r;
}

/** `codex login --with-api-key [--profile NAME]`, the key on stdin; asserts the exact confirmation. */
async function login(home: string, key: string, profile?: string): Promise<void> {
  const args = profile === undefined ? [] : ["--profile", profile];
  const r = await cli(["login", "--with-api-key", ...args], { home, input: `${key}\n` });
  const where =
    profile === undefined ? join(home, ".codex", "config.toml") : `${profileFile(home, profile)} (profile ${profile})`;
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…${key.slice(-4)}), stored in ${where}\n`);
  expect(r.code).toBe(0);
}

function expectResult(r: RunResult, code: number, stdout: string, stderr = ""): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code, stdout, stderr });
}

/** What `codex status` prints for an API key from config.toml, with the Profile line when one was selected. */
function statusLine(configFile: string, key: string, profile?: { name: string; by: string }): string {
  return `Logged in using an API key: sk-…${key.slice(-4)}\n  Source: ${configFile}\n${
    profile === undefined ? "" : `  Profile: ${profile.name} (selected by ${profile.by})\n`
  }`;
}

const readable = (path: string, mode: string, who = "other users") =>
  `warning: ${path} holds a credential and can be read by ${who} (mode ${mode}); run \`chmod 600 ${path}\` (codex also fixes this on its next write)\n`;

const mode = (path: string) => statSync(path).mode & 0o777;

describe("which account a command acts on", () => {
  /** The default account in config.toml, work and personal in their files. */
  function three() {
    const made = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    return {
      ...made,
      work: writeProfile(made.home, "work", `auth_token = "${WORK_KEY}"\n`),
      personal: writeProfile(made.home, "personal", `auth_token = "${PERSONAL_KEY}"\n`),
    };
  }

  test("CODEX_PROFILE over the default, --profile (before or after the command) over both", async () => {
    const { home, configFile, work } = three();
    expectResult(await cli(["status"], { home }), 0, statusLine(configFile, DEFAULT_KEY));
    expectResult(
      await cli(["status"], { home, env: { CODEX_PROFILE: "work" } }),
      0,
      statusLine(work, WORK_KEY, { name: "work", by: "CODEX_PROFILE" }),
    );
    // An empty CODEX_PROFILE is unset.
    expectResult(await cli(["status"], { home, env: { CODEX_PROFILE: "" } }), 0, statusLine(configFile, DEFAULT_KEY));
    const byFlag = statusLine(work, WORK_KEY, { name: "work", by: "--profile" });
    for (const args of [
      ["--profile", "work", "status"],
      ["status", "--profile", "work"],
      ["--profile=work", "status"],
      ["status", "--profile=work"],
      ["login", "status", "--profile", "work"],
    ]) {
      expectResult(await cli(args, { home, env: { CODEX_PROFILE: "personal" } }), 0, byFlag);
    }
  });

  test("--profile default selects config.toml's top-level keys even with CODEX_PROFILE naming another", async () => {
    const { home, configFile } = three();
    const r = await cli(["--profile", "default", "status"], { home, env: { CODEX_PROFILE: "work" } });
    expectResult(r, 0, statusLine(configFile, DEFAULT_KEY, { name: "default", by: "--profile" }));
  });

  test("a profile never inherits the default account's credential from config.toml", async () => {
    const { home } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    const expected =
      "Not logged in. Run `codex login --profile nobody` to sign in.\n  Profile: nobody (selected by --profile)\n";
    // With no file for the profile, and with one holding only settings.
    expectResult(await cli(["status", "--profile", "nobody"], { home }), 1, expected);
    writeProfile(home, "nobody", 'model = "o3"\n');
    expectResult(await cli(["status", "--profile", "nobody"], { home }), 1, expected);
  });

  test("profile = in config.toml selects nothing any more: the default account, and a warning with the fix", async () => {
    const { home, configFile } = withConfig(`profile = "work"\nauth_token = "${DEFAULT_KEY}"\n`);
    writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    const warning = `warning: ${configFile} has \`profile = "work"\`, which no longer selects an account, and OpenAI's Codex CLI refuses to load a config.toml with it ("legacy \`profile\` config is no longer supported"); remove it, and use \`--profile work\` (or CODEX_PROFILE=work) with work.config.toml instead\n`;
    expectResult(await cli(["status"], { home }), 0, statusLine(configFile, DEFAULT_KEY), warning);
    // A value that is no profile name is no error either: it selects nothing.
    for (const value of ['"a b"', "3"]) {
      const other = withConfig(`profile = ${value}\nauth_token = "${DEFAULT_KEY}"\n`);
      expectResult(
        await cli(["status"], { home: other.home }),
        0,
        statusLine(other.configFile, DEFAULT_KEY),
        `warning: ${other.configFile} has a top-level \`profile\` key, which no longer selects an account, and OpenAI's Codex CLI refuses to load a config.toml with it ("legacy \`profile\` config is no longer supported"); remove it; select a profile with --profile NAME (or CODEX_PROFILE), which reads NAME.config.toml\n`,
      );
    }
  });

  test("profile = in config.toml: run uses the default account, and says why once; --profile or CODEX_PROFILE silence it", async () => {
    const server = await startProvider();
    const { home, configFile } = withConfig(
      `profile = "work"\nmodel_provider = "x"\nauth_token = "${DEFAULT_KEY}"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    server.reply(sse(responsesEvents(["ok"])), sse(responsesEvents(["ok"])), sse(responsesEvents(["ok"])));
    expectResult(
      await cli(["run", "hi"], { home }),
      0,
      "ok\n",
      `warning: ${configFile} has \`profile = "work"\`, which no longer selects an account, and OpenAI's Codex CLI refuses to load a config.toml with it ("legacy \`profile\` config is no longer supported"); remove it, and use \`--profile work\` (or CODEX_PROFILE=work) with work.config.toml instead\n`,
    );
    expectResult(await cli(["run", "--profile", "work", "hi"], { home }), 0, "ok\n");
    expectResult(await cli(["run", "hi"], { home, env: { CODEX_PROFILE: "work" } }), 0, "ok\n");
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([
      `Bearer ${DEFAULT_KEY}`,
      `Bearer ${WORK_KEY}`,
      `Bearer ${WORK_KEY}`,
    ]);
  });

  test("a malformed --profile is a usage error (exit 2), naming the rule and not the value; nothing changes", async () => {
    const { home, codexHome, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    agePath(configFile);
    const before = pathState(configFile);
    for (const name of ["a b", "dotted.name", "x".repeat(65), "ünï", "../work", "/tmp/x"]) {
      for (const args of [
        ["status", "--profile", name],
        ["--profile", name, "status"],
        ["logout", "--profile", name],
      ]) {
        const r = await cli(args, { home });
        expectResult(r, 2, "", `error: --profile needs ${NAME_RULE}\n`);
      }
    }
    const login = await cli(["login", "--with-api-key", "--profile", "../a"], { home, input: `${WORK_KEY}\n` });
    expectResult(login, 2, "", `error: --profile needs ${NAME_RULE}\n`);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expect(readdirSync(home)).toEqual([".codex"]);
  });

  test("64 characters is still a name", async () => {
    const { home, configFile } = withConfig("");
    const name = `${"a".repeat(31)}-_${"Z9".repeat(15)}X`;
    expect(name).toHaveLength(64);
    await login(home, WORK_KEY, name);
    expect(readFileSync(profileFile(home, name), "utf8")).toBe(`${header(name)}auth_token = "${WORK_KEY}"\n`);
    expect(readFileSync(configFile, "utf8")).toBe("");
  });

  test("a malformed CODEX_PROFILE: exit 1, naming the variable", async () => {
    const { home } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    for (const value of ["a b", "work.x", "x".repeat(65), "../x"]) {
      const r = await cli(["status"], { home, env: { CODEX_PROFILE: value } });
      expectResult(r, 1, "", `error: CODEX_PROFILE must be ${NAME_RULE}\n`);
    }
    // --profile wins, so the bad variable is never looked at.
    expect((await cli(["status", "--profile", "default"], { home, env: { CODEX_PROFILE: "a b" } })).code).toBe(0);
  });
});

describe("login and logout per profile: every file comes back byte for byte", () => {
  test("a realistic home: three accounts in, each out, the original bytes back; o3.config.toml's settings stay", async () => {
    const { home, codexHome, configFile } = withConfig(REALISTIC);
    const o3 = writeProfile(home, "o3", O3_PROFILE);
    await login(home, DEFAULT_KEY);
    await login(home, WORK_KEY, "work");
    await login(home, O3_KEY, "o3");
    const work = profileFile(home, "work");
    expect(readFileSync(configFile, "utf8")).toBe(
      REALISTIC.replace(
        'approval_policy = "on-request"\n',
        `approval_policy = "on-request"\nauth_token = "${DEFAULT_KEY}"\n`,
      ),
    );
    expect(readFileSync(work, "utf8")).toBe(`${header("work")}auth_token = "${WORK_KEY}"\n`);
    expect(readFileSync(o3, "utf8")).toBe(`${O3_PROFILE}auth_token = "${O3_KEY}"\n`);
    for (const file of [configFile, work, o3]) expect(mode(file)).toBe(0o600);

    expectResult(await cli(["logout", "--profile", "o3"], { home }), 0, `${LOGGED_OUT}  o3: Removed from ${o3}\n`);
    expect(readFileSync(o3, "utf8")).toBe(O3_PROFILE);
    expectResult(
      await cli(["logout", "--profile", "work"], { home }),
      0,
      `${LOGGED_OUT}  work: Removed from ${work}\n`,
    );
    // codex created it and nothing else was put in it: it goes.
    expect(existsSync(work)).toBe(false);
    expectResult(await cli(["logout"], { home }), 0, `${LOGGED_OUT}  Removed from ${configFile}\n`);
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(readdirSync(codexHome).sort()).toEqual(["config.toml", "o3.config.toml"]);
  });

  test("CRLF line endings of a profile file are kept, and give back the original", async () => {
    const original = '# mine\r\nmodel = "o3"\r\n';
    const { home, configFile } = withConfig("");
    const o3 = writeProfile(home, "o3", original);
    await login(home, O3_KEY, "o3");
    expect(readFileSync(o3, "utf8")).toBe(`${original}auth_token = "${O3_KEY}"\r\n`);
    expect((await cli(["logout", "--all"], { home })).code).toBe(0);
    expect(readFileSync(o3, "utf8")).toBe(original);
    expect(readFileSync(configFile, "utf8")).toBe("");
  });

  test("no CODEX_HOME at all: login --profile creates it 0700 and only the profile's file, 0600; logout removes the file", async () => {
    const home = testHome();
    const codexHome = join(home, ".codex");
    const work = profileFile(home, "work");
    await login(home, WORK_KEY, "work");
    expect(readdirSync(codexHome)).toEqual(["work.config.toml"]);
    expect(readFileSync(work, "utf8")).toBe(`${header("work")}auth_token = "${WORK_KEY}"\n`);
    expect(mode(work)).toBe(0o600);
    expect(mode(codexHome)).toBe(0o700);
    expectResult(
      await cli(["logout", "--profile", "work"], { home }),
      0,
      `${LOGGED_OUT}  work: Removed from ${work}\n`,
    );
    expect(readdirSync(codexHome)).toEqual([]);
  });

  test("an empty profile file the user made: login then logout gives back the empty file (not deleted)", async () => {
    const { home } = withConfig("");
    const work = writeProfile(home, "work", "");
    await login(home, WORK_KEY, "work");
    expect(readFileSync(work, "utf8")).toBe(`auth_token = "${WORK_KEY}"\n`);
    expect((await cli(["logout", "--profile", "work"], { home })).code).toBe(0);
    expect(readFileSync(work, "utf8")).toBe("");
  });

  test("a profile file codex created, to which the user added a setting, stays at logout with that setting", async () => {
    const { home } = withConfig("");
    await login(home, WORK_KEY, "work");
    const work = profileFile(home, "work");
    writeFileSync(work, `${readFileSync(work, "utf8")}model = "o3"\n`);
    expect((await cli(["logout", "--profile", "work"], { home })).code).toBe(0);
    expect(readFileSync(work, "utf8")).toBe(`${header("work")}model = "o3"\n`);
  });

  test("a profile's settings apply over config.toml's, as the real Codex layers them; its credential is its own", async () => {
    const server = await startProvider();
    const { home } = withConfig(
      `model = "gpt-5"\nmodel_provider = "x"\nauth_token = "${DEFAULT_KEY}"\n\n[model_providers.x]\nname = "Local"\nbase_url = "http://127.0.0.1:9/v1"\nhttp_headers = { "X-Team" = "all" }\n`,
    );
    // The profile changes the model and the provider's base_url; the name and headers come from config.toml.
    writeProfile(
      home,
      "work",
      `model = "o3"\nauth_token = "${WORK_KEY}"\n\n[model_providers.x]\nbase_url = "${server.baseUrl}"\n`,
    );
    server.reply(sse(responsesEvents(["o", "k"])));
    expectResult(await cli(["run", "--profile", "work", "hi"], { home }), 0, "ok\n");
    const [req] = server.requests;
    expect(req?.headers.authorization).toBe(`Bearer ${WORK_KEY}`);
    expect(req?.headers["x-team"]).toBe("all");
    expect((req?.body as { model?: string } | undefined)?.model).toBe("o3");
    const st = await cli(["status", "--profile", "work"], { home });
    expect(st.stdout).toContain(`  Provider: Local (${server.baseUrl}, responses API)\n`);
  });

  test("an OAuth session in a profile: [oauth_session] in its file, gone with it at logout", async () => {
    const { home, codexHome, configFile } = withConfig(REALISTIC);
    await saveCredential(
      {
        token: OAUTH_ACCESS,
        oauth: {
          issuer: "http://127.0.0.1:9",
          clientId: "app_test",
          refreshToken: OAUTH_REFRESH,
          account: "dev@example.com",
          subject: "user-1",
        },
      },
      { codexHome, env: {}, profile: "work" },
    );
    const work = profileFile(home, "work");
    expect(readFileSync(work, "utf8")).toBe(
      `${header("work")}auth_token = "${OAUTH_ACCESS}"\n\n[oauth_session]\nissuer = "http://127.0.0.1:9"\nclient_id = "app_test"\nrefresh_token = "${OAUTH_REFRESH}"\naccount = "dev@example.com"\nsubject = "user-1"\n`,
    );
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    const all = await cli(["status", "--all"], { home });
    expectResult(all, 1, `* default  not logged in\n  work     OAuth as dev@example.com …OAUT (${work}; active)\n`);
    const r = await cli(["logout", "--profile", "work", "--no-revoke"], { home });
    expectResult(
      r,
      0,
      `${LOGGED_OUT}  work: Removed from ${work}\n`,
      "warning: work: the session was not revoked at 127.0.0.1:9 (--no-revoke); its tokens stay valid there until they expire\n",
    );
    expect(existsSync(work)).toBe(false);
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
  });
});

describe("codex 0.1.0's [profiles.NAME] credentials: read, then moved into NAME.config.toml", () => {
  /** What codex 0.1.0's `codex login --profile work` appended to a config.toml. */
  const LEGACY = `${REALISTIC}\n[profiles.work]\nauth_token = "${WORK_KEY}"\n`;
  const legacyWarning = (configFile: string, work: string) =>
    `warning: ${configFile} has a legacy [profiles.work] table, which OpenAI's Codex CLI refuses beside \`--profile work\` ("move those settings into work.config.toml"); \`codex login --profile work\` (or \`codex logout --profile work\`) moves codex's keys into ${work} and removes the table\n`;

  test("status and run use it, status says how to move it; status --all lists it", async () => {
    const server = await startProvider();
    const { home, configFile } = withConfig(
      `${LEGACY}\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`.replace(
        "approval_policy",
        'model_provider = "x"\napproval_policy',
      ),
    );
    const work = profileFile(home, "work");
    const st = await cli(["status", "--profile", "work"], { home });
    expect(st.stdout).toBe(
      `${statusLine(configFile, WORK_KEY, { name: "work", by: "--profile" })}  Provider: Local (${server.baseUrl}, responses API)\n`,
    );
    expect(st.stderr).toBe(legacyWarning(configFile, work));
    server.reply(sse(responsesEvents(["ok"])));
    expect((await cli(["run", "--profile", "work", "hi"], { home })).stdout).toBe("ok\n");
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${WORK_KEY}`]);
    expectResult(
      await cli(["status", "--all"], { home }),
      1,
      `* default  not logged in\n  work     API key sk-…WORK (${configFile} [profiles.work], legacy)\n`,
    );
    const all = await cli(["status", "--all", "--json"], { home });
    const parsed = JSON.parse(all.stdout) as Array<Record<string, unknown>>;
    expect(parsed.map((s) => [s.account, s.authenticated, s.source, s.legacy])).toEqual([
      ["default", false, null, false],
      ["work", true, configFile, true],
    ]);
    expect(existsSync(work)).toBe(false);
  });

  test("login --profile work moves it: the new key in work.config.toml, config.toml as before 0.1.0's login", async () => {
    const { home, configFile } = withConfig(LEGACY);
    await login(home, PERSONAL_KEY, "work");
    expect(readFileSync(profileFile(home, "work"), "utf8")).toBe(`${header("work")}auth_token = "${PERSONAL_KEY}"\n`);
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(mode(configFile)).toBe(0o600);
    expectResult(
      await cli(["status", "--profile", "work"], { home }),
      0,
      statusLine(profileFile(home, "work"), PERSONAL_KEY, { name: "work", by: "--profile" }),
    );
  });

  test("logout --profile work removes it from config.toml and creates no file", async () => {
    const { home, codexHome, configFile } = withConfig(LEGACY);
    expectResult(
      await cli(["logout", "--profile", "work"], { home }),
      0,
      `${LOGGED_OUT}  work: Removed from ${configFile}\n`,
    );
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("the user's own keys in the table stay, and login says what is left to move; only codex's move", async () => {
    const { home, configFile } = withConfig(
      `${REALISTIC}\n[profiles.work]\nmodel = "o3"   # mine\nauth_token = "${WORK_KEY}"\n`,
    );
    const work = profileFile(home, "work");
    const r = await cli(["login", "--with-api-key", "--profile", "work"], { home, input: `${PERSONAL_KEY}\n` });
    expectResult(
      r,
      0,
      `✅ Logged in using an API key (sk-…PRSN), stored in ${work} (profile work)\n`,
      `warning: ${configFile} has a legacy [profiles.work] table, which OpenAI's Codex CLI refuses beside \`--profile work\` ("move those settings into work.config.toml"); move \`model\` into ${work} and remove the table\n`,
    );
    expect(readFileSync(configFile, "utf8")).toBe(`${REALISTIC}\n[profiles.work]\nmodel = "o3"   # mine\n`);
  });

  test("killed between the two writes (new file written, table not yet removed): the file's credential is used, and the next logout finishes", async () => {
    const { home, codexHome, configFile } = withConfig(LEGACY);
    const work = writeProfile(home, "work", `${header("work")}auth_token = "${PERSONAL_KEY}"\n`);
    expectResult(
      await cli(["status", "--profile", "work"], { home }),
      0,
      statusLine(work, PERSONAL_KEY, { name: "work", by: "--profile" }),
      legacyWarning(configFile, work),
    );
    expect((await cli(["logout", "--profile", "work"], { home })).code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });
});

describe("status --all", () => {
  /** The default account, three profile files (one without a credential) and o3's settings-only file. */
  function accounts() {
    const made = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    writeProfile(made.home, "o3", O3_PROFILE);
    writeProfile(made.home, "work", `auth_token = "${WORK_KEY}"\n`);
    writeProfile(made.home, "nokey", 'model = "gpt-5"\n');
    writeProfile(made.home, "personal", `auth_token = "${PERSONAL_KEY}"\n`);
    return made;
  }

  test("the default account, then every profile file by name, the active one marked *", async () => {
    const { home, configFile } = accounts();
    const line = (key: string, file: string) => `API key sk-…${key.slice(-4)} (${file})`;
    const table = (active: string) =>
      [
        ["default ", line(DEFAULT_KEY, configFile)],
        ["nokey   ", "not logged in"],
        ["o3      ", "not logged in"],
        ["personal", line(PERSONAL_KEY, profileFile(home, "personal"))],
        ["work    ", line(WORK_KEY, profileFile(home, "work"))],
      ]
        .map(([name, what]) => `${name?.trim() === active ? "*" : " "} ${name}  ${what}\n`)
        .join("");
    expectResult(await cli(["status", "--all"], { home }), 0, table("default"));
    expectResult(await cli(["status", "--all", "--profile", "work"], { home }), 0, table("work"));
    expectResult(await cli(["--profile", "personal", "status", "--all"], { home }), 0, table("personal"));
    expectResult(await cli(["status", "--all"], { home, env: { CODEX_PROFILE: "work" } }), 0, table("work"));
  });

  test("a selected account without a file or a credential is listed last, marked, and exit is 1", async () => {
    const { home } = withConfig("");
    const work = writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    expectResult(
      await cli(["status", "--all", "--profile", "ghost"], { home }),
      1,
      `  default  not logged in\n  work     API key sk-…WORK (${work})\n* ghost    not logged in\n`,
    );
    expectResult(
      await cli(["status", "--all", "--profile", "work"], { home }),
      0,
      `  default  not logged in\n* work     API key sk-…WORK (${work})\n`,
    );
  });

  test("nothing anywhere: only the default account, exit 1", async () => {
    const home = testHome();
    expectResult(await cli(["status", "--all"], { home }), 1, "* default  not logged in\n");
    expect(readdirSync(home)).toEqual([]);
  });

  test("--all --json: an array of per-account objects with masked hints", async () => {
    const { home, configFile } = accounts();
    const r = await cli(["status", "--all", "--json", "--profile", "work"], { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("]\n")).toBe(true);
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const entry = (account: string, key: string, active: boolean, file: string) => ({
      account,
      active,
      authenticated: true,
      method: "api_key",
      hint: `sk-…${key.slice(-4)}`,
      source: file,
      source_type: "file",
      config_path: file,
      legacy: false,
      shadowed: null,
      oauth: null,
      chatgpt: null,
      credential_error: null,
      warnings: [],
    });
    expect(parsed.map((s) => s.account)).toEqual(["default", "nokey", "o3", "personal", "work"]);
    expect(parsed[0]).toEqual(expect.objectContaining(entry("default", DEFAULT_KEY, false, configFile)));
    expect(parsed[3]).toEqual(
      expect.objectContaining(entry("personal", PERSONAL_KEY, false, profileFile(home, "personal"))),
    );
    expect(parsed[4]).toEqual(expect.objectContaining(entry("work", WORK_KEY, true, profileFile(home, "work"))));
    expect(parsed[1]).toEqual(expect.objectContaining({ account: "nokey", authenticated: false, source: null }));
  });

  test("--all --json when the active account is not logged in: exit 1, it says so", async () => {
    const { home } = withConfig("");
    writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    const r = await cli(["status", "--all", "--json"], { home });
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(parsed.map((s) => [s.account, s.active, s.authenticated, s.hint, s.source_type])).toEqual([
      ["default", true, false, null, null],
      ["work", false, true, "sk-…WORK", "file"],
    ]);
  });

  test("OPENAI_API_KEY overrides the active account only: env source and a Note; the others show their own", async () => {
    const { home, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    const work = writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    const personal = writeProfile(home, "personal", `auth_token = "${PERSONAL_KEY}"\n`);
    const env = { OPENAI_API_KEY: ENV_KEY };
    expectResult(
      await cli(["status", "--all", "--profile", "work"], { home, env }),
      0,
      `  default   API key sk-…DFLT (${configFile})\n` +
        `  personal  API key sk-…PRSN (${personal})\n` +
        "* work      API key sk-…ENVK (environment variable OPENAI_API_KEY)\n" +
        "Note: OPENAI_API_KEY is set in your environment; codex uses it instead of any stored credential\n",
    );
    const json = await cli(["status", "--all", "--json", "--profile", "work"], { home, env });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(parsed.map((s) => [s.account, s.active, s.hint, s.source, s.source_type, s.shadowed])).toEqual([
      ["default", false, "sk-…DFLT", configFile, "file", null],
      ["personal", false, "sk-…PRSN", personal, "file", null],
      ["work", true, "sk-…ENVK", "OPENAI_API_KEY", "env", { path: work, hint: "sk-…WORK" }],
    ]);
  });

  test("each profile's own provider: its env_key variable overrides only where that provider is selected", async () => {
    const { home, configFile } = withConfig(
      `model_provider = "local"\nauth_token = "${DEFAULT_KEY}"\n\n[model_providers.local]\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "LOCAL_API_KEY"\n`,
    );
    // work selects the built-in OpenAI provider, to which LOCAL_API_KEY is never sent.
    const work = writeProfile(home, "work", `model_provider = "openai"\nauth_token = "${WORK_KEY}"\n`);
    const r = await cli(["status", "--all"], { home, env: { LOCAL_API_KEY: ENV_KEY } });
    expectResult(
      r,
      0,
      "* default  API key sk-…ENVK (environment variable LOCAL_API_KEY)\n" +
        `  work     API key sk-…WORK (${work})\n` +
        "Note: LOCAL_API_KEY is set in your environment; codex uses it instead of any stored credential\n",
    );
    expect(readFileSync(configFile, "utf8")).toContain(DEFAULT_KEY);
  });
});

describe("logout --profile and --all", () => {
  /** The default account in config.toml; work in a file codex made, personal in one the user made. */
  async function three() {
    const made = withConfig(`# accounts\nauth_token = "${DEFAULT_KEY}"\n`);
    await login(made.home, WORK_KEY, "work");
    const personal = writeProfile(made.home, "personal", `model = "gpt-5"   # stays\nauth_token = "${PERSONAL_KEY}"\n`);
    return { ...made, work: profileFile(made.home, "work"), personal };
  }

  test("--profile work removes only that profile's credential, and its file", async () => {
    const { home, configFile, work, personal } = await three();
    const r = await cli(["logout", "--profile", "work"], { home });
    expectResult(r, 0, `${LOGGED_OUT}  work: Removed from ${work}\n`);
    expect(existsSync(work)).toBe(false);
    expect(readFileSync(configFile, "utf8")).toBe(`# accounts\nauth_token = "${DEFAULT_KEY}"\n`);
    expect(readFileSync(personal, "utf8")).toContain(PERSONAL_KEY);
    expect((await cli(["status", "--profile", "work"], { home })).code).toBe(1);
    expect((await cli(["status"], { home })).code).toBe(0);
    expect((await cli(["status", "--profile", "personal"], { home })).code).toBe(0);
  });

  test("CODEX_PROFILE selects the account to log out of", async () => {
    const { home, personal } = await three();
    const r = await cli(["logout"], { home, env: { CODEX_PROFILE: "personal" } });
    expectResult(r, 0, `${LOGGED_OUT}  personal: Removed from ${personal}\n`);
    expect(readFileSync(personal, "utf8")).toBe('model = "gpt-5"   # stays\n');
  });

  test("--all removes every account's credential, the selected one first; status --all then shows none", async () => {
    const { home, codexHome, configFile, work, personal } = await three();
    const r = await cli(["logout", "--all"], { home, env: { CODEX_PROFILE: "work" } });
    expectResult(
      r,
      0,
      `${LOGGED_OUT}  work: Removed from ${work}\n  default: Removed from ${configFile}\n  personal: Removed from ${personal}\n`,
    );
    expect(readFileSync(configFile, "utf8")).toBe("# accounts\n");
    expect(readdirSync(codexHome).sort()).toEqual(["config.toml", "personal.config.toml"]);
    expectResult(await cli(["status", "--all"], { home }), 1, "* default   not logged in\n  personal  not logged in\n");
    expect(mode(configFile)).toBe(0o600);
    expect(mode(personal)).toBe(0o600);
  });

  test("--all with only the default account stored: no label", async () => {
    const { home, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    writeProfile(home, "o3", O3_PROFILE);
    expectResult(await cli(["logout", "--all"], { home }), 0, `${LOGGED_OUT}  Removed from ${configFile}\n`);
    expect(readFileSync(configFile, "utf8")).toBe("");
  });

  test("--all with --profile (either place) is a usage error: exit 2, nothing touched", async () => {
    const { home, configFile, work } = await three();
    agePath(configFile);
    agePath(work);
    const before = [pathState(configFile), pathState(work)];
    for (const args of [
      ["logout", "--all", "--profile", "work"],
      ["--profile", "work", "logout", "--all"],
    ]) {
      expectResult(await cli(args, { home }), 2, "", "error: --all signs out of every account; leave out --profile\n");
    }
    expect([pathState(configFile), pathState(work)]).toEqual(before);
  });

  test("nothing stored for the account: says so, exit 0, every file untouched (bytes, mtime, inode)", async () => {
    const { home, codexHome, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    const o3 = writeProfile(home, "o3", O3_PROFILE);
    agePath(configFile);
    agePath(o3);
    const before = [pathState(configFile), pathState(o3)];
    expectResult(await cli(["logout", "--profile", "work"], { home }), 0, NOTHING);
    expectResult(await cli(["logout", "--profile", "o3"], { home }), 0, NOTHING);
    expectResult(await cli(["logout"], { home, env: { CODEX_PROFILE: "work" } }), 0, NOTHING);
    expect([pathState(configFile), pathState(o3)]).toEqual(before);
    expect(readdirSync(codexHome).sort()).toEqual(["config.toml", "o3.config.toml"]);
  });

  test("--all with nothing stored anywhere: says so, exit 0, the file untouched", async () => {
    const { home, codexHome, configFile } = withConfig(REALISTIC);
    agePath(configFile);
    const before = pathState(configFile);
    expectResult(await cli(["logout", "--all"], { home }), 0, NOTHING);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    const empty = testHome();
    expectResult(await cli(["logout", "--all"], { home: empty }), 0, NOTHING);
    expect(readdirSync(empty)).toEqual([]);
  });

  test("--all with OPENAI_API_KEY set: removes the stored ones and warns the variable still authenticates", async () => {
    const { home, configFile, work, personal } = await three();
    const r = await cli(["logout", "--all"], { home, env: { OPENAI_API_KEY: ENV_KEY } });
    expectResult(
      r,
      0,
      `${LOGGED_OUT}  default: Removed from ${configFile}\n  personal: Removed from ${personal}\n  work: Removed from ${work}\n`,
      "warning: OPENAI_API_KEY is set in your environment and still authenticates codex; unset it (`unset OPENAI_API_KEY`) to sign out completely\n",
    );
  });
});

describe("OpenAI's Codex CLI's auth.json", () => {
  const authJsonCases = [
    ["an API key", JSON.stringify({ OPENAI_API_KEY: CODEX_CLI_KEY })],
    [
      "OAuth tokens",
      JSON.stringify({
        OPENAI_API_KEY: null,
        tokens: { access_token: CODEX_CLI_ACCESS, refresh_token: CODEX_CLI_REFRESH, id_token: CODEX_CLI_ID },
        last_refresh: "2025-06-01T12:00:00Z",
      }),
    ],
  ] as const;

  const statusWarning = (path: string, extra = "") =>
    `warning: ${path} (from OpenAI's Codex CLI) also holds a credential, which codex does not use${extra}; \`codex logout --all\` removes it\n`;

  test.each(authJsonCases)(
    "with %s: status warns, logout leaves it and warns, logout --all removes it",
    async (_, json) => {
      const { home, codexHome, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
      const authJson = join(codexHome, "auth.json");
      writeFileSync(authJson, json, { mode: 0o600 });

      const st = await cli(["status"], { home });
      expectResult(st, 0, statusLine(configFile, DEFAULT_KEY), statusWarning(authJson));
      const all = await cli(["status", "--all"], { home });
      expectResult(all, 0, `* default  API key sk-…DFLT (${configFile})\n`, statusWarning(authJson));

      chmodSync(authJson, 0o644);
      const open = await cli(["status"], { home });
      expectResult(
        open,
        0,
        statusLine(configFile, DEFAULT_KEY),
        statusWarning(authJson, " and which can be read by other users (mode 0644)"),
      );

      const plain = await cli(["logout"], { home });
      expectResult(
        plain,
        0,
        `${LOGGED_OUT}  Removed from ${configFile}\n`,
        `warning: ${authJson} (OpenAI's Codex CLI's sign-in) still holds a credential; codex does not use it, and \`codex logout --all\` removes it\n`,
      );
      expect(readFileSync(authJson, "utf8")).toBe(json);

      // (Revoking a ChatGPT session held there is test/codex-auth-logout.test.ts's: nothing is sent here.)
      const everything = await cli(["logout", "--all", "--no-revoke"], { home });
      expect(everything.code).toBe(0);
      expect(everything.stdout).toBe(`${LOGGED_OUT}  Removed ${authJson} (OpenAI's Codex CLI's sign-in)\n`);
      expect(readdirSync(codexHome)).toEqual(["config.toml"]);
      expectResult(await cli(["status"], { home }), 1, "Not logged in. Run `codex login` to sign in.\n");
    },
  );

  test("logout --all removes profiles, the default account and auth.json in one go", async () => {
    const { home, codexHome, configFile } = withConfig(REALISTIC);
    await login(home, DEFAULT_KEY);
    await login(home, WORK_KEY, "work");
    const authJson = join(codexHome, "auth.json");
    writeFileSync(authJson, authJsonCases[0][1], { mode: 0o600 });
    const r = await cli(["logout", "--all"], { home });
    expectResult(
      r,
      0,
      `${LOGGED_OUT}  default: Removed from ${configFile}\n  work: Removed from ${profileFile(home, "work")}\n  Removed ${authJson} (OpenAI's Codex CLI's sign-in)\n`,
    );
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test.each(["{}", '{"OPENAI_API_KEY":null}', '{"OPENAI_API_KEY":"","tokens":null}'])(
    "auth.json without a credential (%s): no warning, not deleted",
    async (json) => {
      const { home, codexHome, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
      const authJson = join(codexHome, "auth.json");
      writeFileSync(authJson, json, { mode: 0o644 });
      agePath(authJson);
      const before = pathState(authJson);
      expectResult(await cli(["status"], { home }), 0, statusLine(configFile, DEFAULT_KEY));
      expectResult(await cli(["logout", "--all"], { home }), 0, `${LOGGED_OUT}  Removed from ${configFile}\n`);
      expectResult(await cli(["logout", "--all"], { home }), 0, NOTHING);
      expect(pathState(authJson)).toEqual(before);
    },
  );
});

describe("a credential in a file others can read", () => {
  test.each([
    ["0644", 0o644, "other users"],
    ["0640", 0o640, "its group"],
  ])("mode %s: status warns with the path, the mode and chmod 600; a login leaves 0600", async (shown, bits, who) => {
    const { home, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    const work = writeProfile(home, "work", `auth_token = "${WORK_KEY}"\n`);
    chmodSync(work, bits);
    const warning = readable(work, shown, who);
    // Warned when the account whose file it is is in use; config.toml's own mode is fine.
    expectResult(await cli(["status"], { home }), 0, statusLine(configFile, DEFAULT_KEY));
    expectResult(
      await cli(["status", "--profile", "work"], { home }),
      0,
      statusLine(work, WORK_KEY, { name: "work", by: "--profile" }),
      warning,
    );
    chmodSync(configFile, bits);
    expectResult(
      await cli(["status", "--profile", "work"], { home }),
      0,
      statusLine(work, WORK_KEY, { name: "work", by: "--profile" }),
      readable(configFile, shown, who) + warning,
    );
    await login(home, PERSONAL_KEY, "work");
    await login(home, O3_KEY);
    expect(mode(work)).toBe(0o600);
    expect(mode(configFile)).toBe(0o600);
    expectResult(
      await cli(["status", "--profile", "work"], { home }),
      0,
      statusLine(work, PERSONAL_KEY, { name: "work", by: "--profile" }),
    );
  });

  test("logout leaves the file at 0600 too", async () => {
    const { home, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    const work = writeProfile(home, "work", `model = "o3"\nauth_token = "${WORK_KEY}"\n`);
    chmodSync(work, 0o644);
    expect((await cli(["logout", "--profile", "work"], { home })).code).toBe(0);
    expect(mode(work)).toBe(0o600);
    expectResult(await cli(["status"], { home }), 0, statusLine(configFile, DEFAULT_KEY));
  });

  test("mode 0644 without any credential: no warning", async () => {
    const { home, configFile } = withConfig(REALISTIC);
    const o3 = writeProfile(home, "o3", O3_PROFILE);
    chmodSync(configFile, 0o644);
    chmodSync(o3, 0o644);
    expectResult(await cli(["status"], { home }), 1, "Not logged in. Run `codex login` to sign in.\n");
    expectResult(
      await cli(["status", "--profile", "o3"], { home }),
      1,
      "Not logged in. Run `codex login --profile o3` to sign in.\n  Profile: o3 (selected by --profile)\n",
    );
  });
});

describe("codex run with profiles", () => {
  /** config.toml pointing provider `x` at the fake server, with a work and a personal account. */
  function twoProfiles(server: FakeProvider) {
    const made = withConfig(
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    writeProfile(made.home, "work", `auth_token = "${WORK_KEY}"\n`);
    writeProfile(made.home, "personal", `auth_token = "${PERSONAL_KEY}"\n`);
    return made;
  }

  test("each profile's key is the bearer: --profile, CODEX_PROFILE, --profile before the command", async () => {
    const server = await startProvider();
    const { home } = twoProfiles(server);
    const cases: Array<[string[], Record<string, string>, string]> = [
      [["run", "--profile", "work", "hi"], {}, WORK_KEY],
      [["run", "hi"], { CODEX_PROFILE: "personal" }, PERSONAL_KEY],
      [["--profile", "work", "run", "hi"], { CODEX_PROFILE: "personal" }, WORK_KEY],
      [["run", "hi", "--profile", "personal"], {}, PERSONAL_KEY],
    ];
    for (const [i, [args, env, key]] of cases.entries()) {
      server.reply(sse(responsesEvents(["o", "k"])));
      const r = await cli(args, { home, env });
      expectResult(r, 0, "ok\n");
      expect(server.requests).toHaveLength(i + 1);
      expect(server.requests[i]?.headers.authorization).toBe(`Bearer ${key}`);
    }
  });

  test("a profile without a credential: exit 4, nothing sent, names codex login --profile NAME", async () => {
    const server = await startProvider();
    const { home } = twoProfiles(server);
    server.reply(sse(responsesEvents(["must not be sent"])));
    // Provider `x` is not OpenAI: OpenAI's key variables are not offered as a way in.
    const expected = "error: profile nobody is not logged in; run `codex login --profile nobody` to sign in\n";
    expectResult(await cli(["run", "--profile", "nobody", "hi"], { home }), 4, "", expected);
    expectResult(await cli(["run", "hi"], { home, env: { CODEX_PROFILE: "nobody" } }), 4, "", expected);
    // The default account has no credential here either.
    expectResult(await cli(["run", "hi"], { home }), 4, "", "error: not logged in; run `codex login` to sign in\n");
    expect(server.requests).toHaveLength(0);
  });

  test("after logout --profile work, work is refused and personal still works", async () => {
    const server = await startProvider();
    const { home } = twoProfiles(server);
    expect((await cli(["logout", "--profile", "work"], { home })).code).toBe(0);
    server.reply(sse(responsesEvents(["ok"])));
    expect((await cli(["run", "--profile", "work", "hi"], { home })).code).toBe(4);
    expect(server.requests).toHaveLength(0);
    expectResult(await cli(["run", "--profile", "personal", "hi"], { home }), 0, "ok\n");
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${PERSONAL_KEY}`]);
  });
});

describe("the library", () => {
  test("saveCredential per profile, statusAll, then one logout({ all: true }) clears every account", async () => {
    const { codexHome, configFile } = withConfig(REALISTIC);
    const env = {};
    const authJson = join(codexHome, "auth.json");
    writeFileSync(authJson, JSON.stringify({ OPENAI_API_KEY: CODEX_CLI_KEY }), { mode: 0o600 });
    expect(await loginWithApiKey(`${DEFAULT_KEY}\n`, { codexHome, env })).toEqual({
      storedIn: configFile,
      account: "default",
      warnings: [],
      revocation: null,
    });
    const work = join(codexHome, "work.config.toml");
    const o3 = join(codexHome, "o3.config.toml");
    expect(await saveCredential({ token: WORK_KEY }, { codexHome, env, profile: "work" })).toEqual({
      storedIn: work,
      account: "work",
      warnings: [],
      revocation: null,
    });
    await saveCredential({ token: O3_KEY }, { codexHome, env, profile: "o3" });

    const before = await statusAll({ codexHome, env });
    expect(before.map((s) => [s.account, s.active, s.authenticated, s.method, s.hint, s.source])).toEqual([
      ["default", true, true, "api_key", "sk-…DFLT", { type: "file", path: configFile }],
      ["o3", false, true, "api_key", "sk-…O3O3", { type: "file", path: o3 }],
      ["work", false, true, "api_key", "sk-…WORK", { type: "file", path: work }],
    ]);
    expect(JSON.stringify(before)).not.toContain(WORK_KEY);
    const workStatus = await status({ codexHome, env, profile: "work" });
    expect([workStatus.account, workStatus.accountSelectedBy, workStatus.hint]).toEqual([
      "work",
      "--profile",
      "sk-…WORK",
    ]);

    const result = await logout({ codexHome, env, all: true });
    expect(result.removed).toBe(true);
    expect(result.removedFrom).toEqual([configFile, o3, work, authJson]);
    expect(result.accounts.map((a) => [a.account, a.removedFrom, a.failures, a.managedBy, a.revocation])).toEqual([
      ["default", [configFile], [], null, null],
      ["o3", [o3], [], null, null],
      ["work", [work], [], null, null],
    ]);
    expect(result.codexAuth).toEqual({ path: authJson, removed: true });
    expect(result.failures).toEqual([]);
    expect(result.stillAuthenticatedBy).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe(REALISTIC);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);

    const after = await statusAll({ codexHome, env });
    expect(after.map((s) => [s.account, s.authenticated])).toEqual([["default", false]]);
    const again = await logout({ codexHome, env, all: true });
    expect([again.removed, again.removedFrom, again.codexAuth, again.failures]).toEqual([false, [], null, []]);
  });

  test("logout({ profile }) removes only that account; env's variable is reported, not removed", async () => {
    const { codexHome, configFile } = withConfig(`auth_token = "${DEFAULT_KEY}"\n`);
    await saveCredential({ token: WORK_KEY }, { codexHome, env: {}, profile: "work" });
    const result = await logout({ codexHome, env: { OPENAI_API_KEY: ENV_KEY }, profile: "work" });
    expect(result.removedFrom).toEqual([join(codexHome, "work.config.toml")]);
    expect(result.accounts.map((a) => a.account)).toEqual(["work"]);
    expect(result.codexAuth).toBeNull();
    expect(result.stillAuthenticatedBy).toEqual(["OPENAI_API_KEY"]);
    expect(readFileSync(configFile, "utf8")).toBe(`auth_token = "${DEFAULT_KEY}"\n`);
  });

  test("a bad profile name is refused by the library too, nothing written", async () => {
    const { codexHome, configFile } = withConfig("");
    await expect(saveCredential({ token: WORK_KEY }, { codexHome, env: {}, profile: "a b" })).rejects.toThrow(
      `--profile needs ${NAME_RULE}`,
    );
    await expect(status({ codexHome, env: { CODEX_PROFILE: "a.b" } })).rejects.toThrow(
      `CODEX_PROFILE must be ${NAME_RULE}`,
    );
    expect(readFileSync(configFile, "utf8")).toBe("");
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });
});

describe("cli_auth_credentials_store", () => {
  test("an unknown value: login refuses before saving anything (exit 1, file untouched); status still reports, with a warning", async () => {
    const original = `cli_auth_credentials_store = "vault"\nauth_token = "${DEFAULT_KEY}"\n`;
    const { home, configFile } = withConfig(original);
    const expected = `${configFile}: cli_auth_credentials_store must be "file", "keyring" or "auto"`;
    const r = await cli(["login", "--with-api-key"], { home, input: `${WORK_KEY}\n` });
    expectResult(r, 1, "", `error: ${expected}\n`);
    expect(readFileSync(configFile, "utf8")).toBe(original);
    const st = await cli(["status"], { home });
    expectResult(st, 0, `Logged in using an API key: sk-…DFLT\n  Source: ${configFile}\n`, `warning: ${expected}\n`);
    const out = await cli(["logout"], { home });
    expectResult(out, 1, "", `error: ${expected}\n`);
    expect(readFileSync(configFile, "utf8")).toBe(original);
  });
});
