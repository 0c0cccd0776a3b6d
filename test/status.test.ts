/**
 * `codex status` and its alias `codex login status` through the CLI: which credential wins
 * (CODEX_API_KEY > OPENAI_API_KEY > stored), where it comes from, and never more of it than a masked hint.
 */
import { readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";

/** The --json fields about the account: the default one, nothing failing, nothing to warn about. */
const JSON_ACCOUNT = {
  account: "default",
  active: true,
  credential_error: null,
  env_key: null,
  missing_env_key: null,
  ignored_env: [],
  credential_source: "auto",
  ignored_by_setting: [],
  insecure_http: [],
  warnings: [],
};
import {
  codexHomeOf,
  expectNoSecret,
  homeWithConfig,
  pathState,
  type RunResult,
  removeAfterTest,
  testHome,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const STORED = "sk-stored-0123456789abcdefSTRD";
const OPENAI = "sk-openai-0123456789abcdefOPNA";
const CODEX = "sk-codex-0123456789abcdefCODX";

const DEFAULT_PROVIDER = {
  id: "openai",
  name: "OpenAI",
  base_url: "https://api.openai.com/v1",
  wire_api: "responses",
  model: "gpt-5",
};
const NOT_LOGGED_IN = "Not logged in. Run `codex login` to sign in.\n";

function withConfig(content: string) {
  const made = homeWithConfig(content);
  removeAfterTest(made.home);
  return made;
}

/** Runs `codex status` and `codex login status` with the same setup; they must agree byte for byte. */
async function bothStatuses(
  args: string[],
  opts: { home: string; env?: Record<string, string | undefined> },
): Promise<RunResult> {
  const [plain, alias] = await Promise.all([
    runCliInProcess(["status", ...args], opts),
    runCliInProcess(["login", "status", ...args], opts),
  ]);
  expect(alias).toEqual(plain);
  return plain;
}

describe("logged out", () => {
  test("no CODEX_HOME: exit 1, says so and how to log in, creates nothing", async () => {
    const home = testHome();
    const r = await bothStatuses([], { home });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(NOT_LOGGED_IN);
    expect(r.stderr).toBe("");
    expect(readdirSync(home)).toEqual([]);
  });

  test("a config without auth_token (or an empty one): exit 1", async () => {
    for (const content of ['model = "o3"\n', 'auth_token = ""\n', ""]) {
      const { home } = withConfig(content);
      const r = await bothStatuses([], { home });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(NOT_LOGGED_IN);
      expect(r.stderr).toBe("");
    }
  });

  test("--json: authenticated false, nulls, exit 1", async () => {
    const home = testHome();
    const r = await bothStatuses(["--json"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      ...JSON_ACCOUNT,
      authenticated: false,
      method: null,
      source: null,
      source_type: null,
      hint: null,
      config_path: join(codexHomeOf(home), "config.toml"),
      legacy: false,
      shadowed: null,
      oauth: null,
      chatgpt: null,
      provider: DEFAULT_PROVIDER,
      provider_error: null,
    });
  });
});

describe("logged in from the file", () => {
  test("exit 0; shows API key, masked hint sk-…<last 4>, the config path", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await bothStatuses([], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in using an API key: sk-…STRD\n  Source: ${configFile}\n`);
    expect(r.stderr).toBe("");
    expectNoSecret(r, STORED);
  });

  test("--json shape, with no full token", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await bothStatuses(["--json"], { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      ...JSON_ACCOUNT,
      authenticated: true,
      method: "api_key",
      source: configFile,
      source_type: "file",
      hint: "sk-…STRD",
      config_path: configFile,
      legacy: false,
      shadowed: null,
      oauth: null,
      chatgpt: null,
      provider: DEFAULT_PROVIDER,
      provider_error: null,
    });
    expectNoSecret(r, STORED);
  });

  test("status reads only: the file's bytes, inode and mtime are unchanged", async () => {
    const { home, codexHome, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    utimesSync(configFile, new Date("2001-02-03T04:05:06Z"), new Date("2001-02-03T04:05:06Z"));
    const before = pathState(configFile);
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(0);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expectNoSecret(r, STORED);
  });
});

describe("precedence: CODEX_API_KEY > OPENAI_API_KEY > stored", () => {
  test("OPENAI_API_KEY alone wins over nothing stored", async () => {
    const home = testHome();
    const r = await bothStatuses([], { home, env: { OPENAI_API_KEY: OPENAI } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Logged in using an API key: sk-…OPNA\n  Source: environment variable OPENAI_API_KEY\n");
    expect(r.stderr).toBe("");
    expectNoSecret(r, OPENAI);
  });

  test("CODEX_API_KEY beats OPENAI_API_KEY and the stored key; the stored one is noted as shadowed", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const env = { OPENAI_API_KEY: OPENAI, CODEX_API_KEY: CODEX };
    const r = await bothStatuses([], { home, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Logged in using an API key: sk-…CODX\n" +
        "  Source: environment variable CODEX_API_KEY\n" +
        `  Note: the key stored in ${configFile} (sk-…STRD) is not used while the variable is set\n`,
    );
    expect(r.stderr).toBe("");
    expectNoSecret(r, STORED, OPENAI, CODEX);

    const j = await bothStatuses(["--json"], { home, env });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({
      ...JSON_ACCOUNT,
      authenticated: true,
      method: "api_key",
      source: "CODEX_API_KEY",
      source_type: "env",
      hint: "sk-…CODX",
      config_path: configFile,
      legacy: false,
      shadowed: { path: configFile, hint: "sk-…STRD" },
      oauth: null,
      chatgpt: null,
      provider: DEFAULT_PROVIDER,
      provider_error: null,
    });
    expectNoSecret(j, STORED, OPENAI, CODEX);
  });

  test("OPENAI_API_KEY beats the stored key", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await bothStatuses([], { home, env: { OPENAI_API_KEY: OPENAI } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Logged in using an API key: sk-…OPNA\n" +
        "  Source: environment variable OPENAI_API_KEY\n" +
        `  Note: the key stored in ${configFile} (sk-…STRD) is not used while the variable is set\n`,
    );
    expectNoSecret(r, STORED, OPENAI);
  });

  test.each([
    ["empty", ""],
    ["blank", "   "],
  ])("%s variables are ignored", async (_name, value) => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await bothStatuses([], { home, env: { CODEX_API_KEY: value, OPENAI_API_KEY: value } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in using an API key: sk-…STRD\n  Source: ${configFile}\n`);

    const empty = testHome();
    const out = await bothStatuses(["--json"], { home: empty, env: { CODEX_API_KEY: value, OPENAI_API_KEY: value } });
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ authenticated: false, source: null });
    expectNoSecret(r, STORED);
  });

  test("an empty CODEX_API_KEY falls through to OPENAI_API_KEY", async () => {
    const home = testHome();
    const r = await bothStatuses(["--json"], { home, env: { CODEX_API_KEY: "", OPENAI_API_KEY: OPENAI } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ source: "OPENAI_API_KEY", source_type: "env", hint: "sk-…OPNA" });
    expectNoSecret(r, OPENAI);
  });
});

describe("masking", () => {
  test.each([
    ["15 characters: prefix only", "sk-abcdefgh1234", "sk-…"],
    ["16 characters: prefix and last 4", "sk-abcdefghi1234", "sk-…1234"],
    ["no recognisable prefix, short", "abcdefgh1234", "…"],
    ["no recognisable prefix, long", "abcdefghijklmnop5678", "…5678"],
    ["sk-proj- keys show sk-", "sk-proj-abcdefghijklmnop9876", "sk-…9876"],
  ])("%s", async (_name, key, hint) => {
    const { home, configFile } = withConfig(`auth_token = "${key}"\n`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in using an API key: ${hint}\n  Source: ${configFile}\n`);
    const j = await runCliInProcess(["status", "--json"], { home });
    expect(JSON.parse(j.stdout)).toMatchObject({ hint });
    const e = await runCliInProcess(["status", "--json"], { home: testHome(), env: { OPENAI_API_KEY: key } });
    expect(JSON.parse(e.stdout)).toMatchObject({ hint, source: "OPENAI_API_KEY" });
    for (const x of [r, j, e]) expectNoSecret(x, key);
  });

  test("an OAuth access token shows only its tail: what looks like a prefix is part of the random secret", async () => {
    // An opaque token can begin with letters and a dash or underscore (here "abc_"), like an API key's kind.
    const token = "abc_0123456789randomQWRT";
    const { home } = withConfig(
      `auth_token = "${token}"\n\n[oauth_session]\nissuer = "https://auth.example.com"\nclient_id = "c"\n`,
    );
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Logged in with OAuth: …QWRT\n/);
    const j = await runCliInProcess(["status", "--json"], {
      home,
      env: { OPENAI_API_KEY: "sk-env-0123456789abcdENVK" },
    });
    expect(JSON.parse(j.stdout).shadowed.hint).toBe("…QWRT");
    for (const x of [r, j]) expectNoSecret(x, token, "abc_");
  });

  test("a short key reveals none of its tail", async () => {
    const key = "sk-shortQWER";
    const { home } = withConfig(`auth_token = "${key}"\n`);
    const r = await runCliInProcess(["status", "--json"], { home, env: { CODEX_API_KEY: "ZXCVBNMLKJ" } });
    expect(r.code).toBe(0);
    const shown = r.stdout.replaceAll(home, "<HOME>");
    expect(shown).not.toMatch(/QWER|WER|ER"/);
    expect(shown).not.toMatch(/MLKJ|LKJ|KJ"/);
    expect(JSON.parse(r.stdout)).toMatchObject({ hint: "…", shadowed: { hint: "sk-…" } });
    expectNoSecret(r, key, "ZXCVBNMLKJ");
  });
});

test("a variable with surrounding blanks: used trimmed, masked from the trimmed value", async () => {
  const home = testHome();
  const r = await runCliInProcess(["status", "--json"], { home, env: { OPENAI_API_KEY: `  ${OPENAI}\t` } });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ authenticated: true, hint: "sk-…OPNA" });
  expectNoSecret(r, OPENAI);
});

test("status flags: unknown flag and a positional are usage errors (exit 2) for both spellings", async () => {
  const home = testHome();
  for (const args of [
    ["status", "--bogus"],
    ["login", "status", "--bogus"],
    ["status", STORED],
    ["login", "status", STORED],
    ["status", `--json=${STORED}`],
  ]) {
    const r = await runCliInProcess(args, { home });
    expect(r.code, args.join(" ")).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: [^\n]*\n$/);
    expectNoSecret(r, STORED);
  }
});

describe("the selected provider", () => {
  const LOCAL = `model = "llama3.2"
model_provider = "local"

[model_providers.local]
name = "Local"
base_url = "http://127.0.0.1:9/v1"
wire_api = "chat"
env_key = "LOCAL_API_KEY"
`;
  const LOCAL_KEY = "sk-local-0123456789abcdefLOCL";

  test("a non-default provider is named; its env_key is used, never CODEX_API_KEY or the stored key", async () => {
    const { home, configFile } = withConfig(`${LOCAL.replace("\n\n", `\nauth_token = "${STORED}"\n\n`)}`);
    const env = { LOCAL_API_KEY: LOCAL_KEY, CODEX_API_KEY: CODEX };
    const r = await bothStatuses([], { home, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "Logged in using an API key: sk-…LOCL\n" +
        "  Source: environment variable LOCAL_API_KEY\n" +
        "  Provider: Local (http://127.0.0.1:9/v1, chat API)\n" +
        `  Note: the key stored in ${configFile} (sk-…STRD) is not sent to this provider, which takes its key only from LOCAL_API_KEY\n` +
        "  Note: CODEX_API_KEY is set but not sent to provider `local`, which takes its key only from LOCAL_API_KEY\n",
    );
    const j = await bothStatuses(["--json"], { home, env });
    expect(JSON.parse(j.stdout)).toMatchObject({
      source: "LOCAL_API_KEY",
      source_type: "env",
      provider: { id: "local", name: "Local", base_url: "http://127.0.0.1:9/v1", wire_api: "chat", model: "llama3.2" },
      provider_error: null,
    });
    expectNoSecret(r, LOCAL_KEY, CODEX, STORED);
    expectNoSecret(j, LOCAL_KEY, CODEX, STORED);
  });

  test("without its env_key set: not logged in, naming the variable; OPENAI_API_KEY is not used instead", async () => {
    const { home } = withConfig(LOCAL);
    const r = await runCliInProcess(["status", "--json"], { home, env: { OPENAI_API_KEY: OPENAI } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      authenticated: false,
      source: null,
      hint: null,
      env_key: "LOCAL_API_KEY",
      missing_env_key: "LOCAL_API_KEY",
      ignored_env: ["OPENAI_API_KEY"],
    });
    expectNoSecret(r, OPENAI);
  });

  test("OPENAI_BASE_URL is shown as the built-in provider's URL", async () => {
    const { home } = withConfig(`auth_token = "${STORED}"\n`);
    const r = await runCliInProcess(["status"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/proxy/" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  Provider: OpenAI (http://127.0.0.1:9/proxy, responses API)\n");
  });

  test("an invalid provider setting is a warning; the credential is still reported", async () => {
    const { home, configFile } = withConfig(`auth_token = "${STORED}"\n${LOCAL.replace('"chat"', '"grpc"')}`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${configFile}: model_providers.local.wire_api must be "responses" or "chat"\n`);
    expect(r.stdout).toBe(`Logged in using an API key: sk-…STRD\n  Source: ${configFile}\n`);
    const j = await runCliInProcess(["status", "--json"], { home });
    expect(JSON.parse(j.stdout)).toMatchObject({
      provider: null,
      provider_error: `${configFile}: model_providers.local.wire_api must be "responses" or "chat"`,
    });
  });
});
