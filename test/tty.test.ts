/**
 * `codex login` on a real pseudo-terminal (python3's pty module, see runCliInPty): the key is asked for with a
 * masked prompt, typed keys never reach the screen, Ctrl-C cancels without writing anything. Also colour on a
 * terminal, and its absence under NO_COLOR / TERM=dumb.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { codexHomeOf, type PtyResult, runCliInPty, testHome, CREATED } from "./helpers.js";

// Capital letters that appear nowhere in codex's own output (not even in OPENAI_API_KEY or CODEX_API_KEY), so
// any of them on screen would be the key leaking. The last four are the masked hint's tail, shown on purpose.
const SECRET_BODY = "QZWVJQZWVJQZWVJQZWVJ";
const KEY = `sk-${SECRET_BODY}7777`;
const PROMPT = "Paste your API key:";
const CHOOSER = "How do you want to sign in?";
/** At the sign-in chooser: down twice to "Paste an API key", then Enter. */
const PICK_API_KEY = { wait: CHOOSER, send: "\x1b[B\x1b[B\r" };

/** The terminal output as a person would read it: escape sequences dropped, the temp path made constant. */
function screenText(r: PtyResult, home: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what we strip
  return r.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replaceAll(home, "<HOME>");
}

function expectKeyNeverShown(r: PtyResult, home: string): void {
  const screen = screenText(r, home);
  expect(screen).not.toContain(KEY);
  for (const ch of new Set(SECRET_BODY)) expect(screen, `'${ch}' on screen`).not.toContain(ch);
}

describe("masked prompt on a terminal", () => {
  test.each([
    ["codex login, choosing 'Paste an API key'", ["login"], [PICK_API_KEY]],
    ["codex login --with-api-key", ["login", "--with-api-key"], []],
  ])("%s: asks, masks each character with *, stores the key, exit 0", async (_name, args, before) => {
    const home = testHome();
    const r = await runCliInPty(args, { home, steps: [...before, { wait: PROMPT, send: `${KEY}\r` }] });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    const configFile = join(codexHomeOf(home), "config.toml");
    expect(readFileSync(configFile, "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expect(r.output).toContain(`${PROMPT} ${"*".repeat(KEY.length)}`);
    expect(r.output).toContain(`✅ Logged in using an API key (sk-…7777), stored in ${configFile}\r\n`);
    expectKeyNeverShown(r, home);
  });

  test("editing at the prompt: Backspace removes the last character typed", async () => {
    const home = testHome();
    const r = await runCliInPty(["login", "--with-api-key"], {
      home,
      steps: [{ wait: PROMPT, send: `${KEY}J\x7f\r` }],
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(codexHomeOf(home), "config.toml"), "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expectKeyNeverShown(r, home);
  });

  test("Ctrl-C at the prompt: non-zero exit, says cancelled, nothing written", async () => {
    const home = testHome();
    const r = await runCliInPty(["login", "--with-api-key"], {
      home,
      steps: [{ wait: PROMPT, send: `sk-${SECRET_BODY.slice(0, 6)}\x03` }],
    });
    expect(r.timedOut).toBe(false);
    expect(r.code === null ? r.signal : r.code).not.toBe(0);
    expect(screenText(r, home)).toContain("cancelled; nothing was changed");
    expect(readdirSync(home)).toEqual([]);
    expectKeyNeverShown(r, home);
  });

  test("Ctrl-C leaves an existing config untouched", async () => {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    const configFile = join(codexHome, "config.toml");
    await runCliInPty(["login", "--with-api-key"], { home, steps: [{ wait: PROMPT, send: `${KEY}\r` }] });
    const before = readFileSync(configFile);
    const r = await runCliInPty(["login", "--with-api-key"], { home, steps: [{ wait: PROMPT, send: "sk-other\x03" }] });
    expect(r.code).not.toBe(0);
    expect(readFileSync(configFile)).toEqual(before);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("Ctrl-C at the sign-in chooser: cancelled, nothing written", async () => {
    const home = testHome();
    const r = await runCliInPty(["login"], { home, steps: [{ wait: CHOOSER, send: "\x03" }] });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(screenText(r, home)).toContain("cancelled; nothing was changed");
    expect(screenText(r, home)).toContain("Sign in with your browser");
    expect(screenText(r, home)).toContain("Sign in on another device");
    expect(readdirSync(home)).toEqual([]);
  });

  test("Enter alone: exit 1, the key is empty, nothing written", async () => {
    const home = testHome();
    const r = await runCliInPty(["login", "--with-api-key"], { home, steps: [{ wait: PROMPT, send: "\r" }] });
    expect(r.code).toBe(1);
    expect(screenText(r, home)).toContain("error: the API key is empty; nothing was stored");
    expect(readdirSync(home)).toEqual([]);
  });

  test("a variable that overrides the key is warned about after the prompt", async () => {
    const home = testHome();
    const r = await runCliInPty(["login", "--with-api-key"], {
      home,
      env: { OPENAI_API_KEY: "sk-env-abcdefghijklmnop0000" },
      steps: [{ wait: PROMPT, send: `${KEY}\r` }],
    });
    expect(r.code).toBe(0);
    expect(screenText(r, home)).toContain(
      "warning: OPENAI_API_KEY is set in your environment and takes precedence over the credential just saved",
    );
    expect(r.output).not.toContain("sk-env-abcdefghijklmnop0000");
    expectKeyNeverShown(r, home);
  });
});

describe("colour on a terminal", () => {
  function storedKeyHome(): string {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    mkdirSync(codexHome, { mode: 0o700 });
    writeFileSync(join(codexHome, "config.toml"), `auth_token = "${KEY}"\n`, { mode: 0o600 });
    return home;
  }

  test("status highlights the hint when colour is allowed", async () => {
    const home = storedKeyHome();
    const r = await runCliInPty(["status"], { home, env: { NO_COLOR: undefined, TERM: "xterm-256color" } });
    expect(r.code).toBe(0);
    expect(r.output).toBe(
      `Logged in using an API key: \x1b[1msk-…7777\x1b[0m\r\n  Source: ${join(codexHomeOf(home), "config.toml")}\r\n`,
    );
  });

  test.each([
    ["NO_COLOR=1", { NO_COLOR: "1", TERM: "xterm-256color" }],
    ["TERM=dumb", { NO_COLOR: undefined, TERM: "dumb" }],
  ])("%s: no escape sequences at all", async (_name, env) => {
    const home = storedKeyHome();
    const results = [
      await runCliInPty(["status"], { home, env }),
      await runCliInPty(["status"], { home, env: { ...env, OPENAI_API_KEY: "sk-env-abcdefghijklmnop0000" } }),
      await runCliInPty(["logout"], { home, env: { ...env, OPENAI_API_KEY: "sk-env-abcdefghijklmnop0000" } }),
      await runCliInPty(["bogus"], { home, env }),
    ];
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 2]);
    for (const r of results) expect(r.output).not.toContain("\x1b");
  });
});
