/** The stream into a reply (src/api/client.ts, src/api/sse.ts): streams that break, SSE framing, errors inside the stream, a stall. */
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { testHome } from "./helpers.js";
import {
  KEY,
  envFor,
  runWithProvider,
  expectClean,
  expectBroken,
  expectReply,
  CREATED,
  oneError,
  bytes,
} from "./support/client-run.js";
import { runCliInProcess } from "./support/in-process.js";
import {
  chatEvents,
  responsesEvents,
  type SseScriptOptions,
  sse,
  sseEvent,
  startProvider,
} from "./support/provider.js";

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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
});
