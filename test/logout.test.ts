/**
 * `codex logout` through the CLI: removes the stored key and nothing else, touches nothing when there
 * is nothing to remove, and says plainly which environment variables still authenticate.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { agePath, expectNoSecret, pathState, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const KEY = "sk-logout-0123456789abcdefLGOT";
const ENV_KEY = "sk-logout-env-0123456789abcdENVK";

/** What logout prints after removing the key from config.toml (the path differs per test). */
const loggedOut = (home: string) =>
  `✅ Logged out successfully\n  Removed from ${join(home, ".codex", "config.toml")}\n`;
const NOTHING = "No credential stored by codex; nothing to remove.\n";
const stillAuth = (v: string) =>
  `warning: ${v} is set in your environment and still authenticates codex; unset it (\`unset ${v}\`) to sign out completely\n`;

describe("logged in", () => {
  test("removes auth_token, prints exactly the success line, exit 0", async () => {
    const { home, configFile } = withConfig(`auth_token = "${KEY}"\n`);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedOut(home));
    expect(r.stderr).toBe("");
    expect(readFileSync(configFile, "utf8")).toBe("");
    expectNoSecret(r, KEY);
    const status = await runCliInProcess(["status"], { home });
    expect(status.code).toBe(1);
  });

  test("removes only the auth_token line; every other byte stays", async () => {
    const rest = ["# settings\n", 'model = "o3"\n', "\n", "[tui]\n", 'theme = "dark"\n'];
    const { home, configFile } = withConfig(
      [rest[0], rest[1], `auth_token = "${KEY}"  # mine\n`, ...rest.slice(2)].join(""),
    );
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedOut(home));
    expect(readFileSync(configFile, "utf8")).toBe(rest.join(""));
    expectNoSecret(r, KEY);
  });

  test("login then logout gives back the original file byte for byte", async () => {
    const original = '# keep me\r\nmodel = "o3"   \r\n\r\n[tui]\r\ntheme = "dark"\r\n';
    const { home, configFile } = withConfig(original);
    const login = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(login.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toContain(`auth_token = "${KEY}"\r\n`);
    const logout = await runCliInProcess(["logout"], { home });
    expect(logout.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(original);
    expectNoSecret(login, KEY);
    expectNoSecret(logout, KEY);
  });

  test("a second logout finds nothing and changes nothing", async () => {
    const { home, configFile } = withConfig(`model = "o3"\nauth_token = "${KEY}"\n`);
    const first = await runCliInProcess(["logout"], { home });
    expect(first.stdout).toBe(loggedOut(home));
    agePath(configFile);
    const before = pathState(configFile);
    const second = await runCliInProcess(["logout"], { home });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(NOTHING);
    expect(pathState(configFile)).toEqual(before);
    expectNoSecret(first, KEY);
  });
});

// A config.toml that login created, holding only what codex put there, is deleted by logout; a file the
// user made, even an empty one, or one they added to, stays with exactly their bytes.
describe("no litter", () => {
  const CREATED = "# Created by codex-credentials; its logout deletes this file when nothing else is in it.\n";

  test("login into an empty home, then logout: no config.toml left, nothing else either", async () => {
    const home = testHome();
    const codexHome = join(home, ".codex");
    const login = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(login.code).toBe(0);
    expect(readFileSync(join(codexHome, "config.toml"), "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    const logout = await runCliInProcess(["logout"], { home });
    expect(logout.code).toBe(0);
    expect(logout.stdout).toBe(loggedOut(home));
    expect(readdirSync(codexHome)).toEqual([]);
    expectNoSecret(login, KEY);
    expectNoSecret(logout, KEY);
  });

  test("login twice, then logout: still nothing left", async () => {
    const home = testHome();
    for (const key of [KEY, `${KEY}2`]) {
      expect((await runCliInProcess(["login", "--with-api-key"], { home, input: `${key}\n` })).code).toBe(0);
    }
    expect((await runCliInProcess(["logout"], { home })).code).toBe(0);
    expect(readdirSync(join(home, ".codex"))).toEqual([]);
  });

  test("a file codex created that the user added to: logout leaves the user's part", async () => {
    const home = testHome();
    const configFile = join(home, ".codex", "config.toml");
    await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    writeFileSync(configFile, `${readFileSync(configFile, "utf8")}model = "o3"\n`);
    expect((await runCliInProcess(["logout"], { home })).code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}model = "o3"\n`);
  });

  test.each([
    ["empty", ""],
    ["one newline", "\n"],
    ["only a comment", "# mine\n"],
  ])("the user's own config.toml (%s): login then logout gives it back byte for byte", async (_name, original) => {
    const { home, configFile } = withConfig(original);
    expect((await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` })).code).toBe(0);
    expect((await runCliInProcess(["logout"], { home })).code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(original);
  });
});

describe("logged out", () => {
  test("a config without auth_token: exit 0, says so; inode, mtime, mode and bytes unchanged", async () => {
    const { home, codexHome, configFile } = withConfig('# mine\nmodel = "o3"\n');
    agePath(configFile);
    const before = pathState(configFile);
    const dirBefore = pathState(codexHome);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(NOTHING);
    expect(r.stderr).toBe("");
    expect(pathState(configFile)).toEqual(before);
    expect(pathState(codexHome)).toEqual(dirBefore);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]); // no lock file created either
  });

  test("no CODEX_HOME at all: exit 0, nothing created", async () => {
    const home = testHome();
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(NOTHING);
    expect(r.stderr).toBe("");
    expect(readdirSync(home)).toEqual([]);
  });

  test("an empty config.toml: left exactly as it was", async () => {
    const { home, codexHome, configFile } = withConfig("");
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(NOTHING);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });
});

describe("a credential variable in the environment", () => {
  test.each(["OPENAI_API_KEY", "CODEX_API_KEY"])("%s set: still clears the stored key, warns naming it", async (v) => {
    const { home, configFile } = withConfig(`auth_token = "${KEY}"\n`);
    const r = await runCliInProcess(["logout"], { home, env: { [v]: ENV_KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedOut(home));
    expect(r.stderr).toBe(stillAuth(v));
    expect(readFileSync(configFile, "utf8")).toBe("");
    expectNoSecret(r, KEY, ENV_KEY);
  });

  test("both set: clears the stored key, warns about both, strongest first", async () => {
    const { home, configFile } = withConfig(`auth_token = "${KEY}"\n`);
    const r = await runCliInProcess(["logout"], {
      home,
      env: { OPENAI_API_KEY: ENV_KEY, CODEX_API_KEY: `${ENV_KEY}2` },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedOut(home));
    expect(r.stderr).toBe(stillAuth("CODEX_API_KEY") + stillAuth("OPENAI_API_KEY"));
    expect(readFileSync(configFile, "utf8")).toBe("");
    expectNoSecret(r, KEY, ENV_KEY);
  });

  test("nothing stored but a variable set: still warns, touches nothing", async () => {
    const home = testHome();
    const r = await runCliInProcess(["logout"], { home, env: { OPENAI_API_KEY: ENV_KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(NOTHING);
    expect(r.stderr).toBe(stillAuth("OPENAI_API_KEY"));
    expect(readdirSync(home)).toEqual([]);
    expectNoSecret(r, ENV_KEY);
  });

  test("empty variables are not warned about", async () => {
    const { home } = withConfig(`auth_token = "${KEY}"\n`);
    const r = await runCliInProcess(["logout"], { home, env: { OPENAI_API_KEY: "", CODEX_API_KEY: " " } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedOut(home));
    expect(r.stderr).toBe("");
    expectNoSecret(r, KEY);
  });
});

test("logout takes no arguments: exit 2, the argument not echoed, nothing removed", async () => {
  const { home, configFile } = withConfig(`auth_token = "${KEY}"\n`);
  const r = await runCliInProcess(["logout", ENV_KEY], { home });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^error: [^\n]*\n$/);
  expect(readFileSync(configFile, "utf8")).toBe(`auth_token = "${KEY}"\n`);
  expectNoSecret(r, KEY, ENV_KEY);
});

test("a provider's env_key variable is warned about; OPENAI_API_KEY, which that provider never gets, is not", async () => {
  const { home } = withConfig(
    `auth_token = "sk-stored-0123456789abcdefSTRD"\nmodel_provider = "local"\n\n[model_providers.local]\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "LOCAL_API_KEY"\n`,
  );
  const r = await runCliInProcess(["logout"], {
    home,
    env: { LOCAL_API_KEY: "sk-local-key-0123456789", OPENAI_API_KEY: "sk-o-0123456789abcdef" },
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(loggedOut(home));
  expect(r.stderr).toBe(stillAuth("LOCAL_API_KEY"));
});
