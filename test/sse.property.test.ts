/**
 * Property tests for the Server-Sent Events decoder (src/api/sse.ts, the library's `SseDecoder`): however the
 * bytes of a stream are split — inside a line, inside a CRLF pair, inside a multi-byte UTF-8 character — the
 * decoder yields exactly the events of the whole stream, which are exactly the events encoded. Also the
 * byte-order mark, invalid UTF-8, the size limit, and one end-to-end property through `codex run`.
 */
import { SseDecoder } from "codex-credentials";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { testHome } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const RUNS = 200;

type Ending = "\n" | "\r\n" | "\r";

/** An event as the test expects it back: name (undefined when absent) and data. */
interface Expected {
  event: string | undefined;
  data: string;
}

/** One line of a stream, without its ending. */
interface Line {
  text: string;
  ending: Ending;
}

const ending: fc.Arbitrary<Ending> = fc.constantFrom("\n", "\r\n", "\r");

/** Any character but CR and LF (which end lines), with the interesting ones made likely. */
const char = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom("a", " ", ":", "é", "日", "🚀", "𝄞", "👩‍💻") },
  { weight: 1, arbitrary: fc.constantFrom("\u0000", "\t", "\x1b", "\u0085", "\u2028", "\ufeff", "\ufffd", "data: x") },
);
const lineText = fc.array(char, { maxLength: 12 }).map((cs) => cs.join("").replace(/[\r\n]/g, "_"));

/** The field lines of one event (no blank line yet) and what it should decode to (undefined: no event). */
const eventArb: fc.Arbitrary<{ lines: string[]; expected: Expected | undefined }> = fc
  .record({
    data: fc.array(fc.tuple(lineText, fc.boolean()), { maxLength: 4 }),
    name: fc.option(
      lineText.filter((n) => n !== ""),
      { nil: undefined },
    ),
    nameAt: fc.nat(),
    comments: fc.array(fc.tuple(lineText, fc.nat()), { maxLength: 2 }),
  })
  .map(({ data, name, nameAt, comments }) => {
    // `data:value` and `data: value` both mean value: exactly one space after the colon is dropped.
    const lines = data.map(([text, space]) => `data:${space ? " " : ""}${text}`);
    if (name !== undefined) lines.splice(nameAt % (lines.length + 1), 0, `event: ${name}`);
    for (const [text, at] of comments) lines.splice(at % (lines.length + 1), 0, `:${text}`);
    const expected =
      data.length === 0
        ? undefined // an event without data lines is not dispatched
        : {
            event: name,
            data: data.map(([text, space]) => (space || !text.startsWith(" ") ? text : text.slice(1))).join("\n"),
          };
    return { lines, expected };
  })
  .filter(({ lines }) => lines.length > 0);

/**
 * Joins lines with their endings. A bare CR followed by an empty line ended by LF would read as one CRLF
 * (so the blank line would vanish): that empty line gets CRLF instead, as a real server's would.
 */
function encodeLines(lines: Line[]): string {
  let out = "";
  let previous: Ending | undefined;
  for (const { text, ending } of lines) {
    const e = previous === "\r" && text === "" && ending === "\n" ? "\r\n" : ending;
    out += text + e;
    previous = e;
  }
  return out;
}

/** A stream: events (each closed by a blank line), then maybe an event whose blank line never came. */
const streamArb = fc
  .record({
    events: fc.array(fc.tuple(eventArb, fc.array(ending, { minLength: 8, maxLength: 8 })), { maxLength: 6 }),
    tail: fc.option(
      fc.record({
        lines: fc.array(
          lineText.map((t) => `data: ${t}`),
          { minLength: 1, maxLength: 3 },
        ),
        endings: fc.array(ending, { minLength: 3, maxLength: 3 }),
        lastEnded: fc.boolean(),
      }),
      { nil: undefined },
    ),
  })
  .map(({ events, tail }) => {
    const lines: Line[] = [];
    const expected: Expected[] = [];
    for (const [event, endings] of events) {
      event.lines.forEach((text, i) => {
        lines.push({ text, ending: endings[i % endings.length] as Ending });
      });
      lines.push({ text: "", ending: endings[7] as Ending });
      if (event.expected) expected.push(event.expected);
    }
    let text: string;
    if (tail === undefined) {
      // A stream ending in a bare CR is the subject of its own test below.
      const last = lines.at(-1);
      if (last?.ending === "\r") last.ending = "\r\n";
      text = encodeLines(lines);
    } else {
      tail.lines.forEach((t, i) => {
        lines.push({ text: t, ending: tail.endings[i] as Ending });
      });
      text = encodeLines(lines);
      if (!tail.lastEnded) text = text.replace(/(\r\n|\r|\n)$/, "");
    }
    return { text, expected, hasTail: tail !== undefined };
  });

/**
 * Streams whose last line break is a bare CR followed by more text: split just after that CR, the decoder
 * holds the event back (see the bare-CR tests below). The properties about other things leave them out so
 * that they fail only for their own reason; the first property keeps them.
 */
const notHeldByBareCr = ({ text }: { text: string }) => !/\r[^\r\n]+$/.test(text);

/** Split points for a buffer of any length: positions taken modulo length + 1, sorted. */
const splitsArb = fc.array(fc.nat(), { maxLength: 24 });

function split(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

/** Feeds the pieces, then ends the stream; returns every event's name and data. */
function decodeAll(pieces: Uint8Array[], decoder = new SseDecoder()): Expected[] {
  const events: Expected[] = [];
  for (const piece of pieces) for (const e of decoder.push(piece)) events.push({ event: e.event, data: e.data });
  for (const e of decoder.end()) events.push({ event: e.event, data: e.data });
  return events;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

describe("SseDecoder: split anywhere, same events", () => {
  test("pieces at arbitrary byte positions decode to the whole buffer's events, which are the ones encoded", () => {
    fc.assert(
      fc.property(streamArb, splitsArb, ({ text, expected }, points) => {
        const bytes = utf8(text);
        const whole = decodeAll([bytes]);
        expect(whole).toEqual(expected);
        expect(decodeAll(split(bytes, points))).toEqual(whole);
        // One byte at a time: every CRLF pair and every multi-byte character is cut.
        expect(decodeAll(split(bytes, [...bytes.keys()]))).toEqual(whole);
      }),
      {
        numRuns: RUNS,
        // Always tried first: a blank line ended by a bare CR, then an unterminated event (found by shrinking).
        examples: [[{ text: "data:\n\rdata: ", expected: [{ event: undefined, data: "" }], hasTail: true }, []]],
      },
    );
  });

  test("end() discards an event whose blank line never came, and returns nothing more after the last one", () => {
    fc.assert(
      fc.property(
        streamArb.filter((s) => s.hasTail && notHeldByBareCr(s)),
        splitsArb,
        ({ text, expected }, points) => {
          const decoder = new SseDecoder();
          const pushed: Expected[] = [];
          for (const piece of split(utf8(text), points)) {
            for (const e of decoder.push(piece)) pushed.push({ event: e.event, data: e.data });
          }
          // Every complete event came out of push(); the unterminated one is dropped by end().
          expect(pushed).toEqual(expected);
          expect(decoder.end()).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("a stream that ends right after an event's blank line yields that event, whatever the line endings", () => {
    // WHATWG HTML §9.2.6: CR, LF and CRLF each end a line; a complete event is dispatched at its blank line,
    // only an event still missing its blank line at the end of the stream is discarded.
    fc.assert(
      fc.property(fc.array(lineText, { minLength: 1, maxLength: 3 }), ending, splitsArb, (data, lineEnding, points) => {
        const text = encodeLines([
          ...data.map((t) => ({ text: `data: ${t}`, ending: lineEnding })),
          { text: "", ending: lineEnding },
        ]);
        const bytes = utf8(text);
        const want = [{ event: undefined, data: data.join("\n") }];
        expect(decodeAll([bytes])).toEqual(want);
        expect(decodeAll(split(bytes, points))).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  test("an event closed by a bare CR comes out once the next piece shows no LF follows, even without a line break", () => {
    const decoder = new SseDecoder();
    const got = [...decoder.push(utf8("data: first\r\r")), ...decoder.push(utf8("data: sec"))];
    expect(got.map((e) => e.data)).toEqual(["first"]);
  });
});

describe("SseDecoder: bytes that are not plain UTF-8", () => {
  test("a leading UTF-8 byte-order mark is ignored, however it is split", () => {
    fc.assert(
      fc.property(streamArb.filter(notHeldByBareCr), splitsArb, ({ text, expected }, points) => {
        const bytes = new Uint8Array([...BOM, ...utf8(text)]);
        expect(decodeAll(split(bytes, points))).toEqual(expected);
        expect(decodeAll(split(bytes, [1, 2, 3]))).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("invalid UTF-8 never throws: each bad sequence becomes U+FFFD, as TextDecoder decodes it", () => {
    const rawLine = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }),
          // Truncated and overlong sequences, lone continuation bytes, surrogates encoded in UTF-8.
          fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff),
        ),
        { maxLength: 16 },
      )
      .map((bs) => bs.filter((b) => b !== 0x0a && b !== 0x0d));
    const event = fc.tuple(fc.array(rawLine, { minLength: 1, maxLength: 3 }), ending);
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 4 }), splitsArb, (events, points) => {
        const parts: number[] = [];
        const want: Expected[] = [];
        events.forEach(([lines, eol], i) => {
          for (const line of lines) parts.push(...utf8("data: "), ...line, ...utf8(eol));
          // The stream's last blank line is never a bare CR here (that case has its own test above).
          parts.push(...utf8(i === events.length - 1 && eol === "\r" ? "\r\n" : eol));
          want.push({
            event: undefined,
            data: lines.map((l) => new TextDecoder().decode(new Uint8Array(l))).join("\n"),
          });
        });
        const bytes = new Uint8Array(parts);
        let got: Expected[] = [];
        expect(() => {
          got = decodeAll(split(bytes, points));
        }).not.toThrow();
        expect(got).toEqual(want);
        for (const e of got) expect(e.data.isWellFormed()).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("SseDecoder: size limit", () => {
  const LIMIT = 1000;
  /** An event with at least twice LIMIT characters of data, on one line or many. */
  const bigEvent = fc
    .record({
      unit: fc.constantFrom("x", "é", "日", "🚀"),
      size: fc.integer({ min: 2 * LIMIT, max: 4 * LIMIT }),
      lineLength: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
    })
    .map(({ unit, size, lineLength }) => {
      const data = unit.repeat(Math.ceil(size / unit.length));
      const chars = Array.from(data);
      const lines: string[] = [];
      const step = lineLength ?? chars.length;
      for (let i = 0; i < chars.length; i += step) lines.push(chars.slice(i, i + step).join(""));
      return `${lines.map((l) => `data: ${l}\n`).join("")}\n`;
    });

  test("an event larger than the limit, arriving in pieces, throws instead of being buffered", () => {
    fc.assert(
      fc.property(
        bigEvent,
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
        (text, sizes) => {
          const bytes = utf8(text);
          const pieces: Uint8Array[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length] as number;
            pieces.push(bytes.subarray(at, at + size));
            at += size;
          }
          expect(() => decodeAll(pieces, new SseDecoder(LIMIT))).toThrow(/larger than/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("a line that never ends throws soon after passing the limit", () => {
    const decoder = new SseDecoder(LIMIT);
    const piece = utf8("x".repeat(100));
    decoder.push(utf8("data: "));
    let pushed = 0;
    expect(() => {
      for (; pushed < 1000; pushed++) decoder.push(piece);
    }).toThrow(/larger than/);
    expect(pushed * piece.length).toBeLessThanOrEqual(LIMIT + piece.length);
    // The stream stays stopped.
    expect(() => decoder.push(utf8("\n\n"))).toThrow(/larger than/);
  });

  test("fed in one piece, an oversized event is refused too: the limit does not depend on how bytes arrive", () => {
    fc.assert(
      fc.property(bigEvent, (text) => {
        expect(() => decodeAll([utf8(text)], new SseDecoder(LIMIT))).toThrow(/larger than/);
      }),
      { numRuns: 50 },
    );
  });
});

const KEY = "sk-sse-prop-0123456789abcdefKEY3";

describe("codex run: a reply split anywhere on the wire prints exactly its text", () => {
  test("generated text with multi-byte characters, random deltas, random write sizes", async () => {
    const server = await startProvider();
    const home = testHome();
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl };
    const part = fc.array(char, { maxLength: 8 }).map((cs) => cs.join(""));
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(part, { minLength: 1, maxLength: 6 })
          .filter((parts) => parts.join("") !== "" && !parts.join("").endsWith("\n")),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 1),
        async (parts, chunkBytes, delayMs) => {
          const before = server.requests.length;
          server.reply(sse(responsesEvents(parts), { chunkBytes, delayMs }));
          const r = await runCliInProcess(["run", "hi"], { home, env });
          expect(r.stderr).toBe("");
          expect(r.code).toBe(0);
          expect(r.stdout).toBe(`${parts.join("")}\n`);
          expect(server.requests.length).toBe(before + 1);
        },
      ),
      { numRuns: 15 },
    );
  });

  test.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("a Responses stream with %s line endings is read to its end", async (_name, eol) => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hel", "lo ", "wörld"]).replaceAll("\n", eol), { chunkBytes: 5 }));
    const home = testHome();
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello wörld\n");
  });
});
