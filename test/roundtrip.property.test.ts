/**
 * Property-based proof of the format-preservation promise, in process, on the editor itself
 * (src/config/toml/edit.ts). fast-check generates TOML documents with comments, blank lines, odd spacing,
 * trailing whitespace, every value syntax, tables, nested and quoted tables, arrays of tables, CRLF or LF,
 * an optional BOM and an optional final newline; smol-toml checks what the edited documents mean.
 */
import fc from "fast-check";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { editToml } from "../src/config/toml/edit.js";
import { cstSections } from "../src/config/toml/patch.js";
import { type Section, scanSections } from "../src/config/toml/scan.js";
import { fromString, type TomlText, toBytes } from "../src/config/toml/text.js";

const BOM = "\uFEFF";

// ---------------------------------------------------------------------------------------------------------
// Generators of raw TOML text
// ---------------------------------------------------------------------------------------------------------

/** Text that is safe inside a comment: any Unicode except control characters (a tab is fine). */
const commentText = fc
  .string({ unit: fc.oneof(fc.constantFrom(..." \t#=[]\"'\\é✓🚀日本"), fc.string({ unit: "binary", maxLength: 1 })) })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: TOML forbids these in comments
  .map((s) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "?"));

/** Text safe inside a basic string after JSON-style escaping (JSON leaves DEL raw, which TOML forbids). */
const anyText = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('"', "\\", "'", "\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u2028", "é", "🚀"),
    },
  ),
  maxLength: 20,
});

const basicString = anyText.map((s) => JSON.stringify(s).replace(/\x7f/g, "\\u007F"));
const literalString = fc
  .string({ unit: fc.constantFrom(...'abc XYZ 0-9_\\"#=[]{}.é🚀\t'), maxLength: 12 })
  .map((s) => `'${s}'`);

const scalar: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom("1_000", "0x1F", "0o17", "0b101", "+7", "-0", "0"),
  fc.constantFrom("3.14", "-0.5e3", "1e10", "6.626e-34", "1_000.5", "inf", "-inf", "nan", "+1.0", "-0.0"),
  fc.constantFrom("true", "false"),
  fc.constantFrom(
    "1979-05-27T07:32:00Z",
    "1979-05-27T00:32:00.999999-07:00",
    "1979-05-27 07:32:00Z",
    "1979-05-27T07:32:00",
    "1979-05-27",
    "07:32:00",
  ),
  basicString,
  literalString,
);

/** Bare or quoted key text for an inline table. */
const inlineKey = fc.constantFrom("a", "b-c", "d_e", '"q k"', "'lit'", '"é🚀"', "x.y");

const inlineArray: fc.Arbitrary<string> = fc
  .tuple(fc.array(scalar, { maxLength: 4 }), fc.boolean(), fc.constantFrom("", " "))
  .map(([items, trailingComma, pad]) =>
    items.length === 0 ? "[]" : `[${pad}${items.join(", ")}${trailingComma ? "," : ""}${pad}]`,
  );

const inlineTable: fc.Arbitrary<string> = fc
  .uniqueArray(fc.tuple(inlineKey, fc.oneof(scalar, inlineArray)), {
    maxLength: 3,
    // "x.y" defines table x, so a plain x would clash with it; keep the first segment unique.
    selector: ([k]) => k.split(".")[0],
  })
  .map((pairs) => (pairs.length === 0 ? "{}" : `{ ${pairs.map(([k, v]) => `${k} = ${v}`).join(", ")} }`));

/** A value: its raw lines. A multi-line value's first line starts the value, its last line ends it. */
const value: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: scalar.map((v) => [v]) },
  { weight: 2, arbitrary: inlineArray.map((v) => [v]) },
  { weight: 2, arbitrary: inlineTable.map((v) => [v]) },
  {
    weight: 2,
    // A multi-line array with comments, blank lines and odd indentation inside.
    arbitrary: fc
      .array(
        fc.oneof(
          scalar.map((v) => ({ v, comment: "" })),
          fc.tuple(scalar, commentText).map(([v, c]) => ({ v, comment: ` # ${c}` })),
          commentText.map((c) => ({ v: undefined, comment: `# ${c}` })),
          fc.constant({ v: undefined, comment: "" }),
        ),
        { maxLength: 4 },
      )
      .chain((items) =>
        fc.constantFrom("  ", "\t", "").map((indent) => {
          const lines = ["["];
          items.forEach((item, i) => {
            if (item.v === undefined) lines.push(item.comment === "" ? "" : `${indent}${item.comment}`);
            else lines.push(`${indent}${item.v}${i === items.length - 1 ? "" : ","}${item.comment}`);
          });
          lines.push("]");
          return lines;
        }),
      ),
  },
  {
    weight: 1,
    // Multi-line strings whose lines look like headers, keys and comments.
    arbitrary: fc
      .tuple(
        fc.array(
          fc.oneof(
            fc.constantFrom("[fake.table]", 'auth_token = "decoy"', "# not a comment", "", "  indented", "é🚀"),
            fc.string({ unit: fc.constantFrom(..."abc =#[]\t"), maxLength: 10 }),
          ),
          { maxLength: 3 },
        ),
        fc.boolean(),
      )
      .map(([body, literal]) => {
        const q = literal ? "'''" : '"""';
        return [`${q}${body[0] ?? ""}`, ...body.slice(1), `end${q}`];
      }),
  },
);

const indent = fc.constantFrom("", "", "", "  ", "\t");
const equals = fc.constantFrom(" = ", " = ", "=", "  =  ", "\t=\t", " =\t");
const trailing = fc.oneof(
  { weight: 4, arbitrary: fc.constant("") },
  { weight: 2, arbitrary: fc.constantFrom(" ", "   ", "\t", " \t ") },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(" ", "  ", "\t"), commentText).map(([s, c]) => `${s}#${c}`) },
);

type KeyStyle = "bare" | "dashed" | "quoted" | "literal" | "dotted";
const keyStyle = fc.constantFrom<KeyStyle>("bare", "bare", "dashed", "quoted", "literal", "dotted");

/** Key text and its path for the i-th key of a table. Unique by construction. */
function keyFor(style: KeyStyle, i: number): { text: string; path: string[] } {
  switch (style) {
    case "bare":
      return { text: `k${i}`, path: [`k${i}`] };
    case "dashed":
      return { text: `k-${i}_x`, path: [`k-${i}_x`] };
    case "quoted":
      return { text: `"k ${i} é🚀\\t"`, path: [`k ${i} é🚀\t`] };
    case "literal":
      return { text: `'k.${i}'`, path: [`k.${i}`] };
    case "dotted":
      return { text: `d${i} . "s ${i}"`, path: [`d${i}`, `s ${i}`] };
  }
}

type RawItem =
  | { kind: "kv"; style: KeyStyle; indent: string; equals: string; value: string[]; trailing: string }
  | { kind: "comment"; indent: string; text: string; trailing: string }
  | { kind: "blank"; text: string };

const item: fc.Arbitrary<RawItem> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("kv" as const),
      style: keyStyle,
      indent,
      equals,
      value,
      trailing,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("comment" as const),
      indent,
      text: commentText,
      trailing: fc.constantFrom("", "  ", "\t"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("blank" as const), text: fc.constantFrom("", "", "  ", "\t") }),
  },
);

type HeaderStyle = "plain" | "nested" | "quoted" | "spaced" | "array";
const section = fc.record({
  style: fc.constantFrom<HeaderStyle>("plain", "nested", "quoted", "spaced", "array"),
  /** Array tables repeat their header this many times. */
  repeat: fc.integer({ min: 1, max: 2 }),
  indent: fc.constantFrom("", "", " ", "\t"),
  trailing,
  /** Comment lines directly above the header. */
  above: fc.array(commentText, { maxLength: 2 }),
  items: fc.array(item, { maxLength: 5 }),
});

function headerFor(style: HeaderStyle, j: number): { text: string; path: string[]; isArray: boolean } {
  switch (style) {
    case "plain":
      return { text: `[t${j}]`, path: [`t${j}`], isArray: false };
    case "nested":
      return { text: `[t${j}.n${j}]`, path: [`t${j}`, `n${j}`], isArray: false };
    case "quoted":
      return { text: `["t ${j}".'ü.${j}']`, path: [`t ${j}`, `ü.${j}`], isArray: false };
    case "spaced":
      return { text: `[ t${j} . "x y" ]`, path: [`t${j}`, "x y"], isArray: false };
    case "array":
      return { text: `[[a${j}]]`, path: [`a${j}`], isArray: true };
  }
}

/** A key/value line range in the generated document, with the text around its value. */
interface EntryInfo {
  path: string[];
  /** 0-based line indexes (in `body.split(eol)`) of the entry's first and last line. */
  start: number;
  end: number;
  /** Text before the value on the first line (indent, key, `=`), and after it on the last line. */
  prefix: string;
  suffix: string;
  /** Whether it is a key of a plain (not array-of-tables) section or of the top level. */
  editable: boolean;
  topLevel: boolean;
  /** Whether the key is dotted (`a.b = 1`), so it also implies a table. */
  dotted: boolean;
  /** Whether the value is an inline table (`{ … }`). */
  inline: boolean;
  /** How many leading keys of `path` name the table (section header) the key is written in. */
  tableDepth: number;
}

interface GeneratedDoc {
  text: string;
  eol: "\n" | "\r\n";
  entries: EntryInfo[];
  /** Line index of the first table header, if any. */
  firstHeader: number | undefined;
  /** Plain `[table]` sections: path, header line, and the first line after the section. */
  tables: { path: string[]; header: number; next: number }[];
}

const documentArb: fc.Arbitrary<GeneratedDoc> = fc
  .record({
    top: fc.array(item, { maxLength: 8 }),
    sections: fc.array(section, { maxLength: 4 }),
    eol: fc.constantFrom<"\n" | "\r\n">("\n", "\r\n"),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ top, sections, eol, bom, finalNewline }) => {
    const lines: string[] = [];
    const entries: EntryInfo[] = [];
    let firstHeader: number | undefined;
    const tables: GeneratedDoc["tables"] = [];
    const emit = (items: RawItem[], tablePath: string[], editable: boolean, topLevel: boolean) => {
      items.forEach((it, i) => {
        if (it.kind === "blank") lines.push(it.text);
        else if (it.kind === "comment") lines.push(`${it.indent}#${it.text}${it.trailing}`);
        else {
          const key = keyFor(it.style, i);
          const prefix = `${it.indent}${key.text}${it.equals}`;
          const start = lines.length;
          const v = [...it.value];
          v[0] = prefix + v[0];
          v[v.length - 1] = v[v.length - 1] + it.trailing;
          lines.push(...v);
          entries.push({
            path: [...tablePath, ...key.path],
            start,
            end: lines.length - 1,
            prefix,
            suffix: it.trailing,
            editable,
            topLevel,
            tableDepth: tablePath.length,
            dotted: key.path.length > 1,
            inline: (it.value[0] ?? "").startsWith("{"),
          });
        }
      });
    };
    emit(top, [], true, true);
    sections.forEach((s, j) => {
      const header = headerFor(s.style, j);
      for (let r = 0; r < (header.isArray ? s.repeat : 1); r++) {
        for (const c of s.above) lines.push(`#${c}`);
        firstHeader ??= lines.length;
        const headerLine = lines.length;
        lines.push(`${s.indent}${header.text}${s.trailing}`);
        emit(s.items, header.path, !header.isArray, false);
        if (!header.isArray) tables.push({ path: header.path, header: headerLine, next: lines.length });
      }
    });
    const body = lines.join(eol) + (finalNewline && lines.length > 0 ? eol : "");
    // A document without any line ending gets LF for new lines.
    return { text: (bom ? BOM : "") + body, eol: body.includes("\n") ? eol : "\n", entries, firstHeader, tables };
  });

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

type Table = Record<string, unknown>;

function parsed(doc: TomlText): Table {
  return parse(doc.body) as Table;
}

/** The document's lines without their endings (its line ending is uniform by construction). */
function linesOf(doc: TomlText, eol: string): string[] {
  return doc.body.split(eol);
}

/**
 * `after` is `original` with exactly one line added, matching `inserted`; every other line is as it was.
 * Returns the index of the added line.
 */
function expectOneLineInserted(original: TomlText, after: TomlText, eol: string, inserted: RegExp): number {
  const before = linesOf(original, eol);
  const now = linesOf(after, eol);
  expect(now.length).toBe(before.length + 1);
  // The first line that differs is the inserted one; every other line is as it was, in order.
  let at = now.findIndex((line, i) => line !== before[i]);
  if (at === -1) at = now.length - 1;
  expect(now[at]).toMatch(inserted);
  expect([...now.slice(0, at), ...now.slice(at + 1)]).toEqual(before);
  return at;
}

function expectUniformEndings(doc: TomlText, eol: "\n" | "\r\n"): void {
  if (eol === "\r\n") expect(/(^|[^\r])\n/.test(doc.body)).toBe(false);
  else expect(doc.body.includes("\r")).toBe(false);
}

/**
 * `table` with `path` set to `v` (or removed). Copies only the tables along the path, so every other value
 * stays the parser's own object (dates keep their TOML flavour). With `prunedBelow`, tables deeper than that
 * which the removal leaves empty disappear, as removing the only dotted key `a.b` removes table `a`.
 */
function setIn(table: Table, path: readonly string[], v: unknown, prunedBelow = path.length): Table {
  const root: Table = { ...table };
  const chain: Table[] = [root];
  for (const k of path.slice(0, -1)) {
    const parent = chain[chain.length - 1] as Table;
    const child: Table = { ...((parent[k] as Table | undefined) ?? {}) };
    parent[k] = child;
    chain.push(child);
  }
  const last = path[path.length - 1] as string;
  const leaf = chain[chain.length - 1] as Table;
  if (v === undefined) delete leaf[last];
  else leaf[last] = v;
  for (let i = chain.length - 1; i > prunedBelow; i--) {
    if (Object.keys(chain[i] as Table).length > 0) break;
    delete (chain[i - 1] as Table)[path[i - 1] as string];
  }
  return root;
}

/** Token-like strings, and arbitrary strings with quotes, backslashes, control characters and Unicode. */
const tokenArb = fc.oneof(
  fc.stringMatching(/^sk-[A-Za-z0-9_-]{8,40}$/),
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom('"', '"""', "'", "'''", "\\", "\\u0041", "\n", "\r\n", "\t", "\x00", "\x1f", "\x7f"),
      },
      { weight: 1, arbitrary: fc.constantFrom("\u2028", "\u2029", "\ufeff", "é", "🚀", "日本", "\u{10ffff}") },
    ),
    maxLength: 30,
  }),
);

const NUM_RUNS = 400;

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

describe("the generator", () => {
  test("produces valid TOML (so the properties below are about real documents)", () => {
    fc.assert(
      fc.property(documentArb, (g) => {
        const doc = fromString(g.text);
        expect(() => parsed(doc)).not.toThrow();
        expect(doc.bom).toBe(g.text.startsWith(BOM));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/** A section list with only what the editor reads: paths, kinds, and where each key, value and header is. */
function positions(all: Section[]): unknown {
  return all.map((s) => ({
    path: s.path,
    isArray: s.isArray,
    // Where the section ends: its last key or comment. (toml-patch can end it early, at a comment inside an
    // array, so the keys' own ends count too.)
    header: s.header && [s.header.start, Math.max(s.header.end, ...s.entries.map((e) => e.end))],
    entries: s.entries.map((e) => [e.path, e.start, e.valueStart, e.end]),
  }));
}

describe("the editor's scanner", () => {
  test("finds every key, value and header where toml-patch's syntax tree has them", () => {
    let scanned = 0;
    fc.assert(
      fc.property(documentArb, (g) => {
        const { body } = fromString(g.text);
        const fast = scanSections(body);
        if (fast === undefined) return;
        scanned++;
        expect(positions(fast)).toEqual(positions(cstSections(body)));
      }),
      { numRuns: NUM_RUNS },
    );
    // It gives up only on what it does not know (\U, \e and \x escapes in quoted keys): almost never.
    expect(scanned).toBeGreaterThan(NUM_RUNS * 0.95);
  });

  test("gives up, rather than guessing, on text that is not a TOML document it knows", () => {
    for (const body of [
      'a = "unterminated',
      "[t",
      "a = [1, 2",
      "a = { b = 1",
      "= 1",
      "a = 1 b = 2",
      '"\\U0001F600" = 1',
    ])
      expect(scanSections(body)).toBeUndefined();
  });
});

describe("auth_token insertion and removal", () => {
  test("(a) setting auth_token then removing it gives back the original bytes", () => {
    fc.assert(
      fc.property(documentArb, tokenArb, (g, token) => {
        const original = fromString(g.text);
        const withToken = editToml(original, ["auth_token"], token);
        expect(withToken.body).not.toBe(original.body);
        const back = editToml(withToken, ["auth_token"], undefined);
        expect(toBytes(back).equals(Buffer.from(g.text, "utf8"))).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("(b) after setting, the document is the original plus auth_token, and only one line was added", () => {
    fc.assert(
      fc.property(documentArb, tokenArb, (g, token) => {
        const original = fromString(g.text);
        const after = editToml(original, ["auth_token"], token);
        expect(after.bom).toBe(original.bom);
        expect(parsed(after)).toEqual({ ...parsed(original), auth_token: token });
        expectUniformEndings(after, g.eol);

        const at = expectOneLineInserted(original, after, g.eol, /^[ \t]*auth_token = "/);

        // Among the top-level keys: after the last of them and before the first table header.
        if (g.firstHeader !== undefined) expect(at).toBeLessThanOrEqual(g.firstHeader);
        const topEnds = g.entries.filter((e) => e.topLevel).map((e) => e.end);
        if (topEnds.length > 0) expect(at).toBe(Math.max(...topEnds) + 1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("(c) any string value round-trips through the file, as auth_token and as a new key", () => {
    fc.assert(
      fc.property(documentArb, tokenArb, tokenArb, (g, token, keyName) => {
        const original = fromString(g.text);
        const after = editToml(original, ["auth_token"], token);
        expect(parsed(after).auth_token).toBe(token);

        const key = `new ${keyName}`;
        const withKey = editToml(after, [key], token);
        expect(parsed(withKey)).toEqual({ ...parsed(original), auth_token: token, [key]: token });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("(c) an existing auth_token is replaced in place by any string", () => {
    fc.assert(
      fc.property(tokenArb, tokenArb, fc.constantFrom("\n", "\r\n"), (oldToken, token, eol) => {
        const text = ["# c", `model = "o3"`, `auth_token = ${JSON.stringify("x")}  # keep`, "[t]", "a = 1", ""].join(
          eol,
        );
        const first = editToml(fromString(text), ["auth_token"], oldToken);
        const second = editToml(first, ["auth_token"], token);
        expect(parsed(second).auth_token).toBe(token);
        const lines = linesOf(second, eol);
        expect(lines[2]?.startsWith("auth_token = ")).toBe(true);
        expect(lines[2]?.endsWith("  # keep")).toBe(true);
        expect([...lines.slice(0, 2), ...lines.slice(3)]).toEqual(["# c", `model = "o3"`, "[t]", "a = 1", ""]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("new keys in existing tables", () => {
  test("a new key in an existing [table] is one new line inside that table; everything else is unchanged", () => {
    fc.assert(
      fc.property(
        documentArb.filter((g) => g.tables.length > 0),
        fc.nat(),
        tokenArb,
        (g, pick, v) => {
          const table = g.tables[pick % g.tables.length] as GeneratedDoc["tables"][number];
          const original = fromString(g.text);
          const after = editToml(original, [...table.path, "new_key"], v);
          expect(parsed(after)).toEqual(setIn(parsed(original), [...table.path, "new_key"], v));
          expectUniformEndings(after, g.eol);

          const at = expectOneLineInserted(original, after, g.eol, /^[ \t]*new_key = /);
          expect(at).toBeGreaterThan(table.header);
          expect(at).toBeLessThanOrEqual(table.next);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

/** New values for existing keys: every kind the library accepts. */
const newValue: fc.Arbitrary<unknown> = fc.oneof(
  tokenArb,
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.array(fc.oneof(fc.integer(), tokenArb), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("a", "b c", "d-e"), fc.oneof(fc.integer(), fc.boolean(), tokenArb), { maxKeys: 3 }),
);

describe("editing existing keys", () => {
  const withEditable = documentArb.filter((g) => g.entries.some((e) => e.editable));

  test("(d) replacing an existing value changes only that key's line(s), keeping indentation, spacing and comment", () => {
    fc.assert(
      fc.property(withEditable, fc.nat(), newValue, (g, pick, v) => {
        const editable = g.entries.filter((e) => e.editable);
        const entry = editable[pick % editable.length] as EntryInfo;
        const original = fromString(g.text);
        const after = editToml(original, entry.path, v);
        expect(parsed(after)).toEqual(setIn(parsed(original), entry.path, v));
        expect(after.bom).toBe(original.bom);
        expectUniformEndings(after, g.eol);
        if (after.body === original.body) return; // the same value again: nothing to change

        const before = linesOf(original, g.eol);
        const lines = linesOf(after, g.eol);
        expect(lines.slice(0, entry.start)).toEqual(before.slice(0, entry.start));
        expect(lines.slice(entry.start + 1)).toEqual(before.slice(entry.end + 1));
        const line = lines[entry.start] as string;
        expect(line.startsWith(entry.prefix)).toBe(true);
        expect(line.endsWith(entry.suffix)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("(d) removing an existing key removes exactly its line(s)", () => {
    fc.assert(
      fc.property(withEditable, fc.nat(), (g, pick) => {
        const editable = g.entries.filter((e) => e.editable && !e.dotted);
        fc.pre(editable.length > 0);
        const entry = editable[pick % editable.length] as EntryInfo;
        expectRemovesOnlyItsLines(g, entry);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("(d) removing a dotted key removes exactly its line(s), even when it was its table's only key", () => {
    fc.assert(
      fc.property(withEditable, fc.nat(), (g, pick) => {
        const dotted = g.entries.filter((e) => e.editable && e.dotted);
        fc.pre(dotted.length > 0);
        expectRemovesOnlyItsLines(g, dotted[pick % dotted.length] as EntryInfo);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test("adding a key to a table written as dotted keys or as an inline table changes no other line", () => {
    fc.assert(
      fc.property(
        documentArb.filter((g) => g.entries.some((e) => e.editable && (e.dotted || e.inline))),
        fc.nat(),
        fc.oneof(fc.integer(), tokenArb),
        (g, pick, v) => {
          const candidates = g.entries.filter((e) => e.editable && (e.dotted || e.inline));
          const entry = candidates[pick % candidates.length] as EntryInfo;
          // The table the new key goes into: the one the dotted key implies, or the inline table itself.
          const table = entry.inline ? entry.path : entry.path.slice(0, -1);
          const path = [...table, "new_key"];
          const original = fromString(g.text);
          const after = editToml(original, path, v);
          expect(parsed(after)).toEqual(setIn(parsed(original), path, v));
          const before = linesOf(original, g.eol);
          const now = linesOf(after, g.eol);
          const tail = before.length - entry.end - 1;
          expect(now.slice(0, entry.start)).toEqual(before.slice(0, entry.start));
          expect(now.slice(now.length - tail)).toEqual(before.slice(entry.end + 1));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test("adding a key next to a dotted key or into an inline table keeps every other line (examples)", () => {
    const dotted = '# mine\nmodel = "o3"  # c\nhistory.persistence = "none"   # private\n\n[tui]\ntheme = "dark" \n';
    const a = editToml(fromString(dotted), ["history", "max_bytes"], 1000);
    expect(linesOf(a, "\n").filter((l) => !l.includes("max_bytes"))).toEqual(linesOf(fromString(dotted), "\n"));

    const inline = '# mine\nmodel = "o3"  # c\ntui = { theme = "dark" }  # inline\n\n[x]\ny = 1 \n';
    const b = editToml(fromString(inline), ["tui", "animations"], false);
    const changed = linesOf(b, "\n").filter((l, i) => l !== linesOf(fromString(inline), "\n")[i]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^tui = \{.*animations = false.*\} {2}# inline$/);
  });

  test("removing the only dotted key of a table keeps the rest of the file byte for byte (example)", () => {
    const text =
      '# my settings\nmodel = "o3"   # default\nhistory.persistence = "none"  # private\n\n[tui]\ntheme = "dark" \n';
    const after = editToml(fromString(text), ["history", "persistence"], undefined);
    expect(after.body).toBe('# my settings\nmodel = "o3"   # default\n\n[tui]\ntheme = "dark" \n');
  });
});

function expectRemovesOnlyItsLines(g: GeneratedDoc, entry: EntryInfo): void {
  const original = fromString(g.text);
  const after = editToml(original, entry.path, undefined);
  // The original's lines with their endings, minus the entry's; a removed last line that had no ending
  // takes the ending before it along (the file must not end in a line ending it did not have).
  const lines = original.body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const kept = [...lines.slice(0, entry.start), ...lines.slice(entry.end + 1)];
  const last = lines[lines.length - 1] ?? "";
  if (entry.end === lines.length - 1 && !last.endsWith("\n") && kept.length > 0) {
    kept[kept.length - 1] = (kept[kept.length - 1] as string).replace(/\r?\n$/, "");
  }
  expect(after.body).toBe(kept.join(""));
  expect(after.bom).toBe(original.bom);
  // Removing the only key of a dotted-key table removes that table too (a [header] table stays).
  expect(parsed(after)).toEqual(setIn(parsed(original), entry.path, undefined, entry.tableDepth));
}
