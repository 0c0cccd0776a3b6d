/**
 * Property tests for help.ts's `wrap`, which lays out every paragraph, table cell and example of `--help`:
 * for any words, any whitespace between them, any width and any indents, no line is wider than the width
 * unless it holds a single word; the words come out all, unbroken and in order; each line starts with its
 * indent; and every line is as full as it can be (the next line's first word would not have fitted).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { wrap } from "../src/help.js";

const RUNS = 500;
const columns = (text: string) => [...text].length;

const word = fc.string({
  unit: fc.constantFrom("a", "Z", "0", "-", "/", ".", "$", "'", '"', "…", "é", "`", "{", "}"),
  minLength: 1,
  maxLength: 30,
});
const space = fc.constantFrom(" ", "  ", "\n", "\n    ", "\t", " \n\n ");
const indent = fc.constantFrom("", "  ", "      ", "  $ ", "  --flag NAME    ", "        # ");

/** Words and the text they were given in: leading, separating and trailing whitespace of any kind. */
const text = fc
  .tuple(fc.array(word, { maxLength: 60 }), fc.array(space, { minLength: 61, maxLength: 61 }), fc.boolean())
  .map(([words, spaces, padded]) => ({
    words,
    text: (padded ? spaces[60] : "") + words.map((w, i) => `${w}${spaces[i]}`).join(""),
  }));

describe("wrap", () => {
  test("fills lines up to the width, keeps every word whole and in order, indents each line", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 120 }), indent, indent, ({ words, text }, width, first, rest) => {
        const lines = wrap(text, width, first, rest);
        expect(lines.length).toBeGreaterThanOrEqual(1);
        if (words.length === 0) {
          expect(lines).toEqual([first.trimEnd()]);
          return;
        }
        const bodies = lines.map((line, i) => {
          const prefix = i === 0 ? first : rest;
          expect(line.startsWith(prefix)).toBe(true);
          return line.slice(prefix.length);
        });
        for (const [i, line] of lines.entries()) {
          const body = bodies[i] as string;
          expect(body).not.toMatch(/^\s|\s$|\s\s/);
          // Wider than the width only when a single word (with its indent) cannot fit.
          if (columns(line) > width) expect(body).not.toContain(" ");
        }
        expect(bodies.join(" ").split(" ")).toEqual(words);
        // Greedy: the first word of each next line would have made the line before it too wide.
        for (let i = 1; i < lines.length; i++) {
          const next = (bodies[i] as string).split(" ")[0] as string;
          expect(columns(lines[i - 1] as string) + 1 + columns(next)).toBeGreaterThan(width);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("a word longer than the width gets a line of its own, unbroken", () => {
    const path = "/usr/local/lib/node_modules/codex-credentials/docs/authentication.md";
    expect(wrap(`More: ${path} (installed)`, 40, "  ")).toEqual(["  More:", `  ${path}`, "  (installed)"]);
  });

  test("is linear: a megabyte of text wraps in well under a second", () => {
    const big = "lorem ipsum dolor sit amet ".repeat(40_000);
    const start = performance.now();
    const lines = wrap(big, 80, "  ", "  ");
    expect(performance.now() - start).toBeLessThan(1000);
    expect(lines.every((l) => columns(l) <= 80)).toBe(true);
  });
});
