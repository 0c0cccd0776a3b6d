/**
 * The library's view of config.toml: load once, read any key, queue edits, save. Reads need only the
 * strict parser; `save()` lazily loads the write machinery (lock, atomic write, format-preserving editor)
 * and replays the queued edits on the file as it is on disk at that moment, under the lock.
 */
import type { Stats } from "node:fs";
import { codexHome, configPath, type Env } from "./paths.js";
import { type ConfigSnapshot, readConfig } from "./read.js";
import type { Edit, UpdateOptions } from "./save.js";
import { assertTomlValue, getPath, type KeyPath, toPath, withPath } from "./toml-path.js";
import type { TomlTable } from "./toml-text.js";

export interface LoadOptions {
  /** Directory holding config.toml. Default: `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
  /** Environment used to find the default home. Default: `process.env`. */
  env?: Env;
}

export class Config {
  /** Directory holding config.toml. */
  readonly home: string;
  /** Absolute path of config.toml (it may not exist yet). */
  readonly path: string;
  #snapshot: ConfigSnapshot;
  /**
   * The snapshot's values with the queued edits made. Never changed in place: an edit makes a new root that
   * copies only the tables along its path, so a large config is not copied on load or on each edit.
   */
  #values: TomlTable;
  #edits: Edit[] = [];

  private constructor(home: string, snapshot: ConfigSnapshot) {
    this.home = home;
    this.path = configPath(home);
    this.#snapshot = snapshot;
    this.#values = snapshot.values;
  }

  /** Reads config.toml. A missing file is an empty config; a malformed one throws ConfigParseError. */
  static async load(options: LoadOptions = {}): Promise<Config> {
    const home = options.codexHome ?? codexHome(options.env ?? process.env);
    return new Config(home, await readConfig(configPath(home)));
  }

  /** Whether config.toml existed when loaded (or last saved). */
  get exists(): boolean {
    return this.#snapshot.doc !== undefined;
  }

  /**
   * fstat of config.toml as read (undefined when it did not exist), for deciding whether its settings can
   * be trusted (trust.ts) and how many names the file has.
   */
  get fileStat(): Stats | undefined {
    return this.#snapshot.stat;
  }

  /** The stored API key or access token: top-level `auth_token`. */
  get authToken(): string | undefined {
    const token = this.#values.auth_token;
    return typeof token === "string" && token !== "" ? token : undefined;
  }

  set authToken(token: string | undefined) {
    this.set("auth_token", token);
  }

  /** The value at a key path (`"model"`, `"model_providers.local.base_url"`, or an array of keys). */
  get(path: KeyPath): unknown {
    return structuredClone(getPath(this.#values, toPath(path)));
  }

  /** Queues a change for `save()`; `undefined` removes the key. */
  set(path: KeyPath, value: unknown): void {
    const keys = toPath(path);
    if (value !== undefined) assertTomlValue(value, keys.join("."));
    // One copy serves both: neither the values nor the queued edits are ever changed in place.
    const copy = structuredClone(value);
    this.#values = withPath(this.#values, keys, copy) ?? this.#values;
    this.#edits.push({ path: keys, value: copy });
  }

  /** Removes a key (same as `set(path, undefined)`). */
  delete(path: KeyPath): void {
    this.set(path, undefined);
  }

  /**
   * Removes the table at `path` if, when written, it is bare: no keys, no sub-tables, no comment in or
   * above it. For tables codex creates and empties again (a profile's), so a user's own stays.
   */
  prune(path: KeyPath): void {
    const keys = toPath(path);
    const table = getPath(this.#values, keys);
    if (typeof table !== "object" || table === null || Object.keys(table).length > 0) return;
    this.#values = withPath(this.#values, keys, undefined) ?? this.#values;
    this.#edits.push({ path: keys, value: undefined, ifBare: true });
  }

  /** Edits made since load or the last save. */
  get hasChanges(): boolean {
    return this.#edits.length > 0;
  }

  /**
   * Writes queued edits atomically, under the config lock, onto the file as it is now on disk (changes
   * other processes saved meanwhile are kept). Returns false, touching nothing, when there was nothing to
   * change. Afterwards this object reflects the file as written.
   */
  async save(): Promise<boolean> {
    if (this.#edits.length === 0) return false;
    const { saveEdits } = await import("./save.js");
    const result = await saveEdits(this.path, this.#edits, this.#snapshot);
    this.#edits = [];
    this.#reset(result);
    return result.written;
  }

  /**
   * Runs `fn` while holding the config lock, on this object refreshed from the file as it is on disk at
   * that moment (queued edits are replayed on it first); the edits `fn` makes are written before the lock
   * is released. For decisions that must not race with other processes, like using or rotating a refresh
   * token. If `fn` throws, nothing is written and this object shows the file as it was read.
   */
  async update<T>(fn: (config: Config) => T | Promise<T>, options: UpdateOptions = {}): Promise<T> {
    const { updateLocked } = await import("./save.js");
    const queued = this.#edits;
    this.#edits = [];
    try {
      const { result, value } = await updateLocked(
        this.path,
        async (current) => {
          this.#reset(current);
          for (const edit of queued) {
            if (edit.ifBare) this.prune(edit.path);
            else this.set(edit.path, edit.value);
          }
          const value = await fn(this);
          return { edits: this.#edits, value };
        },
        options,
        this.#snapshot,
      );
      this.#reset(result);
      return value;
    } finally {
      this.#edits = [];
    }
  }

  #reset(snapshot: ConfigSnapshot): void {
    this.#snapshot = snapshot;
    this.#values = snapshot.values;
  }
}
