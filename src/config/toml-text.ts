/**
 * Decoding and strict parsing of config.toml. Bytes are decoded as UTF-8 (invalid sequences are an error,
 * not silently replaced, so we never rewrite a file we misread), a BOM is remembered so writes keep it, and
 * every parse error becomes `path:line:col: reason`. The reason is one of the parser's fixed phrases: the
 * offending source text (which may be a token) is never echoed.
 */
import { parse, TomlError } from "smol-toml";
import { ConfigParseError } from "../errors.js";

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

export function parseToml(body: string, path: string): TomlTable {
  try {
    // Integers beyond 2^53 are valid TOML; read them as bigint rather than refuse the file.
    return parse(body, { integersAsBigInt: "asNeeded" }) as TomlTable;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = (err.message.split("\n", 1)[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new ConfigParseError(path, err.line, err.column, reason || "invalid TOML");
    }
    throw err;
  }
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
