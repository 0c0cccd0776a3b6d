/** Key paths into a parsed TOML table, and the table operations along one. */
import { ConfigEditError } from "../../errors.js";
import type { TomlTable } from "./text.js";

/**
 * A key path: `"a.b"` or `["a", "b"]` (the array form allows keys with dots). The one type for a path;
 * `toPath` gives its keys, the form every function below and the editor (edit.ts) take.
 */
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

/**
 * Throws ConfigEditError for anything TOML cannot store: null, functions, symbols, class instances other
 * than Date, invalid dates, integers beyond 64 bits (or unsafe JavaScript integers), cycles.
 */
export function assertTomlValue(value: unknown, path: string, seen: unknown[] = []): void {
  const fail = (what: string): never => {
    throw new ConfigEditError(`cannot store ${what} at ${path} in config.toml`);
  };
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (Number.isInteger(value) && !Number.isSafeInteger(value))
        fail("an integer JavaScript cannot hold exactly (use a bigint)");
      return;
    case "bigint":
      if (value < -(2n ** 63n) || value >= 2n ** 63n) fail("an integer outside TOML's 64-bit range");
      return;
    case "object": {
      if (value === null) fail("null (TOML has none; set undefined to remove a key)");
      if (seen.includes(value)) fail("a value that contains itself");
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) fail("an invalid date");
        return;
      }
      const inner = [...seen, value];
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v === undefined) fail("an array with a hole or undefined element");
          assertTomlValue(v, `${path}[${i}]`, inner);
        });
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) fail(`a ${proto?.constructor?.name ?? "class"} instance`);
      for (const [k, v] of Object.entries(value as object)) {
        if (v !== undefined) assertTomlValue(v, `${path}.${k}`, inner);
      }
      return;
    }
    default:
      fail(`a value of type ${typeof value}`);
  }
}

export function getPath(root: TomlTable, path: readonly string[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (!isTable(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * `overlay` laid over `base` as OpenAI's Codex CLI layers its config files (merge_toml_values in
 * codex-rs/config/src/merge.rs): tables merge key by key, at every depth; any other value replaces. Only the
 * tables along merged keys are new; every other value is shared with the inputs (never changed in place).
 */
export function mergeTables(base: TomlTable, overlay: TomlTable): TomlTable {
  const out: TomlTable = {};
  for (const k of Object.keys(base)) define(out, k, base[k]);
  for (const k of Object.keys(overlay)) {
    const under = Object.hasOwn(base, k) ? base[k] : undefined;
    const over = overlay[k];
    define(out, k, isTable(under) && isTable(over) ? mergeTables(under, over) : over);
  }
  return out;
}

/** `table` without the top-level `keys` (itself when it has none of them). */
export function withoutKeys(table: TomlTable, keys: readonly string[]): TomlTable {
  if (!keys.some((k) => Object.hasOwn(table, k))) return table;
  const out: TomlTable = {};
  for (const k of Object.keys(table)) if (!keys.includes(k)) define(out, k, table[k]);
  return out;
}

/** Assignment that treats `__proto__` (a legal TOML key) as data, never as the object's prototype. */
function define(table: TomlTable, key: string, value: unknown): void {
  Object.defineProperty(table, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * `root` with the value at `path` set (or removed, with `undefined`), copying only the tables along the
 * path: the rest is shared, so editing a large config does not copy it. undefined when removing a key that
 * is not there.
 */
export function withPath(root: TomlTable, path: readonly string[], value: unknown): TomlTable | undefined {
  const [key, ...rest] = path as [string, ...string[]];
  const has = Object.hasOwn(root, key);
  let replacement: unknown = value;
  if (rest.length > 0) {
    const next = has ? root[key] : undefined;
    if (next !== undefined && !isTable(next)) {
      throw new ConfigEditError(`cannot set ${path.join(".")}: ${key} is not a table`);
    }
    if (next === undefined && value === undefined) return undefined;
    replacement = withPath(next ?? {}, rest, value);
    if (replacement === undefined) return undefined;
  } else if (value === undefined && !has) {
    return undefined;
  }
  const copy: TomlTable = {};
  for (const k of Object.keys(root)) if (k !== key) define(copy, k, root[k]);
  if (replacement !== undefined) define(copy, key, replacement);
  return copy;
}

/**
 * Deep equality of parsed TOML values: tables by their keys whatever their prototype (the parser makes
 * null-prototype tables), arrays in order, dates by their text, numbers as Object.is compares them.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) {
    // smol-toml's dates say in toISOString() which kind of TOML date they are (local date, time, …).
    const text = (d: Date) => (Number.isNaN(d.getTime()) ? "invalid" : d.toISOString());
    return (
      a instanceof Date &&
      b instanceof Date &&
      Object.getPrototypeOf(a) === Object.getPrototypeOf(b) &&
      Object.is(a.getTime(), b.getTime()) &&
      text(a) === text(b)
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  const ta = a as TomlTable;
  const tb = b as TomlTable;
  const keys = Object.keys(ta);
  if (keys.length !== Object.keys(tb).length) return false;
  for (const k of keys) if (!Object.hasOwn(tb, k) || !sameValue(ta[k], tb[k])) return false;
  return true;
}

/** A deep copy with ordinary prototypes (the parser makes null-prototype tables), for comparisons. */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (isTable(value)) {
    const out: TomlTable = {};
    for (const [k, v] of Object.entries(value)) define(out, k, plain(v));
    return out;
  }
  return value;
}
