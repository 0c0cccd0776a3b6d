/** `codex run` against a real local server speaking OpenAI's streaming formats. */
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { expectNoSecret, type RunResult, runCli, testHome, withConfig } from "./helpers.js";
import {
  chatEvents,
  type FakeProvider,
  hang,
  responsesEvents,
  type Script,
  type SseScriptOptions,
  sse,
  sseEvent,
  startProvider,
  status,
} from "./support/provider.js";

const KEY = "sk-run-test-0123456789abcdefKEY1";
const CODEX_KEY = "sk-run-test-0123456789abcdefKEY2";
const STORED_KEY = "sk-run-test-0123456789abcdefKEY3";
const PROVIDER_KEY = "sk-run-test-0123456789abcdefKEY4";
const ALL_KEYS = [KEY, CODEX_KEY, STORED_KEY, PROVIDER_KEY];

/** The environment for the built-in provider pointed at the local server, with OPENAI_API_KEY. */
function envFor(server: FakeProvider, extra: Record<string, string | undefined> = {}) {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl, ...extra };
}

/**
 * config.toml selecting provider `x` at the local server. `top` goes above the table (top-level keys),
 * `provider` inside `[model_providers.x]`. The provider takes OpenAI's credentials (`requires_openai_auth`),
 * so OPENAI_API_KEY reaches it; other providers never receive it (test/security-routing.test.ts).
 */
function providerToml(server: FakeProvider, provider = "", top = ""): string {
  return `${top}
model_provider = "x"

[model_providers.x]
name = "Local"
base_url = "${server.baseUrl}"
requires_openai_auth = true
${provider}
`;
}

/** A home whose config.toml selects provider `x` at the local server. */
function providerHome(server: FakeProvider, provider = "", top = "") {
  return withConfig(providerToml(server, provider, top));
}

/** Runs `codex run …` with the config of `providerHome`, OPENAI_API_KEY set, and returns the result. */
async function runWithProvider(
  server: FakeProvider,
  args: string[],
  opts: { provider?: string; top?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<RunResult> {
  const { home } = providerHome(server, opts.provider, opts.top);
  return runCli(["run", ...args], { home, env: { OPENAI_API_KEY: KEY, ...opts.env }, input: opts.input });
}

/** No stack trace, no "unexpected failure", and no key on either stream. */
function expectClean(r: RunResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain("unexpected failure");
  expect(r.stderr).not.toContain("--debug");
  expectNoSecret(r, ...ALL_KEYS);
}

/** A reply that broke: exit 1, what arrived stays on stdout, one error line containing every part. */
function expectBroken(r: RunResult, printed: string, ...parts: string[]): string {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe(printed);
  return expectOneError(r, parts);
}

function expectOneError(r: RunResult, parts: string[]): string {
  const msg = oneError(r);
  for (const part of parts) expect(msg).toContain(part);
  return msg;
}

/** Exit 0, `stdout` exactly, nothing on stderr. */
function expectReply(r: RunResult, stdout: string): void {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(stdout);
}

/** The first event of a Responses stream. */
const CREATED = sseEvent(
  { type: "response.created", response: { id: "r", model: "gpt-test", status: "in_progress" } },
  "response.created",
);

/** Drops the connection without answering. */
const reset: Script = (_req, res) => {
  res.socket?.destroy();
};

/** Exit `code`, nothing on stdout, one error line containing every part; returns the message. */
function expectFailed(r: RunResult, code: number, ...parts: string[]): string {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe("");
  return expectOneError(r, parts);
}

/** stderr is exactly one `error: …` line; returns the message. */
function oneError(r: RunResult): string {
  const lines = r.stderr.split("\n");
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[1]).toBe("");
  expect(lines[0]).toMatch(/^error: /);
  return (lines[0] as string).slice("error: ".length);
}

/** Wraps a script so the time each request arrived is recorded. */
function stamped(times: number[], script: Script): Script {
  return (req, res) => {
    times.push(performance.now());
    return script(req, res);
  };
}

/**
 * Response headers that make the server close the connection after answering. The messages tests for
 * 401 and non-stream answers use them so that they do not depend on how the CLI releases a body it does not
 * read; "the process exits promptly" tests that separately.
 */
const CLOSE = { connection: "close" };

/** The UTF-8 byte length of a string. */
const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** A port on 127.0.0.1 where nothing listens (it was bound, then closed). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return address.port;
}

describe("codex run", () => {
  test("streams a Responses API reply with the bearer header", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hel", "lo ", "wörld"]), { chunkBytes: 7, delayMs: 1 }));
    const home = testHome();
    const r = await runCli(["run", "hi"], { home, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl } });
    expectReply(r, "Hello wörld\n");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe("/v1/responses");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(server.requests[0]?.body).toMatchObject({
      model: "gpt-5",
      stream: true,
      input: [{ role: "user", content: "hi" }],
    });
    expectNoSecret(r, KEY);
  });
});

describe("credential gating", () => {
  test("without a credential: exit 4, points to codex login, sends nothing", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["should not be sent"])));
    const { home } = providerHome(server);
    const r = await runCli(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toContain("codex login");
    expect(r.stderr).toContain("not logged in");
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });

  test("without a credential and the prompt piped on stdin (with and without `-`): exit 4, nothing sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["no"])), sse(responsesEvents(["no"])));
    const home = testHome();
    for (const args of [["run"], ["run", "-"]]) {
      const r = await runCli(args, { home, env: { OPENAI_BASE_URL: server.baseUrl }, input: "a prompt from stdin\n" });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toContain("codex login");
      expectClean(r);
    }
    expect(server.requests).toHaveLength(0);
  });

  test("empty or blank key variables count as no credential", async () => {
    const server = await startProvider();
    const home = testHome();
    const r = await runCli(["run", "hi"], {
      home,
      env: { OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: "", CODEX_API_KEY: "   " },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toContain("codex login");
    expect(server.requests).toHaveLength(0);
  });

  test("with a provider env_key unset, the message names that variable (and not codex login)", async () => {
    const server = await startProvider();
    const { home } = providerHome(server, 'env_key = "LOCAL_PROVIDER_KEY"');
    const r = await runCli(["run", "hi"], { home });
    expectFailed(r, 4, "reads its key from LOCAL_PROVIDER_KEY, which is not set (Missing environment variable)");
    expect(r.stderr).not.toContain("codex login");
    expect(server.requests).toHaveLength(0);
  });
});

describe("where the bearer token comes from", () => {
  /** The run printed the scripted "ok", made one request, and it carried `token` as the bearer. */
  function expectSentWith(r: RunResult, server: FakeProvider, token: string): void {
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ok\n");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expectClean(r);
  }

  test("OPENAI_API_KEY; User-Agent starts with codex/", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ok\n");
    expect(r.stderr).toBe("");
    expect(server.requests).toHaveLength(1);
    const headers = server.requests[0]?.headers;
    expect(headers?.authorization).toBe(`Bearer ${KEY}`);
    expect(headers?.["user-agent"]).toMatch(/^codex\/\S+/);
    expect(headers?.["content-type"]).toMatch(/^application\/json/);
    expect(headers?.accept).toBe("text/event-stream");
    expect(server.requests[0]?.method).toBe("POST");
    expectClean(r);
  });

  test("CODEX_API_KEY wins over OPENAI_API_KEY", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server, { CODEX_API_KEY: CODEX_KEY }) });
    expectSentWith(r, server, CODEX_KEY);
  });

  test("the stored auth_token, when no variable is set", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(`auth_token = "${STORED_KEY}"\n`);
    const r = await runCli(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expectSentWith(r, server, STORED_KEY);
  });

  test("a variable wins over the stored auth_token", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(`auth_token = "${STORED_KEY}"\n`);
    const r = await runCli(["run", "hi"], { home, env: envFor(server) });
    expectSentWith(r, server, KEY);
  });

  test("the provider's env_key wins over CODEX_API_KEY, OPENAI_API_KEY and the stored key", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["ok"])));
    const { home } = providerHome(
      server,
      'wire_api = "chat"\nenv_key = "LOCAL_PROVIDER_KEY"',
      `auth_token = "${STORED_KEY}"`,
    );
    const r = await runCli(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, CODEX_API_KEY: CODEX_KEY, LOCAL_PROVIDER_KEY: PROVIDER_KEY },
    });
    expectSentWith(r, server, PROVIDER_KEY);
  });

  test("surrounding whitespace in a key variable is not sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server, { OPENAI_API_KEY: ` ${KEY}\n` }) });
    expectSentWith(r, server, KEY);
  });
});

describe("wire APIs", () => {
  test.each([
    { api: "responses", events: responsesEvents, path: "/v1/responses", field: "input", absent: "messages" },
    { api: "chat", events: chatEvents, path: "/v1/chat/completions", field: "messages", absent: "input" },
  ])("$api: POST $path with $field and stream: true", async ({ api, events, path, field, absent }) => {
    const server = await startProvider();
    server.reply(sse(events(["The ", "answer", " is 42."])));
    const r = await runWithProvider(server, ["what is the answer?"], { provider: `wire_api = "${api}"` });
    expectReply(r, "The answer is 42.\n");
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(path);
    expect(req?.body).toMatchObject({
      model: "gpt-5",
      stream: true,
      [field]: [{ role: "user", content: "what is the answer?" }],
    });
    expect(req?.body[absent]).toBeUndefined();
    expectClean(r);
  });

  test("a reply that already ends with a newline gets no second one", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["line one\n", "line two\n"])));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("line one\nline two\n");
  });

  test("an empty reply prints nothing", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents([])));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
  });

  test("config model is sent; -m, --model and --model= override it", async () => {
    const server = await startProvider();
    const cases: Array<[string[], string]> = [
      [["hi"], "from-config"],
      [["-m", "short-flag", "hi"], "short-flag"],
      [["hi", "--model", "long-flag"], "long-flag"],
      [["--model=inline-flag", "hi"], "inline-flag"],
    ];
    const { home } = providerHome(server, "", 'model = "from-config"');
    for (const [args, model] of cases) {
      server.reply(sse(responsesEvents(["ok"], { model })));
      const r = await runCli(["run", ...args], { home, env: { OPENAI_API_KEY: KEY } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("ok\n");
    }
    expect(server.requests.map((q) => q.body.model)).toEqual(cases.map(([, m]) => m));
    expect(server.requests.map((q) => q.body.input[0].content)).toEqual(["hi", "hi", "hi", "hi"]);
  });

  test("-m overrides the model for the chat API too", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["ok"])));
    const r = await runWithProvider(server, ["-m", "llama-local", "hi"], {
      provider: 'wire_api = "chat"',
      top: 'model = "from-config"',
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.body.model).toBe("llama-local");
  });

  test("a base_url with a trailing slash does not double it", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCli(["run", "hi"], {
      home: testHome(),
      env: envFor(server, { OPENAI_BASE_URL: `${server.baseUrl}/` }),
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.path).toBe("/v1/responses");
  });
});

describe("--json", () => {
  test("Responses: one JSON object with text, model as reported, provider, usage as-is, incomplete null", async () => {
    const server = await startProvider();
    const usage = { input_tokens: 11, output_tokens: 3, total_tokens: 14 };
    server.reply(sse(responsesEvents(["Joy", "ful"], { model: "gpt-5-2025-08-07", usage })));
    const r = await runCli(["run", "--json", "one word for happy"], { home: testHome(), env: envFor(server) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      text: "Joyful",
      model: "gpt-5-2025-08-07",
      provider: "openai",
      usage,
      incomplete: null,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.model).toBe("gpt-5");
    expectClean(r);
  });

  test("Chat: usage translated to input_tokens/output_tokens/total_tokens; provider id from config", async () => {
    const server = await startProvider();
    server.reply(
      sse(
        chatEvents(["Hello", ", world"], {
          model: "llama3.2:latest",
          usage: { input_tokens: 7, output_tokens: 2, total_tokens: 9 },
        }),
      ),
    );
    const r = await runWithProvider(server, ["hi", "--json"], {
      provider: 'wire_api = "chat"',
      top: 'model = "llama3.2"',
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      text: "Hello, world",
      model: "llama3.2:latest",
      provider: "x",
      usage: { input_tokens: 7, output_tokens: 2, total_tokens: 9 },
      incomplete: null,
    });
    // The request asked for the usage chunk.
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    expectClean(r);
  });

  test("no usage reported: usage is null", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["x"])));
    const r = await runCli(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      text: "x",
      model: "gpt-test",
      provider: "openai",
      usage: null,
      incomplete: null,
    });
  });

  test("a reply that fails prints nothing on stdout", async () => {
    const server = await startProvider();
    const body = responsesEvents(["partial ", "text"]);
    server.reply(sse(body, { cutAfterBytes: bytes(responsesEvents(["partial "], { omitEnd: true })) + 5 }));
    const r = await runCli(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/before the reply was complete/);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });
});

describe("a reply ended early on purpose (response.incomplete)", () => {
  const incompleteBody = () =>
    responsesEvents(["cut sh"], { omitEnd: true }) +
    sseEvent(
      {
        type: "response.incomplete",
        response: {
          id: "resp_1",
          model: "gpt-test",
          status: "incomplete",
          incomplete_details: { reason: "max_output_tokens" },
          usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
        },
      },
      "response.incomplete",
    );

  test("text mode: the text, then a warning naming the reason; exit 0", async () => {
    const server = await startProvider();
    server.reply(sse(incompleteBody()));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("cut sh\n");
    expect(r.stderr).toBe("warning: the server ended the reply early (max_output_tokens)\n");
  });

  test("--json: incomplete carries the reason", async () => {
    const server = await startProvider();
    server.reply(sse(incompleteBody()));
    const r = await runCli(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      text: "cut sh",
      model: "gpt-test",
      provider: "openai",
      usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      incomplete: "max_output_tokens",
    });
  });
});

describe("prompt from standard input", () => {
  const PROMPT = "explain this diff:\n+ added ü\n- removed 日本";

  test("`codex run -` reads the whole of stdin as the prompt", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["explained"])));
    const r = await runCli(["run", "-"], { home: testHome(), env: envFor(server), input: PROMPT });
    expectReply(r, "explained\n");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.input).toEqual([{ role: "user", content: PROMPT }]);
  });

  test("`codex run` with no argument and piped input reads it too (chat API)", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["explained"])));
    const r = await runWithProvider(server, [], { provider: 'wire_api = "chat"', input: PROMPT });
    expectReply(r, "explained\n");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.messages).toEqual([{ role: "user", content: PROMPT }]);
  });

  test("with a prompt argument, stdin is not read", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCli(["run", "the argument"], { home: testHome(), env: envFor(server), input: "stdin text" });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.body.input).toEqual([{ role: "user", content: "the argument" }]);
  });

  test("an empty prompt (empty stdin, blank stdin, empty argument) is exit 2 and nothing is sent", async () => {
    const server = await startProvider();
    const home = testHome();
    const cases: Array<{ args: string[]; input: string }> = [
      { args: ["run"], input: "" },
      { args: ["run", "-"], input: "" },
      { args: ["run", "-"], input: "  \n\t\n" },
      { args: ["run", ""], input: "" },
      { args: ["run", "   "], input: "" },
    ];
    for (const { args, input } of cases) {
      const r = await runCli(args, { home, env: envFor(server), input });
      expect(r.code, JSON.stringify(args)).toBe(2);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toMatch(/prompt is empty/);
      expectClean(r);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe("HTTP errors", () => {
  test("401: exit 4, says the key from OPENAI_API_KEY was rejected and to run codex login, never the key", async () => {
    const server = await startProvider();
    server.reply(
      status(
        401,
        {
          error: {
            message: `Incorrect API key provided: ${KEY}. You can find your API key at …`,
            code: "invalid_api_key",
          },
        },
        CLOSE,
      ),
    );
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 4, "rejected", "OPENAI_API_KEY", "HTTP 401", "codex login", `127.0.0.1:${server.port}`);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("401 for CODEX_API_KEY, a provider env_key and the stored key names each source", async () => {
    const server = await startProvider();
    const echo = (key: string) => status(401, { error: { message: `bad key ${key}` } }, CLOSE);

    server.reply(echo(CODEX_KEY));
    let r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server, { CODEX_API_KEY: CODEX_KEY }) });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain("from CODEX_API_KEY");
    expectClean(r);

    server.reply(echo(PROVIDER_KEY));
    const p = providerHome(server, 'env_key = "LOCAL_PROVIDER_KEY"');
    r = await runCli(["run", "hi"], { home: p.home, env: { LOCAL_PROVIDER_KEY: PROVIDER_KEY } });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain("from LOCAL_PROVIDER_KEY");
    expectClean(r);

    server.reply(echo(STORED_KEY));
    const s = withConfig(`auth_token = "${STORED_KEY}"\n`);
    r = await runCli(["run", "hi"], { home: s.home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain(`stored in ${s.configFile}`);
    expectClean(r);

    expect(server.requests).toHaveLength(3);
  });

  test("403 whose body echoes the key: exit 4, the server's reason shown with the key masked", async () => {
    const server = await startProvider();
    server.reply(status(403, { error: { message: `Project does not have access to model gpt-5 (key ${KEY})` } }));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 4, "HTTP 403", "does not have access to model gpt-5", "OPENAI_API_KEY", "codex login");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test.each([
    ["401", status(401, { error: { message: "Incorrect API key provided" } }), 4],
    ["a 200 that is not an event stream", status(200, { id: "resp_1", output: [] }), 1],
  ] as const)("after %s on a keep-alive connection the process exits promptly", async (_name, script, code) => {
    const server = await startProvider();
    server.reply(script);
    const start = performance.now();
    // Killed after 2.5 s: the error line is printed at once, the exit must not wait for the server to drop
    // the idle keep-alive connection (Node's default: 5 s; real providers: often much longer).
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server), timeoutMs: 2500 });
    expect(r.stderr).toMatch(/^error: /);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    expect(performance.now() - start).toBeLessThan(2500);
    expect(server.requests).toHaveLength(1);
  });

  test("429 with Retry-After: 0, then success: exit 0, the reply printed once, 2 requests", async () => {
    const server = await startProvider();
    server.reply(
      status(429, { error: { message: "Rate limit reached" } }, { "Retry-After": "0" }),
      sse(responsesEvents(["second ", "time"])),
    );
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectReply(r, "second time\n");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.rawBody).toBe(server.requests[0]?.rawBody);
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test("429 with retry-after-ms is honoured (short wait, then success)", async () => {
    const server = await startProvider();
    const times: number[] = [];
    server.reply(
      stamped(times, status(429, { error: { message: "slow down" } }, { "retry-after-ms": "100" })),
      stamped(times, sse(chatEvents(["done"]))),
    );
    const r = await runWithProvider(server, ["hi"], { provider: 'wire_api = "chat"' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("done\n");
    expect(server.requests).toHaveLength(2);
    const gap = (times[1] as number) - (times[0] as number);
    expect(gap).toBeGreaterThanOrEqual(80);
    expect(gap).toBeLessThan(390); // not the default backoff (at least 0.4 s)
  });

  test("429 with Retry-After: 120: gives up at once (exit 1, one request), says when to retry", async () => {
    const server = await startProvider();
    server.reply(
      status(429, { error: { message: "Rate limit reached for gpt-5" } }, { "Retry-After": "120" }),
      sse(responsesEvents(["must not be asked for"])),
    );
    const start = performance.now();
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(performance.now() - start).toBeLessThan(3000);
    const msg = expectFailed(r, 1, "HTTP 429", "Rate limit reached for gpt-5");
    expect(msg).toMatch(/retry in 120 s/);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("500 every time with request_max_retries = 2: exit 1 after exactly 3 requests", async () => {
    const server = await startProvider();
    const fail = () =>
      status(
        500,
        { error: { message: "The server had an error while processing your request" } },
        { "Retry-After": "0" },
      );
    server.reply(fail(), fail(), fail(), sse(responsesEvents(["must not be asked for"])));
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 2" });
    expectFailed(
      r,
      1,
      "HTTP 500",
      "The server had an error while processing your request",
      "gave up after 3 attempts",
      `127.0.0.1:${server.port}`,
    );
    expect(server.requests).toHaveLength(3);
    expectClean(r);
  });

  test("500 without Retry-After waits a backoff (~0.5 s) before the retry", async () => {
    const server = await startProvider();
    const times: number[] = [];
    server.reply(
      stamped(times, status(503, { error: { message: "overloaded" } })),
      stamped(times, status(503, { error: { message: "overloaded" } })),
      sse(responsesEvents(["must not be asked for"])),
    );
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 1" });
    expectFailed(r, 1, "HTTP 503", "overloaded", "gave up after 2 attempts");
    expect(server.requests).toHaveLength(2);
    const gap = (times[1] as number) - (times[0] as number);
    expect(gap).toBeGreaterThanOrEqual(350);
    expect(gap).toBeLessThan(2000);
  });

  test("request_max_retries = 0: one request, the plain error", async () => {
    const server = await startProvider();
    server.reply(status(502, "Bad Gateway from the proxy"), sse(responsesEvents(["must not be asked for"])));
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 0" });
    expect(r.code).toBe(1);
    const msg = oneError(r);
    expect(msg).toContain("HTTP 502");
    expect(msg).toContain("Bad Gateway from the proxy");
    expect(msg).not.toContain("gave up");
    expect(server.requests).toHaveLength(1);
  });

  test("an HTML error page is not dumped into the message", async () => {
    const server = await startProvider();
    server.reply(status(404, "<html><body><h1>404 Not Found</h1></body></html>", { "content-type": "text/html" }));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    const msg = oneError(r);
    expect(msg).toContain("HTTP 404");
    expect(msg).not.toContain("<");
    expect(server.requests).toHaveLength(1);
  });

  test("400 model not found: exit 1 with the server's message, no retry", async () => {
    const server = await startProvider();
    server.reply(
      status(400, { error: { message: "model not found" } }),
      sse(responsesEvents(["must not be asked for"])),
    );
    const r = await runCli(["run", "-m", "gpt-nope", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 1, "HTTP 400", "model not found");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("a 200 that is not an event stream: exit 1, says so", async () => {
    const server = await startProvider();
    server.reply(status(200, { id: "resp_1", output: [] }, CLOSE));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/did not answer with a stream of events/);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });
});

describe("broken streams", () => {
  test.each([
    ["responses", "", responsesEvents],
    ["chat", 'wire_api = "chat"', chatEvents],
  ] as const)(
    "%s: cut mid-reply keeps the text, says it is incomplete, exit 1, not retried",
    async (_name, provider, events) => {
      const server = await startProvider();
      const body = events(["Hello, ", "world", "! More to come."]);
      const sent = bytes(events(["Hello, ", "world"], { omitEnd: true }));
      server.reply(sse(body, { cutAfterBytes: sent + 12 }), sse(events(["must not be asked for"])));
      const r = await runWithProvider(server, ["hi"], { provider });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("Hello, world\n");
      const msg = oneError(r);
      expect(msg).toMatch(/connection to 127\.0\.0\.1:\d+ (closed|broke) before the reply was complete/);
      expect(server.requests).toHaveLength(1);
      expectClean(r);
    },
  );

  test("a stream that ends cleanly without response.completed is incomplete (exit 1, text kept)", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["half a rep"], { omitEnd: true })));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("half a rep\n");
    expect(oneError(r)).toMatch(/closed before the reply was complete/);
    expect(server.requests).toHaveLength(1);
  });

  test("chat: a stream ending after the finish_reason chunk without [DONE] is complete", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["all ", "here"]).replace("data: [DONE]\n\n", "")));
    const r = await runWithProvider(server, ["hi"], { provider: 'wire_api = "chat"' });
    expectReply(r, "all here\n");
  });

  test("cut before any text was sent: retried, the reply printed once", async () => {
    const server = await startProvider();
    const body = responsesEvents(["first ", "try"]);
    server.reply(sse(body, { cutAfterBytes: 30 }), sse(responsesEvents(["second ", "try"])));
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 1" });
    expectReply(r, "second try\n");
    expect(server.requests).toHaveLength(2);
  });

  test("connection reset before any response: retried like a 5xx (docs: 'connection reset')", async () => {
    const server = await startProvider();
    server.reply(reset, sse(responsesEvents(["after ", "reset"])));
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 1" });
    expectReply(r, "after reset\n");
    expect(server.requests).toHaveLength(2);
  });

  test("connection reset on every attempt: exit 1, names the host, says it was reset", async () => {
    const server = await startProvider();
    server.reply(reset, reset);
    const r = await runWithProvider(server, ["hi"], { provider: "request_max_retries = 1" });
    const msg = expectFailed(r, 1, `127.0.0.1:${server.port}`);
    expect(msg).toMatch(/reset/);
    expect(server.requests).toHaveLength(2);
    expectClean(r);
  });
});

describe("SSE framing", () => {
  const PARTS = ["Café ", "日本語", " 😀", "!", " naïve — ok"];
  const TEXT = PARTS.join("");
  const wires = [
    ["responses", "", responsesEvents],
    ["chat", 'wire_api = "chat"', chatEvents],
  ] as const;
  const chunkings: Array<[string, SseScriptOptions]> = [
    ["1-byte writes", { chunkBytes: 1 }],
    ["irregular writes with delays", { chunkBytes: [1, 2, 3, 5, 7, 11, 13], delayMs: 1 }],
  ];

  for (const [wire, provider, events] of wires) {
    for (const [how, opts] of chunkings) {
      test(`${wire}: multi-byte UTF-8 split by ${how} arrives exact`, async () => {
        const server = await startProvider();
        server.reply(sse(events(PARTS), opts));
        const r = await runWithProvider(server, ["hi"], { provider });
        expectReply(r, `${TEXT}\n`);
      });
    }

    test(`${wire}: a write boundary inside a 4-byte emoji`, async () => {
      const server = await startProvider();
      const body = Buffer.from(events(PARTS), "utf8");
      const at = body.indexOf(Buffer.from("😀", "utf8"));
      expect(at).toBeGreaterThan(0);
      // First write ends 2 bytes into the emoji; the rest follows 30 ms later.
      server.reply(sse(body, { chunkBytes: [at + 2, body.length], delayMs: 30 }));
      const r = await runWithProvider(server, ["hi"], { provider });
      expectReply(r, `${TEXT}\n`);
    });

    test(`${wire}: CRLF line endings, split at irregular boundaries`, async () => {
      const server = await startProvider();
      const body = events(PARTS).replace(/\n/g, "\r\n");
      expect(body).toContain("\r\n\r\n");
      server.reply(sse(body, { chunkBytes: [1, 2, 3, 5, 7, 11, 13], delayMs: 1 }));
      const r = await runWithProvider(server, ["hi"], { provider });
      expectReply(r, `${TEXT}\n`);
    });

    test(`${wire}: keep-alive comment lines between events are ignored`, async () => {
      const server = await startProvider();
      const events1 = events(["one ", "two ", "three"]).split(/(?<=\n\n)/);
      expect(events1.length).toBeGreaterThanOrEqual(4);
      const comments = [": keep-alive\n\n", ":\n", ": ping\n\n", ":\n\n"];
      const body = events1.map((e, i) => `${comments[i % comments.length]}${e}`).join("");
      server.reply(sse(body, { chunkBytes: [4, 9], delayMs: 1 }));
      const r = await runWithProvider(server, ["hi"], { provider });
      expectReply(r, "one two three\n");
    });
  }
});

describe("errors inside the stream", () => {
  test("Responses response.failed after some text: exit 1 with the server's message, text kept", async () => {
    const server = await startProvider();
    server.reply(
      sse(
        responsesEvents(["partial "], { omitEnd: true }) +
          sseEvent(
            {
              type: "response.failed",
              response: {
                id: "resp_1",
                status: "failed",
                error: { code: "server_error", message: "The model crashed" },
              },
            },
            "response.failed",
          ),
      ),
    );
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectBroken(r, "partial \n", "The model crashed", `127.0.0.1:${server.port}`);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("Responses `error` event: exit 1 with the server's message", async () => {
    const server = await startProvider();
    server.reply(
      sse(
        CREATED +
          sseEvent(
            { type: "error", code: "rate_limit_exceeded", message: "Too many tokens per minute", param: null },
            "error",
          ),
      ),
    );
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toContain("Too many tokens per minute");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test('Chat {"error":{"message":…}} chunk: exit 1 with the server\'s message', async () => {
    const server = await startProvider();
    server.reply(
      sse(
        chatEvents(["so far"], { omitEnd: true }) +
          sseEvent({ error: { message: "context length exceeded", type: "invalid_request_error" } }),
      ),
    );
    const r = await runWithProvider(server, ["hi"], { provider: 'wire_api = "chat"' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("so far\n");
    expect(oneError(r)).toContain("context length exceeded");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("an error event echoing the key and control characters is shown masked, on one line", async () => {
    const server = await startProvider();
    server.reply(sse(sseEvent({ type: "error", message: `bad key ${KEY}\n\x1b[31mred\x1b[0m` }, "error")));
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    const msg = oneError(r);
    expect(msg).toContain("bad key");
    expect(msg).not.toContain("\x1b");
    expectClean(r);
  });

  test.each([
    ["responses", "", 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"\n\n'],
    ["chat", 'wire_api = "chat"', 'data: {"choices":[{"delta":{"content":"x"}}\n\n'],
  ])("%s: invalid JSON in a data line: exit 1, clear message, no stack trace", async (_name, provider, bad) => {
    const server = await startProvider();
    server.reply(sse(bad), sse(bad));
    const r = await runWithProvider(server, ["hi"], { provider });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const msg = oneError(r);
    expect(msg).toMatch(/not valid JSON/);
    expect(msg).toContain(`127.0.0.1:${server.port}`);
    expect(msg).not.toMatch(/SyntaxError|Unexpected token|position/);
    expectClean(r);
  });
});

describe("network failures and timeouts", () => {
  test("connection refused: exit 1, names 127.0.0.1:<port>, says connection refused", async () => {
    const port = await deadPort();
    const home = testHome();
    const r = await runCli(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });
    const msg = expectFailed(r, 1, `127.0.0.1:${port}`);
    expect(msg).toMatch(/connection refused/i);
    expectClean(r);
  });

  test("request_timeout_ms: a server that never answers: exit 1 within seconds, names the setting", async () => {
    const server = await startProvider();
    server.reply(hang(), sse(responsesEvents(["must not be asked for"])));
    const start = performance.now();
    const r = await runWithProvider(server, ["hi"], { top: "request_timeout_ms = 300" });
    expect(performance.now() - start).toBeLessThan(3000);
    expectFailed(r, 1, "request_timeout_ms", `127.0.0.1:${server.port}`, "0.3 s");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("the provider's request_timeout_ms overrides the top-level one", async () => {
    const server = await startProvider();
    server.reply(hang());
    const start = performance.now();
    const r = await runWithProvider(server, ["hi"], {
      top: "request_timeout_ms = 60000",
      provider: "request_timeout_ms = 250",
    });
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.code).toBe(1);
    expect(oneError(r)).toContain("request_timeout_ms");
  });

  test("stream_idle_timeout_ms: a stream that stalls after some text: exit 1, partial text kept", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["partial ", "reply"], { omitEnd: true }), { hangAfter: true }));
    const start = performance.now();
    const r = await runWithProvider(server, ["hi"], { provider: "stream_idle_timeout_ms = 300" });
    expect(performance.now() - start).toBeLessThan(3000);
    expectBroken(r, "partial reply\n", "stream_idle_timeout_ms", "incomplete");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("a stream that stalls before any text is retried", async () => {
    const server = await startProvider();
    server.reply(sse(CREATED, { hangAfter: true }), sse(responsesEvents(["second ", "attempt"])));
    const r = await runWithProvider(server, ["hi"], {
      provider: "stream_idle_timeout_ms = 300\nrequest_max_retries = 1",
    });
    expectReply(r, "second attempt\n");
    expect(server.requests).toHaveLength(2);
  });
});

describe("config errors stop the run before anything is sent", () => {
  // Each case: config.toml (given the server's port), extra env, and what the one error line starts with
  // (`<config path>: ` is prefixed unless the setting came from the environment).
  const cases: Array<{ name: string; toml: (port: number) => string; env?: Record<string, string>; says: string }> = [
    {
      name: 'wire_api = "grpc"',
      toml: (port) =>
        `model_provider = "x"\n[model_providers.x]\nbase_url = "http://127.0.0.1:${port}/v1"\nwire_api = "grpc"\n`,
      says: 'model_providers.x.wire_api must be "responses" or "chat"',
    },
    {
      name: 'model_provider = "missing"',
      toml: (port) => `model_provider = "missing"\n\n[model_providers.x]\nbase_url = "http://127.0.0.1:${port}/v1"\n`,
      says: "model_provider must be the id of a provider defined in the file: there is no [model_providers.missing] table",
    },
    {
      name: "an ftp:// base_url",
      toml: (port) => `model_provider = "x"\n\n[model_providers.x]\nbase_url = "ftp://127.0.0.1:${port}/v1"\n`,
      says: "model_providers.x.base_url must be an http:// or https:// URL",
    },
    {
      name: "a base_url with a password in it (not echoed)",
      toml: (port) =>
        `model_provider = "x"\n\n[model_providers.x]\nbase_url = "http://user:${PROVIDER_KEY}@127.0.0.1:${port}/v1"\n`,
      says: "model_providers.x.base_url must be a URL without a user name or password in it",
    },
    {
      name: "a negative request_max_retries",
      toml: (port) =>
        `model_provider = "x"\n[model_providers.x]\nbase_url = "http://127.0.0.1:${port}/v1"\nrequest_max_retries = -1\n`,
      says: "model_providers.x.request_max_retries must be a whole number from 0 to 100",
    },
    {
      name: "an OPENAI_BASE_URL that is not http(s)",
      toml: () => "",
      env: { OPENAI_BASE_URL: "ftp://127.0.0.1:1/v1" },
      says: "the environment: OPENAI_BASE_URL must be an http:// or https:// URL",
    },
  ];

  test.each(cases)("$name: exit 1, one line naming the key", async ({ toml, env, says }) => {
    const server = await startProvider();
    const { home, configFile } = withConfig(toml(server.port));
    const r = await runCli(["run", "hi"], { home, env: { OPENAI_API_KEY: KEY, ...env } });
    expectFailed(r, 1);
    expect(oneError(r)).toBe(says.startsWith("the environment") ? says : `${configFile}: ${says}`);
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });
});

describe("provider settings reach the server", () => {
  test("http_headers, env_http_headers and query_params", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["ok"])));
    const r = await runWithProvider(server, ["hi"], {
      provider: [
        'wire_api = "chat"',
        'http_headers = { "X-Team" = "tools", "OpenAI-Project" = "proj_123" }',
        'env_http_headers = { "X-Org" = "MY_ORG_VAR", "X-Unset" = "MY_UNSET_VAR" }',
        'query_params = { "api-version" = "2025-04-01", "deployment" = "a b&c" }',
      ].join("\n"),
      env: { MY_ORG_VAR: "org-42" },
    });
    expectReply(r, "ok\n");
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers["x-team"]).toBe("tools");
    expect(req?.headers["openai-project"]).toBe("proj_123");
    expect(req?.headers["x-org"]).toBe("org-42");
    expect(req?.headers["x-unset"]).toBeUndefined();
    expect(req?.query.get("api-version")).toBe("2025-04-01");
    expect(req?.query.get("deployment")).toBe("a b&c");
    expect([...(req?.query.keys() ?? [])].sort()).toEqual(["api-version", "deployment"]);
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test("http_headers cannot replace the Authorization header", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runWithProvider(server, ["hi"], {
      provider: 'http_headers = { "Authorization" = "Bearer other" }',
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe("usage errors", () => {
  test("two positional arguments: exit 2, the second (a key) is not echoed, nothing sent", async () => {
    const server = await startProvider();
    const r = await runCli(["run", "hello", KEY], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/takes one PROMPT argument/);
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });

  test("an unknown flag that is a pasted key is not echoed", async () => {
    const server = await startProvider();
    const r = await runCli(["run", `--${KEY}`, "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/unknown flag/);
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });

  test("-m / --model without a value: exit 2, nothing sent", async () => {
    const server = await startProvider();
    const home = testHome();
    for (const args of [
      ["run", "hi", "-m"],
      ["run", "hi", "--model"],
      ["run", "--model=", "hi"],
    ]) {
      const r = await runCli(args, { home, env: envFor(server) });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toMatch(/needs a value/);
      expectClean(r);
    }
    expect(server.requests).toHaveLength(0);
  });

  test("--json does not take a value", async () => {
    const server = await startProvider();
    const r = await runCli(["run", "--json=yes", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(2);
    expect(oneError(r)).toMatch(/does not take a value/);
    expect(server.requests).toHaveLength(0);
  });

  test("usage errors come before the credential check (exit 2 without a credential)", async () => {
    const r = await runCli(["run", "a", "b"], { home: testHome() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });
});
