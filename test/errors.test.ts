/**
 * Failures through the CLI: a malformed, unreadable or misplaced config.toml is one clear line on
 * stderr (`error: <path>:<line>:<col>: <reason>` for a parse error), exit 1, no stack trace unless --debug,
 * nothing secret echoed and the file untouched. Also help, version, usage errors and plain (colourless)
 * output when not on a terminal.
 */
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  agePath,
  asRoot,
  codexHomeOf,
  expectNoSecret,
  NOBODY,
  pathState,
  ROOT,
  runCli,
  runCliAs,
  type RunResult,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const KEY = "sk-errors-0123456789abcdefERRS";
const LEAK = "sk-leak-0123456789abcdefLEAK";
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The three commands that read config.toml, each as a user would run it. */
const COMMANDS: { name: string; args: string[]; input?: string }[] = [
  { name: "status", args: ["status"] },
  { name: "login status", args: ["login", "status", "--json"] },
  { name: "login --with-api-key", args: ["login", "--with-api-key"], input: `${KEY}\n` },
  { name: "logout", args: ["logout"] },
];

function expectNoStack(r: RunResult): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe("malformed config.toml", () => {
  const CASES: { name: string; bytes: Buffer; line: number; column: number; reason: string }[] = [
    {
      name: "unterminated basic string holding a key",
      bytes: Buffer.from(`model = "o3"\nauth_token = "${LEAK}\n[tui]\n`),
      line: 2,
      column: 43,
      reason: "control characters are not allowed in strings",
    },
    {
      name: "unterminated basic string at end of file",
      bytes: Buffer.from(`auth_token = "${LEAK}`),
      line: 1,
      column: 14,
      reason: "unfinished string",
    },
    {
      name: "unterminated literal string holding a key",
      bytes: Buffer.from(`auth_token = '${LEAK}\n`),
      line: 1,
      column: 43,
      reason: "control characters are not allowed in strings",
    },
    {
      name: "unquoted key value",
      bytes: Buffer.from(`auth_token = ${LEAK}\n`),
      line: 1,
      column: 14,
      reason: "invalid value",
    },
    {
      name: "duplicate key",
      bytes: Buffer.from(`auth_token = "${LEAK}"\nauth_token = "${LEAK}2"\n`),
      line: 2,
      column: 1,
      reason: "trying to redefine an already defined table or value",
    },
    {
      name: "duplicate table",
      bytes: Buffer.from(`[tui]\nx = 1\n[tui]\ny = "${LEAK}"\n`),
      line: 3,
      column: 2,
      reason: "trying to redefine an already defined table or value",
    },
    {
      name: "unclosed table header",
      bytes: Buffer.from(`model = 1\n[bad\nx = "${LEAK}"\n`),
      line: 2,
      column: 5,
      reason: "illegal character in key",
    },
    {
      name: "invalid UTF-8 byte",
      bytes: Buffer.concat([
        Buffer.from(`auth_token = "${LEAK}"\nmodel = "o`),
        Buffer.from([0xff]),
        Buffer.from('3"\n'),
      ]),
      line: 2,
      column: 11,
      reason: "invalid UTF-8 (config.toml must be UTF-8 text)",
    },
    {
      name: "invalid UTF-8 byte on a CRLF line 3",
      bytes: Buffer.concat([
        Buffer.from('# ok\r\nmodel = "o3"\r\nname = "'),
        Buffer.from([0xfe]),
        Buffer.from('"\r\n'),
      ]),
      line: 3,
      column: 9,
      reason: "invalid UTF-8 (config.toml must be UTF-8 text)",
    },
  ];

  for (const c of CASES) {
    test.each(COMMANDS)(
      `${c.name}: $name exits 1 with path:line:col, no stack, no secret, file unchanged`,
      async (cmd) => {
        const { home, codexHome, configFile } = withConfig(c.bytes);
        agePath(configFile);
        const before = pathState(configFile);
        const r = await runCliInProcess(cmd.args, { home, input: cmd.input });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(`error: ${configFile}:${c.line}:${c.column}: ${c.reason}\n`);
        expectNoStack(r);
        expectNoSecret(r, LEAK, KEY, "sk-leak");
        expect(pathState(configFile)).toEqual(before);
        expect(readdirSync(codexHome)).toEqual(["config.toml"]);
      },
    );
  }

  // The first invalid byte is the lead byte of a truncated sequence; an editor puts the cursor there.
  test.each([
    ["a lead byte followed by a quote", Buffer.from([...Buffer.from('model = "'), 0xc3, ...Buffer.from('"\n')]), 1, 10],
    ["a lead byte at end of file", Buffer.from([...Buffer.from("a = 1\n"), 0xc3]), 2, 1],
    [
      "a 3-byte sequence cut after 2 bytes",
      Buffer.from([...Buffer.from('a = "'), 0xe2, 0x82, ...Buffer.from('"\n')]),
      1,
      6,
    ],
  ])("truncated UTF-8 (%s) is reported at its first byte", async (_name, bytes, line, column) => {
    const { home, configFile } = withConfig(bytes);
    const r = await runCliInProcess(["status"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${configFile}:${line}:${column}: invalid UTF-8 (config.toml must be UTF-8 text)\n`);
  });

  // Spawned, as the two tests below: the stack trace is the bundle's (dist/main.cjs, class names kept by the build).
  test("--debug adds a stack trace (still no secret), before or after the command", async () => {
    const { home, configFile } = withConfig(`auth_token = "${LEAK}`);
    for (const args of [
      ["--debug", "status"],
      ["status", "--debug"],
      ["logout", "--debug"],
    ]) {
      const r = await runCli(args, { home });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.split("\n");
      expect(lines[0]).toBe(`error: ${configFile}:1:14: unfinished string`);
      expect(lines.filter((l) => /^\s+at /.test(l)).length).toBeGreaterThan(0);
      expectNoSecret(r, LEAK);
    }
  });

  test("--debug names the error class in the stack trace", async () => {
    const { home, configFile } = withConfig(`auth_token = "${LEAK}`);
    const r = await runCli(["status", "--debug"], { home });
    expect(r.stderr.split("\n")[1]).toBe(`ConfigParseError: ${configFile}:1:14: unfinished string`);
  });
});

describe("config.toml that cannot be read or written", () => {
  /** A home the unprivileged user can traverse (mkdtemp makes it 0700). */
  function traversable(home: string): void {
    chmodSync(home, 0o755);
  }

  test.skipIf(!asRoot).each(COMMANDS)("unreadable config: $name exits 1, one line naming the path", async (cmd) => {
    const { home, codexHome, configFile } = withConfig(`auth_token = "${KEY}"\n`);
    traversable(home);
    chmodSync(codexHome, 0o755);
    chmodSync(configFile, 0o600); // root's
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`error: cannot read ${configFile}: permission denied\n`);
    expectNoSecret(r, KEY);
    expect(pathState(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test.skipIf(!asRoot)(
    "CODEX_HOME another user owns and we cannot write: login exits 1, one line, nothing changed",
    async () => {
      const { home, codexHome, configFile } = withConfig('model = "o3"\n');
      traversable(home);
      chmodSync(codexHome, 0o755);
      chmodSync(configFile, 0o644);
      agePath(configFile);
      const before = pathState(configFile);
      const dirBefore = pathState(codexHome);
      const r = await runCliAs(NOBODY, ["login", "--with-api-key"], { home, input: `${KEY}\n` });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(r.stderr).toContain(codexHome);
      expectNoStack(r);
      expectNoSecret(r, KEY);
      expect(pathState(configFile)).toEqual(before);
      expect(pathState(codexHome)).toEqual(dirBefore);
      expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    },
  );

  test.skipIf(!asRoot)(
    "…and the line says permission denied, not that an existing directory cannot be created",
    async () => {
      const { home, codexHome } = withConfig('model = "o3"\n');
      traversable(home);
      chmodSync(codexHome, 0o755);
      const r = await runCliAs(NOBODY, ["login", "--with-api-key"], { home, input: `${KEY}\n` });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("permission denied");
      expect(r.stderr).not.toContain("cannot create the directory");
    },
  );

  test.skipIf(!asRoot).each([
    { name: "login --with-api-key", args: ["login", "--with-api-key"], input: `${KEY}\n` },
    { name: "logout", args: ["logout"], input: undefined },
  ])("our own read-only (0500) CODEX_HOME: $name fails with permission denied and leaves it read-only", async (cmd) => {
    const { home, codexHome, configFile } = withConfig(`auth_token = "${KEY}2"\n`);
    traversable(home);
    chownSync(codexHome, NOBODY.uid, NOBODY.gid);
    chownSync(configFile, NOBODY.uid, NOBODY.gid);
    chmodSync(configFile, 0o600);
    chmodSync(codexHome, 0o500);
    agePath(configFile);
    const before = pathState(configFile);
    const r = await runCliAs(NOBODY, cmd.args, { home, input: cmd.input });
    expectNoSecret(r, KEY);
    expect(statSync(codexHome).mode & 0o777).toBe(0o500);
    expect(pathState(configFile)).toEqual(before);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: [^\n]*permission denied\n$/);
  });

  test.each(COMMANDS)("a directory where config.toml should be: $name exits 1, one clear line", async (cmd) => {
    const home = testHome();
    const configFile = join(codexHomeOf(home), "config.toml");
    mkdirSync(configFile, { recursive: true });
    const r = await runCliInProcess(cmd.args, { home, input: cmd.input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    // The cause and its fix, not "make it readable": no chmod helps a directory that is in the way.
    expect(r.stderr).toBe(`error: ${configFile} is a directory, not a file; remove or rename it\n`);
    expectNoSecret(r, KEY);
    expect(statSync(configFile).isDirectory()).toBe(true);
    expect(readdirSync(configFile)).toEqual([]);
  });

  test.each(COMMANDS)("CODEX_HOME is a file: $name exits 1, one clear line", async (cmd) => {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    writeFileSync(codexHome, "not a directory\n");
    const r = await runCliInProcess(cmd.args, { home, input: cmd.input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: CODEX_HOME ${codexHome} is a file, not a directory; rename or remove it, or set CODEX_HOME to a directory\n`,
    );
    expect(readFileSync(codexHome, "utf8")).toBe("not a directory\n");
  });
});

describe("symlinked config.toml (a dotfile manager's link into another directory)", () => {
  function linked(content: string | undefined) {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    const dotfiles = join(home, "dotfiles");
    mkdirSync(codexHome, { mode: 0o700 });
    mkdirSync(dotfiles, { mode: 0o755 });
    const target = join(dotfiles, "codex.toml");
    if (content !== undefined) writeFileSync(target, content, { mode: 0o644 });
    const link = join(codexHome, "config.toml");
    symlinkSync("../dotfiles/codex.toml", link);
    return { home, codexHome, dotfiles, target, link };
  }

  test("login writes through the link: the link stays, the target gets the key and mode 0600", async () => {
    const { home, codexHome, dotfiles, target, link } = linked('model = "o3"\n');
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged in using an API key (sk-…ERRS), stored in ${link}\n`);
    expect(pathState(link)).toMatchObject({ kind: "symlink", linkTarget: "../dotfiles/codex.toml" });
    expect(readFileSync(target, "utf8")).toBe(`model = "o3"\nauth_token = "${KEY}"\n`);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expect(readdirSync(dotfiles)).toEqual(["codex.toml"]);
    expectNoSecret(r, KEY);

    const status = await runCliInProcess(["status"], { home });
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(`Logged in using an API key: sk-…ERRS\n  Source: ${link}\n`);
  });

  test("logout writes through the link too", async () => {
    const { home, target, link } = linked(`model = "o3"\nauth_token = "${KEY}"\n`);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${link}\n`);
    expect(pathState(link)).toMatchObject({ kind: "symlink", linkTarget: "../dotfiles/codex.toml" });
    expect(readFileSync(target, "utf8")).toBe('model = "o3"\n');
    expectNoSecret(r, KEY);
  });

  test("a dangling link: login exits 1 naming both ends, the link unchanged, the target not created", async () => {
    const { home, target, link } = linked(undefined);
    const before = pathState(link);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: ${link} is a symbolic link to ../dotfiles/codex.toml, which does not exist; create that file, or remove the link\n`,
    );
    expect(pathState(link)).toEqual(before);
    expect(pathState(target)).toEqual({ kind: "missing" });
    expectNoSecret(r, KEY);
  });
});

describe("help, version and usage errors", () => {
  test.each([
    [[], "codex"],
    [["--help"], "codex"],
    [["-h"], "codex"],
    [["help"], "codex"],
    [["login", "--help"], "codex login"],
    [["login", "-h"], "codex login"],
    [["help", "login"], "codex login"],
    [["logout", "--help"], "codex logout"],
    [["help", "logout"], "codex logout"],
    [["status", "--help"], "codex status"],
    [["status", "-h"], "codex status"],
    [["help", "status"], "codex status"],
    [["login", "status", "--help"], "codex login status"],
  ])("codex %j: usage on stdout, exit 0", async (args, usage) => {
    const home = testHome();
    const r = await runCliInProcess(args, { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^Usage: ${usage}( |$)`, "m"));
    expect(readdirSync(home)).toEqual([]);
  });

  test("--help wins over a pending login: nothing read, nothing written", async () => {
    const home = testHome();
    const r = await runCliInProcess(["login", "--with-api-key", "--help"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: codex login/m);
    expect(readdirSync(home)).toEqual([]);
    expectNoSecret(r, KEY);
  });

  test.each([["--version"], ["-V"]])("%s prints the package.json version", async (flag) => {
    const r = await runCliInProcess([flag], { home: testHome() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.stderr).toBe("");
  });

  test.each([
    [["bogus"]],
    [["logn"]],
    [["--bogus"]],
    [["help", "bogus"]],
    [["status", "--bogus"]],
    [["status", "-x"]],
    [["login", "--bogus"]],
    [["login", "status", "--bogus"]],
    [["logout", "--bogus"]],
    [["logout", "extra"]],
    [["status", "--json=yes"]],
  ])("codex %j: exit 2, one error line on stderr, nothing on stdout", async (args) => {
    const home = testHome();
    const r = await runCliInProcess(args, { home });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: [^\n]+\n(\(did you mean [^\n]+\)\n)?$/i);
    expectNoStack(r);
    expect(readdirSync(home)).toEqual([]);
  });

  // What people type: a capitalised command, OpenAI's Codex CLI's `exec`, a prompt without `run`.
  test.each([
    [["Status"], "error: unknown command 'Status' (did you mean status?); see `codex --help`"],
    [["STATUS"], "error: unknown command 'STATUS' (did you mean status?); see `codex --help`"],
    [["help", "LOGOUT"], "error: unknown command 'LOGOUT' (did you mean logout?); see `codex --help`"],
    [
      ["exec", "fix the tests"],
      "error: unknown command 'exec': that is OpenAI's Codex CLI; to send a prompt here: `codex run \"fix the tests\"`",
    ],
    [["e"], "error: unknown command 'e': that is OpenAI's Codex CLI; to send a prompt here: `codex run PROMPT`"],
    [["hello world"], 'error: unknown command; to send a prompt to the model: `codex run "hello world"`'],
    [
      ["fix", "Bob's", "bug", "--profile", "work"],
      "error: unknown command 'fix'; to send a prompt to the model: `codex run 'fix Bob'\\''s bug'`",
    ],
    [["hello"], "error: unknown command 'hello'; see `codex --help`"],
  ])("codex %j: says what was meant", async (args, line) => {
    const home = testHome();
    const r = await runCliInProcess(args, { home });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\n`);
    expect(readdirSync(home)).toEqual([]);
  });

  test.each([
    ["a prompt holding a key", [`use ${KEY} please`]],
    ["exec with a key", ["exec", `use ${KEY}`]],
    ["a prompt that is a key", [KEY, "please"]],
    ["a prompt with an escape sequence", ["make it \x1b]0;pwned\x07 red"]],
    ["a prompt with a bidi control", ["fix \u202e the tests"]],
    ["a prompt too long to read in one line", ["x ".repeat(40)]],
  ])("%s: the prompt is not repeated", async (_name, args) => {
    const r = await runCliInProcess(args, { home: testHome() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("`codex run PROMPT`");
    for (const shown of ["\x1b", "\x07", "\u202e", "pwned"]) expect(r.stderr).not.toContain(shown);
    expectNoSecret(r, KEY, "0123456789abcdef");
  });

  // A key pasted in the wrong place must not land on the terminal (and in scrollback, CI logs, …).
  test.each([
    ["codex <key>", [KEY]],
    ["codex help <key>", ["help", KEY]],
    ["codex -k<key>", [`-k${KEY}`]],
    ["codex --token=<key>", [`--token=${KEY}`]],
    ["codex status <key>", ["status", KEY]],
    ["codex logout <key>", ["logout", KEY]],
    ["codex login status <key>", ["login", "status", KEY]],
    ["codex login -k<key>", ["login", `-k${KEY}`]],
  ])("%s: exit 2 and the key is not echoed", async (_name, args) => {
    const home = testHome();
    const r = await runCliInProcess(args, { home });
    expect(r.code).toBe(2);
    expectNoSecret(r, KEY, "0123456789abcdef");
    expect(readdirSync(home)).toEqual([]);
  });
});

describe("no ANSI escapes when output is not a terminal", () => {
  const ESC = "\x1b";
  // Every kind of line the CLI prints: results, hints, warnings, errors, usage errors, help.
  async function everyKindOfOutput(env: Record<string, string | undefined>): Promise<RunResult[]> {
    const { home } = withConfig(`auth_token = "${KEY}"\n`);
    const broken = withConfig(`auth_token = "${LEAK}`);
    const empty = testHome();
    const warn = { ...env, OPENAI_API_KEY: `${KEY}-env` };
    return [
      await runCliInProcess(["status"], { home, env }),
      await runCliInProcess(["status"], { home, env: warn }),
      await runCliInProcess(["status", "--json"], { home, env }),
      await runCliInProcess(["status"], { home: empty, env }),
      await runCliInProcess(["login", "--with-api-key"], { home, env: warn, input: `${KEY}\n` }),
      await runCliInProcess(["login", "--with-api-key"], { home, env, input: "\n" }),
      await runCliInProcess(["logout"], { home, env: warn }),
      await runCliInProcess(["logout"], { home, env }),
      await runCliInProcess(["status"], { home: broken.home, env }),
      await runCliInProcess(["bogus"], { home: empty, env }),
      await runCliInProcess(["--help"], { home: empty, env }),
      await runCliInProcess(["login", "--help"], { home: empty, env }),
    ];
  }

  test.each([
    ["NO_COLOR unset, TERM=xterm-256color", { NO_COLOR: undefined, TERM: "xterm-256color" }],
    ["NO_COLOR=1, TERM=xterm-256color", { NO_COLOR: "1", TERM: "xterm-256color" }],
    [
      "FORCE_COLOR=1 and COLORTERM=truecolor",
      { NO_COLOR: undefined, TERM: "xterm-256color", FORCE_COLOR: "1", COLORTERM: "truecolor" },
    ],
  ])("%s", async (_name, env) => {
    const results = await everyKindOfOutput(env);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 1, 2, 0, 0]);
    for (const r of results) {
      expect(r.stdout).not.toContain(ESC);
      expect(r.stderr).not.toContain(ESC);
      expectNoSecret(r, KEY, LEAK);
    }
  });
});
