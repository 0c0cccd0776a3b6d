/**
 * Format-preserving edits of a TOML document. A write must change only the lines it has to: comments, key
 * order, spacing, CRLF and the BOM of every other line survive byte for byte. toml-patch's own `patch()`
 * re-renders some untouched lines (it drops trailing spaces), so we use its concrete syntax tree only for
 * positions and splice the text ourselves:
 *
 * - replacing a value rewrites just the value's characters;
 * - a new key becomes one new line after the last key of its table (top-level keys go before the first
 *   table header), another dotted key beside its siblings, a field before an inline table's closing
 *   brace, or a new `[table]` section at the end;
 * - removing a key removes its whole line(s), so insert-then-remove gives back the original bytes.
 *
 * Every result is parsed again and compared with what the edit should produce. When a splice cannot
 * express an edit (removing a field of an inline table, keys in arrays of tables) we fall back to
 * toml-patch, and if that is wrong too the edit fails: we never write a document we have not verified.
 */
import { isDeepStrictEqual } from "node:util";
import { TomlDocument } from "@decimalturn/toml-patch";
import { ConfigEditError } from "../errors.js";
import { assertTomlValue, getPath, isTable, plain, setPath } from "./toml-path.js";
import { parseToml, type TomlTable, type TomlText } from "./toml-text.js";

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
  return editParsed(doc, parseToml(doc.body, "config.toml"), path, value).doc;
}

export interface Edited {
  doc: TomlText;
  /** `doc` parsed: the verification's own parse, so callers need not parse the result again. */
  values: TomlTable;
}

/** `editToml` for a caller that already holds `doc` parsed as `values`. */
export function editParsed(doc: TomlText, values: TomlTable, path: TomlPath, value: unknown): Edited {
  if (path.length === 0) throw new ConfigEditError("a config key path cannot be empty");
  if (value !== undefined) assertTomlValue(value, formatPath(path));
  const unchanged = { doc, values };
  const before = plain(values) as TomlTable;
  const expected = plain(before) as TomlTable;
  const canonical = value === undefined ? undefined : canonicalValue(value);
  if (!setPath(expected, path, canonical)) return unchanged;
  if (isDeepStrictEqual(expected, before)) return unchanged;

  // Removing the last key of a table that only dotted keys created removes that table too; an explicit
  // `[header]` stays. Either is right, so empty tables along the removed path are not compared.
  if (value === undefined) pruneEmpty(expected, path);
  // The splice first; toml-patch (which may re-render other lines) only when the splice cannot be verified.
  for (const attempt of [() => splice(doc, path, value), () => viaTomlPatch(doc.body, path, value)]) {
    const body = attempt();
    const parsed = body === undefined ? undefined : verified(body, expected, value === undefined ? path : undefined);
    if (parsed !== undefined) return { doc: { ...doc, body: body as string }, values: parsed };
  }
  throw new ConfigEditError(`cannot set ${formatPath(path)} in config.toml without changing other settings`);
}

export function formatPath(path: TomlPath): string {
  return path.map(formatKey).join(".");
}

/** `body` parsed, if it parses to `expected`; undefined otherwise. */
function verified(body: string, expected: TomlTable, removed?: TomlPath): TomlTable | undefined {
  let parsed: TomlTable;
  try {
    parsed = parseToml(body, "config.toml");
  } catch {
    return undefined;
  }
  const actual = plain(parsed) as TomlTable;
  if (removed !== undefined) pruneEmpty(actual, removed);
  return isDeepStrictEqual(actual, expected) ? parsed : undefined;
}

/** Deletes the tables along `path` (deepest first) that are empty. */
function pruneEmpty(root: TomlTable, path: TomlPath): void {
  for (let depth = path.length - 1; depth > 0; depth--) {
    const parent = getPath(root, path.slice(0, depth - 1));
    const key = path[depth - 1] as string;
    if (!isTable(parent) || !Object.hasOwn(parent, key)) continue;
    const table = parent[key];
    if (isTable(table) && Object.keys(table).length === 0) delete parent[key];
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
  if (value === undefined) return removeSections(body, all, lines, path);

  const parent = path.slice(0, -1);
  const key = path[path.length - 1] as string;

  // The parent is an inline table (`tui = { a = 1 }`): add `, key = value` before its closing brace.
  for (const s of all) {
    if (s.isArray) continue;
    const holder = s.entries.find((e) => e.path.length < path.length && samePath(e.path, path.slice(0, e.path.length)));
    if (holder === undefined) continue;
    const start = offset(holder.node.value.loc.start);
    const end = offset(holder.node.value.loc.end);
    const text = body.slice(start, end);
    if (!text.startsWith("{") || !text.endsWith("}")) return undefined;
    const field = `${formatPath(path.slice(holder.path.length))} = ${serializeValue(value)}`;
    const inner = text.slice(1, -1);
    const replaced =
      inner.trim() === "" ? `{ ${field} }` : `{${inner.trimEnd()}, ${field}${inner.slice(inner.trimEnd().length)}}`;
    return body.slice(0, start) + replaced + body.slice(end);
  }

  // The parent exists only through dotted keys (`history.persistence = "none"`): add another dotted key
  // after the last one, in the same section.
  for (const s of all) {
    if (s.isArray || s.path.length >= path.length - 1 || !samePath(s.path, parent.slice(0, s.path.length))) continue;
    const siblings = s.entries.filter((e) => samePath(e.path.slice(0, parent.length), parent));
    const last = siblings[siblings.length - 1];
    if (last === undefined) continue;
    return insertLine(
      body,
      eol,
      lines,
      last.node,
      `${formatPath(path.slice(s.path.length))} = ${serializeValue(value)}`,
    );
  }

  const section = all.find((s) => !s.isArray && samePath(s.path, parent));
  if (section === undefined) {
    // A new section at the end, separated by a blank line.
    const lead = body === "" ? "" : body.endsWith("\n") ? eol : eol + eol;
    return `${body}${lead}[${formatPath(parent)}]${eol}${formatKey(key)} = ${serializeValue(value)}${eol}`;
  }
  const line = `${formatKey(key)} = ${serializeValue(value)}`;
  const last = section.entries[section.entries.length - 1];
  if (last !== undefined) return insertLine(body, eol, lines, last.node, line);
  const at =
    section.header !== undefined
      ? (lines[section.header.loc.start.line] ?? body.length)
      : topInsertionPoint(body, all, lines);
  return insertAt(body, eol, at, line);
}

/**
 * Removes a table written as `[path]` sections (its sub-tables' sections too), line by line: from each
 * header to the comment lines that introduce the next header. When that leaves the file ending in the
 * blank line that adding a section at the end put before it, that goes too, so add-then-remove gives back
 * the original bytes. undefined when the table is not (only) made of such sections.
 */
function removeSections(body: string, all: Section[], lines: number[], path: TomlPath): string | undefined {
  const own = headedSections(all, path);
  if (own.length === 0 || own.some((s) => s.isArray)) return undefined;
  // Keys of the table written elsewhere (dotted keys in another section) would need another kind of edit.
  if (all.some((s) => !isWithin(s.path, path) && s.entries.some((e) => isWithin(e.path, path)))) return undefined;
  const ranges = own.map((s) => sectionRange(body, all, lines, s));
  let out = "";
  let from = 0;
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    out += body.slice(from, Math.max(from, start));
    from = Math.max(from, end);
  }
  out += body.slice(from);
  if (from >= body.length && /(\r?\n){2}$/.test(out)) out = out.replace(/\r?\n$/, "");
  return out;
}

/** Whether key path `p` is `path` or below it. */
function isWithin(p: readonly string[], path: TomlPath): boolean {
  return p.length >= path.length && samePath(p.slice(0, path.length), path);
}

/** The `[header]` sections of the table at `path` and of its sub-tables. */
function headedSections(all: Section[], path: TomlPath): Section[] {
  return all.filter((s) => s.header !== undefined && isWithin(s.path, path));
}

/** Where a section's text starts and ends: its header line up to the comments attached to the next header. */
function sectionRange(body: string, all: Section[], lines: number[], section: Section): [number, number] {
  const header = section.header as CstBlock;
  const start = lines[header.loc.start.line - 1] as number;
  const next = all.find((s) => s.header !== undefined && s.header.loc.start.line > header.loc.start.line);
  if (next?.header === undefined) return [start, body.length];
  let line = next.header.loc.start.line - 1;
  while (
    line > header.loc.end.line &&
    body
      .slice(lines[line - 1], lines[line])
      .trim()
      .startsWith("#")
  )
    line -= 1;
  return [start, lines[line] as number];
}

/**
 * Whether the table at `path` is one codex may remove after emptying it: it has no keys left, no
 * sub-tables, and no comment anywhere in or directly above its section. A table the user wrote a comment
 * into (or above) is theirs and stays, even empty.
 */
export function isBareTable(body: string, values: TomlTable, path: TomlPath): boolean {
  const table = getPath(values, path);
  if (!isTable(table) || Object.keys(table).length > 0) return false;
  const all = sections(body);
  const own = headedSections(all, path);
  if (own.length !== 1) return own.length === 0;
  const lines = lineStarts(body);
  const section = own[0] as Section;
  const header = section.header as CstBlock;
  const [start, end] = sectionRange(body, all, lines, section);
  const above = header.loc.start.line - 2;
  const comment = (line: string) => line.trim().startsWith("#");
  if (above >= 0 && comment(body.slice(lines[above], lines[above + 1]))) return false;
  const headerLine = body.slice(start, lines[header.loc.end.line] ?? body.length);
  if (headerLine.includes("#")) return false;
  return !body.slice(start, end).split("\n").slice(1).some(comment);
}

/** Inserts `line` after the entry `after`, with the same indentation. */
function insertLine(body: string, eol: string, lines: number[], after: CstKeyValue, line: string): string {
  const lineStart = lines[after.loc.start.line - 1] as number;
  const indent = /^[ \t]*/.exec(body.slice(lineStart))?.[0] ?? "";
  return insertAt(body, eol, lines[after.loc.end.line] ?? body.length, indent + line);
}

function insertAt(body: string, eol: string, at: number, line: string): string {
  // At the end of a file without a final newline the new line brings its own line ending before it, so
  // removing the line later removes exactly what was added.
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

/** TOML text for a value that passed `assertTomlValue`. */
export function serializeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return basicString(value);
    case "boolean":
      return String(value);
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
  // Unreachable for values that passed assertTomlValue.
  throw new ConfigEditError(`cannot store a value of type ${typeof value} in config.toml`);
}
