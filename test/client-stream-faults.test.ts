/**
 * Network faults the other suites leave out, against the CLI and real servers on 127.0.0.1: a
 * connection reset (TCP RST) in the middle of a reply, a reply dripped one byte at a time, keep-alive
 * comments and nothing else, a 1 MB line and lines around the SSE size limit (16 MiB, src/api/sse.ts), data
 * lines that are not JSON or not of the expected shape, response headers followed by silence (configured
 * and default bounds). (An issuer whose revocation endpoint misbehaves: logout-revoke-faults.test.ts.)
 *
 * Each test measures the time taken and bounds it, checks the exit code, that stderr is one clear line
 * (`error: …`) without a stack trace, and that no secret reaches either stream.
 *
 * Already covered elsewhere, so not repeated here: connection refused, reset before any response, reset
 * on every attempt, no response headers within request_timeout_ms, a stall after text, 429/500 retries, a
 * non-SSE 200 (client-*.test.ts, chat.test.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { CLI, cleanEnv, type RunResult, run, runCli, testHome, withConfig } from "./helpers.js";
import { expectClean, KEY, oneLine, sleep, timed } from "./support/faults.js";
import { runCliInProcess } from "./support/in-process.js";
import {
  chatEvents,
  type FakeProvider,
  responsesEvents,
  type Script,
  sse,
  sseEvent,
  startProvider,
  writePaced,
} from "./support/provider.js";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

const WIRES = [
  { wire: "responses", events: responsesEvents },
  { wire: "chat", events: chatEvents },
] as const;
type Wire = (typeof WIRES)[number];

/** The first events of a reply carrying `parts`, without its end: a reply still streaming. */
const head = (w: Wire, ...parts: string[]) => w.events(parts, { omitEnd: true });

/**
 * A HOME whose config.toml selects provider `x` at the local server, with these TOML lines in its table.
 * `x` takes OpenAI's credentials (`requires_openai_auth`), so OPENAI_API_KEY reaches it.
 */
function providerHome(server: FakeProvider, wire: Wire["wire"], ...settings: string[]): string {
  return withConfig(
    [
      'model_provider = "x"',
      "",
      "[model_providers.x]",
      'name = "Local"',
      `base_url = "${server.baseUrl}"`,
      "requires_openai_auth = true",
      `wire_api = "${wire}"`,
      ...settings,
      "",
    ].join("\n"),
  ).home;
}

/** `codex ARGS` with provider `x` at the server; the key comes from the environment, never argv. */
function codex(
  server: FakeProvider,
  wire: Wire["wire"],
  args: string[],
  opts: { settings?: string[]; input?: string; timeoutMs?: number; spawned?: boolean } = {},
): Promise<[RunResult, number]> {
  const home = providerHome(server, wire, ...(opts.settings ?? []));
  const runner = opts.spawned ? runCli : runCliInProcess;
  return timed(() =>
    runner(args, { home, env: { OPENAI_API_KEY: KEY }, input: opts.input, timeoutMs: opts.timeoutMs ?? 20_000 }),
  );
}

/** Exit 1 (not a signal), stdout exactly `stdout`, one error line containing every part; returns it. */
function expectFailure(r: RunResult, stdout: string, ...parts: string[]): string {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe(stdout);
  const message = oneLine(r, "error: ");
  for (const part of parts) expect(message).toContain(part);
  expectClean(r);
  return message;
}

/** Exit 0, stdout exactly `stdout`, nothing on stderr. */
function expectReply(r: RunResult, stdout: string): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(stdout);
  expectClean(r);
}

/** Starts an event stream: status 200, SSE headers, flushed, Nagle off (so small writes go out at once). */
function openStream(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
}

/**
 * Sends `body`, waits for the client to have read it, then resets the connection (TCP RST, not a clean
 * close). A reset makes the kernel drop data the peer has not read yet, hence the wait.
 */
function resetAfter(body: string): Script {
  return async (_req, res) => {
    openStream(res);
    res.write(body);
    await sleep(300);
    res.socket?.resetAndDestroy();
  };
}

/** Sends `body` one byte at a time, `gapMs` apart, then ends the response. */
function drip(body: string, gapMs: number): Script {
  return async (_req, res) => {
    openStream(res);
    for (const byte of Buffer.from(body, "utf8")) {
      if (res.destroyed) return;
      res.write(Buffer.of(byte));
      await sleep(gapMs);
    }
    res.end();
  };
}

/** Sends `first`, then only `: keep-alive` comments every `everyMs` for `forMs`, then `last`. */
function keepAliveOnly(first: string, everyMs: number, forMs: number, last: string): Script {
  return async (_req, res) => {
    openStream(res);
    res.write(first);
    const until = performance.now() + forMs;
    while (performance.now() < until) {
      await sleep(everyMs);
      if (res.destroyed) return;
      res.write(": keep-alive\n\n");
    }
    res.end(last);
  };
}

/** Response headers, then nothing: no event, no byte, the connection held open. */
const headersThenSilence = (): Script => sse("", { hangAfter: true });

/** Records when each request arrived (performance.now()). */
function stamped(times: number[], script: Script): Script {
  return (req, res) => {
    times.push(performance.now());
    return script(req, res);
  };
}

/** A Responses API delta event whose `delta` is given as-is (any JSON value). */
const responsesDelta = (delta: unknown) =>
  sseEvent(
    { type: "response.output_text.delta", item_id: "msg_1", output_index: 0, delta },
    "response.output_text.delta",
  );

/** A Chat Completions chunk whose `delta.content` is given as-is (any JSON value). */
const chatDelta = (content: unknown) =>
  sseEvent({
    id: "c",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });

describe("connection reset (TCP RST) in the middle of a reply", () => {
  test.each(WIRES)("$wire, codex run: the text stays, one error naming the host, exit 1, not retried", async (w) => {
    const server = await startProvider();
    // A third, half-sent event is cut by the reset: none of it may be printed.
    const partial = w.wire === "chat" ? 'data: {"choices":[{"delta":{"content":"NEVER' : 'data: {"delta":"NEVER';
    server.reply(resetAfter(head(w, "Hello, ", "world") + partial), sse(w.events(["retried: printed twice"])));
    const [r, ms] = await codex(server, w.wire, ["run", "hi"], { settings: ["request_max_retries = 2"] });
    expect(ms).toBeLessThan(10_000);
    const message = expectFailure(r, "Hello, world\n", `127.0.0.1:${server.port}`);
    expect(message).toMatch(/broke before the reply was complete/);
    expect(server.requests).toHaveLength(1);
  });

  test.each(WIRES)("$wire, codex chat (piped): the run stops at the broken turn, earlier replies kept", async (w) => {
    const server = await startProvider();
    server.reply(
      sse(w.events(["first reply"])),
      resetAfter(head(w, "second ", "partial")),
      sse(w.events(["retried or third turn: must not be asked for"])),
    );
    const [r, ms] = await codex(server, w.wire, ["chat"], {
      settings: ["request_max_retries = 2"],
      input: "q1\nq2\nq3\n",
    });
    expect(ms).toBeLessThan(10_000);
    const message = expectFailure(r, "first reply\nsecond partial\n", `127.0.0.1:${server.port}`);
    expect(message).toMatch(/broke before the reply was complete/);
    expect(server.requests).toHaveLength(2);
  });
});

describe("slow drip", () => {
  const GAP_MS = 50;
  const IDLE_MS = 1_200;
  // Minimal replies, so that dripping them byte by byte takes seconds, not minutes.
  const bodies: Record<Wire["wire"], string> = {
    responses: `${sseEvent({ type: "response.output_text.delta", delta: "Hi 😀" })}${sseEvent({ type: "response.completed", response: {} })}`,
    chat: `${sseEvent({ choices: [{ delta: { content: "Hi 😀" } }] })}data: [DONE]\n\n`,
  };

  test.each(WIRES)(
    "$wire: one byte every 50 ms, never idle for stream_idle_timeout_ms: complete reply, exit 0",
    async (w) => {
      const server = await startProvider();
      const body = bodies[w.wire];
      const dripMs = Buffer.byteLength(body) * GAP_MS;
      // The whole reply takes well over the idle timeout; only the gaps between bytes are shorter.
      expect(dripMs).toBeGreaterThan(2.5 * IDLE_MS);
      server.reply(drip(body, GAP_MS));
      const [r, ms] = await codex(server, w.wire, ["run", "hi"], {
        settings: [`stream_idle_timeout_ms = ${IDLE_MS}`, "request_max_retries = 0"],
        timeoutMs: dripMs + 20_000,
      });
      expectReply(r, "Hi 😀\n");
      expect(ms).toBeGreaterThan(dripMs * 0.9);
      expect(ms).toBeLessThan(dripMs + 10_000);
      expect(server.requests).toHaveLength(1);
    },
  );

  // Decided: a comment line (`: keep-alive`) tells the client the connection is alive, not that the reply
  // is progressing. stream_idle_timeout_ms is "the longest silence in the middle of a reply" (docs); a
  // server that sends nothing but keep-alives for longer than that is silent, and must be given up on.
  // Otherwise such a server holds codex forever: no other timer runs once the headers have arrived.
  test("keep-alive comments only, for longer than stream_idle_timeout_ms: exit 1 within the bound, text kept", async () => {
    const server = await startProvider();
    const w = WIRES[0];
    const late = w.events([" and the rest"]);
    server.reply(keepAliveOnly(head(w, "Hello"), 100, 5_000, late), sse(w.events(["must not be asked for"])));
    const [r, ms] = await codex(server, w.wire, ["run", "hi"], {
      settings: ["stream_idle_timeout_ms = 500", "request_max_retries = 1"],
    });
    expect(ms).toBeLessThan(4_000);
    expectFailure(r, "Hello\n", `127.0.0.1:${server.port}`, "stream_idle_timeout_ms", "incomplete");
    expect(server.requests).toHaveLength(1);
  });
});

describe("large lines and the 16 MiB event limit", () => {
  const MiB = 1024 * 1024;
  const LIMIT = 16 * MiB;

  test.each(WIRES)("$wire: a 1 MiB text delta on one line arrives whole, exit 0", async (w) => {
    const server = await startProvider();
    const big = `${"0123456789abcdef".repeat(MiB / 16 - 1)}end of the big line 😀`;
    server.reply(sse(w.events(["before ", big])));
    const [r, ms] = await codex(server, w.wire, ["run", "hi"]);
    expect(ms).toBeLessThan(10_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(`before ${big}\n`.length);
    expect(r.stdout === `before ${big}\n`).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  /** One `data:` line of exactly `lineChars` characters (prefix included): a Responses delta of x's. */
  function deltaLine(lineChars: number): { line: string; text: string } {
    const prefix = 'data: {"type":"response.output_text.delta","delta":"';
    const suffix = '"}';
    const text = "x".repeat(lineChars - prefix.length - suffix.length);
    return { line: `${prefix}${text}${suffix}\n\n`, text };
  }
  const completed = sseEvent({ type: "response.completed", response: {} });

  test("an event 1 KiB under the limit is accepted: exit 0, its text printed whole", async () => {
    const server = await startProvider();
    const { line, text } = deltaLine(LIMIT - 1024);
    server.reply(sse(`${line}${completed}`));
    const [r, ms] = await codex(server, "responses", ["run", "hi"]);
    expect(ms).toBeLessThan(15_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(text.length + 1);
    expect(r.stdout === `${text}\n`).toBe(true);
  });

  test("an event 1 KiB over the limit, after some text: exit 1, text kept, says 16 MiB, not retried", async () => {
    const server = await startProvider();
    const { line } = deltaLine(LIMIT + 1024);
    server.reply(
      sse(`${head(WIRES[0], "before")}${line}${completed}`),
      sse(responsesEvents(["must not be asked for"])),
    );
    const [r, ms] = await codex(server, "responses", ["run", "hi"], { settings: ["request_max_retries = 2"] });
    expect(ms).toBeLessThan(15_000);
    expectFailure(r, "before\n", `127.0.0.1:${server.port}`, "larger than 16 MiB", "incomplete");
    expect(server.requests).toHaveLength(1);
  });

  test("a line that never ends: codex stops reading soon after 16 MiB (bounded memory), exit 1, not retried", async () => {
    const server = await startProvider();
    const CAP = 256 * MiB;
    const sent = { bytes: 0, closedEarly: false };
    server.reply(
      async (_req, res) => {
        openStream(res);
        res.write("data: ");
        const piece = Buffer.alloc(64 * 1024, "y");
        while (!res.destroyed && sent.bytes < CAP) {
          sent.bytes += piece.length;
          await writePaced(res, piece);
        }
        sent.closedEarly = res.destroyed;
        res.destroy();
      },
      sse(responsesEvents(["must not be asked for"])),
    );
    // Spawned: the client does not close the connection when it gives up; the exit of codex's process does.
    const [r, ms] = await codex(server, "responses", ["run", "hi"], {
      settings: ["request_max_retries = 2"],
      spawned: true,
    });
    expect(ms).toBeLessThan(15_000);
    expectFailure(r, "", `127.0.0.1:${server.port}`, "larger than 16 MiB");
    // What codex took in before hanging up: the limit plus what socket buffers hold, far from the cap.
    expect(sent.closedEarly).toBe(true);
    expect(sent.bytes).toBeGreaterThan(LIMIT);
    expect(sent.bytes).toBeLessThan(64 * MiB);
    expect(server.requests).toHaveLength(1);
  });
});

describe("data lines that are not what the wire format says", () => {
  // Each bad event comes after "Hello " and is followed by more text and a proper end: a client that
  // skipped the bad event would print " world" and exit 0.
  const cases: Array<{ wire: Wire["wire"]; name: string; bad: string; says: RegExp }> = [
    {
      wire: "responses",
      name: "truncated JSON",
      bad: 'data: {"type":"response.output_text.delta","delta":"wor\n\n',
      says: /not valid JSON/,
    },
    {
      wire: "responses",
      name: "not JSON at all",
      bad: "data: <html>502 Bad Gateway</html>\n\n",
      says: /not valid JSON/,
    },
    { wire: "responses", name: "`data: 42`", bad: "data: 42\n\n", says: /not a JSON object/ },
    { wire: "responses", name: "`data: null`", bad: "data: null\n\n", says: /not a JSON object/ },
    {
      wire: "chat",
      name: "truncated JSON",
      bad: 'data: {"choices":[{"delta":{"content":"wor\n\n',
      says: /not valid JSON/,
    },
    { wire: "chat", name: "not JSON at all", bad: "data: upstream timed out\n\n", says: /not valid JSON/ },
    { wire: "chat", name: '`data: ["a"]`', bad: 'data: ["a"]\n\n', says: /not a JSON object/ },
  ];

  test.each(cases)(
    "$wire, $name: exit 1, text before it kept, one clear line, no retry",
    async ({ wire, bad, says }) => {
      const w = WIRES.find((x) => x.wire === wire) as Wire;
      const server = await startProvider();
      server.reply(sse(`${head(w, "Hello ")}${bad}${w.events([" world"])}`), sse(w.events(["must not be asked for"])));
      const [r, ms] = await codex(server, wire, ["run", "hi"], { settings: ["request_max_retries = 2"] });
      expect(ms).toBeLessThan(10_000);
      const message = expectFailure(r, "Hello \n", `127.0.0.1:${server.port}`, "incomplete");
      expect(message).toMatch(says);
      expect(message).not.toMatch(/position|line \d|column/);
      expect(server.requests).toHaveLength(1);
    },
  );

  test("codex chat (piped): an event that is not JSON ends the run at that turn, exit 1", async () => {
    const server = await startProvider();
    const w = WIRES[1];
    server.reply(
      sse(w.events(["first reply"])),
      sse(`${head(w, "second ")}data: {oops\n\n${w.events(["more"])}`),
      sse(w.events(["third turn: must not be asked for"])),
    );
    const [r, ms] = await codex(server, w.wire, ["chat"], { input: "q1\nq2\nq3\n" });
    expect(ms).toBeLessThan(10_000);
    expectFailure(r, "first reply\nsecond \n", `127.0.0.1:${server.port}`, "not valid JSON");
    expect(server.requests).toHaveLength(2);
  });

  // A text delta whose text is a number is not a delta codex can print. Skipping it without a word would
  // print "Hello  world" while the server meant something in between, and the user could not tell.
  test('responses, `{"type":"response.output_text.delta","delta":7}`: exit 1, text before it kept', async () => {
    const w = WIRES[0];
    const server = await startProvider();
    server.reply(sse(`${head(w, "Hello ")}${responsesDelta(7)}${w.events([" world"])}`));
    const [r, ms] = await codex(server, w.wire, ["run", "hi"]);
    expect(ms).toBeLessThan(10_000);
    expectFailure(r, "Hello \n", `127.0.0.1:${server.port}`, "incomplete");
  });

  test('chat, `{"choices":[{"delta":{"content":7}}]}`: exit 1, text before it kept', async () => {
    const w = WIRES[1];
    const server = await startProvider();
    server.reply(sse(`${head(w, "Hello ")}${chatDelta(7)}${w.events([" world"])}`));
    const [r, ms] = await codex(server, w.wire, ["run", "hi"]);
    expect(ms).toBeLessThan(10_000);
    expectFailure(r, "Hello \n", `127.0.0.1:${server.port}`, "incomplete");
  });

  test("chat chunks of other shapes (no choices, null content) are not errors: the reply completes", async () => {
    // The counterpart of the test above: what servers legitimately send must keep working.
    const w = WIRES[1];
    const server = await startProvider();
    const other = sseEvent({ id: "c", object: "chat.completion.chunk", choices: [] }) + chatDelta(null);
    server.reply(sse(`${head(w, "Hello ")}${other}${w.events(["world"])}`));
    const [r] = await codex(server, w.wire, ["run", "hi"]);
    expectReply(r, "Hello world\n");
  });
});

describe("response headers, then silence before any event", () => {
  test.each(WIRES)(
    "$wire: stream_idle_timeout_ms = 400, one retry: exit 1 after two idle waits, names the setting",
    async (w) => {
      const server = await startProvider();
      const times: number[] = [];
      server.reply(
        stamped(times, headersThenSilence()),
        stamped(times, headersThenSilence()),
        sse(w.events(["must not be asked for"])),
      );
      const [r, ms] = await codex(server, w.wire, ["run", "hi"], {
        settings: ["stream_idle_timeout_ms = 400", "request_max_retries = 1"],
      });
      // Two idle waits and one backoff (about 0.5 s): about 1.3 s.
      expect(ms).toBeGreaterThan(2 * 400);
      expect(ms).toBeLessThan(8_000);
      expectFailure(r, "", `127.0.0.1:${server.port}`, "0.4 s (stream_idle_timeout_ms)", "gave up after 2 attempts");
      expect(server.requests).toHaveLength(2);
      expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(400);
    },
  );

  test("codex chat (piped): the silent turn ends the run within the bound, exit 1, earlier reply kept", async () => {
    const server = await startProvider();
    const w = WIRES[0];
    server.reply(sse(w.events(["first reply"])), headersThenSilence(), sse(w.events(["must not be asked for"])));
    const [r, ms] = await codex(server, w.wire, ["chat"], {
      settings: ["stream_idle_timeout_ms = 500", "request_max_retries = 0"],
      input: "q1\nq2\nq3\n",
    });
    expect(ms).toBeGreaterThan(500);
    expect(ms).toBeLessThan(6_000);
    expectFailure(r, "first reply\n", `127.0.0.1:${server.port}`, "stream_idle_timeout_ms");
    expect(server.requests).toHaveLength(2);
  });

  // Without stream_idle_timeout_ms the documented defaults apply: 5 min of silence per attempt
  // (stream_idle_timeout_ms = 300000) and 4 retries (request_max_retries), since no text was printed; about
  // 25 minutes in all. Too long to wait for, so the CLI runs with a clock 1000 times faster: a preload
  // divides every setTimeout delay by 1000 (the idle timer and the backoff both use setTimeout). The messages
  // still show the configured values, so the default is read off the real process's own words.
  test("default bound (no setting): 300 s per attempt, 5 attempts; shown with a 1000x faster clock", async () => {
    const server = await startProvider();
    const times: number[] = [];
    for (let i = 0; i < 6; i++) server.reply(stamped(times, headersThenSilence()));
    const home = providerHome(server, "responses");
    // Response headers may take up to an hour of the fast clock (3.6 s): only the idle default is measured.
    const configFile = join(home, ".codex", "config.toml");
    writeFileSync(configFile, `request_timeout_ms = 3600000\n${readFileSync(configFile, "utf8")}`);
    const preload = join(testHome("codex-fast-clock-"), "fast-clock.cjs");
    writeFileSync(
      preload,
      "const real = globalThis.setTimeout;\nglobalThis.setTimeout = (fn, ms, ...args) => real(fn, (Number(ms) || 0) / 1000, ...args);\n",
    );
    const [r, ms] = await timed(() =>
      run(process.execPath, ["--require", preload, CLI, "run", "hi"], {
        env: cleanEnv(home, { OPENAI_API_KEY: KEY }),
        timeoutMs: 20_000,
      }),
    );
    expectFailure(
      r,
      "",
      `127.0.0.1:${server.port}`,
      "sent no data for 300 s (stream_idle_timeout_ms)",
      "gave up after 5 attempts",
    );
    expect(server.requests).toHaveLength(5);
    // Each attempt waited its whole (scaled) 300 s before the next request.
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(290);
    }
    expect(ms).toBeGreaterThan(5 * 290);
    expect(ms).toBeLessThan(15_000);
  });
});
