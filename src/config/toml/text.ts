/**
 * Decoding and strict parsing of config.toml. Bytes are decoded as UTF-8 (invalid sequences are an error,
 * not silently replaced, so we never rewrite a file we misread), a BOM is remembered so writes keep it, and
 * every parse error becomes `path:line:col: reason`. The reason is one of the parser's fixed phrases: the
 * offending source text (which may be a token) is never echoed.
 */
import { parse, TomlError } from "smol-toml";
import { ConfigParseError } from "../../errors.js";
import { findImpossibleDate } from "./dates.js";

export type TomlTable = { [key: string]: unknown };

export interface TomlText {
  /** The document without its BOM. Editing and parsing positions refer to this string. */
  readonly body: string;
  readonly bom: boolean;
  /** Line ending new lines use: the document's first one, LF for a document without any. */
  readonly eol: "\n" | "\r\n";
}

const BOM = "\uFEFF";

export function decodeToml(bytes: Uint8Array, path: string): TomlText {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new ConfigParseError(path, at.line, at.column, "invalid UTF-8 (config.toml must be UTF-8 text)");
  }
  return fromString(text);
}

export function fromString(text: string): TomlText {
  const bom = text.startsWith(BOM);
  const body = bom ? text.slice(1) : text;
  const nl = body.indexOf("\n");
  const eol = nl > 0 && body[nl - 1] === "\r" ? "\r\n" : "\n";
  return { body, bom, eol };
}

export function toBytes(doc: TomlText): Buffer {
  return Buffer.from((doc.bom ? BOM : "") + doc.body, "utf8");
}

/**
 * How deep tables and arrays may nest, all kinds together. smol-toml stops arrays and inline tables at 1,000
 * levels but not tables written with dotted keys or headers, and copying or comparing a value ~1,500 levels
 * deep overflows the stack (a RangeError, "unexpected failure"). No real config comes near this.
 */
const MAX_DEPTH = 500;

/** Control characters TOML forbids: all but tab, LF and a CR that ends a line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;

export function parseToml(body: string, path: string): TomlTable {
  // A second BOM is not TOML, and smol-toml would skip it where the editor does not.
  if (body.startsWith(BOM)) throw new ConfigParseError(path, 1, 1, "a second byte order mark (U+FEFF)");
  let table: TomlTable;
  try {
    // Integers beyond 2^53 are valid TOML; read them as bigint rather than refuse the file.
    table = parse(body, { integersAsBigInt: "asNeeded" }) as TomlTable;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = (err.message.split("\n", 1)[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new ConfigParseError(path, err.line, err.column, reason || "invalid TOML");
    }
    throw err;
  }
  // TOML allows no control character but tab and line endings anywhere, escaped or not; smol-toml refuses
  // most itself (with a better message) but not all: it reads `1979-\x005-27` as a date.
  const control = CONTROL.exec(body);
  if (control !== null) {
    const code = (control[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
    throw errorAt(path, body, control.index, `control character U+${code} is not allowed`);
  }
  const shape = shapeOf(table);
  if (shape.depth > MAX_DEPTH) {
    // The parser keeps no positions: point at the line that nests the most, which is where the depth is.
    const lines = body.split("\n");
    const nesting = (l: string) => (l.match(/[.[{]/g) ?? []).length;
    const line = lines.reduce((best, l, i) => (nesting(l) > nesting(lines[best] ?? "") ? i : best), 0);
    throw new ConfigParseError(path, line + 1, 1, `tables and arrays nested more than ${MAX_DEPTH} levels deep`);
  }
  // smol-toml rolls a date that does not exist over into the next month, and reads one broken by a line
  // break as whole; OpenAI's Codex CLI refuses both. Only a document with a date is read again for them
  // (see dates.ts).
  const impossible = shape.hasDate ? findImpossibleDate(body) : undefined;
  if (impossible !== undefined) throw errorAt(path, body, impossible.index, impossible.reason);
  return table;
}

function errorAt(path: string, body: string, index: number, reason: string): ConfigParseError {
  const before = body.slice(0, index);
  const line = before.split("\n").length;
  return new ConfigParseError(path, line, index - before.lastIndexOf("\n"), reason);
}

/**
 * How deep tables and arrays nest in `value` (without recursion: the point is that it may be very deep), and
 * whether it holds a date: one walk serves both.
 */
function shapeOf(value: unknown): { depth: number; hasDate: boolean } {
  let depth = 0;
  let hasDate = false;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (v instanceof Date) {
      hasDate = true;
      continue;
    }
    depth = Math.max(depth, d);
    if (depth > MAX_DEPTH) break;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return { depth, hasDate };
}

/** Locates the first byte that a fatal UTF-8 decoder rejects, as a 1-based line and column. */
function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number } {
  // Streaming decode of a prefix throws only when an invalid sequence lies wholly inside it, so "prefix
  // n throws" is monotonic in n and a binary search finds the first bad byte.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let bad = false;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
    } catch {
      bad = true;
    }
    if (bad) hi = mid;
    else lo = mid + 1;
  }
  // The decoder notices a broken sequence at the byte after it (or at the end of input); report the
  // position of the sequence's first byte, as an editor would show it.
  const decodes = (n: number) => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n));
      return true;
    } catch {
      return false;
    }
  };
  while (lo > 0 && !decodes(lo)) lo--;
  const before = bytes.subarray(0, lo);
  const lastNl = before.lastIndexOf(0x0a);
  const line = before.reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
  // The default decoder drops a BOM, so line 1 counts columns as an editor shows them.
  const column = new TextDecoder().decode(before.subarray(lastNl + 1)).length + 1;
  return { line, column };
}
