/**
 * `codex login` through the CLI: the key comes only from standard input (spaces, tabs and line
 * endings around it trimmed), never from argv; bad input writes nothing; the file and its directory end up private.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  codexHomeOf,
  expectNoSecret,
  freePort,
  homeWithConfig,
  removeAfterTest,
  testHome,
  CREATED,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const KEY = "sk-login-0123456789abcdefWXYZ";
const KEY2 = "sk-login-second-9876543210vuts";

function paths(home: string) {
  const codexHome = codexHomeOf(home);
  return { codexHome, configFile: join(codexHome, "config.toml") };
}

function withConfig(content: string) {
  const made = homeWithConfig(content);
  removeAfterTest(made.home);
  return made;
}

const loggedIn = (key: string, configFile: string) =>
  `✅ Logged in using an API key (sk-…${key.slice(-4)}), stored in ${configFile}\n`;

describe("key from standard input", () => {
  test.each([
    ["a trailing LF", `${KEY}\n`],
    ["a trailing CRLF", `${KEY}\r\n`],
    ["no line ending", KEY],
    ["two trailing newlines", `${KEY}\n\n`],
    ["a trailing CR only", `${KEY}\r`],
    ["spaces and tabs around it", ` \t${KEY} \t\n`],
  ])("with %s: stored exactly, exit 0", async (_name, input) => {
    const home = testHome();
    const { configFile } = paths(home);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedIn(KEY, configFile));
    expect(r.stderr).toBe("");
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expectNoSecret(r, KEY);
  });

  test.each([
    ["nothing", ""],
    ["a lone LF", "\n"],
    ["a lone CRLF", "\r\n"],
    ["only spaces", "   \n"],
  ])("%s: exit 1, says the key is empty, creates nothing", async (_name, input) => {
    const home = testHome();
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: the API key is empty; nothing was stored\n");
    expect(readdirSync(home)).toEqual([]); // not even CODEX_HOME
  });

  test.each([
    ["an inner space", "sk-login-0123 456789abcdef\n", "a space at position 14"],
    ["an inner tab", "sk-login-0123\t456789abcdef\n", "a tab at position 14"],
    ["two keys on two lines", `${KEY}\n${KEY2}\n`, `a line break at position ${KEY.length + 1}`],
    ["a NUL byte", "sk-login-0123\u0000456789abcdef\n", "a control character (U+0000) at position 14"],
  ])("%s: exit 1, nothing written, key not echoed", async (_name, input, what) => {
    const { home, configFile } = withConfig('model = "o3"\n');
    const before = readFileSync(configFile);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: the API key contains ${what}; nothing was stored (a key is printable ASCII: no spaces, quotes, control or non-ASCII characters)\n`,
    );
    expect(readFileSync(configFile)).toEqual(before);
    expect(readdirSync(codexHomeOf(home))).toEqual(["config.toml"]); // no lock or temp file left behind
    expectNoSecret(r, KEY, KEY2, "0123 456789abcdef", "0123\t456789abcdef");
  });
});

describe("a key on the command line is refused, and never echoed", () => {
  const ARGV_HINT =
    "error: codex login does not take the API key as an argument (process lists and shell history would keep it); pipe it on standard input: `codex login --with-api-key < keyfile`\n";

  test.each([
    ["login <key>", ["login", KEY]],
    ["login --with-api-key <key>", ["login", "--with-api-key", KEY]],
    ["login <key> --with-api-key", ["login", KEY, "--with-api-key"]],
    ["login --with-api-key -- <key>", ["login", "--with-api-key", "--", KEY]],
  ])("%s: exit 2, tells to use standard input", async (_name, args) => {
    const home = testHome();
    // Even with a (different) key waiting on stdin, nothing is read or stored.
    const r = await runCliInProcess(args, { home, input: `${KEY2}\n` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(ARGV_HINT);
    expectNoSecret(r, KEY, KEY2);
    expect(readdirSync(home)).toEqual([]);
  });

  test.each([
    ["--api-key=<key>", [`--api-key=${KEY}`], "--api-key"],
    ["--api-key <key>", ["--api-key", KEY], "--api-key"],
    ["--with-api-key=<key>", [`--with-api-key=${KEY}`], "--with-api-key"],
    ["--token=<key> --with-api-key", [`--token=${KEY}`, "--with-api-key"], "--token"],
  ])("login %s: exit 2, names the flag but not the key", async (_name, extra, flag) => {
    const home = testHome();
    const r = await runCliInProcess(["login", ...extra], { home, input: `${KEY2}\n` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: [^\n]*\n$/);
    expect(r.stderr).toContain(`'${flag}'`);
    expectNoSecret(r, KEY, KEY2, "0123456789abcdef");
    expect(readdirSync(home)).toEqual([]);
  });
});

test("no terminal and no flag: the browser sign-in (here its issuer is unreachable), no key read from stdin", async () => {
  const port = await freePort();
  const { home, codexHome } = withConfig(`[oauth]\nissuer = "http://127.0.0.1:${port}"\n`);
  const r = await runCliInProcess(["login"], { home, input: `${KEY}\n` });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(`error: could not reach the sign-in server 127.0.0.1:${port}: connection refused\n`);
  expectNoSecret(r, KEY);
  expect(readdirSync(codexHome)).toEqual(["config.toml"]);
});

describe("permissions", () => {
  test("a missing CODEX_HOME is created 0700, config.toml 0600", async () => {
    const home = testHome();
    const { codexHome, configFile } = paths(home);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(statSync(codexHome).mode & 0o777).toBe(0o700);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expectNoSecret(r, KEY);
  });

  test("a missing CODEX_HOME several levels deep is created", async () => {
    const home = testHome();
    const codexHome = join(home, "a", "b", "codex");
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: KEY, env: { CODEX_HOME: codexHome } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(codexHome, "config.toml"), "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expect(statSync(codexHome).mode & 0o777).toBe(0o700);
    expectNoSecret(r, KEY);
  });

  test("an existing 0644 config.toml becomes 0600; a 0755 CODEX_HOME becomes 0700", async () => {
    const { home, codexHome, configFile } = withConfig('model = "o3"\n');
    chmodSync(configFile, 0o644);
    chmodSync(codexHome, 0o755);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(statSync(codexHome).mode & 0o777).toBe(0o700);
    expect(readFileSync(configFile, "utf8")).toBe(`model = "o3"\nauth_token = "${KEY}"\n`);
    expectNoSecret(r, KEY);
  });
});

describe("re-login", () => {
  test("replaces the key in place: one auth_token line, every other byte kept", async () => {
    const original = `# my settings\nmodel = "o3"\nauth_token = "${KEY}"   # old one\n\n[tui]\ntheme = "dark"\n`;
    const { home, configFile } = withConfig(original);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY2}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedIn(KEY2, configFile));
    expect(readFileSync(configFile, "utf8")).toBe(original.replace(KEY, KEY2));
    expectNoSecret(r, KEY, KEY2);
  });

  test("twice in a row leaves a single auth_token line with the newest key", async () => {
    const home = testHome();
    const { configFile } = paths(home);
    const first = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    const second = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY2}\n` });
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY2}"\n`);
    expectNoSecret(first, KEY, KEY2);
    expectNoSecret(second, KEY, KEY2);
  });

  test("the same key again leaves the file untouched", async () => {
    const { home, configFile } = withConfig(`auth_token = "${KEY}"\n`);
    chmodSync(configFile, 0o600);
    const before = statSync(configFile);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    const after = statSync(configFile);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expectNoSecret(r, KEY);
  });
});

describe("a credential variable in the environment", () => {
  const ENV_KEY = "sk-env-abcdefghijklmnop4321";
  const precedence = (v: string) =>
    `warning: ${v} is set in your environment and takes precedence over the credential just saved; unset it to use this one\n`;

  test.each(["OPENAI_API_KEY", "CODEX_API_KEY"])("%s set: still saves, warns on stderr naming it", async (v) => {
    const home = testHome();
    const { configFile } = paths(home);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n`, env: { [v]: ENV_KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(loggedIn(KEY, configFile));
    expect(r.stderr).toBe(precedence(v));
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expectNoSecret(r, KEY, ENV_KEY);
  });

  test("both set: one warning for each, strongest first", async () => {
    const home = testHome();
    const r = await runCliInProcess(["login", "--with-api-key"], {
      home,
      input: `${KEY}\n`,
      env: { OPENAI_API_KEY: ENV_KEY, CODEX_API_KEY: `${ENV_KEY}-codex` },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(precedence("CODEX_API_KEY") + precedence("OPENAI_API_KEY"));
    expectNoSecret(r, KEY, ENV_KEY);
  });

  test("set but empty: no warning", async () => {
    const home = testHome();
    const r = await runCliInProcess(["login", "--with-api-key"], {
      home,
      input: `${KEY}\n`,
      env: { OPENAI_API_KEY: "", CODEX_API_KEY: "  " },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expectNoSecret(r, KEY);
  });
});

test("CODEX_HOME unset: the key goes to $HOME/.codex/config.toml", async () => {
  const home = testHome();
  const r = await runCliInProcess(["login", "--with-api-key"], {
    home,
    input: `${KEY}\n`,
    env: { CODEX_HOME: undefined },
  });
  expect(r.code).toBe(0);
  const configFile = join(home, ".codex", "config.toml");
  expect(r.stdout).toBe(loggedIn(KEY, configFile));
  expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
  expectNoSecret(r, KEY);
});

test("a failed login over an existing config leaves it byte for byte", async () => {
  const original = `auth_token = "${KEY}"\n`;
  const { home, configFile } = withConfig(original);
  writeFileSync(configFile, original);
  const r = await runCliInProcess(["login", "--with-api-key"], { home, input: "\n" });
  expect(r.code).toBe(1);
  expect(readFileSync(configFile, "utf8")).toBe(original);
  expect(existsSync(`${configFile}.lock`)).toBe(false);
  expectNoSecret(r, KEY);
});
