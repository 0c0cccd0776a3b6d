/**
 * Text from outside reaches a terminal without control sequences (docs/authentication.md, "Text from
 * servers and models"): a model's reply on a terminal, server messages, another program's stderr, an ID
 * token's email claim. Checked on a real pseudo-terminal where it matters. Piped or redirected, a reply is
 * data and keeps every byte; `--json` stays exact and valid, with C1 characters escaped.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CLI, cleanEnv, type PtyResult, run, runCliInPty, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { json, startFakeIssuer } from "./support/fake-issuer.js";
import { type FakeProvider, responsesEvents, sse, startProvider, status } from "./support/provider.js";

const KEY = "sk-output-test-0123456789abcdefKEY";

/**
 * A reply that would retitle the window, clear the screen, turn text red with an 8-bit CSI, ring the bell
 * and hide a line behind a carriage return; one title sequence is split across two deltas.
 */
const HOSTILE = [
  "Hello \x1b]0;pwned\x07",
  "\x1b[2Jworld\x9b31m red\x07",
  " safe\rEVIL\r\n",
  "tab\there\n",
  "split \x1b]0;pw",
  "ned-too\x07end\n",
];
const RAW = HOSTILE.join("");
/** What a person sees: only the printable text, newline and tab. */
const SHOWN = "Hello world red safeEVIL\ntab\there\nsplit end\n";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be absent
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
/** Control characters but the CR a terminal puts before each LF (ONLCR). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be absent
const CONTROL_ON_TTY = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/;

const envFor = (server: FakeProvider, extra: Record<string, string | undefined> = {}) => ({
  OPENAI_API_KEY: KEY,
  OPENAI_BASE_URL: server.baseUrl,
  ...extra,
});

/** The terminal's output with its line endings (CRLF, from the terminal's ONLCR) made LF. */
const lf = (r: PtyResult) => r.output.replace(/\r\n/g, "\n");

describe("a model's reply", () => {
  test("on a terminal: no escape sequence, BEL, C1 or lone CR reaches the screen; the text does", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)));
    const r = await runCliInPty(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.output).not.toMatch(CONTROL_ON_TTY);
    expect(r.output).not.toContain("pwned");
    expect(lf(r)).toBe(SHOWN);
  });

  test("piped: every byte exactly as the server sent it", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(RAW);
    expect(r.stderr).toBe("");
  });

  test("redirected to a file (`codex run … > x.sh`): every byte exactly as sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)));
    const home = testHome();
    const file = join(home, "x.sh");
    const r = await run("sh", ["-c", `exec "$0" "$1" run hi > "$2"`, process.execPath, CLI, file], {
      env: cleanEnv(home, envFor(server)),
    });
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(RAW);
  });

  test("--json on a terminal: valid JSON, the text exact, no raw control character (C1 escaped)", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)));
    const r = await runCliInPty(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.output).not.toMatch(CONTROL_ON_TTY);
    expect(r.output).toContain("\\u009b31m");
    expect(JSON.parse(r.output).text).toBe(RAW);
  });

  test("codex chat on a terminal: the reply is shown stripped", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)));
    const r = await runCliInPty(["chat"], {
      home: testHome(),
      env: envFor(server),
      steps: [
        { wait: "/help for more", send: "hi\r" },
        { wait: "end", send: "/exit\r" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    // readline draws its prompt with CSI sequences of its own; none of the reply's may appear.
    expect(r.output).not.toContain("pwned");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the reply's sequences are what must be absent
    expect(r.output).not.toMatch(/\x1b\]|\x1b\[2J|[\x07\x80-\x9f]/);
    const shown = lf(r);
    const at = shown.indexOf("Hello");
    expect(shown.slice(at, at + SHOWN.length)).toBe(SHOWN);
  });

  test("codex chat piped: every byte of each reply", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(HOSTILE)), sse(responsesEvents(["\x1b]0;second\x07ok"])));
    const r = await runCliInProcess(["chat"], { home: testHome(), env: envFor(server), input: "one\ntwo\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${RAW}\x1b]0;second\x07ok\n`);
  });
});

describe("messages from servers and other programs", () => {
  test("a server's error message: one line, no control sequence, on a pipe too", async () => {
    const server = await startProvider();
    server.reply(status(400, { error: { message: "bad\x1b]0;pwned\x07 request\x1b[2J\x9b31m\nsecond line\r" } }));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: 127.0.0.1:${server.port} refused the request (HTTP 400: bad request second line)\n`);
  });

  test("an error event inside the stream: the same", async () => {
    const server = await startProvider();
    server.reply(
      sse(
        `event: error\ndata: ${JSON.stringify({ type: "error", error: { message: "overloaded\x1b]2;pwned\x9c\x07" } })}\n\n`,
      ),
    );
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: 127.0.0.1:${server.port} reported an error: overloaded\n`);
  });

  /** A home whose auth_command fails, saying something hostile on stderr. */
  function failingCommandHome() {
    const made = withConfig("");
    const script = join(made.home, "token.sh");
    writeFileSync(
      script,
      "#!/bin/sh\nprintf '\\033]0;pwned\\007\\033[2Jvault is sealed\\302\\233\\061m\\007\\n' >&2\nexit 2\n",
    );
    chmodSync(script, 0o700);
    writeFileSync(made.configFile, `auth_command = ${JSON.stringify([script])}\n`, { mode: 0o600 });
    return made;
  }

  test("auth_command's stderr: no control sequence in run's error, status or doctor", async () => {
    const { home } = failingCommandHome();
    const results = [
      await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } }),
      await runCliInProcess(["status"], { home }),
      await runCliInProcess(["doctor", "--offline"], { home }),
    ];
    for (const r of results) {
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("vault is sealed");
      expect(r.stdout + r.stderr).not.toMatch(CONTROL);
      expect(r.stdout + r.stderr).not.toContain("pwned");
    }
  });

  test("on a colour terminal, codex's own colour is the only escape sequence left", async () => {
    const { home } = failingCommandHome();
    const r = await runCliInPty(["run", "hi"], {
      home,
      env: { NO_COLOR: undefined, TERM: "xterm-256color", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" },
    });
    expect(r.code).toBe(1);
    expect(r.output.startsWith("\x1b[31merror:\x1b[0m ")).toBe(true);
    expect(r.output.replace("\x1b[31merror:\x1b[0m ", "")).not.toMatch(CONTROL_ON_TTY);
    expect(r.output).toContain("vault is sealed");
  });
});

describe("an ID token's claims", () => {
  const EMAIL = "mallory@example.com\x1b]0;pwned\x07\x1b[2J\x9b31m\nLogged in as admin@example.com";
  const SHOWN_EMAIL = "mallory@example.com Logged in as admin@example.com";
  const sessionConfig = `auth_token = "at-0123456789abcdefghijKLMN"\n\n[oauth_session]\nissuer = "http://127.0.0.1:9"\nclient_id = "app_x"\nrefresh_token = "rt-0123456789abcdefghijKLMN"\nexpires_at = 2099-01-01T00:00:00.000Z\naccount = ${JSON.stringify(EMAIL)}\n`;

  test("status on a terminal: the email on one line, no control sequence; --all the same", async () => {
    const { home } = withConfig(sessionConfig);
    for (const args of [["status"], ["status", "--all"]]) {
      const r = await runCliInPty(args, { home });
      expect(r.code).toBe(0);
      expect(r.output).not.toMatch(CONTROL_ON_TTY);
      expect(r.output).not.toContain("pwned");
      expect(lf(r)).toContain(SHOWN_EMAIL);
      expect(
        lf(r)
          .split("\n")
          .filter((l) => l.includes("admin@example.com")),
      ).toHaveLength(1);
    }
    const plain = await runCliInPty(["status"], { home });
    expect(lf(plain).split("\n")[0]).toBe(`Logged in with OAuth as ${SHOWN_EMAIL}: …KLMN`);
  });

  test("status --json: the email exact, the JSON valid, C1 escaped", async () => {
    const { home } = withConfig(sessionConfig);
    const r = await runCliInProcess(["status", "--json"], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(r.stdout).oauth.account).toBe(EMAIL);
    const all = await runCliInProcess(["status", "--all", "--json"], { home });
    expect(JSON.parse(all.stdout)[0].oauth.account).toBe(EMAIL);
  });

  test("login --device-auth: the email claim, the page and the code shown clean; the email stored exact", async () => {
    const fake = await startFakeIssuer({
      device: (_form, res) =>
        json(res, 200, {
          device_code: "dc-0123456789abcdefghij",
          user_code: "WDJB\x1b[2J-MJHT",
          verification_uri: "http://127.0.0.1:9/device\x1b]0;pwned\x07",
          expires_in: 60,
          interval: 1,
        }),
      token: (_form, res) =>
        json(res, 200, {
          access_token: "at-device-0123456789abcdefghij",
          token_type: "Bearer",
          expires_in: 3600,
          id_token: fake.idToken({ email: EMAIL }),
        }),
    });
    const { home, configFile } = withConfig(
      `[oauth]\nissuer = "${fake.issuer}"\nclient_id = "${fake.clientId}"\nscopes = ["openid", "email"]\n`,
    );
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout + r.stderr).not.toContain("pwned");
    expect(r.stderr).toContain("  http://127.0.0.1:9/device\n");
    expect(r.stderr).toContain("and enter the code: WDJB-MJHT\n");
    expect(r.stdout.split("\n")[0]).toBe(
      `✅ Logged in as ${SHOWN_EMAIL} with 127.0.0.1:${new URL(fake.issuer).port} (OAuth), stored in ${configFile}`,
    );
    const stored = await runCliInProcess(["status", "--json"], { home });
    expect(JSON.parse(stored.stdout).oauth.account).toBe(EMAIL);
  });
});
