/**
 * The editor's fallback (edit.ts): toml-patch, a TOML library that keeps a concrete syntax tree, for the
 * documents and edits the scanner and the splices cannot handle. Its tree gives positions (the sections of
 * a document scan.ts gives up on, the fields of an inline table), and its `patch()` makes the edits no
 * splice expresses; edit.ts verifies whatever it returns.
 */
import type * as TomlPatch from "@decimalturn/toml-patch";
import { ConfigEditError } from "../../errors.js";
import { lazyRequire } from "../lazy-require.js";
import { withPath } from "./path.js";
import type { Entry, Section } from "./scan.js";
import type { TomlTable } from "./text.js";

/** What toml-patch's concrete syntax tree gives for a block; only the fields we read. */
export interface CstPos {
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
}
export interface CstBlock {
  type: string;
  loc: { start: CstPos; end: CstPos };
  key?: { item?: { value: string[] }; value?: string[] };
  value?: CstBlock;
  /** A table's keys and comments; an inline table's fields, each wrapped as `{ item }`. */
  items?: (CstBlock & { item?: CstBlock })[];
}

/**
 * toml-patch, loaded only when the scanner or a splice cannot do the job: loading it costs more than the
 * rest of `codex logout`. The literal `require(…)` is what the CLI's bundle maps to its lazily loaded copy
 * (lazy-require.ts); the TypeScript sources, which have no `require`, take lazyRequire's.
 */
function tomlPatch(): typeof TomlPatch {
  return typeof require === "function" ? require("@decimalturn/toml-patch") : lazyRequire("@decimalturn/toml-patch");
}

/**
 * toml-patch's syntax tree of `body`, and a function from its positions to offsets. smol-toml accepts a few
 * documents toml-patch does not (`1979-\x005-27`); toml-patch's message would quote the source line, which
 * may hold a secret, so the error says where, never what.
 */
export function cst(body: string): { blocks: CstBlock[]; offset: (p: CstPos) => number } {
  let blocks: CstBlock[];
  try {
    blocks = new (tomlPatch().TomlDocument)(body).cst as unknown as CstBlock[];
  } catch (err) {
    const { line, column } = err as { line?: unknown; column?: unknown };
    const where =
      typeof line === "number" && typeof column === "number" ? ` at line ${line}, column ${column + 1}` : "";
    throw new ConfigEditError(
      `config.toml cannot be edited: the editor cannot read it${where}; fix that line and try again`,
    );
  }
  const lines = lineStarts(body);
  return { blocks, offset: (p: CstPos) => (lines[p.line - 1] ?? body.length) + p.column };
}

export function cstSections(body: string): Section[] {
  const { blocks, offset } = cst(body);
  const root: Section = { path: [], isArray: false, entries: [] };
  const out: Section[] = [root];
  const entry = (prefix: string[], kv: CstBlock): Entry => ({
    path: [...prefix, ...(kv.key?.value ?? [])],
    start: offset(kv.loc.start),
    valueStart: offset((kv.value ?? kv).loc.start),
    end: offset((kv.value ?? kv).loc.end),
  });
  for (const block of blocks) {
    if (block.type === "KeyValue") {
      root.entries.push(entry([], block));
    } else if (block.type === "Table" || block.type === "TableArray") {
      const path = block.key?.item?.value ?? [];
      const header = { start: offset(block.loc.start), end: offset(block.loc.end) };
      const section: Section = { path: [...path], isArray: block.type === "TableArray", header, entries: [] };
      for (const item of block.items ?? []) if (item.type === "KeyValue") section.entries.push(entry(path, item));
      out.push(section);
    }
  }
  return out;
}

export function viaTomlPatch(body: string, path: readonly string[], value: unknown): string | undefined {
  try {
    const doc = new (tomlPatch().TomlDocument)(body);
    doc.patch(withPath(doc.toJsObject as TomlTable, path, value) ?? doc.toJsObject);
    return doc.toTomlString;
  } catch {
    return undefined;
  }
}

function lineStarts(body: string): number[] {
  const starts = [0];
  for (let i = body.indexOf("\n"); i !== -1; i = body.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
