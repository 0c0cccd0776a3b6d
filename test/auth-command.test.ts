/**
 * `auth_command` through the CLI: another tool (pass, 1Password's `op`, Vault) prints the token,
 * codex runs it without a shell at each use and uses the first non-empty line of its output, never writes
 * it anywhere, and says plainly when the command fails, is missing, prints nothing or hangs. Environment
 * variables win over it; it wins over a stored auth_token. Logout leaves it to the tool that owns it.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { agePath, expectNoSecret, homeWithConfig, pathState, type RunResult, runCli, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, responsesEvents, sse, startProvider } from "./support/provider.js";

const TOKEN = "sk-cmd-0123456789abcdefABCD";
const ROTATED = "sk-cmd-0123456789abcdefROT2";
const WORK = "sk-work-0123456789abcdefWORK";
const STORED = "sk-stored-0123456789abcdefSTRD";
const ENV_KEY = "sk-env-0123456789abcdefENVV";
const LOGIN_KEY = "sk-login-0123456789abcdefLOGN";
const ALL = [TOKEN, ROTATED, WORK, STORED, ENV_KEY, LOGIN_KEY];

const BAD_SHAPE = 'a non-empty array of strings, the command and its arguments, e.g. ["pass", "show", "openai"]';

/** A TOML inline array of basic strings (JSON's string escapes are valid TOML). */
const tomlArray = (argv: string[]) => JSON.stringify(argv);

/** Writes an executable `#!/bin/sh` script into `dir`; returns its path. */
function shScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A script that records each run (one line in `count`) and prints `out`. The printf format keeps the
 * bytes exact (escapes are interpreted: `\n`, `\r`).
 */
function tokenScript(dir: string, name: string, out: string): string {
  return shScript(dir, name, `echo run >> '${join(dir, `${name}.count`)}'\nprintf '${out}'\n`);
}

/** How many times tokenScript `name` has run. */
function runs(dir: string, name: string): number {
  const file = join(dir, `${name}.count`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0;
}

/** A home whose config.toml (0600) is `content(home)`: the scripts go in the home, beside .codex. */
function homeWith(content: (home: string) => string) {
  const made = withConfig("");
  writeFileSync(made.configFile, content(made.home), { mode: 0o600 });
  return made;
}

/** config.toml selecting provider `x` at the fake server, with `top` as its first (top-level) lines. */
function providerToml(server: FakeProvider, top: string, rest = ""): string {
  return `${top}
model_provider = "x"

[model_providers.x]
name = "Local"
base_url = "${server.baseUrl}"
${rest}`;
}

const loggedInLine = (name: string, token: string) =>
  `Logged in with a credential from command \`${name}\`: sk-…${token.slice(-4)}\n`;
const sourceLine = (configFile: string, name: string) =>
  `  Source: auth_command \`${name}\` in ${configFile}, run at each use\n`;
const managedWarning = (name: string, label = "") =>
  `warning: ${label}this account's credential comes from \`${name}\` (auth_command in config.toml) and is managed by that tool: codex never stored it, so there is nothing for codex to remove; remove it with \`${name}\`, or remove auth_command from config.toml to stop using it\n`;

/** Exit 0, "Hello\n" on stdout, nothing on stderr. */
function expectReply(r: RunResult, stderr = ""): void {
  expect(r.stderr).toBe(stderr);
  expect(r.stdout).toBe("Hello\n");
  expect(r.code).toBe(0);
}

/** The config file and CODEX_HOME hold no token from any command, and nothing but config.toml. */
function expectNothingWritten(codexHome: string, configFile: string): void {
  expect(readdirSync(codexHome).filter((f) => f.endsWith(".toml"))).toContain(basename(configFile));
  expect(readdirSync(codexHome).filter((f) => !f.endsWith("config.toml"))).toEqual([]);
  const text = readFileSync(configFile, "utf8");
  for (const secret of [TOKEN, ROTATED, WORK]) expect(text).not.toContain(secret);
}

describe("a command that prints the token", () => {
  test("status: names the command (argv[0]'s basename), masks the token, exit 0, runs it once", async () => {
    const { home, codexHome, configFile } = homeWith(
      (h) => `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`,
    );
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe(loggedInLine("tok.sh", TOKEN) + sourceLine(configFile, "tok.sh"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(runs(home, "tok.sh")).toBe(1);
    expectNoSecret(r, ...ALL);
    expectNothingWritten(codexHome, configFile);
  });

  test("status --json: source_type command, the masked hint, exit 0", async () => {
    const { home, configFile } = homeWith(
      (h) => `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`,
    );
    const r = await runCliInProcess(["status", "--json"], { home });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      account: "default",
      active: true,
      authenticated: true,
      method: "api_key",
      source: "command `tok.sh`",
      source_type: "command",
      hint: "sk-…ABCD",
      config_path: configFile,
      legacy: false,
      shadowed: null,
      oauth: null,
      chatgpt: null,
      provider: {
        id: "openai",
        name: "OpenAI",
        base_url: "https://api.openai.com/v1",
        wire_api: "responses",
        model: "gpt-5",
      },
      provider_error: null,
      credential_error: null,
      env_key: null,
      missing_env_key: null,
      ignored_env: [],
      credential_source: "auto",
      ignored_by_setting: [],
      insecure_http: [],
      warnings: [],
    });
    expect(runs(home, "tok.sh")).toBe(1);
    expectNoSecret(r, ...ALL);
  });

  test("argv[0] as node's absolute path with a script argument: named `node`", async () => {
    const { home, configFile } = homeWith((h) => {
      const js = join(h, "print-token.js");
      writeFileSync(js, `process.stdout.write(${JSON.stringify(`${TOKEN}\n`)});\n`);
      return `auth_command = ${tomlArray([process.execPath, js])}\n`;
    });
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe(loggedInLine("node", TOKEN) + sourceLine(configFile, "node"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test("a bare program name is looked up on PATH", async () => {
    const { home, configFile } = homeWith((h) => {
      tokenScript(h, "codex-test-token-tool", `${TOKEN}\\n`);
      return `auth_command = ["codex-test-token-tool"]\n`;
    });
    const r = await runCliInProcess(["status"], { home, env: { PATH: `${home}:${process.env.PATH}` } });
    expect(r.stdout).toBe(
      loggedInLine("codex-test-token-tool", TOKEN) + sourceLine(configFile, "codex-test-token-tool"),
    );
    expect(r.code).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test.each([
    ["a second line", `${TOKEN}\\nsk-not-this-0123456789abcdNOPE\\n`],
    [
      "leading empty and blank lines, spaces around the token",
      `\\n   \\n\\t${TOKEN}  \\nsk-not-this-0123456789abcdNOPE\\n`,
    ],
    ["CRLF line endings", `${TOKEN}\\r\\nsk-not-this-0123456789abcdNOPE\\r\\n`],
    ["no line ending", TOKEN],
  ])("output with %s: the first non-empty line, trimmed, is the bearer token", async (_name, out) => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const { home, codexHome, configFile } = homeWith((h) =>
      providerToml(server, `auth_command = ${tomlArray([tokenScript(h, "multi.sh", out)])}`),
    );
    const r = await runCliInProcess(["run", "hi"], { home });
    expectReply(r);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(runs(home, "multi.sh")).toBe(1);
    expectNoSecret(r, ...ALL, "sk-not-this-0123456789abcdNOPE");
    expectNothingWritten(codexHome, configFile);
  });
});

describe("codex run", () => {
  test("sends the command's token as the bearer token; the command runs once per run", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])), sse(responsesEvents(["Hello"])));
    const { home, codexHome, configFile } = homeWith((h) =>
      providerToml(server, `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}`),
    );
    const first = await runCliInProcess(["run", "hi"], { home });
    expectReply(first);
    expect(runs(home, "tok.sh")).toBe(1);
    const second = await runCliInProcess(["run", "hi"], { home });
    expectReply(second);
    expect(runs(home, "tok.sh")).toBe(2);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expectNoSecret(first, ...ALL);
    expectNoSecret(second, ...ALL);
    expectNothingWritten(codexHome, configFile);
  });

  test("runs the command fresh each time: a rotated secret is picked up at the next run", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])), sse(responsesEvents(["Hello"])));
    const { home, codexHome, configFile } = homeWith((h) =>
      providerToml(server, `auth_command = ${tomlArray([tokenScript(h, "rotating.sh", `${TOKEN}\\n`)])}`),
    );
    const first = await runCliInProcess(["run", "hi"], { home });
    expectReply(first);
    tokenScript(home, "rotating.sh", `${ROTATED}\\n`);
    const second = await runCliInProcess(["run", "hi"], { home });
    expectReply(second);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${ROTATED}`]);
    expect(runs(home, "rotating.sh")).toBe(2);
    const status = await runCliInProcess(["status"], { home });
    expect(status.stdout.split("\n")[0]).toBe(loggedInLine("rotating.sh", ROTATED).trimEnd());
    expectNoSecret(first, ...ALL);
    expectNoSecret(second, ...ALL);
    expectNoSecret(status, ...ALL);
    expectNothingWritten(codexHome, configFile);
  });
});

describe("precedence", () => {
  test.each(["OPENAI_API_KEY", "CODEX_API_KEY"])("%s wins over auth_command, which is then not run", async (v) => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    // Only a provider that takes OpenAI's credentials gets OpenAI's variables (test/security-routing.test.ts).
    const { home } = homeWith((h) =>
      providerToml(
        server,
        `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}`,
        "requires_openai_auth = true\n",
      ),
    );
    const r = await runCliInProcess(["run", "hi"], { home, env: { [v]: ENV_KEY } });
    // The command it hides is named (not run), as run says of any credential a variable overrides.
    expectReply(
      r,
      `warning: using ${v} from the environment, not the credential from command \`tok.sh\`; unset ${v}, or set credential_source = "stored" in ${join(home, ".codex", "config.toml")}, to use the auth_command\n`,
    );
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
    expect(runs(home, "tok.sh")).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test("status with OPENAI_API_KEY set: the variable is in use, and the command is not run for a note", async () => {
    const { home } = homeWith((h) => `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`);
    const r = await runCliInProcess(["status"], { home, env: { OPENAI_API_KEY: ENV_KEY } });
    expect(r.stdout).toBe("Logged in using an API key: sk-…ENVV\n  Source: environment variable OPENAI_API_KEY\n");
    expect(runs(home, "tok.sh")).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test("auth_command wins over a stored auth_token (status and run)", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const { home, configFile } = homeWith((h) =>
      providerToml(
        server,
        `auth_token = "${STORED}"\nauth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}`,
      ),
    );
    const r = await runCliInProcess(["run", "hi"], { home });
    expectReply(
      r,
      `warning: using the credential from auth_command \`tok.sh\`, not the API key stored in ${configFile} (sk-…STRD); remove auth_command from ${configFile} to use the stored one, or run \`codex logout\` to remove it\n`,
    );
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout).toBe(
      loggedInLine("tok.sh", TOKEN) +
        sourceLine(configFile, "tok.sh") +
        `  Provider: Local (${server.baseUrl}, responses API)\n`,
    );
    expect(st.code).toBe(0);
    expectNoSecret(r, ...ALL);
    expectNoSecret(st, ...ALL);
  });
});

describe("a command that fails", () => {
  test("non-zero exit: status says so with the first stderr line, exit 1, never the output", async () => {
    const { home, configFile } = homeWith((h) => {
      const fail = shScript(
        h,
        "fail.sh",
        `echo '${TOKEN}'\necho 'vault: permission denied' >&2\necho 'second err line' >&2\nexit 3\n`,
      );
      return `auth_command = ${tomlArray([fail])}\n`;
    });
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe("Not logged in: auth_command `fail.sh` exited with status 3: vault: permission denied\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expectNoSecret(r, ...ALL);
    const json = await runCliInProcess(["status", "--json"], { home });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      authenticated: false,
      source: null,
      source_type: null,
      hint: null,
      config_path: configFile,
      legacy: false,
      credential_error: "auth_command `fail.sh` exited with status 3: vault: permission denied",
    });
    expectNoSecret(json, ...ALL);
  });

  test("non-zero exit with nothing on stderr: just the status", async () => {
    const { home } = homeWith((h) => `auth_command = ${tomlArray([shScript(h, "quiet.sh", "exit 7\n")])}\n`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe("Not logged in: auth_command `quiet.sh` exited with status 7\n");
    expect(r.code).toBe(1);
  });

  test("non-zero exit: run exits 1 with the same message and sends no request", async () => {
    const server = await startProvider();
    const { home } = homeWith((h) => {
      const fail = shScript(h, "fail.sh", `echo '${TOKEN}'\necho 'vault: permission denied' >&2\nexit 3\n`);
      return providerToml(server, `auth_command = ${tomlArray([fail])}`);
    });
    const r = await runCliInProcess(["run", "hi"], { home });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: auth_command `fail.sh` exited with status 3: vault: permission denied\n");
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
    expectNoSecret(r, ...ALL);
  });

  test("not found (absolute path and bare name): status and run say so, exit 1, no request", async () => {
    const server = await startProvider();
    for (const argv of [["/nonexistent-dir/codex-no-such-tool", "read"], ["codex-no-such-tool"]]) {
      const { home } = homeWith(() => providerToml(server, `auth_command = ${tomlArray(argv)}`));
      const st = await runCliInProcess(["status"], { home });
      expect(st.stdout).toBe(
        "Not logged in: auth_command `codex-no-such-tool` was not found; check auth_command in config.toml\n",
      );
      expect(st.stderr).toBe("");
      expect(st.code).toBe(1);
      const r = await runCliInProcess(["run", "hi"], { home });
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        "error: auth_command `codex-no-such-tool` was not found; check auth_command in config.toml\n",
      );
      expect(r.code).toBe(1);
    }
    expect(server.requests).toEqual([]);
  });

  test("not executable: could not be run, exit 1", async () => {
    const { home } = homeWith((h) => {
      const path = tokenScript(h, "noexec.sh", `${TOKEN}\\n`);
      chmodSync(path, 0o644);
      return `auth_command = ${tomlArray([path])}\n`;
    });
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe("Not logged in: auth_command `noexec.sh` could not be run (EACCES)\n");
    expect(r.code).toBe(1);
    expect(runs(home, "noexec.sh")).toBe(0);
  });

  test.each([
    ["nothing", ""],
    ["only blank lines", "\\n  \\n\\t\\n"],
  ])("printing %s: not logged in, run sends nothing", async (_name, out) => {
    const server = await startProvider();
    const { home } = homeWith((h) =>
      providerToml(server, `auth_command = ${tomlArray([tokenScript(h, "empty.sh", out)])}`),
    );
    const st = await runCliInProcess(["status"], { home });
    const why = "auth_command `empty.sh` printed nothing; it must print the token on standard output";
    expect(st.stdout).toBe(`Not logged in: ${why}\n`);
    expect(st.code).toBe(1);
    const r = await runCliInProcess(["run", "hi"], { home });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`error: ${why}\n`);
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
  });

  test("a first line with a space in it is refused without quoting it", async () => {
    const server = await startProvider();
    const { home } = homeWith((h) =>
      providerToml(server, `auth_command = ${tomlArray([tokenScript(h, "spaced.sh", `Bearer ${TOKEN}\\n`)])}`),
    );
    const why =
      "auth_command `spaced.sh` printed a first line that is not a token: it contains a space at position 7 (a key is printable ASCII: no spaces, quotes, control or non-ASCII characters)";
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout).toBe(`Not logged in: ${why}\n`);
    expect(st.code).toBe(1);
    const r = await runCliInProcess(["run", "hi"], { home });
    expect(r.stderr).toBe(`error: ${why}\n`);
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
    expectNoSecret(st, ...ALL);
    expectNoSecret(r, ...ALL);
  });
});

describe("arguments are passed literally, without a shell", () => {
  test("metacharacters, variables and globs reach the command as written; nothing is executed", async () => {
    const { home, configFile } = homeWith(() => "");
    const marker = (n: string) => join(home, `pwned-${n}`);
    const args = [
      `$(touch ${marker("subst")})`,
      `; touch ${marker("semi")}`,
      `\`touch ${marker("backtick")}\``,
      `| touch ${marker("pipe")}`,
      `&& touch ${marker("and")}`,
      "$HOME",
      "*",
      "two words",
    ];
    const js = join(home, "args.js");
    writeFileSync(
      js,
      `require("fs").writeFileSync(${JSON.stringify(join(home, "argv.json"))}, JSON.stringify(process.argv.slice(2)));\nconsole.log(${JSON.stringify(TOKEN)});\n`,
    );
    writeFileSync(configFile, `auth_command = ${tomlArray([process.execPath, js, ...args])}\n`, { mode: 0o600 });
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe(loggedInLine("node", TOKEN) + sourceLine(configFile, "node"));
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(home, "argv.json"), "utf8"))).toEqual(args);
    for (const n of ["subst", "semi", "backtick", "pipe", "and"]) expect(existsSync(marker(n))).toBe(false);
    expectNoSecret(r, ...ALL);
  });

  test("a program name with shell syntax in it is not interpreted either", async () => {
    const { home } = homeWith((h) => `auth_command = ["echo ${TOKEN}; touch ${join(h, "pwned")}"]\n`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toMatch(/^Not logged in: auth_command `.*` was not found; check auth_command in config\.toml\n$/);
    expect(r.code).toBe(1);
    expect(existsSync(join(home, "pwned"))).toBe(false);
  });
});

describe("a malformed auth_command", () => {
  test.each([
    ["a string", '"pass show openai"'],
    ["an empty array", "[]"],
    ["a non-string element", '["pass", 1]'],
    ["an empty string element", '["pass", ""]'],
    ["a table", '{ cmd = "pass" }'],
  ])("%s: status, run and logout fail with the config error, exit 1", async (_name, value) => {
    const server = await startProvider();
    const { home, configFile } = homeWith(() => `auth_command = ${value}\n`);
    const err = `error: ${configFile}: auth_command must be ${BAD_SHAPE}\n`;
    for (const args of [["status"], ["status", "--json"], ["run", "hi"], ["logout"]]) {
      const r = await runCliInProcess(args, { home, env: { OPENAI_BASE_URL: server.baseUrl } });
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toBe(err);
      expect(r.code, args.join(" ")).toBe(1);
    }
    expect(server.requests).toEqual([]);
  });

  test("in a profile: the key is named with its table", async () => {
    const { home, configFile } = homeWith(() => `[profiles.work]\nauth_command = "pass show work"\n`);
    const r = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`error: ${configFile}: profiles.work.auth_command must be ${BAD_SHAPE}\n`);
    expect(r.code).toBe(1);
  });
});

describe("codex logout", () => {
  test("auth_command only: explains the tool manages it, exit 0, config.toml untouched, command not run", async () => {
    const { home, codexHome, configFile } = homeWith(
      (h) => `# mine\nauth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`,
    );
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(managedWarning("tok.sh"));
    expect(r.code).toBe(0);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expect(runs(home, "tok.sh")).toBe(0);
    expectNoSecret(r, ...ALL);
    // Still logged in through the command afterwards.
    const st = await runCliInProcess(["status"], { home });
    expect(st.code).toBe(0);
    expect(st.stdout).toBe(loggedInLine("tok.sh", TOKEN) + sourceLine(configFile, "tok.sh"));
  });

  test("auth_command and a stored auth_token: removes the token, still explains the command", async () => {
    const { home, configFile } = homeWith(
      (h) => `auth_token = "${STORED}"\nauth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`,
    );
    const commandLine = readFileSync(configFile, "utf8").split("\n")[1];
    const r = await runCliInProcess(["logout"], { home });
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${configFile}\n`);
    expect(r.stderr).toBe(managedWarning("tok.sh"));
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`${commandLine}\n`);
    expect(runs(home, "tok.sh")).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test("--profile work with auth_command: the explanation is labelled with the profile", async () => {
    const { home, configFile } = homeWith(
      (h) =>
        `auth_token = "${STORED}"\n\n[profiles.work]\nauth_command = ${tomlArray([tokenScript(h, "work.sh", `${WORK}\\n`)])}\n`,
    );
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliInProcess(["logout", "--profile", "work"], { home });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(managedWarning("work.sh", "work: "));
    expect(r.code).toBe(0);
    expect(pathState(configFile)).toEqual(before);
    expectNoSecret(r, ...ALL);
  });
});

describe("codex login --with-api-key", () => {
  test("saves the key but warns that auth_command takes precedence; the command stays in use", async () => {
    const { home, configFile } = homeWith(
      (h) => `auth_command = ${tomlArray([tokenScript(h, "tok.sh", `${TOKEN}\\n`)])}\n`,
    );
    const commandLine = readFileSync(configFile, "utf8");
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${LOGIN_KEY}\n` });
    expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…LOGN), stored in ${configFile}\n`);
    expect(r.stderr).toBe(
      `warning: auth_command in ${configFile} supplies this account's credential and takes precedence over the one just saved; remove it to use this one\n`,
    );
    expect(r.code).toBe(0);
    const text = readFileSync(configFile, "utf8");
    expect(text).toContain(`auth_token = "${LOGIN_KEY}"`);
    expect(text).toContain(commandLine.trimEnd());
    expect(text).not.toContain(TOKEN);
    expect(runs(home, "tok.sh")).toBe(0);
    expectNoSecret(r, ...ALL);
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout).toBe(loggedInLine("tok.sh", TOKEN) + sourceLine(configFile, "tok.sh"));
    expectNoSecret(st, ...ALL);
  });

  test("--profile work with auth_command in work.config.toml: warns too, naming that file", async () => {
    const { home, codexHome } = homeWith(() => "");
    const workFile = join(codexHome, "work.config.toml");
    writeFileSync(workFile, `auth_command = ${tomlArray([tokenScript(home, "work.sh", `${WORK}\\n`)])}\n`, {
      mode: 0o600,
    });
    const r = await runCliInProcess(["login", "--with-api-key", "--profile", "work"], {
      home,
      input: `${LOGIN_KEY}\n`,
    });
    expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…LOGN), stored in ${workFile} (profile work)\n`);
    expect(r.stderr).toBe(
      `warning: auth_command in ${workFile} supplies this account's credential and takes precedence over the one just saved; remove it to use this one\n`,
    );
    expect(r.code).toBe(0);
    expectNoSecret(r, ...ALL);
  });

  test("--profile work with auth_command in a legacy [profiles.work]: the key goes to work.config.toml, the warning names config.toml", async () => {
    const { home, codexHome, configFile } = homeWith(
      (h) => `[profiles.work]\nauth_command = ${tomlArray([tokenScript(h, "work.sh", `${WORK}\\n`)])}\n`,
    );
    const before = readFileSync(configFile, "utf8");
    const workFile = join(codexHome, "work.config.toml");
    const r = await runCliInProcess(["login", "--with-api-key", "--profile", "work"], {
      home,
      input: `${LOGIN_KEY}\n`,
    });
    expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…LOGN), stored in ${workFile} (profile work)\n`);
    expect(r.stderr).toBe(
      `warning: auth_command in ${configFile} supplies this account's credential and takes precedence over the one just saved; remove it to use this one\n` +
        `warning: ${configFile} has a legacy [profiles.work] table, which OpenAI's Codex CLI refuses beside \`--profile work\` ("move those settings into work.config.toml"); move \`auth_command\` into ${workFile} and remove the table\n`,
    );
    expect(r.code).toBe(0);
    // The user's auth_command is theirs to move: config.toml is left as it was.
    expect(readFileSync(configFile, "utf8")).toBe(before);
    expectNoSecret(r, ...ALL);
  });
});

describe("profiles", () => {
  /** What `codex status --profile work` prints when `file`'s auth_command work.sh supplies the credential. */
  const workStatus = (file: string, server: FakeProvider) =>
    `${loggedInLine("work.sh", WORK)}${sourceLine(file, "work.sh")}  Profile: work (selected by --profile)\n  Provider: Local (${server.baseUrl}, responses API)\n`;

  test("work.config.toml's auth_command is used with --profile work; the default keeps its stored key", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])), sse(responsesEvents(["Hello"])));
    const { home, codexHome, configFile: baseFile } = homeWith(() => providerToml(server, `auth_token = "${STORED}"`));
    const configFile = join(codexHome, "work.config.toml");
    writeFileSync(configFile, `auth_command = ${tomlArray([tokenScript(home, "work.sh", `${WORK}\\n`)])}\n`, {
      mode: 0o600,
    });
    const work = await runCliInProcess(["run", "--profile", "work", "hi"], { home });
    expectReply(work);
    expect(runs(home, "work.sh")).toBe(1);
    const plain = await runCliInProcess(["run", "hi"], { home });
    expectReply(plain);
    expect(runs(home, "work.sh")).toBe(1);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${WORK}`, `Bearer ${STORED}`]);
    const st = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(st.stdout).toBe(workStatus(configFile, server));
    expect(st.stderr).toBe("");
    expect(st.code).toBe(0);
    const viaEnv = await runCliInProcess(["status"], { home, env: { CODEX_PROFILE: "work" } });
    expect(viaEnv.stdout.split("\n").slice(0, 3)).toEqual([
      loggedInLine("work.sh", WORK).trimEnd(),
      sourceLine(configFile, "work.sh").trimEnd(),
      "  Profile: work (selected by CODEX_PROFILE)",
    ]);
    for (const r of [work, plain, st, viaEnv]) expectNoSecret(r, ...ALL);
    expectNothingWritten(codexHome, baseFile);
    expectNothingWritten(codexHome, configFile);
  });

  test("a legacy [profiles.work] auth_command is still used with --profile work, and status says the table must move", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const { home, codexHome, configFile } = homeWith((h) =>
      providerToml(
        server,
        `auth_token = "${STORED}"`,
        `\n[profiles.work]\nauth_command = ${tomlArray([tokenScript(h, "work.sh", `${WORK}\\n`)])}\n`,
      ),
    );
    const work = await runCliInProcess(["run", "--profile", "work", "hi"], { home });
    expectReply(work);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${WORK}`]);
    const st = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(st.stdout).toBe(workStatus(configFile, server));
    expect(st.stderr).toBe(
      `warning: ${configFile} has a legacy [profiles.work] table, which OpenAI's Codex CLI refuses beside \`--profile work\` ("move those settings into work.config.toml"); move \`auth_command\` into ${join(codexHome, "work.config.toml")} and remove the table\n`,
    );
    expect(st.code).toBe(0);
    for (const r of [work, st]) expectNoSecret(r, ...ALL);
    expectNothingWritten(codexHome, configFile);
  });

  test("a failing profile command: status --profile work says so, with the profile line", async () => {
    const { home } = homeWith(
      (h) => `[profiles.work]\nauth_command = ${tomlArray([shScript(h, "fail.sh", "echo locked >&2\nexit 3\n")])}\n`,
    );
    const r = await runCliInProcess(["status", "--profile", "work"], { home });
    expect(r.stdout).toBe(
      "Not logged in: auth_command `fail.sh` exited with status 3: locked\n  Profile: work (selected by --profile)\n",
    );
    expect(r.code).toBe(1);
  });
});

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

const readPid = (file: string) => Number(readFileSync(file, "utf8").trim());

/**
 * The slow cases run concurrently (each costs 10 s), so they use the test context's hooks and their own
 * server: the helpers' global hooks cannot tell concurrent tests apart.
 */
describe("a command that does not finish", () => {
  /** A home whose config.toml runs `body` as sh script `slow.sh`; removed (and leftovers killed) after. */
  function slowHome(onTestFinished: (fn: () => void) => void, body: (dir: string) => string, top = "") {
    const made = homeWithConfig(undefined);
    const path = shScript(made.home, "slow.sh", body(made.home));
    writeFileSync(made.configFile, `auth_command = ${tomlArray([path])}\n${top}`, { mode: 0o600 });
    onTestFinished(() => {
      for (const f of ["slow.pid", "child.pid"]) {
        const file = join(made.home, f);
        if (existsSync(file) && alive(readPid(file))) process.kill(readPid(file), "SIGKILL");
      }
      rmSync(made.home, { recursive: true, force: true });
    });
    return made;
  }

  const TIMEOUT_MSG = "auth_command `slow.sh` did not finish within 10 s";

  test.concurrent("status gives up after 10 s, kills it, exit 1", async ({ expect, onTestFinished }) => {
    const { home } = slowHome(onTestFinished, (d) => `echo $$ > '${d}/slow.pid'\nexec sleep 60\n`);
    const start = performance.now();
    // Spawned: that the killed command is gone shows once it has been reaped, which a process of its own ensures.
    const r = await runCli(["status"], { home, timeoutMs: 40_000 });
    const elapsed = performance.now() - start;
    expect(r.stdout).toBe(`Not logged in: ${TIMEOUT_MSG}\n`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(elapsed).toBeGreaterThan(9_000);
    expect(elapsed).toBeLessThan(14_000);
    expect(alive(readPid(join(home, "slow.pid")))).toBe(false);
  });

  test.concurrent("run gives up after 10 s, exit 1, sends no request", async ({ expect, onTestFinished }) => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const { home } = slowHome(
      onTestFinished,
      (d) => `echo $$ > '${d}/slow.pid'\nexec sleep 60\n`,
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${baseUrl}"\n`,
    );
    const start = performance.now();
    // Spawned: that the killed command is gone shows once it has been reaped, which a process of its own ensures.
    const r = await runCli(["run", "hi"], { home, timeoutMs: 40_000 });
    const elapsed = performance.now() - start;
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`error: ${TIMEOUT_MSG}\n`);
    expect(r.code).toBe(1);
    expect(elapsed).toBeGreaterThan(9_000);
    expect(elapsed).toBeLessThan(14_000);
    expect(requests).toEqual([]);
    expect(alive(readPid(join(home, "slow.pid")))).toBe(false);
  });

  test.concurrent("a wrapper script whose child keeps the output open: gives up after 10 s, both killed", async ({
    expect,
    onTestFinished,
  }) => {
    // As `op`, `vault` or a shell wrapper that starts a helper: the helper inherits standard output, so
    // waiting for the pipe to close would wait for the helper. codex kills the command and everything it
    // started, found by parent pid (it does not start commands in a process group of their own, which would
    // cut them off from the terminal a password prompt needs).
    const { home } = slowHome(
      onTestFinished,
      (d) => `echo $$ > '${d}/slow.pid'\nsleep 20 &\necho $! > '${d}/child.pid'\nwait\n`,
    );
    onTestFinished(() => {
      try {
        process.kill(readPid(join(home, "child.pid")), "SIGKILL");
      } catch {}
    });
    const start = performance.now();
    // Spawned: that the killed command is gone shows once it has been reaped, which a process of its own ensures.
    const r = await runCli(["status"], { home, timeoutMs: 40_000 });
    const elapsed = performance.now() - start;
    expect(r.stdout).toBe(`Not logged in: ${TIMEOUT_MSG}\n`);
    expect(r.code).toBe(1);
    expect(elapsed).toBeGreaterThan(9_000);
    expect(elapsed).toBeLessThan(14_000);
    expect(alive(readPid(join(home, "slow.pid")))).toBe(false);
    expect(alive(readPid(join(home, "child.pid")))).toBe(false);
  }, 45_000);
});
