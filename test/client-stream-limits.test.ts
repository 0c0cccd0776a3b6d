/**
 * Replies are bounded (docs/authentication.md, "Limits"): a server that streams text without end, or
 * events without text without end, is cut off at a documented size with one clear line and exit 1, what
 * was printed staying printed; `codex chat`, which sends the conversation back each turn, keeps it to a
 * bounded size by leaving out the oldest turns.
 */
import type { ServerResponse } from "node:http";
import { describe, expect, test } from "vitest";
import { expectNoSecret, testHome } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { responsesEvents, type Script, sse, sseEvent, startProvider, writePaced } from "./support/provider.js";

const KEY = "sk-limits-test-0123456789abcdefKEY";
const MIB = 1024 * 1024;

/** Writes `next()` until the client goes away (or `next` returns undefined), honouring back-pressure. */
async function writeUntilClosed(res: ServerResponse, next: () => string | undefined): Promise<void> {
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  for (;;) {
    if (closed || res.destroyed) return;
    const chunk = next();
    if (chunk === undefined) break;
    await writePaced(res, chunk);
  }
  res.end();
}

/** A Responses API stream whose events come from `event(i)` for i = 0, 1, 2, … without end. */
function endless(event: (i: number) => string, sent: { events: number; done: boolean }): Script {
  return async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(
      sseEvent(
        { type: "response.created", response: { id: "r", model: "m", status: "in_progress" } },
        "response.created",
      ),
    );
    await writeUntilClosed(res, () => event(sent.events++));
    sent.done = true;
  };
}

const delta = (text: string) =>
  sseEvent({ type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: text });

describe("one reply has a size limit", () => {
  test("text without end: stops past 32 MiB with one line, exit 1; the 32 MiB printed stay printed", async () => {
    const server = await startProvider();
    const piece = `${"x".repeat(MIB - 1)}\n`;
    const sent = { events: 0, done: false };
    server.reply(endless(() => delta(piece), sent));
    const r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: 127.0.0.1:${server.port} sent a reply longer than 32 MiB of text; codex stopped reading it, the reply is incomplete\n`,
    );
    expect(r.stdout.length).toBe(32 * MIB);
    expect(r.stdout).toBe(piece.repeat(32));
    // codex hung up: the server saw the connection close a few events past the limit.
    await until(() => sent.done);
    expect(sent.events).toBeLessThan(40);
    expectNoSecret(r, KEY);
  });

  test("codex chat (piped): the same limit ends the run, exit 1, the text kept", async () => {
    const server = await startProvider();
    const piece = `${"y".repeat(MIB - 1)}\n`;
    const sent = { events: 0, done: false };
    server.reply(endless(() => delta(piece), sent));
    const r = await runCliInProcess(["chat"], {
      home: testHome(),
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
      input: "hi\nnever sent\n",
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("sent a reply longer than 32 MiB of text");
    expect(r.stdout).toBe(piece.repeat(32));
    expect(server.requests).toHaveLength(1);
    await until(() => sent.done);
  });

  test("events without text, without end: stops past 256 MiB streamed with one line, exit 1", async () => {
    const server = await startProvider();
    const pad = "p".repeat(MIB);
    const sent = { events: 0, done: false };
    server.reply(endless(() => sseEvent({ type: "response.in_progress", pad }), sent));
    const r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: 127.0.0.1:${server.port} streamed more than 256 MiB for one reply; codex stopped reading it, the reply is incomplete\n`,
    );
    expect(r.stdout).toBe("");
    await until(() => sent.done);
  });
});

describe("codex chat keeps the conversation it sends bounded", () => {
  test("past 32 MiB of text, the oldest turns are left out, with a note; the latest stay", async () => {
    const server = await startProvider();
    const big = (letter: string) => Array.from({ length: 20 }, () => letter.repeat(MIB));
    server.reply(sse(responsesEvents(big("A"))), sse(responsesEvents(big("B"))), sse(responsesEvents(["ok"])));
    const r = await runCliInProcess(["chat"], {
      home: testHome(),
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
      input: "first\nsecond\nthird\n",
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "(the conversation is longer than 32 MiB of text; its 2 oldest messages are no longer sent)\n",
    );
    const sentMessages = (i: number) =>
      ((server.requests[i]?.body.input ?? []) as Array<{ role: string; content: string }>).map((m) => [
        m.role,
        m.content.length > 20 ? `${m.content[0]}×${m.content.length}` : m.content,
      ]);
    // The second turn still fits: 20 MiB and a word.
    expect(sentMessages(1)).toEqual([
      ["user", "first"],
      ["assistant", `A×${20 * MIB}`],
      ["user", "second"],
    ]);
    expect(sentMessages(2)).toEqual([
      ["user", "second"],
      ["assistant", `B×${20 * MIB}`],
      ["user", "third"],
    ]);
  });
});

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
