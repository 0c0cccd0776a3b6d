/**
 * The library's view of codex's configuration, laid out as OpenAI's Codex CLI (0.134 and later) lays out its
 * own: config.toml, and for a profile, `$CODEX_HOME/NAME.config.toml` laid over it (tables merge key by key,
 * other values replace). Load once, read any key, queue edits, save. Reads need only the strict parser;
 * `save()` lazily loads the write machinery (lock, atomic write, format-preserving editor) and replays the
 * queued edits on the file as it is on disk at that moment, under the lock.
 *
 * Each Config is a view that writes one file: config.toml's, or a profile's, whose reads see config.toml's
 * settings beneath its own. An account's credential keys are the one exception to the layering: a profile
 * never inherits the default account's `auth_token`, session, keyring note or `auth_command`.
 */
import type { Stats } from "node:fs";
import { ConfigAccessError, ConfigValueError } from "../errors.js";
import { notDirectoryAbove } from "./fs-errors.js";
import { codexHome, configPath, DEFAULT_ACCOUNT, type Env, profilePath } from "./paths.js";
import { type ConfigSnapshot, readConfig } from "./read.js";
import type { Edit, UpdateOptions } from "./save.js";
import { assertTomlValue, getPath, type KeyPath, mergeTables, toPath, withoutKeys, withPath } from "./toml/path.js";
import type { TomlTable } from "./toml/text.js";

export interface LoadOptions {
  /** Directory holding config.toml. Default: `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
  /** Environment used to find the default home. Default: `process.env`. */
  env?: Env;
  /** A profile to lay over config.toml (its `NAME.config.toml`); "default" or none: config.toml alone. */
  profile?: string | undefined;
}

/**
 * An account's own credential keys, whose presence means it has (or had) a credential configured: a profile's
 * file never inherits config.toml's (the default account's).
 */
export const CREDENTIAL_KEYS: readonly string[] = ["auth_token", "oauth_session", "auth_storage", "auth_command"];

/**
 * The first line of a profile file codex creates: what made it, and that codex deletes it again when nothing
 * but this line is left (a file the user made, or added to, is never deleted).
 */
export function profileHeader(name: string): string {
  return `# Created by codex-credentials for \`--profile ${name}\`; its logout deletes this file when nothing else is in it.\n`;
}

/**
 * The first line of a config.toml codex creates, for the same reason: logout leaves no file behind that only
 * codex ever wrote to, and never deletes one the user (or OpenAI's Codex CLI) made or added to.
 */
export const CONFIG_HEADER =
  "# Created by codex-credentials; its logout deletes this file when nothing else is in it.\n";

export class Config {
  /** Directory holding config.toml. */
  readonly home: string;
  /** Absolute path of the file this view writes, config.toml or `NAME.config.toml` (it may not exist yet). */
  readonly path: string;
  /** The profile whose file this view writes; undefined for config.toml's. */
  readonly profile: string | undefined;
  /** config.toml's view, beneath a profile's. */
  readonly #under: Config | undefined;
  /** On config.toml's view: each profile's, loaded once. */
  #views: Map<string, Config> | undefined;
  /** A profile's values over config.toml's, kept while neither changes. */
  #merged: { own: TomlTable; under: TomlTable; values: TomlTable } | undefined;
  #snapshot: ConfigSnapshot;
  /**
   * The snapshot's values with the queued edits made. Never changed in place: an edit makes a new root that
   * copies only the tables along its path, so a large config is not copied on load or on each edit.
   */
  #values: TomlTable;
  #edits: Edit[] = [];

  private constructor(home: string, path: string, snapshot: ConfigSnapshot, profile?: string, under?: Config) {
    this.home = home;
    this.path = path;
    this.profile = profile;
    this.#under = under;
    this.#snapshot = snapshot;
    this.#values = snapshot.values;
  }

  /**
   * Reads config.toml, and the profile's file over it when one is named. A missing file is an empty one; a
   * malformed one throws ConfigParseError.
   */
  static async load(options: LoadOptions = {}): Promise<Config> {
    const home = options.codexHome ?? codexHome(options.env ?? process.env);
    const path = configPath(home);
    const base = new Config(home, path, readIn(home, path));
    return options.profile === undefined ? base : base.view(options.profile);
  }

  /** config.toml's view (this one, when this is config.toml's). */
  get base(): Config {
    return this.#under ?? this;
  }

  /**
   * The view for an account: "default" is config.toml's; a profile's is its `NAME.config.toml` over
   * config.toml. Each file is read once, when first asked for; the name must be a profile name.
   */
  view(name: string): Config {
    const base = this.base;
    if (name === DEFAULT_ACCOUNT) return base;
    if (name === this.profile) return this;
    base.#views ??= new Map();
    let view = base.#views.get(name);
    if (view === undefined) {
      const path = profilePath(base.home, name);
      view = new Config(base.home, path, readIn(base.home, path), name, base);
      base.#views.set(name, view);
    }
    return view;
  }

  /** The views whose files this one's values come from, config.toml's first. */
  get layers(): Config[] {
    return this.#under === undefined ? [this] : [this.#under, this];
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
    return structuredClone(getPath(this.#effective(), toPath(path)));
  }

  /** The value at a key path in this view's own file alone (a profile's, without config.toml's beneath). */
  own(path: KeyPath): unknown {
    return structuredClone(getPath(this.#values, toPath(path)));
  }

  /** The file a key's value comes from, for messages: this one's, or config.toml's beneath a profile's. */
  origin(path: KeyPath): string {
    const under = this.#under;
    if (under === undefined || getPath(this.#values, toPath(path)) !== undefined) return this.path;
    return under.get(path) !== undefined ? under.path : this.path;
  }

  /** The error for a key whose value is not `expected`, naming the file the value comes from (origin). */
  invalid(key: string, expected: string): ConfigValueError {
    return new ConfigValueError(this.origin(key), key, expected);
  }

  /** This file's values (the queued edits made), over config.toml's for a profile's view. */
  #effective(): TomlTable {
    const under = this.#under;
    if (under === undefined) return this.#values;
    const below = under.#values;
    const cached = this.#merged;
    if (cached?.own === this.#values && cached.under === below) return cached.values;
    const values = mergeTables(withoutKeys(below, CREDENTIAL_KEYS), this.#values);
    this.#merged = { own: this.#values, under: below, values };
    return values;
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
    const result = await saveEdits(this.path, this.#edits, this.#snapshot, this.#fileOptions());
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
        { ...options, ...this.#fileOptions() },
        this.#snapshot,
      );
      this.#reset(result);
      return value;
    } finally {
      this.#edits = [];
    }
  }

  /** A file codex creates begins with a header, and is deleted when only the header is left. */
  #fileOptions(): UpdateOptions {
    return { header: this.profile === undefined ? CONFIG_HEADER : profileHeader(this.profile) };
  }

  #reset(snapshot: ConfigSnapshot): void {
    this.#snapshot = snapshot;
    this.#values = snapshot.values;
  }
}

/**
 * A file of CODEX_HOME, read. A file where CODEX_HOME should be is named as CODEX_HOME, the word the user
 * knows (and can change), not as a parent of config.toml.
 */
function readIn(home: string, path: string): ConfigSnapshot {
  try {
    return readConfig(path);
  } catch (err) {
    if (!(err instanceof ConfigAccessError) || err.syscallCode !== "ENOTDIR") throw err;
    const blocker = notDirectoryAbove(path);
    if (blocker === undefined || (blocker.path !== home && !home.startsWith(`${blocker.path}/`))) throw err;
    const problem =
      blocker.path === home
        ? `CODEX_HOME ${home} ${blocker.is}`
        : `CODEX_HOME ${home} cannot be a directory: ${blocker.path} ${blocker.is}`;
    const fix =
      blocker.path === home
        ? `rename or remove ${home} (codex creates the directory when you sign in), or set CODEX_HOME to a directory`
        : "set CODEX_HOME to a directory";
    const short = blocker.path === home ? "rename or remove it, or set CODEX_HOME to a directory" : fix;
    throw new ConfigAccessError(blocker.path, `${problem}; ${short}`, "ENOTDIR", { cause: err, problem, fix });
  }
}
