/**
 * The library, as a program using it sees it: imported from "codex-credentials" (the built package, through the
 * package's self-reference), pointed at throwaway homes with explicit `codexHome` and `env`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuthRequiredError,
  CancelledError,
  CodexError,
  Config,
  ConfigAccessError,
  ConfigEditError,
  ConfigParseError,
  codexHome as defaultCodexHome,
  credentialSourceSetting,
  ExitCode,
  LockTimeoutError,
  loginWithApiKey,
  logout,
  openClient,
  status,
} from "codex-credentials";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { freePort, homeWithConfig, ROOT, removeAfterTest, runNodeScript, tempDir, CREATED } from "./helpers.js";
import { chatEvents, status as httpStatus, responsesEvents, sse, startProvider } from "./support/provider.js";

const KEY = "sk-library-0123456789abcdefWXYZ";

/** A throwaway codex home with config.toml holding `content` (or no file), removed after the test. */
function home(content?: string | Buffer): { dir: string; file: string } {
  const made = homeWithConfig(content, "codex-lib-");
  removeAfterTest(made.home);
  return { dir: made.codexHome, file: made.configFile };
}

function stamp(file: string): { ino: bigint; mtimeNs: bigint; bytes: Buffer } {
  const st = statSync(file, { bigint: true });
  return { ino: st.ino, mtimeNs: st.mtimeNs, bytes: readFileSync(file) };
}

const SAMPLE = [
  "# sample config",
  'model = "o3"  # default',
  "",
  "[model_providers.local]",
  'name = "Local"',
  'base_url = "http://127.0.0.1:11434/v1"',
  "",
  '[profiles."dotted.name"]',
  'model = "o4-mini"',
  "",
].join("\n");

describe("Config.load", () => {
  test("a missing file is an empty config, and loading creates nothing", async () => {
    const parent = removeAfterTest(tempDir("codex-lib-"));
    const dir = join(parent, "does", "not", "exist");
    const config = await Config.load({ codexHome: dir });
    expect(config.exists).toBe(false);
    expect(config.home).toBe(dir);
    expect(config.path).toBe(join(dir, "config.toml"));
    expect(config.authToken).toBeUndefined();
    expect(config.get("model")).toBeUndefined();
    expect(config.hasChanges).toBe(false);
    expect(existsSync(join(parent, "does"))).toBe(false);
  });

  test("CODEX_HOME from an explicit env wins; otherwise HOME/.codex", async () => {
    const { dir } = home('model = "from-env-home"\n');
    const viaEnv = await Config.load({ env: { CODEX_HOME: dir, HOME: "/nonexistent" } });
    expect(viaEnv.path).toBe(join(dir, "config.toml"));
    expect(viaEnv.get("model")).toBe("from-env-home");

    const h = removeAfterTest(tempDir("codex-lib-"));
    const viaHome = await Config.load({ env: { HOME: h } });
    expect(viaHome.home).toBe(join(h, ".codex"));
    expect(defaultCodexHome({ HOME: h, CODEX_HOME: "" })).toBe(join(h, ".codex"));
  });

  test("reads values by dotted path and by array path (keys containing dots)", async () => {
    const { dir } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    expect(config.exists).toBe(true);
    expect(config.get("model")).toBe("o3");
    expect(config.get("model_providers.local.base_url")).toBe("http://127.0.0.1:11434/v1");
    expect(config.get(["model_providers", "local", "name"])).toBe("Local");
    expect(config.get(["profiles", "dotted.name", "model"])).toBe("o4-mini");
    expect(config.get("profiles.dotted.name.model")).toBeUndefined();
    expect(config.get("model.nothing.below")).toBeUndefined();
    expect(config.get("model_providers")).toEqual({
      local: { name: "Local", base_url: "http://127.0.0.1:11434/v1" },
    });
  });

  test("get returns a copy: mutating it changes neither the config nor the file", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    const providers = config.get("model_providers") as { local: { name: string } };
    providers.local.name = "mutated";
    expect(config.get("model_providers.local.name")).toBe("Local");
    expect(config.hasChanges).toBe(false);
    expect(await config.save()).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);
  });
});

describe("authToken", () => {
  test("get, set, save, clear: the file gains and then loses exactly one line", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    expect(config.authToken).toBeUndefined();
    config.authToken = KEY;
    expect(config.authToken).toBe(KEY);
    expect(config.hasChanges).toBe(true);
    // Nothing is written before save().
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);
    expect(await config.save()).toBe(true);
    expect(config.hasChanges).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(SAMPLE.replace("# default\n", `# default\nauth_token = "${KEY}"\n`));
    expect((await Config.load({ codexHome: dir })).authToken).toBe(KEY);

    config.authToken = undefined;
    expect(config.authToken).toBeUndefined();
    expect(await config.save()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);
    expect((await Config.load({ codexHome: dir })).authToken).toBeUndefined();
  });

  test("an empty or non-string auth_token is no credential", async () => {
    const empty = home('auth_token = ""\n');
    expect((await Config.load({ codexHome: empty.dir })).authToken).toBeUndefined();
    const numeric = home("auth_token = 12345\n");
    expect((await Config.load({ codexHome: numeric.dir })).authToken).toBeUndefined();
    expect((await status({ codexHome: numeric.dir, env: {} })).authenticated).toBe(false);
  });

  test("saving into a missing home creates the directory (0700) and the file (0600)", async () => {
    const parent = removeAfterTest(tempDir("codex-lib-"));
    const dir = join(parent, "new-home");
    const config = await Config.load({ codexHome: dir });
    config.authToken = KEY;
    expect(await config.save()).toBe(true);
    expect(readFileSync(join(dir, "config.toml"), "utf8")).toBe(`${CREATED}auth_token = "${KEY}"\n`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "config.toml")).mode & 0o777).toBe(0o600);
    expect(config.exists).toBe(true);
  });
});

describe("set, delete, save", () => {
  test("set replaces a value in place and adds new keys to the right table", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    config.set("model", "gpt-5");
    config.set("model_providers.local.wire_api", "chat");
    config.set(["profiles", "dotted.name", "approval_policy"], "never");
    expect(config.get("model")).toBe("gpt-5");
    expect(await config.save()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(
      [
        "# sample config",
        'model = "gpt-5"  # default',
        "",
        "[model_providers.local]",
        'name = "Local"',
        'base_url = "http://127.0.0.1:11434/v1"',
        'wire_api = "chat"',
        "",
        '[profiles."dotted.name"]',
        'model = "o4-mini"',
        'approval_policy = "never"',
        "",
      ].join("\n"),
    );
  });

  test("set of a path under new tables creates them; values of every TOML type read back", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    const when = new Date("2024-01-02T03:04:05.000Z");
    config.set("a.b.c", "deep");
    config.set(["x.y", "z"], 1);
    config.set("types.int", 42);
    config.set("types.float", 1.5);
    config.set("types.bool", false);
    config.set("types.list", [1, "two", [3]]);
    config.set("types.inline", { k: "v", "spaced key": true });
    config.set("types.when", when);
    config.set("types.text", 'quote " backslash \\ newline \n tab \t ctrl \u0001 unicode é🚀');
    expect(await config.save()).toBe(true);

    const text = readFileSync(file, "utf8");
    expect(text.startsWith(SAMPLE)).toBe(true);
    const parsed = parse(text) as Record<string, unknown>;
    expect(parsed.a).toEqual({ b: { c: "deep" } });
    expect(parsed["x.y"]).toEqual({ z: 1 });
    const again = await Config.load({ codexHome: dir });
    expect(again.get("a.b.c")).toBe("deep");
    expect(again.get(["x.y", "z"])).toBe(1);
    expect(again.get("types.int")).toBe(42);
    expect(again.get("types.float")).toBe(1.5);
    expect(again.get("types.bool")).toBe(false);
    expect(again.get("types.list")).toEqual([1, "two", [3]]);
    expect(again.get("types.inline")).toEqual({ k: "v", "spaced key": true });
    expect((again.get("types.when") as Date).getTime()).toBe(when.getTime());
    expect(again.get("types.text")).toBe('quote " backslash \\ newline \n tab \t ctrl \u0001 unicode é🚀');
  });

  test("delete removes the key's whole line and nothing else", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    config.delete("model_providers.local.base_url");
    config.set("model", undefined);
    expect(config.get("model")).toBeUndefined();
    expect(await config.save()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(
      SAMPLE.replace('model = "o3"  # default\n', "").replace('base_url = "http://127.0.0.1:11434/v1"\n', ""),
    );
  });

  test("deleting a dotted top-level key keeps every other line (comments included)", async () => {
    const original = '# mine\nmodel = "o3"\nhistory.persistence = "none"  # private\n\n[tui]\ntheme = "dark"\n';
    const { dir, file } = home(original);
    const config = await Config.load({ codexHome: dir });
    config.delete("history.persistence");
    expect(await config.save()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe('# mine\nmodel = "o3"\n\n[tui]\ntheme = "dark"\n');
  });

  test("setting a key next to a dotted key, or inside an inline table, changes no other line", async () => {
    const original = [
      "# mine",
      'model = "o3"  # default',
      'history.persistence = "none"   # private',
      'tui = { theme = "dark" }  # inline',
      "",
      "[model_providers.local]",
      'name = "Local" ',
      "",
    ].join("\n");
    const { dir, file } = home(original);
    const config = await Config.load({ codexHome: dir });
    config.set("history.max_bytes", 1000);
    config.set("tui.animations", false);
    expect(await config.save()).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(parse(text)).toMatchObject({
      history: { persistence: "none", max_bytes: 1000 },
      tui: { theme: "dark", animations: false },
    });
    const lines = text.split("\n");
    // Every line but the inline table's is still there, in order, byte for byte.
    const untouched = original.split("\n").filter((l) => !l.startsWith("tui = "));
    expect(lines.filter((l) => untouched.includes(l))).toEqual(untouched);
    expect(lines.length).toBe(original.split("\n").length + 1);
  });

  test("save() is false and touches nothing: no edits, a same-value set, deleting a missing key", async () => {
    const { dir, file } = home(SAMPLE);
    const before = stamp(file);
    const config = await Config.load({ codexHome: dir });
    expect(await config.save()).toBe(false);

    config.set("model", "o3");
    config.delete("no_such_key");
    config.delete("no_such_table.key");
    expect(config.hasChanges).toBe(true);
    expect(await config.save()).toBe(false);
    expect(config.hasChanges).toBe(false);

    // Setting then unsetting a new key nets out too.
    config.set("temp", 1);
    config.delete("temp");
    expect(await config.save()).toBe(false);
    expect(stamp(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["config.toml"]);
  });

  test("save() with nothing to do on a missing home creates nothing", async () => {
    const parent = removeAfterTest(tempDir("codex-lib-"));
    const config = await Config.load({ codexHome: join(parent, "h") });
    config.delete("auth_token");
    expect(await config.save()).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  test("save() applies edits to the file as it is on disk, keeping another writer's change", async () => {
    const { dir, file } = home(SAMPLE);
    const first = await Config.load({ codexHome: dir });
    const second = await Config.load({ codexHome: dir });
    first.set("model", "first");
    second.set("sandbox_mode", "read-only");
    expect(await first.save()).toBe(true);
    expect(await second.save()).toBe(true);
    const parsed = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(parsed.model).toBe("first");
    expect(parsed.sandbox_mode).toBe("read-only");
    // After saving, the object reflects the file as written, other writers' changes included.
    expect(second.get("model")).toBe("first");
  });

  test("invalid edits are ConfigEditError (code CONFIG_EDIT) and leave the file alone", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    const attempts: Array<() => void> = [
      () => config.set("model.sub", 1), // under a string
      () => config.set("", 1),
      () => config.set("a..b", 1),
      () => config.set([], 1),
      () => config.set("nothing", null),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigEditError);
      expect(caught).toBeInstanceOf(CodexError);
      expect((caught as ConfigEditError).code).toBe("CONFIG_EDIT");
      expect((caught as ConfigEditError).exitCode).toBe(ExitCode.failure);
    }
    expect(await config.save()).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  test.each<[string, unknown]>([
    ["a symbol", Symbol("nope")],
    ["a function", () => 1],
    ["undefined inside an array", [1, undefined]],
    ["null inside a table", { nested: null }],
    ["a bigint beyond 64 bits", 10n ** 30n],
    ["an integer beyond 2^53", 2 ** 60],
    ["an invalid Date", new Date("not a date")],
    ["a cyclic object", cyclic],
  ])("%s is refused with ConfigEditError (from set or save) and nothing is written", async (_name, value) => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    let caught: unknown;
    try {
      config.set("bad", value);
      await config.save();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigEditError);
    expect((caught as ConfigEditError).code).toBe("CONFIG_EDIT");
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);
    expect(readdirSync(dir)).toEqual(["config.toml"]);
  });

  test("a Map is either stored with its entries or refused, never silently written as an empty table", async () => {
    const { dir, file } = home(SAMPLE);
    const config = await Config.load({ codexHome: dir });
    let caught: unknown;
    try {
      config.set("mapped", new Map([["a", 1]]));
      await config.save();
    } catch (err) {
      caught = err;
    }
    if (caught === undefined) expect((await Config.load({ codexHome: dir })).get("mapped")).toEqual({ a: 1 });
    else {
      expect(caught).toBeInstanceOf(ConfigEditError);
      expect(readFileSync(file, "utf8")).toBe(SAMPLE);
    }
  });
});

describe("errors", () => {
  test("a malformed file is a ConfigParseError with path, 1-based line and column, code and exit code", async () => {
    const { dir, file } = home('model = "o3"\nbroken = \n');
    const err = await Config.load({ codexHome: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigParseError);
    expect(err).toBeInstanceOf(CodexError);
    expect(err).toBeInstanceOf(Error);
    const e = err as ConfigParseError;
    expect(e.code).toBe("CONFIG_PARSE");
    expect(e.exitCode).toBe(1);
    expect(e.path).toBe(file);
    expect(e.line).toBe(2);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(typeof e.reason).toBe("string");
    expect(e.reason.length).toBeGreaterThan(0);
    expect(e.message).toBe(`${file}:2:${e.column}: ${e.reason}`);
  });

  test("error classes keep their names in the built package (err.name, stack traces)", async () => {
    const { dir } = home("x = \n");
    const err = (await Config.load({ codexHome: dir }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe("ConfigParseError");
    expect(ConfigParseError.name).toBe("ConfigParseError");
    expect(new LockTimeoutError("/tmp/x.lock", 1000).name).toBe("LockTimeoutError");
    expect(String(err).startsWith("ConfigParseError: ")).toBe(true);
  });

  test("a parse error never quotes the offending text (it may be a key)", async () => {
    const secret = "sk-SECRET-do-not-print-0123456789";
    for (const content of [`auth_token = "${secret}\n`, `auth_token = ${secret}\n`, `model = "o3"\n"${secret}\n`]) {
      const { dir } = home(content);
      const err = (await Config.load({ codexHome: dir }).catch((e: unknown) => e)) as ConfigParseError;
      expect(err).toBeInstanceOf(ConfigParseError);
      expect(err.message).not.toContain("SECRET");
      expect(err.reason).not.toContain("SECRET");
      expect(String(err.stack)).not.toContain("SECRET");
    }
  });

  test("invalid UTF-8 is a ConfigParseError at the first bad byte", async () => {
    const { dir } = home(
      Buffer.concat([Buffer.from('model = "o3"\nname = "ab'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]),
    );
    const err = (await Config.load({ codexHome: dir }).catch((e: unknown) => e)) as ConfigParseError;
    expect(err).toBeInstanceOf(ConfigParseError);
    expect(err.line).toBe(2);
    expect(err.column).toBe(11);
    expect(err.message).toContain("UTF-8");
  });

  test("saving over a malformed file fails and leaves it byte for byte", async () => {
    const { dir, file } = home('model = "o3"\n');
    const config = await Config.load({ codexHome: dir });
    writeFileSync(file, "model = [unclosed\n");
    config.authToken = KEY;
    await expect(config.save()).rejects.toBeInstanceOf(ConfigParseError);
    expect(readFileSync(file, "utf8")).toBe("model = [unclosed\n");
    expect(readdirSync(dir)).toEqual(["config.toml"]);
  });

  test("a config path that is a directory is a ConfigAccessError (code CONFIG_ACCESS)", async () => {
    const { dir, file } = home();
    mkdirSync(file);
    const err = (await Config.load({ codexHome: dir }).catch((e: unknown) => e)) as ConfigAccessError;
    expect(err).toBeInstanceOf(ConfigAccessError);
    expect(err.code).toBe("CONFIG_ACCESS");
    expect(err.exitCode).toBe(1);
    expect(err.path).toBe(file);
  });
});

// SAMPLE sets `model = "o3"` and no provider: the built-in one.
const DEFAULT_PROVIDER = {
  id: "openai",
  name: "OpenAI",
  baseUrl: "https://api.openai.com/v1",
  wireApi: "responses",
  model: "o3",
};
// The default account, selected by nothing; no keyring or auth_command failure, nothing to warn about.
const ACCOUNT_FIELDS = {
  account: "default",
  accountSelectedBy: null,
  active: true,
  credentialError: null,
  envKey: null,
  missingEnvKey: null,
  ignoredEnv: [],
  credentialSource: "auto",
  ignoredBySetting: null,
  insecureHttp: [],
  warnings: [],
};

describe("openClient(): the credential it hides", () => {
  test("client.credential.hides names the stored key a variable overrides, and codex prints nothing itself", async () => {
    const { dir, file } = home(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    const envKey = "sk-environment-key-00000000abcd";
    const writes: unknown[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof process.stderr.write;
    let client: Awaited<ReturnType<typeof openClient>>;
    try {
      client = await openClient({ config, env: { OPENAI_API_KEY: envKey } });
    } finally {
      process.stderr.write = write;
    }
    expect(writes).toEqual([]);
    expect(client.credential.source).toEqual({ type: "env", variable: "OPENAI_API_KEY" });
    expect(client.credential.hides).toEqual({
      source: { type: "file", path: file },
      what: "the API key",
      hint: "sk-…WXYZ",
      message: `using OPENAI_API_KEY from the environment, not the API key stored in ${file} (sk-…WXYZ); unset OPENAI_API_KEY, or set credential_source = "stored" in ${file}, to use the stored one`,
    });
    expect(JSON.stringify(client.credential.hides)).not.toContain(KEY);
    expect((await openClient({ config, env: {} })).credential.hides).toBeUndefined();
    // The setting, read as every command reads it: the variable is then not used.
    const stored = await Config.load({ codexHome: home(`credential_source = "stored"\nauth_token = "${KEY}"\n`).dir });
    expect(credentialSourceSetting(stored)).toBe("stored");
    const own = await openClient({ config: stored, env: { OPENAI_API_KEY: envKey } });
    expect(own.credential.source.type).toBe("file");
    expect(own.credential.hides).toBeUndefined();
  });
});

describe("status() and logout()", () => {
  test("status with an explicit env: file credential, then an env variable that shadows it", async () => {
    const { dir, file } = home(SAMPLE);
    const none = await status({ codexHome: dir, env: {} });
    expect(none).toEqual({
      authenticated: false,
      method: null,
      source: null,
      hint: null,
      session: null,
      configPath: file,
      legacy: false,
      shadowed: null,
      provider: DEFAULT_PROVIDER,
      providerError: null,
      ...ACCOUNT_FIELDS,
    });

    await loginWithApiKey(`${KEY}\n`, { codexHome: dir, env: {} });
    const stored = await status({ codexHome: dir, env: {} });
    expect(stored).toEqual({
      authenticated: true,
      method: "api_key",
      source: { type: "file", path: file },
      hint: "sk-…WXYZ",
      session: null,
      configPath: file,
      legacy: false,
      shadowed: null,
      provider: DEFAULT_PROVIDER,
      providerError: null,
      ...ACCOUNT_FIELDS,
    });

    const envKey = "sk-environment-key-00000000abcd";
    const shadowed = await status({ codexHome: dir, env: { OPENAI_API_KEY: envKey, CODEX_API_KEY: "  " } });
    expect(shadowed.source).toEqual({ type: "env", variable: "OPENAI_API_KEY" });
    expect(shadowed.hint).toBe("sk-…abcd");
    expect(shadowed.shadowed).toEqual({ path: file, hint: "sk-…WXYZ" });
    expect(JSON.stringify([none, stored, shadowed])).not.toContain(KEY);
    expect(JSON.stringify(shadowed)).not.toContain(envKey);

    // The process's own environment is not consulted when env is given.
    const before = process.env.CODEX_API_KEY;
    process.env.CODEX_API_KEY = "sk-process-env-should-be-ignored";
    try {
      expect((await status({ codexHome: dir, env: {} })).source).toEqual({ type: "file", path: file });
    } finally {
      if (before === undefined) delete process.env.CODEX_API_KEY;
      else process.env.CODEX_API_KEY = before;
    }
  });

  test("logout removes the stored key (byte-for-byte original), then is a no-op that touches nothing", async () => {
    const { dir, file } = home(SAMPLE);
    await loginWithApiKey(KEY, { codexHome: dir, env: {} });
    expect(readFileSync(file, "utf8")).not.toBe(SAMPLE);

    const result = await logout({ codexHome: dir, env: { CODEX_API_KEY: "sk-still-here-000000000000" } });
    expect(result).toEqual({
      removed: true,
      removedFrom: [file],
      revocation: null,
      revocationSkipped: null,
      stillAuthenticatedBy: ["CODEX_API_KEY"],
      accounts: [
        {
          account: "default",
          removedFrom: [file],
          revocation: null,
          revocationSkipped: null,
          managedBy: null,
          failures: [],
        },
      ],
      codexAuth: null,
      failures: [],
    });
    expect(readFileSync(file, "utf8")).toBe(SAMPLE);

    const before = stamp(file);
    const again = await logout({ codexHome: dir, env: {} });
    expect(again).toEqual({
      removed: false,
      removedFrom: [],
      revocation: null,
      revocationSkipped: null,
      stillAuthenticatedBy: [],
      accounts: [
        {
          account: "default",
          removedFrom: [],
          revocation: null,
          revocationSkipped: null,
          managedBy: null,
          failures: [],
        },
      ],
      codexAuth: null,
      failures: [],
    });
    expect(stamp(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["config.toml"]);
  });

  test("logout with no home at all creates nothing", async () => {
    const parent = removeAfterTest(tempDir("codex-lib-"));
    const result = await logout({ codexHome: join(parent, "missing"), env: {} });
    expect(result.removed).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  test("status and logout accept an already loaded Config", async () => {
    const { dir, file } = home(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    expect((await status({ config, env: {} })).authenticated).toBe(true);
    expect((await logout({ config, env: {} })).removed).toBe(true);
    expect(config.authToken).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe("");
    expect((await status({ config, env: {} })).authenticated).toBe(false);
  });
});

describe("the package export", () => {
  test('`import { Config } from "codex-credentials"` resolves from the repository root in a plain node process', async () => {
    const { dir, file } = home(SAMPLE);
    const script = `
      import { Config, logout, status } from "codex-credentials";
      const config = await Config.load({ codexHome: process.argv.at(-1) ?? "" });
      config.set("from_script", true);
      const saved = await config.save();
      const st = await status({ config, env: {} });
      const out = await logout({ config, env: {} });
      process.stdout.write(JSON.stringify({ saved, authenticated: st.authenticated, removed: out.removed, model: config.get("model") }));
    `.replace('process.argv.at(-1) ?? ""', JSON.stringify(dir));
    const r = await runNodeScript(script);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ saved: true, authenticated: false, removed: false, model: "o3" });
    expect((parse(readFileSync(file, "utf8")) as Record<string, unknown>).from_script).toBe(true);
  });

  test("the package name resolves to the built dist/index.js", async () => {
    const r = await runNodeScript('process.stdout.write(import.meta.resolve("codex-credentials"))');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`file://${join(ROOT, "dist", "index.js")}`);
  });
});

describe("env defaults to process.env", () => {
  // The README's example passes no env: openClient({ config }) once crashed reading CODEX_PROFILE of undefined.
  test("openClient, selectAccount, storeFor, systemKeyring, CommandStore and runAuthCommand read the process's variables", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["from ", "env"])));
    const { dir } = home("");
    writeFileSync(join(dir, "work.config.toml"), `auth_token = "${KEY}"\n`, { mode: 0o600 });
    const script = `
      import { CommandStore, Config, openClient, runAuthCommand, selectAccount, storeFor, systemKeyring } from "codex-credentials";
      const config = await Config.load();
      const account = selectAccount();
      const store = await storeFor(config, account);
      const client = await openClient({ config });
      const reply = await client.reply([{ role: "user", content: "hi" }]);
      const print = ["sh", "-c", 'printf %s "$LIB_TOKEN"'];
      process.stdout.write(JSON.stringify({
        account: account.name,
        store: store?.describe(),
        reply: reply.text,
        command: (await new CommandStore(print).get())?.token,
        run: await runAuthCommand(print),
        keyring: systemKeyring() === systemKeyring(process.env) && systemKeyring() !== systemKeyring({}),
      }));
    `;
    const r = await runNodeScript(script, {
      env: {
        PATH: process.env.PATH,
        LANG: "C.UTF-8",
        CODEX_HOME: dir,
        CODEX_PROFILE: "work",
        OPENAI_BASE_URL: server.baseUrl,
        LIB_TOKEN: "sk-from-the-environment-0123",
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/codex-lib-test",
      },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      account: "work",
      store: join(dir, "work.config.toml"),
      reply: "from env",
      command: "sk-from-the-environment-0123",
      run: "sk-from-the-environment-0123",
      keyring: true,
    });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe("openClient() and Client.reply()", () => {
  test("no credential: AuthRequiredError (exit 4) before anything is sent", async () => {
    const server = await startProvider();
    const { dir } = home();
    const config = await Config.load({ codexHome: dir });
    const err = await openClient({ config, env: { OPENAI_BASE_URL: server.baseUrl } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthRequiredError);
    expect(err).toMatchObject({ code: "AUTH_REQUIRED", exitCode: ExitCode.authRequired });
    expect(server.requests).toHaveLength(0);
  });

  test.each([
    ["the default transport (node:http)", undefined],
    ["the global fetch", globalThis.fetch],
  ])("streams a reply through %s", async (_name, fetch) => {
    const server = await startProvider();
    server.reply(
      sse(responsesEvents(["li", "b ", "ok"], { usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } })),
    );
    const { dir } = home(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    const client = await openClient({ config, env: { OPENAI_BASE_URL: server.baseUrl }, fetch });
    const pieces: string[] = [];
    const reply = await client.reply([{ role: "user", content: "hi" }], { onText: (t) => pieces.push(t) });
    expect(pieces).toEqual(["li", "b ", "ok"]);
    expect(reply).toEqual({
      text: "lib ok",
      model: "gpt-test",
      usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      incomplete: undefined,
    });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test.each([
    ["the default transport (node:http)", undefined],
    ["the global fetch", globalThis.fetch],
  ])(
    "Client.check() through %s: valid, then rejected, then unreachable; never throws for these",
    async (_name, fetch) => {
      const server = await startProvider();
      const models = httpStatus(200, { object: "list", data: [] });
      server.reply(models, httpStatus(401, { error: { message: "bad key" } }));
      const { dir } = home(`auth_token = "${KEY}"\n`);
      const config = await Config.load({ codexHome: dir });
      const client = await openClient({ config, env: { OPENAI_BASE_URL: server.baseUrl }, fetch });
      const valid = await client.check();
      expect(valid).toMatchObject({ result: "valid", status: 200, host: `127.0.0.1:${server.port}` });
      expect(valid.url).toBe(`${server.baseUrl}/models`);
      expect(server.requests[0]).toMatchObject({ method: "GET", path: "/v1/models" });
      const rejected = await client.check();
      expect(rejected).toMatchObject({ result: "rejected", status: 401 });
      expect(rejected.message).not.toContain(KEY);
      // A port nothing listens on: a closed test server can still reset a kept-alive socket instead.
      const closed = `http://127.0.0.1:${await freePort()}/v1`;
      const downClient = await openClient({ config, env: { OPENAI_BASE_URL: closed }, fetch });
      const down = await downClient.check();
      expect(down.result).toBe("unreachable");
      expect(down.message).toMatch(/connection refused/);
    },
  );

  test("the chat wire API and a model override", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["x"])));
    const { dir } = home(
      `auth_token = "${KEY}"\nmodel_provider = "local"\n[model_providers.local]\nbase_url = "${server.baseUrl}"\nwire_api = "chat"\n`,
    );
    const config = await Config.load({ codexHome: dir });
    const client = await openClient({ config, env: {}, model: "small" });
    expect((await client.reply([{ role: "user", content: "q" }])).text).toBe("x");
    expect(server.requests[0]?.path).toBe("/v1/chat/completions");
    expect(server.requests[0]?.body).toMatchObject({ model: "small", messages: [{ role: "user", content: "q" }] });
  });

  test("aborting the signal during a retry's wait stops it at once with CancelledError, no further request", async () => {
    const server = await startProvider();
    server.reply(httpStatus(503, { error: { message: "busy" } }, { "retry-after": "30" }));
    const { dir } = home(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    const client = await openClient({ config, env: { OPENAI_BASE_URL: server.baseUrl } });
    const controller = new AbortController();
    const pending = client.reply([{ role: "user", content: "hi" }], { signal: controller.signal }).catch((e) => e);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    controller.abort();
    expect(await pending).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(2000); // not the 30 s Retry-After
    expect(server.requests).toHaveLength(1);
  });

  test("aborting the signal stops the reply with CancelledError", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["first"], { omitEnd: true }), { hangAfter: true }));
    const { dir } = home(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    const client = await openClient({ config, env: { OPENAI_BASE_URL: server.baseUrl } });
    const controller = new AbortController();
    const err = await client
      .reply([{ role: "user", content: "hi" }], { signal: controller.signal, onText: () => controller.abort() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
  });
});
