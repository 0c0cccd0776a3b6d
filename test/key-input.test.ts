/**
 * Where a key enters codex (standard input, the hidden prompt, OPENAI_API_KEY / CODEX_API_KEY / a provider's
 * env_key, the library), it is a key or it is refused: printable ASCII without spaces or quotes, trimmed of
 * the spaces, tabs, CRs and LFs around it. A refusal says what and where (1-based), never the key nor the
 * character where it could be part of it, and nothing is saved or sent. Standard input is read up to a limit
 * (64 KiB for a key, 4 MiB for `codex run`'s prompt): an input that never ends is cut off at once.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { InvalidInputError, InvalidKeyError, loginWithApiKey } from "../src/index.js";
import {
  codexHomeOf,
  expectNoSecret,
  type RunResult,
  runWithEndlessInput,
  runCliInPty,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const RULE = "(a key is printable ASCII: no spaces, quotes, control or non-ASCII characters)";
/** The part of each bad key that must never be printed (the masked hint would show only its last 4). */
const BODY = "QZWVJQZWVJQZWVJ";
const GOOD = `sk-${BODY}0123`;

const refusedLine = (what: string) => `error: the API key contains ${what}; nothing was stored ${RULE}\n`;

/** Runs `codex login --with-api-key` with this input in a fresh home: exit 1, one line, nothing created. */
async function refusedLogin(input: string | Buffer): Promise<RunResult> {
  const home = testHome();
  const r = await runCliInProcess(["login", "--with-api-key"], { home, input });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n")).toHaveLength(2);
  expect(readdirSync(home)).toEqual([]);
  expectNoSecret(r, BODY);
  return r;
}

describe("a key on standard input", () => {
  test.each([
    ["an invalid UTF-8 byte", Buffer.concat([Buffer.from(`sk-${BODY}`), Buffer.from([0xff]), Buffer.from("01\n")]), 19],
    ["an invalid UTF-8 byte", Buffer.concat([Buffer.from("  sk-"), Buffer.from([0xc3, 0x28]), Buffer.from(BODY)]), 4],
    [
      "an invalid UTF-8 byte",
      Buffer.concat([Buffer.from("sk-"), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(BODY)]),
      4,
    ],
    ["U+FFFD (the replacement character: the key was not valid UTF-8 where it came from)", `sk-${BODY}\uFFFD01\n`, 19],
    ["a non-ASCII character (U+00E9)", `sk-${BODY}\u00e901\n`, 19],
    ["a non-ASCII character (U+0455)", `sk-\u0455${BODY}\n`, 4],
    ["a byte order mark (U+FEFF)", `\uFEFFsk-${BODY}\n`, 1],
    ["a double quote", `"sk-${BODY}"\n`, 1],
    ["a single quote", `sk-${BODY}'01\n`, 19],
    ["a space", `sk-${BODY} 01\n`, 19],
    ["a line break", `sk-${BODY}\nsk-${BODY}\n`, 19],
    ["a control character (U+001B)", `sk-${BODY}\x1b[2J\n`, 19],
    ["a control character (U+007F)", `sk-${BODY}\x7f\n`, 19],
    ["a control character (U+0085)", `sk-${BODY}\u0085\n`, 19],
    ["a non-ASCII character (U+00A0)", `sk-${BODY}\u00a0\n`, 19],
  ])("%s (case %#): refused with its position, nothing saved, the key not echoed", async (what, input, position) => {
    const r = await refusedLogin(input);
    expect(r.stderr).toBe(refusedLine(`${what} at position ${position}`));
  });

  test("the character itself is never printed, only its name", async () => {
    for (const ch of ["\u00e9", "\u0455", "\uFFFD"]) {
      const r = await refusedLogin(`sk-${BODY}${ch}\n`);
      expect(r.stderr).not.toContain(ch);
    }
  });

  test("spaces, tabs, CR and LF around the key are trimmed (as Codex does); the key is stored exactly", async () => {
    const { home, configFile } = withConfig("");
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `\r\n \t${GOOD}\t \r\n\n` });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`auth_token = "${GOOD}"\n`);
  });

  test("a key of exactly 64 KiB is read whole; one byte more is refused, nothing saved", async () => {
    const { home, configFile } = withConfig("");
    const long = `sk-${"a".repeat(64 * 1024 - 4)}`;
    const ok = await runCliInProcess(["login", "--with-api-key"], { home, input: `${long}\n` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`auth_token = "${long}"\n`);
    const over = await refusedLogin(`${long}\n\n`);
    expect(over.stderr).toBe("error: the API key on standard input is over 64 KiB; nothing was stored\n");
  });
});

describe("standard input that never ends", () => {
  test.each([
    ["lines (`yes | codex login --with-api-key`)", "y\n"],
    ["one endless line", "sk-aaaaaaaa"],
  ])("%s: login stops at 64 KiB, exit 1, one line, nothing saved", async (_name, chunk) => {
    const { home, configFile } = withConfig('model = "o3"\n');
    const before = readFileSync(configFile);
    const r = await runWithEndlessInput(["login", "--with-api-key"], { home, chunk });
    expect(r.stderr).toBe("error: the API key on standard input is over 64 KiB; nothing was stored\n");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(5_000);
    expect(readFileSync(configFile)).toEqual(before);
    expect(readdirSync(codexHomeOf(home))).toEqual(["config.toml"]);
  });

  test("codex run -: the prompt stops at 4 MiB, exit 1, nothing sent", async () => {
    const server = await startProvider();
    const home = testHome();
    const r = await runWithEndlessInput(["run", "-"], {
      home,
      chunk: "tell me more ",
      env: { OPENAI_API_KEY: GOOD, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.stderr).toBe("error: the prompt on standard input is over 4 MiB; nothing was sent\n");
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(5_000);
    expect(server.requests).toEqual([]);
  });

  test("codex run: a 3 MiB prompt on standard input is sent whole", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const prompt = "x".repeat(3 * 1024 * 1024);
    const r = await runCliInProcess(["run"], {
      home: testHome(),
      input: prompt,
      env: { OPENAI_API_KEY: GOOD, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Hello\n");
    expect(server.requests[0]?.rawBody).toContain(prompt);
  });
});

describe("a key in an environment variable", () => {
  test.each([
    [
      "OPENAI_API_KEY",
      `sk-${BODY}\uFFFD01`,
      "U+FFFD (the replacement character: the key was not valid UTF-8 where it came from)",
      19,
    ],
    ["CODEX_API_KEY", `sk-${BODY} 01`, "a space", 19],
    ["OPENAI_API_KEY", `'sk-${BODY}'`, "a single quote", 1],
    ["OPENAI_API_KEY", `sk-${BODY}\u00e9`, "a non-ASCII character (U+00E9)", 19],
  ])(
    "%s with %j: run exits 1 naming the variable and the position, nothing sent",
    async (variable, value, what, position) => {
      const server = await startProvider();
      const home = testHome();
      const line = `${variable} contains ${what} at position ${position}, so it holds no usable API key ${RULE}; correct or unset it (nothing was sent)`;
      const r = await runCliInProcess(["run", "hi"], {
        home,
        env: { [variable]: value, OPENAI_BASE_URL: server.baseUrl },
      });
      expect(r.stderr).toBe(`error: ${line}\n`);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(1);
      expect(server.requests).toEqual([]);
      expectNoSecret(r, BODY);
      const st = await runCliInProcess(["status"], { home, env: { [variable]: value } });
      expect(st.stdout).toBe(`Not logged in: ${line}\n`);
      expect(st.code).toBe(1);
      expectNoSecret(st, BODY);
      const doctor = await runCliInProcess(["doctor", "--offline"], { home, env: { [variable]: value } });
      expect(doctor.stdout).toContain(`✗ the credential could not be read: ${line}\n`);
      expect(doctor.stdout).toContain("fix: correct the variable, or unset it to use the credential codex stores\n");
      expect(doctor.code).toBe(1);
      expectNoSecret(doctor, BODY);
    },
  );

  test("a provider's env_key with a bad value: named, nothing sent", async () => {
    const server = await startProvider();
    const { home } = withConfig(
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\nenv_key = "LOCAL_KEY"\n`,
    );
    const r = await runCliInProcess(["run", "hi"], { home, env: { LOCAL_KEY: `sk-${BODY}"01` } });
    expect(r.stderr).toBe(
      `error: LOCAL_KEY contains a double quote at position 19, so it holds no usable API key ${RULE}; correct or unset it (nothing was sent)\n`,
    );
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
  });

  test("spaces and line endings around the value are trimmed; the key is sent as is", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: { OPENAI_API_KEY: ` ${GOOD}\r\n`, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${GOOD}`);
  });
});

describe("the hidden prompt and the library", () => {
  test("a key with a space typed at the prompt: refused, nothing saved, never on screen", async () => {
    const home = testHome();
    const r = await runCliInPty(["login", "--with-api-key"], {
      home,
      steps: [{ wait: "Paste your API key:", send: `sk-${BODY} 01\r` }],
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`the API key contains a space at position 19; nothing was stored ${RULE}`);
    expect(r.output).not.toContain(BODY);
    expect(existsSync(codexHomeOf(home))).toBe(false);
  });

  test("loginWithApiKey: an InvalidKeyError (an InvalidInputError) with the problem and position", async () => {
    const codexHome = codexHomeOf(testHome());
    for (const [key, problem, position] of [
      [`sk-${BODY}\uD83D`, "half of a surrogate pair (U+D83D)", 19],
      [`\tsk-${BODY}\uFFFD`, "U+FFFD (the replacement character: the key was not valid UTF-8 where it came from)", 19],
    ] as const) {
      const err = await loginWithApiKey(key, { codexHome, env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidKeyError);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err).toMatchObject({ code: "INVALID_INPUT", problem, position });
      expect((err as Error).message).not.toContain(BODY);
    }
    expect(existsSync(codexHome)).toBe(false);
  });
});

describe("a key codex already stored (by an older codex, or by hand)", () => {
  /** config.toml holding `token` as written by hand, and the message that refuses it. */
  function stored(token: string, what: string, position: number, profile?: string) {
    const text = `auth_token = ${JSON.stringify(token)}\n`;
    const made = withConfig(profile === undefined ? text : "");
    // A profile's key is in its own file, as OpenAI's Codex CLI lays profiles out.
    const file = profile === undefined ? made.configFile : join(made.codexHome, `${profile}.config.toml`);
    if (profile !== undefined) writeFileSync(file, text, { mode: 0o600 });
    const whose = profile === undefined ? "" : ` of profile ${profile}`;
    const login = profile === undefined ? "codex login" : `codex login --profile ${profile}`;
    const line = `the API key${whose} stored in ${file} contains ${what} at position ${position}, so it cannot be sent ${RULE}; run \`${login}\` to replace it`;
    return { ...made, line, fix: `run \`${login}\` to replace it` };
  }

  test.each([
    ["U+FFFD (the replacement character: the key was not valid UTF-8 where it came from)", `sk-${BODY}\uFFFD01`, 19],
    ["a space", `sk-${BODY} 01`, 19],
    ["a double quote", `"sk-${BODY}01"`, 1],
    ["a non-ASCII character (U+00E9)", `sk-${BODY}\u00e901`, 19],
    ["a control character (U+001B)", `sk-${BODY}\u001b01`, 19],
  ])(
    "%s: run and chat exit 1 sending nothing, status says not logged in, doctor names the fix",
    async (what, token, position) => {
      const { home, line, fix } = stored(token, what, position);
      const server = await startProvider();
      const env = { OPENAI_BASE_URL: server.baseUrl };
      const r = await runCliInProcess(["run", "hi"], { home, env });
      expect(r.stderr).toBe(`error: ${line}\n`);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(1);
      const chat = await runCliInProcess(["chat"], { home, env, input: "hello\n" });
      expect(chat.stderr).toContain(line);
      expect(chat.code).toBe(1);
      expect(server.requests).toEqual([]);
      const st = await runCliInProcess(["status"], { home });
      expect(st.stdout).toBe(`Not logged in: ${line}\n`);
      expect(st.code).toBe(1);
      const doctor = await runCliInProcess(["doctor", "--offline"], { home });
      expect(doctor.stdout).toContain(`✗ the credential could not be read: ${line}\n    fix: ${fix}\n`);
      expect(doctor.code).toBe(1);
      for (const result of [r, chat, st, doctor]) expectNoSecret(result, BODY);
    },
  );

  test("logout still removes it, and the file no longer holds it", async () => {
    const { home, configFile } = stored(`sk-${BODY}\uFFFD01`, "", 0);
    const r = await runCliInProcess(["logout"], { home });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`✅ Logged out successfully\n  Removed from ${configFile}\n`);
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).not.toContain("auth_token");
    expect((await runCliInProcess(["status"], { home })).stdout).toContain("Not logged in.");
  });

  test("a profile's key: named with its profile, the fix logs in to that profile", async () => {
    const { home, line, fix } = stored(`sk-${BODY} 01`, "a space", 19, "work");
    const st = await runCliInProcess(["status"], { home, env: { CODEX_PROFILE: "work" } });
    expect(st.stdout).toBe(`Not logged in: ${line}\n  Profile: work (selected by CODEX_PROFILE)\n`);
    expect(st.code).toBe(1);
    expect(fix).toBe("run `codex login --profile work` to replace it");
    const doctor = await runCliInProcess(["doctor", "--offline"], { home, env: { CODEX_PROFILE: "work" } });
    expect(doctor.stdout).toContain(`    fix: ${fix}\n`);
  });

  test("an OAuth session's access token with a space: refused the same way, named as the session's token", async () => {
    const { home, configFile } = withConfig(
      `auth_token = "eyJ${BODY} 01"\n\n[oauth_session]\nissuer = "https://auth.example.com"\nclient_id = "app_1"\n`,
    );
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout).toBe(
      `Not logged in: the OAuth access token stored in ${configFile} contains a space at position 19, so it cannot be sent ${RULE}; run \`codex login\` to replace it\n`,
    );
    expect(st.code).toBe(1);
    expectNoSecret(st, BODY);
  });

  test("spaces and line breaks around a stored key are trimmed, as everywhere else; the key is sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const { home } = withConfig(`auth_token = " ${GOOD}\\n"\n`);
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${GOOD}`);
  });
});
