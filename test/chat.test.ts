/**
 * `codex chat` against a real local server (test/support/provider.ts): piped input (one message per line,
 * the whole history with every turn, /new, /exit, failures end the run with their exit code) and a real
 * terminal (runCliInPty: prompt, streamed replies, Ctrl-C stops a reply and keeps the session, Ctrl-D and
 * /exit leave, a server error ends only that turn).
 */
import { describe, expect, test } from "vitest";
import { expectNoSecret, type PtyResult, runCli, runCliInPty, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import {
  chatEvents,
  type FakeProvider,
  type Recorded,
  responsesEvents,
  sse,
  startProvider,
  status,
} from "./support/provider.js";

const KEY = "sk-chat-test-0123456789abcdefKEY2";

type Msg = { role: "user" | "assistant"; content: string };
const user = (content: string): Msg => ({ role: "user", content });
const assistant = (content: string): Msg => ({ role: "assistant", content });

/** The environment that authenticates and points the built-in provider at the local server. */
function envFor(server: FakeProvider): Record<string, string> {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl };
}

/** The conversation a Responses API request carried. */
function inputOf(req: Recorded | undefined): unknown {
  return req?.body?.input;
}

/**
 * A config.toml selecting a provider at the local server (settings given as TOML lines). It takes OpenAI's
 * credentials (`requires_openai_auth`), so OPENAI_API_KEY reaches it.
 */
function providerConfig(server: FakeProvider, ...settings: string[]): ReturnType<typeof withConfig> {
  return withConfig(
    [
      'model = "local-model"',
      'model_provider = "x"',
      "",
      "[model_providers.x]",
      'name = "Local"',
      `base_url = "${server.baseUrl}"`,
      "requires_openai_auth = true",
      ...settings,
      "",
    ].join("\n"),
  );
}

/** What the terminal showed, escape sequences dropped. */
function screen(r: PtyResult): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what we strip
  return r.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

function expectNoSecretOnScreen(r: PtyResult): void {
  expect(r.output).not.toContain(KEY);
}

describe("codex chat: credential gating", () => {
  test("without a credential: exit 4, says `codex login`, sends nothing", async () => {
    const server = await startProvider();
    const home = testHome();
    const r = await runCliInProcess(["chat"], {
      home,
      env: { OPENAI_BASE_URL: server.baseUrl },
      input: "hello\nagain\n",
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("codex login");
    expect(r.stdout).toBe("");
    expect(server.requests).toHaveLength(0);
  });

  test("on a terminal too: exit 4 before any prompt, nothing sent", async () => {
    const server = await startProvider();
    const home = testHome();
    const r = await runCliInPty(["chat"], { home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(4);
    expect(screen(r)).toContain("codex login");
    expect(screen(r)).not.toContain("› ");
    expect(server.requests).toHaveLength(0);
  });
});

describe("codex chat: piped input", () => {
  test.each([
    ["Responses API", "responses"],
    ["Chat Completions", "chat"],
  ] as const)("%s: three lines, three turns, each carrying the whole history", async (_name, wire) => {
    const server = await startProvider();
    const events = wire === "chat" ? chatEvents : responsesEvents;
    server.reply(
      sse(events(["Hel", "lo 1"]), { chunkBytes: 9 }),
      sse(events(["Reply ", "twö ✓"]), { chunkBytes: 5 }),
      sse(events(["Reply 3 ", "🚀"]), { chunkBytes: 3 }),
    );
    const lines = ["first message", "second: ünïcode", "third 🚀"];
    let r: Awaited<ReturnType<typeof runCliInProcess>>;
    if (wire === "chat") {
      const { home } = providerConfig(server, 'wire_api = "chat"');
      r = await runCliInProcess(["chat"], { home, env: { OPENAI_API_KEY: KEY }, input: `${lines.join("\n")}\n` });
    } else {
      const home = testHome();
      r = await runCliInProcess(["chat"], { home, env: envFor(server), input: `${lines.join("\n")}\n` });
    }
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello 1\nReply twö ✓\nReply 3 🚀\n");
    expect(server.requests).toHaveLength(3);
    const [u1, u2, u3] = lines.map(user) as [Msg, Msg, Msg];
    const [a1, a2] = [assistant("Hello 1"), assistant("Reply twö ✓")];
    const expected = [[u1], [u1, a1, u2], [u1, a1, u2, a2, u3]];
    for (const [i, req] of server.requests.entries()) {
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      if (wire === "chat") {
        expect(req.path).toBe("/v1/chat/completions");
        expect(req.body).toMatchObject({ model: "local-model", stream: true });
        expect(req.body.messages).toEqual(expected[i]);
        expect(req.body.input).toBeUndefined();
      } else {
        expect(req.path).toBe("/v1/responses");
        expect(req.body).toMatchObject({ model: "gpt-5", stream: true });
        expect(inputOf(req)).toEqual(expected[i]);
        expect(req.body.messages).toBeUndefined();
      }
    }
    expectNoSecret(r, KEY);
  });

  test("blank and whitespace-only lines are skipped; CRLF line ends are not part of a message; -m sets the model", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["one"])), sse(responsesEvents(["two"])));
    const home = testHome();
    const r = await runCliInProcess(["chat", "-m", "gpt-test-mini"], {
      home,
      env: envFor(server),
      input: "\n   \r\n  hello there \r\n\t\n\nsecond\r\n\n",
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("one\ntwo\n");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.body.model).toBe("gpt-test-mini");
    expect(inputOf(server.requests[0])).toEqual([user("  hello there ")]);
    expect(inputOf(server.requests[1])).toEqual([user("  hello there "), assistant("one"), user("second")]);

    // Only blank lines, or no input at all: nothing to send, exit 0.
    for (const input of ["\n \n\t\n", ""]) {
      const empty = await runCliInProcess(["chat"], { home, env: envFor(server), input });
      expect(empty.code).toBe(0);
      expect(empty.stdout).toBe("");
      expect(empty.stderr).toBe("");
    }
    expect(server.requests).toHaveLength(2);
  });

  test("/new starts a new conversation: the next turn carries only what follows", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["A1"])), sse(responsesEvents(["A2"])), sse(responsesEvents(["A3"])));
    const home = testHome();
    const r = await runCliInProcess(["chat"], { home, env: envFor(server), input: "q1\nq2\n/new\nq3\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("A1\nA2\nA3\n");
    expect(server.requests.map(inputOf)).toEqual([
      [user("q1")],
      [user("q1"), assistant("A1"), user("q2")],
      [user("q3")],
    ]);
  });

  test("/exit stops: later lines are not sent, exit 0", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["only reply"])), sse(responsesEvents(["never"])));
    const home = testHome();
    const r = await runCliInProcess(["chat"], { home, env: envFor(server), input: "q1\n  /exit \nq2\nq3\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("only reply\n");
    expect(server.requests).toHaveLength(1);
  });

  test("HTTP 401 on the second turn: exit 4, the first reply stays printed, nothing more is sent", async () => {
    const server = await startProvider();
    server.reply(
      sse(responsesEvents(["first reply"])),
      status(401, { error: { message: `Incorrect API key provided: ${KEY}` } }),
      sse(responsesEvents(["never"])),
    );
    const home = testHome();
    const started = Date.now();
    // Spawned: what is measured is the process's exit, which must not wait for the idle connection.
    const r = await runCli(["chat"], { home, env: envFor(server), input: "q1\nq2\nq3\n" });
    const elapsedMs = Date.now() - started;
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("first reply\n");
    expect(r.stderr).toContain("HTTP 401");
    expect(r.stderr).toContain("codex login");
    expect(server.requests).toHaveLength(2);
    expectNoSecret(r, KEY);
    // The error is printed at once; the process must not then sit on the unread 401 response until the
    // server closes the idle connection (5 s for a Node server, longer for many real ones).
    expect(elapsedMs).toBeLessThan(3_000);
  });

  test("an answer that is not an event stream: exit 1 at once, names base_url and wire_api", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["first reply"])), (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>a proxy login page</html>");
    });
    const home = testHome();
    const started = Date.now();
    const r = await runCliInProcess(["chat"], { home, env: envFor(server), input: "q1\nq2\nq3\n" });
    const elapsedMs = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("first reply\n");
    expect(r.stderr).toContain('did not answer with a stream of events (content-type "text/html")');
    expect(server.requests).toHaveLength(2);
    expect(elapsedMs).toBeLessThan(3_000);
  });

  test("HTTP 500 on the second turn (no retries configured): exit 1, the first reply stays printed", async () => {
    const server = await startProvider();
    server.reply(
      sse(responsesEvents(["first reply"])),
      status(500, { error: { message: `internal trouble for ${KEY}` } }),
      sse(responsesEvents(["never"])),
    );
    const { home } = providerConfig(server, "request_max_retries = 0");
    const r = await runCliInProcess(["chat"], { home, env: { OPENAI_API_KEY: KEY }, input: "q1\nq2\nq3\n" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("first reply\n");
    expect(r.stderr).toMatch(/^error: .*HTTP 500: internal trouble for sk-…KEY2/m);
    // One attempt for the failing turn, and the third line is never sent.
    expect(server.requests).toHaveLength(2);
    expectNoSecret(r, KEY);
  });
});

describe("codex chat on a terminal", () => {
  const BANNER = "Type /exit";

  test("a conversation: prompt, streamed replies, history with each turn, /new, then /exit", async () => {
    const server = await startProvider();
    server.reply(
      sse(responsesEvents(["Reply", "-one ✓"])),
      sse(responsesEvents(["Reply-", "two 🚀"])),
      sse(responsesEvents(["Reply-three"])),
    );
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [
        { wait: BANNER, send: "first question\r" },
        { wait: "Reply-one ✓", send: "second question\r" },
        { wait: "Reply-two 🚀", send: "/new\r" },
        { wait: "Started a new conversation", send: "third question\r" },
        { wait: "Reply-three", send: "/exit\r" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    const shown = screen(r);
    expect(shown).toContain("/exit");
    expect(shown).toContain("› ");
    expect(shown).not.toContain("error:");
    expect(server.requests.map(inputOf)).toEqual([
      [user("first question")],
      [user("first question"), assistant("Reply-one ✓"), user("second question")],
      [user("third question")],
    ]);
    expectNoSecretOnScreen(r);
  });

  test("Ctrl-D at the prompt leaves with exit 0; an unknown /command is not sent", async () => {
    const server = await startProvider();
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [
        { wait: BANNER, send: "/bogus\r" },
        { wait: "Unknown command", send: "\x04" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  test("Ctrl-C on a half-typed line discards it and keeps the session", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Reply-clean"])));
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [
        { wait: BANNER, send: "discard me" },
        { wait: "discard me", send: "\x03real question\r" },
        { wait: "Reply-clean", send: "/exit\r" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    expect(server.requests.map(inputOf)).toEqual([[user("real question")]]);
  });

  test("Ctrl-C while a reply streams stops it, keeps the partial text in history; Ctrl-C at the empty prompt leaves", async () => {
    const server = await startProvider();
    server.reply(
      // One delta, then the connection stays open: the reply is still streaming when Ctrl-C comes.
      sse(responsesEvents(["partial-αβ 🚀"], { omitEnd: true }), { hangAfter: true }),
      sse(responsesEvents(["Reply-after-stop"])),
    );
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [
        { wait: BANNER, send: "tell me a long story\r" },
        { wait: "partial-αβ 🚀", send: "\x03" },
        { wait: "reply stopped", send: "go on\r" },
        { wait: "Reply-after-stop", send: "\x03" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    const shown = screen(r);
    const afterStop = shown.slice(shown.indexOf("reply stopped"));
    expect(afterStop).toContain("› ");
    expect(shown).not.toContain("error:");
    expect(server.requests.map(inputOf)).toEqual([
      [user("tell me a long story")],
      [user("tell me a long story"), assistant("partial-αβ 🚀"), user("go on")],
    ]);
    expectNoSecretOnScreen(r);
  });

  test("a server error ends only that turn: `error:` line, the failed message leaves the history, next turn works", async () => {
    const server = await startProvider();
    server.reply(
      status(400, { error: { message: `model not found for key ${KEY}` } }),
      sse(responsesEvents(["Reply-ok"])),
    );
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [
        { wait: BANNER, send: "first try\r" },
        { wait: "model not found", send: "second try\r" },
        { wait: "Reply-ok", send: "/exit\r" },
      ],
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    expect(screen(r)).toContain(
      `error: 127.0.0.1:${server.port} refused the request (HTTP 400: model not found for key sk-…KEY2)`,
    );
    expect(server.requests.map(inputOf)).toEqual([[user("first try")], [user("second try")]]);
    expectNoSecretOnScreen(r);
  });

  test("HTTP 401 on a terminal ends the session with exit 4", async () => {
    const server = await startProvider();
    server.reply(status(401), sse(responsesEvents(["never"])));
    const home = testHome();
    const r = await runCliInPty(["chat"], {
      home,
      env: envFor(server),
      steps: [{ wait: BANNER, send: "hello\r" }],
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(4);
    expect(screen(r)).toContain("codex login");
    expect(server.requests).toHaveLength(1);
    expectNoSecretOnScreen(r);
  });
});
