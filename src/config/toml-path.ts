/** Key paths into a parsed TOML table: `"a.b"` or `["a", "b"]` (the array form allows keys with dots). */
import { ConfigEditError } from "../errors.js";
import type { TomlTable } from "./toml-text.js";

export type KeyPath = string | readonly string[];

export function toPath(path: KeyPath): string[] {
  const parts = typeof path === "string" ? path.split(".") : [...path];
  if (parts.length === 0 || parts.some((p) => p === "")) {
    throw new ConfigEditError(`invalid config key path: ${JSON.stringify(path)}`);
  }
  return parts;
}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function getPath(root: TomlTable, path: readonly string[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (!isTable(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Sets (or, with `undefined`, removes) a value in place. Returns false when removing an absent key. */
export function setPath(root: TomlTable, path: readonly string[], value: unknown): boolean {
  let table: TomlTable = root;
  for (const key of path.slice(0, -1)) {
    const next = table[key];
    if (next === undefined) {
      if (value === undefined) return false;
      const created: TomlTable = {};
      table[key] = created;
      table = created;
    } else if (isTable(next)) {
      table = next;
    } else {
      throw new ConfigEditError(`cannot set ${path.join(".")}: ${key} is not a table`);
    }
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) {
    if (!Object.hasOwn(table, last)) return false;
    delete table[last];
  } else {
    table[last] = value;
  }
  return true;
}

/** A deep copy with ordinary prototypes (the parser makes null-prototype tables), for comparisons. */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
