/**
 * Format-preserving edits of a TOML document. A write must change only the lines it has to: comments, key
 * order, spacing, CRLF and the BOM of every other line survive byte for byte. toml-patch's own `patch()`
 * re-renders some untouched lines (it drops trailing spaces), so we use its concrete syntax tree only for
 * positions and splice the text ourselves:
 *
 * - replacing a value rewrites just the value's characters;
 * - a new key becomes one new line after the last key of its table (top-level keys go before the first
 *   table header), or a new `[table]` section at the end;
 * - removing a key removes its whole line(s), so insert-then-remove gives back the original bytes.
 *
 * Every result is parsed again and compared with what the edit should produce. When a splice cannot
 * express an edit (keys inside inline tables, arrays of tables, tables implied by dotted keys) we fall back
 * to toml-patch, and if that is wrong too the edit fails: we never write a document we have not verified.
 */
import { isDeepStrictEqual } from "node:util";
import { TomlDocument } from "@decimalturn/toml-patch";
import { ConfigEditError } from "../errors.js";
import { plain, setPath } from "./toml-path.js";
import { type TomlTable, type TomlText, parseToml } from "./toml-text.js";

export type TomlPath = readonly string[];

interface Pos {
  line: number;
  column: number;
}
interface Loc {
  start: Pos;
  end: Pos;
}
interface CstKeyValue {
  type: "KeyValue";
  loc: Loc;
  key: { value: string[] };
  value: { loc: Loc; raw?: string };
}
interface CstBlock {
  type: string;
  loc: Loc;
  key?: { item?: { value: string[] }; value?: string[] };
  items?: CstBlock[];
}

interface Entry {
  path: string[];
  node: CstKeyValue;
}
interface Section {
  /** Header path; [] for the top level. */
  path: string[];
  isArray: boolean;
  header?: CstBlock;
  entries: Entry[];
}

/**
 * Returns the document with `path` set to `value` (or removed when `value` is undefined). Returns the same
 * object when nothing changes.
 */
export function editToml(doc: TomlText, path: TomlPath, value: unknown): TomlText {
  if (path.length === 0) throw new ConfigEditError("a config key path cannot be empty");
  const before = plain(parseToml(doc.body, "config.toml")) as TomlTable;
  const expected = plain(before) as TomlTable;
  const canonical = value === undefined ? undefined : canonicalValue(value);
  if (!setPath(expected, path, canonical)) return doc;
  if (isDeepStrictEqual(expected, before)) return doc;

  const spliced = splice(doc, path, value);
  if (spliced !== undefined && matches(spliced, expected)) return { ...doc, body: spliced };

  const patched = viaTomlPatch(doc.body, path, value);
  if (patched !== undefined && matches(patched, expected)) return { ...doc, body: patched };
  throw new ConfigEditError(`cannot set ${formatPath(path)} in config.toml without changing other settings`);
}

export function formatPath(path: TomlPath): string {
  return path.map(formatKey).join(".");
}

function matches(body: string, expected: TomlTable): boolean {
  try {
    return isDeepStrictEqual(plain(parseToml(body, "config.toml")), expected);
  } catch {
    return false;
  }
}

/** What `value` reads back as after a round trip through TOML (dates, integers). */
function canonicalValue(value: unknown): unknown {
  return plain(parseToml(`v = ${serializeValue(value)}`, "value").v);
}

function sections(body: string): Section[] {
  const cst = new TomlDocument(body).cst as unknown as CstBlock[];
  const root: Section = { path: [], isArray: false, entries: [] };
  const out: Section[] = [root];
  for (const block of cst) {
    if (block.type === "KeyValue") {
      const kv = block as unknown as CstKeyValue;
      root.entries.push({ path: [...kv.key.value], node: kv });
    } else if (block.type === "Table" || block.type === "TableArray") {
      const header = block.key?.item?.value ?? [];
      const section: Section = { path: [...header], isArray: block.type === "TableArray", header: block, entries: [] };
      for (const item of block.items ?? []) {
        if (item.type !== "KeyValue") continue;
        const kv = item as unknown as CstKeyValue;
        section.entries.push({ path: [...header, ...kv.key.value], node: kv });
      }
      out.push(section);
    }
  }
  return out;
}

function splice(doc: TomlText, path: TomlPath, value: unknown): string | undefined {
  const { body, eol } = doc;
  const all = sections(body);
  const lines = lineStarts(body);
  const offset = (p: Pos) => (lines[p.line - 1] ?? body.length) + p.column;
  const found = all.find((s) => !s.isArray && s.entries.some((e) => samePath(e.path, path)));
  const entry = found?.entries.find((e) => samePath(e.path, path));

  if (entry !== undefined) {
    if (value !== undefined) {
      const start = offset(entry.node.value.loc.start);
      const end = offset(entry.node.value.loc.end);
      return body.slice(0, start) + serializeValue(value) + body.slice(end);
    }
    // Remove the entry's whole lines, comment and line ending included.
    let start = lines[entry.node.loc.start.line - 1] as number;
    let end = lines[entry.node.loc.end.line] ?? body.length;
    if (end === body.length && !body.endsWith("\n") && start > 0) {
      // The last line had no line ending: take the one before it instead, as insertion added it.
      start -= body[start - 2] === "\r" ? 2 : 1;
      end = body.length;
    }
    return body.slice(0, start) + body.slice(end);
  }
  if (value === undefined) return undefined;

  const parent = path.slice(0, -1);
  const key = path[path.length - 1] as string;
  const section = all.find((s) => !s.isArray && samePath(s.path, parent));
  if (section === undefined) {
    // A new section at the end, separated by a blank line.
    const lead = body === "" ? "" : body.endsWith("\n") ? eol : eol + eol;
    return `${body}${lead}[${formatPath(parent)}]${eol}${formatKey(key)} = ${serializeValue(value)}${eol}`;
  }
  const last = section.entries[section.entries.length - 1];
  let at: number;
  let indent = "";
  if (last !== undefined) {
    at = lines[last.node.loc.end.line] ?? body.length;
    const lineStart = lines[last.node.loc.start.line - 1] as number;
    indent = /^[ \t]*/.exec(body.slice(lineStart))?.[0] ?? "";
  } else if (section.header !== undefined) {
    at = lines[section.header.loc.start.line] ?? body.length;
  } else {
    at = topInsertionPoint(body, all, lines);
  }
  const line = `${indent}${formatKey(key)} = ${serializeValue(value)}`;
  if (at >= body.length && body !== "" && !body.endsWith("\n")) return `${body}${eol}${line}`;
  return body.slice(0, at) + line + eol + body.slice(at);
}

/**
 * Where a first top-level key goes when there is none yet: before the first table header, and above the
 * comment lines directly attached to that header (they describe the table, not the file).
 */
function topInsertionPoint(body: string, all: Section[], lines: number[]): number {
  const first = all.find((s) => s.header !== undefined);
  if (first?.header === undefined) return body.length;
  let line = first.header.loc.start.line - 1;
  while (line > 0) {
    const prev = body.slice(lines[line - 1], lines[line]).trim();
    if (!prev.startsWith("#")) break;
    line -= 1;
  }
  return lines[line] as number;
}

function lineStarts(body: string): number[] {
  const starts = [0];
  for (let i = body.indexOf("\n"); i !== -1; i = body.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function viaTomlPatch(body: string, path: TomlPath, value: unknown): string | undefined {
  try {
    const doc = new TomlDocument(body);
    const obj = doc.toJsObject as TomlTable;
    setPath(obj, path, value);
    doc.patch(obj);
    return doc.toTomlString;
  } catch {
    return undefined;
  }
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function formatKey(key: string): string {
  return BARE_KEY.test(key) ? key : basicString(key);
}

function basicString(s: string): string {
  if (!s.isWellFormed()) throw new ConfigEditError("cannot store text with unpaired surrogates in config.toml");
  // JSON's escapes are all valid TOML escapes; TOML additionally forbids a raw DEL.
  return JSON.stringify(s).replace(/\x7f/g, "\\u007F");
}

export function serializeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return basicString(value);
    case "boolean":
    case "bigint":
      return String(value);
    case "number":
      if (Number.isNaN(value)) return "nan";
      if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
      return Number.isInteger(value) || /[.e]/.test(String(value)) ? String(value) : `${value}.0`;
    case "object": {
      if (value === null) break;
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return `[${value.map(serializeValue).join(", ")}]`;
      const fields = Object.entries(value).filter(([, v]) => v !== undefined);
      if (fields.length === 0) return "{}";
      return `{ ${fields.map(([k, v]) => `${formatKey(k)} = ${serializeValue(v)}`).join(", ")} }`;
    }
  }
  throw new ConfigEditError(`cannot store a value of type ${value === null ? "null" : typeof value} in config.toml`);
}
