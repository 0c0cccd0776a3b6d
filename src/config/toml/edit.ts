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
 * toml-patch (patch.ts), and if that is wrong too the edit fails: we never write a document we have not
 * verified.
 */
import { ConfigEditError } from "../../errors.js";
import { type CstBlock, cst, cstSections, viaTomlPatch } from "./patch.js";
import { assertTomlValue, getPath, isTable, plain, sameValue, withPath } from "./path.js";
import { type Entry, type Section, scanSections } from "./scan.js";
import { parseToml, type TomlTable, type TomlText } from "./text.js";

/**
 * Returns the document with `path` set to `value` (or removed when `value` is undefined). Returns the same
 * object when nothing changes.
 */
export function editToml(doc: TomlText, path: readonly string[], value: unknown): TomlText {
  return editParsed(doc, parseToml(doc.body, "config.toml"), path, value).doc;
}

export interface Edited {
  doc: TomlText;
  /** `doc` parsed: the verification's own parse, so callers need not parse the result again. */
  values: TomlTable;
}

export interface Edit {
  path: readonly string[];
  value: unknown;
  /** Remove the table at `path` only if it is bare: empty, and with no comment in or above it. */
  ifBare?: boolean;
}

/** `editToml` for a caller that already holds `doc` parsed as `values`. */
function editParsed(doc: TomlText, values: TomlTable, path: readonly string[], value: unknown): Edited {
  const expected = planned(values, path, value);
  if (expected === undefined) return { doc, values };
  // The splice first; toml-patch (which may re-render other lines) only when the splice cannot be verified.
  const removed = value === undefined ? [path] : [];
  for (const attempt of [() => splice(doc, path, value), () => viaTomlPatch(doc.body, path, value)]) {
    const body = attempt();
    const parsed = body === undefined ? undefined : verified(body, expected, removed);
    if (parsed !== undefined) return { doc: { ...doc, body: body as string }, values: parsed };
  }
  throw new ConfigEditError(`cannot set ${formatPath(path)} in config.toml without changing other settings`);
}

/**
 * Applies `edits` in order. All are spliced and then verified with one parse, which is what keeps a write
 * to a large config cheap; if that fails, they are redone one at a time, each verified, with toml-patch
 * for any a splice cannot express.
 */
export function editAll(doc: TomlText, values: TomlTable, edits: readonly Edit[]): Edited {
  let body: string | undefined = doc.body;
  let expected = values;
  const removed: (readonly string[])[] = [];
  for (const edit of edits) {
    if (edit.ifBare && !isBareTable(body, expected, edit.path)) continue;
    const next = planned(expected, edit.path, edit.value);
    if (next === undefined) continue;
    body = splice({ ...doc, body }, edit.path, edit.value);
    if (body === undefined) break;
    expected = next;
    if (edit.value === undefined) removed.push(edit.path);
  }
  if (body === doc.body) return { doc, values };
  const parsed = body === undefined ? undefined : verified(body, expected, removed);
  if (parsed !== undefined) return { doc: { ...doc, body: body as string }, values: parsed };

  let edited: Edited = { doc, values };
  for (const edit of edits) {
    if (edit.ifBare && !isBareTable(edited.doc.body, edited.values, edit.path)) continue;
    edited = editParsed(edited.doc, edited.values, edit.path, edit.value);
  }
  return edited;
}

/** `values` with the edit made (sharing what it does not change); undefined when it changes nothing. */
function planned(values: TomlTable, path: readonly string[], value: unknown): TomlTable | undefined {
  if (path.length === 0) throw new ConfigEditError("a config key path cannot be empty");
  if (value === undefined) return withPath(values, path, undefined);
  assertTomlValue(value, formatPath(path));
  const canonical = canonicalValue(value);
  const existing = getPath(values, path);
  if (existing !== undefined && sameValue(existing, canonical)) return undefined;
  return withPath(values, path, canonical);
}

export function formatPath(path: readonly string[]): string {
  return path.map(formatKey).join(".");
}

/**
 * `body` parsed, if it parses to `expected`; undefined otherwise. Removing the last key of a table that
 * only dotted keys created removes that table too, while an explicit `[header]` stays: either is right, so
 * empty tables along a removed path are not compared.
 */
function verified(body: string, expected: TomlTable, removed: readonly (readonly string[])[]): TomlTable | undefined {
  let parsed: TomlTable;
  try {
    parsed = parseToml(body, "config.toml");
  } catch {
    return undefined;
  }
  const prune = (root: TomlTable) => removed.reduce(pruneEmpty, root);
  return sameValue(prune(parsed), prune(expected)) ? parsed : undefined;
}

/** `root` without the tables along `path` (deepest first) that are empty; copies only what it changes. */
function pruneEmpty(root: TomlTable, path: readonly string[]): TomlTable {
  for (let depth = path.length - 1; depth > 0; depth--) {
    const table = getPath(root, path.slice(0, depth));
    if (isTable(table) && Object.keys(table).length === 0)
      root = withPath(root, path.slice(0, depth), undefined) ?? root;
  }
  return root;
}

/** What `value` reads back as after a round trip through TOML (dates, integers). */
function canonicalValue(value: unknown): unknown {
  return plain(parseToml(`v = ${serializeValue(value)}`, "value").v);
}

/** Where the document's keys and headers are: from the scanner, or toml-patch where the scanner gives up. */
function sections(body: string): Section[] {
  return scanSections(body) ?? cstSections(body);
}

function splice(doc: TomlText, path: readonly string[], value: unknown): string | undefined {
  const { body, eol } = doc;
  const all = sections(body);
  const found = all.find((s) => !s.isArray && s.entries.some((e) => samePath(e.path, path)));
  const entry = found?.entries.find((e) => samePath(e.path, path));

  if (entry !== undefined) {
    if (value !== undefined) return body.slice(0, entry.valueStart) + serializeValue(value) + body.slice(entry.end);
    // Remove the entry's whole lines, comment and line ending included.
    let start = lineStart(body, entry.start);
    let end = nextLineStart(body, entry.end);
    if (end === body.length && !body.endsWith("\n") && start > 0) {
      // The last line had no line ending: take the one before it instead, as insertion added it.
      start -= body[start - 2] === "\r" ? 2 : 1;
      end = body.length;
    }
    return body.slice(0, start) + body.slice(end);
  }
  if (value === undefined) return removeInlineField(body, all, path) ?? removeSections(body, all, path);

  const parent = path.slice(0, -1);
  const key = path[path.length - 1] as string;

  // The parent is an inline table (`tui = { a = 1 }`): add `, key = value` before its closing brace.
  for (const s of all) {
    if (s.isArray) continue;
    const holder = s.entries.find((e) => e.path.length < path.length && samePath(e.path, path.slice(0, e.path.length)));
    if (holder === undefined) continue;
    const text = body.slice(holder.valueStart, holder.end);
    if (!text.startsWith("{") || !text.endsWith("}")) return undefined;
    const field = `${formatPath(path.slice(holder.path.length))} = ${serializeValue(value)}`;
    const inner = text.slice(1, -1);
    const replaced =
      inner.trim() === "" ? `{ ${field} }` : `{${inner.trimEnd()}, ${field}${inner.slice(inner.trimEnd().length)}}`;
    return body.slice(0, holder.valueStart) + replaced + body.slice(holder.end);
  }

  // The parent exists only through dotted keys (`history.persistence = "none"`): add another dotted key
  // after the last one, in the same section.
  for (const s of all) {
    if (s.isArray || s.path.length >= path.length - 1 || !samePath(s.path, parent.slice(0, s.path.length))) continue;
    const siblings = s.entries.filter((e) => samePath(e.path.slice(0, parent.length), parent));
    const last = siblings[siblings.length - 1];
    if (last === undefined) continue;
    return insertLine(body, eol, last, `${formatPath(path.slice(s.path.length))} = ${serializeValue(value)}`);
  }

  const section = all.find((s) => !s.isArray && samePath(s.path, parent));
  if (section === undefined) {
    // A new section at the end, separated by a blank line. In a file without a final newline the section
    // brings its line endings before it and has none after (as insertAt does for a line), so removing it
    // gives back exactly the original, which a file with a final newline would otherwise look the same as.
    const added = `[${formatPath(parent)}]${eol}${formatKey(key)} = ${serializeValue(value)}`;
    if (body === "") return `${added}${eol}`;
    return body.endsWith("\n") ? `${body}${eol}${added}${eol}` : `${body}${eol}${eol}${added}`;
  }
  const line = `${formatKey(key)} = ${serializeValue(value)}`;
  const last = section.entries[section.entries.length - 1];
  if (last !== undefined) return insertLine(body, eol, last, line);
  const at = section.header !== undefined ? nextLineStart(body, section.header.start) : topInsertionPoint(body, all);
  return insertAt(body, eol, at, line);
}

/**
 * Removes a field of an inline table (`tui = { theme = "dark", animations = false }`), the inverse of adding
 * one: `, key = value` after the previous field, `key = value, ` before the next, or the whole `{ … }` of a
 * table left empty becomes `{}`. undefined when `path` is not a field of an inline table. Rare enough that
 * the fields' positions come from toml-patch's tree.
 */
function removeInlineField(body: string, all: Section[], path: readonly string[]): string | undefined {
  const holder = all
    .flatMap((s) => (s.isArray ? [] : s.entries))
    .find((e) => e.path.length < path.length && samePath(e.path, path.slice(0, e.path.length)));
  if (holder === undefined || body[holder.valueStart] !== "{") return undefined;
  const { blocks, offset } = cst(body);
  const kv = blocks
    .flatMap((b) => (b.type === "KeyValue" ? [b] : (b.items ?? [])))
    .find((b) => b.type === "KeyValue" && offset(b.loc.start) === holder.start);
  let table = kv?.value;
  let rest = path.slice(holder.path.length);
  while (table?.type === "InlineTable") {
    const fields = (table.items ?? []).map((it) => it.item as CstBlock);
    const keyOf = (f: CstBlock) => f.key?.value ?? [];
    const i = fields.findIndex((f) => samePath(keyOf(f), rest));
    if (i === -1) {
      const outer = fields.find(
        (f) => keyOf(f).length < rest.length && samePath(keyOf(f), rest.slice(0, keyOf(f).length)),
      );
      if (outer === undefined) return undefined;
      rest = rest.slice(keyOf(outer).length);
      table = outer.value;
      continue;
    }
    const field = fields[i] as CstBlock;
    const next = fields[i + 1];
    const prev = fields[i - 1];
    if (next !== undefined) return body.slice(0, offset(field.loc.start)) + body.slice(offset(next.loc.start));
    if (prev !== undefined) return body.slice(0, offset(prev.loc.end)) + body.slice(offset(field.loc.end));
    return `${body.slice(0, offset(table.loc.start))}{}${body.slice(offset(table.loc.end))}`;
  }
  return undefined;
}

/**
 * Removes a table written as `[path]` sections (its sub-tables' sections too), line by line: from each
 * header to the comment lines that introduce the next header. When that leaves the file ending in the
 * blank line that adding a section at the end put before it, that goes too, so add-then-remove gives back
 * the original bytes. undefined when the table is not (only) made of such sections.
 */
function removeSections(body: string, all: Section[], path: readonly string[]): string | undefined {
  const own = headedSections(all, path);
  if (own.length === 0 || own.some((s) => s.isArray)) return undefined;
  // Keys of the table written elsewhere (dotted keys in another section) would need another kind of edit.
  if (all.some((s) => !isWithin(s.path, path) && s.entries.some((e) => isWithin(e.path, path)))) return undefined;
  const ranges = own.map((s) => sectionRange(body, all, s));
  let out = "";
  let from = 0;
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    out += body.slice(from, Math.max(from, start));
    from = Math.max(from, end);
  }
  out += body.slice(from);
  // Removed up to the end: drop the blank line that adding a section at the end put before it, and in a
  // file that ends without a line ending (the section had none at its end), the line ending before that too.
  if (from >= body.length && /(\r?\n){2}$/.test(out)) {
    out = out.replace(body.endsWith("\n") ? /\r?\n$/ : /(\r?\n){2}$/, "");
  }
  return out;
}

/** Whether key path `p` is `path` or below it. */
function isWithin(p: readonly string[], path: readonly string[]): boolean {
  return p.length >= path.length && samePath(p.slice(0, path.length), path);
}

/** The `[header]` sections of the table at `path` and of its sub-tables. */
function headedSections(all: Section[], path: readonly string[]): Section[] {
  return all.filter((s) => s.header !== undefined && isWithin(s.path, path));
}

/** Where a section's text starts and ends: its header line up to the comments attached to the next header. */
function sectionRange(body: string, all: Section[], section: Section): [number, number] {
  const header = section.header as { start: number; end: number };
  const start = lineStart(body, header.start);
  const next = all.find((s) => s.header !== undefined && s.header.start > header.start);
  if (next?.header === undefined) return [start, body.length];
  const after = nextLineStart(body, header.end);
  let end = lineStart(body, next.header.start);
  while (end > after) {
    const prev = lineStart(body, end - 1);
    if (!body.slice(prev, end).trim().startsWith("#")) break;
    end = prev;
  }
  return [start, end];
}

/**
 * Whether the table at `path` is one codex may remove after emptying it: it has no keys left, no
 * sub-tables, and no comment anywhere in or directly above its section. A table the user wrote a comment
 * into (or above) is theirs and stays, even empty.
 */
function isBareTable(body: string, values: TomlTable, path: readonly string[]): boolean {
  const table = getPath(values, path);
  if (!isTable(table) || Object.keys(table).length > 0) return false;
  const all = sections(body);
  const own = headedSections(all, path);
  if (own.length !== 1) return own.length === 0;
  const section = own[0] as Section;
  const header = section.header as { start: number; end: number };
  const [start, end] = sectionRange(body, all, section);
  const comment = (line: string) => line.trim().startsWith("#");
  if (start > 0 && comment(body.slice(lineStart(body, start - 1), start))) return false;
  if (body.slice(start, nextLineStart(body, header.end)).includes("#")) return false;
  return !body.slice(start, end).split("\n").slice(1).some(comment);
}

/** Inserts `line` after the entry `after`, with the same indentation. */
function insertLine(body: string, eol: string, after: Entry, line: string): string {
  const indent = /^[ \t]*/.exec(body.slice(lineStart(body, after.start)))?.[0] ?? "";
  return insertAt(body, eol, nextLineStart(body, after.end), indent + line);
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
function topInsertionPoint(body: string, all: Section[]): number {
  const first = all.find((s) => s.header !== undefined);
  if (first?.header === undefined) return body.length;
  let at = lineStart(body, first.header.start);
  while (at > 0) {
    const prev = lineStart(body, at - 1);
    if (!body.slice(prev, at).trim().startsWith("#")) break;
    at = prev;
  }
  return at;
}

/** Start of the line that `offset` is on. */
function lineStart(body: string, offset: number): number {
  return offset <= 0 ? 0 : body.lastIndexOf("\n", offset - 1) + 1;
}

/** Start of the line after the one `offset` is on (the end of the document on its last line). */
function nextLineStart(body: string, offset: number): number {
  const nl = body.indexOf("\n", offset);
  return nl === -1 ? body.length : nl + 1;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
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
