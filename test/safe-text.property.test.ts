/**
 * Property tests for src/safe-text.ts (the library's `stripControls`, `ControlStripper`, `redact`,
 * `jsonText`): what reaches a terminal has no control character but newline and tab, however a stream is
 * split; a credential echoed whole, as a long prefix, in base64 (standard or URL-safe, at any byte offset),
 * percent-encoded, or with a control sequence inserted, never survives `redact`; ordinary text is left
 * alone; and every function is linear in its input.
 */
import { ControlStripper, jsonText, redact, stripControls } from "codex-credentials";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { base64, forbidden, kindOf } from "./support/secret-forms.js";

const RUNS = 300;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be absent
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe("stripControls", () => {
  test.each([
    ["OSC window title (BEL)", "a\x1b]0;pwned\x07b", "ab"],
    ["OSC hyperlink (ST)", "a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"],
    ["CSI clear screen", "a\x1b[2Jb", "ab"],
    ["CSI with private parameters", "a\x1b[?1049hb", "ab"],
    ["8-bit CSI (U+009B)", "a\x9b31mb", "ab"],
    ["8-bit OSC (U+009D) to ST (U+009C)", "a\x9d0;pwned\x9cb", "ab"],
    ["DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"],
    ["two-character ESC (save cursor, reset)", "a\x1b7b\x1bcc", "abc"],
    ["charset designation", "a\x1b(Bb", "ab"],
    ["BEL, backspace, NUL, DEL", "a\x07\x08\x00\x7fb", "ab"],
    ["lone CR (hides what precedes it)", "safe\rEVIL", "safeEVIL"],
    ["CRLF", "a\r\nb", "a\nb"],
    ["newline and tab stay", "a\n\tb", "a\n\tb"],
    ["unterminated OSC eats to the end", "a\x1b]0;pwned", "a"],
  ])("%s", (_name, input, expected) => {
    expect(stripControls(input)).toBe(expected);
  });
});

/** Text with no control character but newline and tab (what must come through untouched). */
const printable = fc.string({
  unit: fc.constantFrom("a", "Z", "0", " ", ";", "[", "]", "\\", "m", "é", "日", "🚀", "\n", "\t", "\u00a0"),
  maxLength: 12,
});
/** Complete control sequences and single control characters, as a terminal would take them. */
const sequence = fc.oneof(
  fc.constantFrom("\x1b[2J", "\x1b[31m", "\x1b[?25l", "\x1b[1;2 q", "\x9b31m", "\x9b?1049h"),
  fc.constantFrom("\x1b]0;pwned\x07", "\x1b]8;;http://e/\x1b\\", "\x9d2;t\x9c", "\x1bPq\x1b\\", "\x90x\x07"),
  fc.constantFrom("\x1b_apc\x1b\\", "\x1b^pm\x07", "\x1bXsos\x9c", "\x1b7", "\x1bc", "\x1b(B", "\x1b#8", "\x1b="),
  fc.constantFrom("\x07", "\x08", "\x00", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\x85", "\r", "\r\n"),
);
const pieces = fc.array(fc.tuple(printable, sequence), { maxLength: 8 });

/** `text` cut at the given places (sorted, deduplicated, within bounds). */
function cut(text: string, at: number[]): string[] {
  const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(text.slice(from, p));
    from = p;
  }
  parts.push(text.slice(from));
  return parts;
}

describe("ControlStripper: a stream split anywhere", () => {
  test("printable text and complete sequences: exactly the printable text comes out, however it is split", () => {
    fc.assert(
      fc.property(pieces, printable, fc.array(fc.nat(), { maxLength: 10 }), (ps, tail, at) => {
        const whole = ps.map(([p, s]) => p + s).join("") + tail;
        const expected = ps.map(([p, s]) => p + (s === "\r\n" ? "\n" : "")).join("") + tail;
        const stripper = new ControlStripper();
        expect(cut(whole, at).map((part) => stripper.push(part)).join("")).toBe(expected);
        expect(stripControls(whole)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("any text at all, split anywhere: no control character but newline and tab comes out", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(fc.string({ unit: "binary", maxLength: 1 }), sequence), maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, at) => {
          const stripper = new ControlStripper();
          for (const part of cut(text, at)) expect(stripper.push(part)).not.toMatch(CONTROL);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("a title sequence sent a character at a time leaves nothing on screen", () => {
    const stripper = new ControlStripper();
    const out = Array.from("before\x1b]0;pwned\x07\x1b[2J\x9b31mafter").map((c) => stripper.push(c));
    expect(out.join("")).toBe("beforeafter");
  });
});

const KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const TOKEN_CHARS = `${KEY_CHARS}.~+/=`;

/** An API key (`sk-…`, `sk-proj-…`) or an opaque OAuth token, 16 to 80 characters after its prefix. */
const credential = fc
  .tuple(
    fc.constantFrom("sk-", "sk-proj-", "sk-svcacct-", "ghp_", ""),
    fc.boolean(),
    fc.integer({ min: 16, max: 80 }),
    fc.infiniteStream(fc.nat()),
  )
  .map(([prefix, token, length, random]) => {
    const alphabet = token ? TOKEN_CHARS : KEY_CHARS;
    let body = "";
    const it = random[Symbol.iterator]();
    while (body.length < length) body += alphabet[(it.next().value as number) % alphabet.length];
    // A body starting with letters and "-" would read as a longer kind prefix; that is fine, but keep
    // the generated kind the one chosen, so the test knows what a "long prefix" is.
    return prefix + (prefix === "" ? body : `0${body}`);
  });

type Echo = { kind: string; text: (key: string) => string };

/** The ways a server echoes a credential back. */
const echo: fc.Arbitrary<Echo> = fc.oneof(
  fc.constant({ kind: "whole", text: (k: string) => k }),
  fc.nat({ max: 40 }).map((n) => ({
    kind: "long prefix",
    text: (k: string) => `${k.slice(0, Math.min(k.length, kindOf(k) + 10 + n))}****`,
  })),
  fc
    .tuple(fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 }), fc.boolean())
    .map(([before, after, urlSafe]) => ({
      kind: `base64 (${urlSafe ? "URL-safe" : "standard"}, after ${before.length} bytes)`,
      text: (k: string) => base64(Buffer.concat([before, Buffer.from(k), after]), urlSafe),
    })),
  fc.constant({ kind: "Basic", text: (k: string) => `Basic ${base64(`:${k}`)}` }),
  fc.constant({ kind: "percent-encoded", text: (k: string) => encodeURIComponent(k) }),
  fc.constant({
    kind: "percent-encoded, lower-case hex",
    text: (k: string) => encodeURIComponent(k).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  }),
  fc
    .tuple(fc.constantFrom("\x1b[31m", "\x1b]0;x\x07", "\x07", "\x9b1m", "\r", "\x1b", "\x1b\x1b", "\x00"), fc.nat())
    .map(([control, at]) => ({
      kind: `with ${JSON.stringify(control)} inserted`,
      text: (k: string) => {
        const i = 1 + (at % (k.length - 1));
        return k.slice(0, i) + control + k.slice(i);
      },
    })),
);

const around = fc.string({ maxLength: 20 });

describe("redact", () => {
  test("a credential echoed in any form, anywhere, shows none of it", () => {
    fc.assert(
      fc.property(credential, echo, around, around, (key, how, before, after) => {
        const shown = redact(`${before}${how.text(key)}${after}`, [key], () => "[masked]");
        expect(shown).not.toMatch(CONTROL);
        for (const piece of forbidden(key)) expect(shown, `${how.kind}: ${piece}`).not.toContain(piece);
      }),
      { numRuns: RUNS },
    );
  });

  test("several credentials, several echoes, each masked with its own mask", () => {
    fc.assert(
      fc.property(fc.uniqueArray(credential, { minLength: 1, maxLength: 3 }), fc.array(echo, { maxLength: 4 }), (keys, hows) => {
        const text = keys.flatMap((k) => hows.map((h) => `${h.text(k)} | `)).join("");
        const shown = redact(text, keys, (k) => `<${keys.indexOf(k)}>`);
        for (const key of keys) for (const piece of forbidden(key)) expect(shown).not.toContain(piece);
      }),
      { numRuns: 100 },
    );
  });

  test("text without the credential is only stripped of control characters", () => {
    fc.assert(
      fc.property(credential, fc.string({ unit: fc.oneof(fc.string({ unit: "binary", maxLength: 1 }), sequence) }), (key, text) => {
        fc.pre(!text.includes(key.slice(0, kindOf(key) + 10)));
        expect(redact(text, [key])).toBe(stripControls(text));
      }),
      { numRuns: RUNS },
    );
  });

  test("the kind prefix and a few characters, as OpenAI echoes a key, are left as they are", () => {
    const key = "sk-proj-abcdEFGHijklMNOPqrstUVWXyz0123456789wxyz";
    expect(redact("Incorrect API key provided: sk-proj-abcd****wxyz.", [key])).toBe(
      "Incorrect API key provided: sk-proj-abcd****wxyz.",
    );
    expect(redact(`Incorrect API key provided: ${key}.`, [key], () => "sk-…wxyz")).toBe(
      "Incorrect API key provided: sk-…wxyz.",
    );
    expect(redact(`key ${key.slice(0, 18)}…`, [key], () => "[masked]")).toBe("key [masked]…");
  });

  test("a credential that is not valid UTF-16 (a lone surrogate) is still masked, and nothing throws", () => {
    const key = "sk-abcdefghijklmnop\ud800qrstuvwxyz";
    expect(redact(`echo ${key}!`, [key], () => "[masked]")).toBe("echo [masked]!");
  });

  test("credentials shorter than 8 characters are not looked for (they would match ordinary words)", () => {
    expect(redact("the model ollama is not loaded", ["ollama"])).toBe("the model ollama is not loaded");
  });

  test("linear: megabytes of near-misses and control characters take well under a second", () => {
    const key = `sk-proj-${"a".repeat(40)}`;
    const nearMiss = `${key.slice(0, 17)}b\x1b[0m\x1b`.repeat(200_000); // about 5 MB
    const started = performance.now();
    const shown = redact(nearMiss, [key]);
    const elapsed = performance.now() - started;
    expect(shown).not.toMatch(CONTROL);
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe("jsonText", () => {
  test("parses to exactly the same value, with no raw control character (C1 included) in the text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
        for (const v of [value, { text }, [text, value]]) {
          const json = jsonText(v);
          expect(json).not.toMatch(CONTROL);
          expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(v)));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
