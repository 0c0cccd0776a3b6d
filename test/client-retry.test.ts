/** Retry and back-off (src/api/client.ts): which failures are tried again, how often, after how long. */
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { testHome } from "./helpers.js";
import {
  KEY,
  envFor,
  runWithProvider,
  expectClean,
  expectReply,
  CREATED,
  reset,
  expectFailed,
  oneError,
  stamped,
} from "./support/client-run.js";
import { runCliInProcess } from "./support/in-process.js";
import { chatEvents, responsesEvents, sse, startProvider, status } from "./support/provider.js";

describe("HTTP errors", () => {
  test("429 with Retry-After: 0, then success: exit 0, the reply printed once, 2 requests", async () => {
    const server = await startProvider();
    server.reply(
      status(429, { error: { message: "Rate limit reached" } }, { "Retry-After": "0" }),
      sse(responsesEvents(["second ", "time"])),
    );
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
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
});

describe("broken streams", () => {
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

describe("network failures and timeouts", () => {
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
