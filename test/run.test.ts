/** `codex run` against a real local server speaking OpenAI's streaming formats: the command (the client's parts are in client-*.test.ts). */
import { describe, expect, test } from "vitest";
import { expectNoSecret, type RunResult, testHome, withConfig } from "./helpers.js";
import {
  KEY,
  CODEX_KEY,
  STORED_KEY,
  PROVIDER_KEY,
  envFor,
  providerHome,
  runWithProvider,
  expectClean,
  expectReply,
  expectFailed,
  oneError,
  bytes,
} from "./support/client-run.js";
import { runCliInProcess } from "./support/in-process.js";
import { chatEvents, type FakeProvider, responsesEvents, sse, sseEvent, startProvider } from "./support/provider.js";

describe("codex run", () => {
  test("streams a Responses API reply with the bearer header", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hel", "lo ", "wörld"]), { chunkBytes: 7, delayMs: 1 }));
    const home = testHome();
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
    });
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
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
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
      const r = await runCliInProcess(args, {
        home,
        env: { OPENAI_BASE_URL: server.baseUrl },
        input: "a prompt from stdin\n",
      });
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
    const r = await runCliInProcess(["run", "hi"], {
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
    const r = await runCliInProcess(["run", "hi"], { home });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: envFor(server, { CODEX_API_KEY: CODEX_KEY }),
    });
    expectSentWith(r, server, CODEX_KEY);
  });

  test("the stored auth_token, when no variable is set", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(`auth_token = "${STORED_KEY}"\n`);
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expectSentWith(r, server, STORED_KEY);
  });

  test("a variable wins over the stored auth_token", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const { home } = withConfig(`auth_token = "${STORED_KEY}"\n`);
    const r = await runCliInProcess(["run", "hi"], { home, env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, CODEX_API_KEY: CODEX_KEY, LOCAL_PROVIDER_KEY: PROVIDER_KEY },
    });
    expectSentWith(r, server, PROVIDER_KEY);
  });

  test("surrounding whitespace in a key variable is not sent", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: envFor(server, { OPENAI_API_KEY: ` ${KEY}\n` }),
    });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("line one\nline two\n");
  });

  test("an empty reply prints nothing", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents([])));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
      const r = await runCliInProcess(["run", ...args], { home, env: { OPENAI_API_KEY: KEY } });
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
    const r = await runCliInProcess(["run", "hi"], {
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
    const r = await runCliInProcess(["run", "--json", "one word for happy"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("cut sh\n");
    expect(r.stderr).toBe("warning: the server ended the reply early (max_output_tokens)\n");
  });

  test("--json: incomplete carries the reason", async () => {
    const server = await startProvider();
    server.reply(sse(incompleteBody()));
    const r = await runCliInProcess(["run", "--json", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "-"], { home: testHome(), env: envFor(server), input: PROMPT });
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
    const r = await runCliInProcess(["run", "the argument"], {
      home: testHome(),
      env: envFor(server),
      input: "stdin text",
    });
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
      const r = await runCliInProcess(args, { home, env: envFor(server), input });
      expect(r.code, JSON.stringify(args)).toBe(2);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toMatch(/prompt is empty/);
      expectClean(r);
    }
    expect(server.requests).toHaveLength(0);
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
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_API_KEY: KEY, ...env } });
    expectFailed(r, 1);
    expect(oneError(r)).toBe(says.startsWith("the environment") ? says : `${configFile}: ${says}`);
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });
});

describe("usage errors", () => {
  test("two positional arguments: exit 2, the second (a key) is not echoed, nothing sent", async () => {
    const server = await startProvider();
    const r = await runCliInProcess(["run", "hello", KEY], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/takes one PROMPT argument/);
    expect(server.requests).toHaveLength(0);
    expectClean(r);
  });

  test("an unknown flag that is a pasted key is not echoed", async () => {
    const server = await startProvider();
    const r = await runCliInProcess(["run", `--${KEY}`, "hi"], { home: testHome(), env: envFor(server) });
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
      const r = await runCliInProcess(args, { home, env: envFor(server) });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(oneError(r)).toMatch(/needs a value/);
      expectClean(r);
    }
    expect(server.requests).toHaveLength(0);
  });

  test("--json does not take a value", async () => {
    const server = await startProvider();
    const r = await runCliInProcess(["run", "--json=yes", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(2);
    expect(oneError(r)).toMatch(/does not take a value/);
    expect(server.requests).toHaveLength(0);
  });

  test("usage errors come before the credential check (exit 2 without a credential)", async () => {
    const r = await runCliInProcess(["run", "a", "b"], { home: testHome() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });
});
