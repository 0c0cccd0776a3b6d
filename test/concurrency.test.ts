/**
 * Concurrent writers never lose each other's updates and never leave a torn or corrupt file: many node
 * processes using the library, the CLI logging in and out, and writers in one process, all on one
 * CODEX_HOME at once.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Config } from "codex-credentials";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { homeWithConfig, type RunResult, removeAfterTest, runCli, runNodeScript } from "./helpers.js";

/** A node process that loads the config, sets `k<IDX> = IDX`, saves, and prints what save() returned. */
const WRITER = `
  import { Config } from "codex-credentials";
  const i = Number(process.env.IDX);
  const config = await Config.load();
  config.set("k" + i, i);
  const saved = await config.save();
  process.stdout.write(JSON.stringify({ saved, value: config.get("k" + i) }));
`;

const SEED = [
  "# shared config — comments must survive every writer",
  'model = "o3"   # keep me',
  "",
  "[model_providers.local]",
  'name = "Local"',
  'base_url = "http://127.0.0.1:11434/v1"',
  "",
].join("\n");

function writer(codexHome: string, i: number): Promise<RunResult> {
  return runNodeScript(WRITER, {
    env: { PATH: process.env.PATH, LANG: "C.UTF-8", CODEX_HOME: codexHome, IDX: String(i) },
    timeoutMs: 60_000,
  });
}

/** Reads and parses the file over and over until `until` settles; returns how many reads failed to parse. */
async function watchWhile<T>(file: string, until: Promise<T>): Promise<{ result: T; reads: number; bad: string[] }> {
  let done = false;
  const bad: string[] = [];
  let reads = 0;
  const watching = (async () => {
    while (!done) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        bad.push(`read failed: ${(err as Error).message}`);
        break;
      }
      reads++;
      try {
        parse(text.replace(/^\uFEFF/, ""));
      } catch (err) {
        bad.push(`unparsable (${(err as Error).message.split("\n")[0]}): ${JSON.stringify(text)}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    return { result: await until, reads, bad };
  } finally {
    done = true;
    await watching;
  }
}

/** The file with the lines concurrent writers add (k<i> and auth_token) removed. */
function withoutAddedLines(text: string): string {
  return text.replace(/^(k\d+ = \d+|auth_token = "[^"]*")\n/gm, "");
}

describe("concurrent writers", () => {
  test("20 processes each set their own key and save at once: all 20 keys are in the file", async () => {
    const { home, codexHome, configFile } = homeWithConfig(SEED, "codex-conc-");
    removeAfterTest(home);
    const n = 20;
    const { result: runs, bad } = await watchWhile(
      configFile,
      Promise.all(Array.from({ length: n }, (_, i) => writer(codexHome, i))),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ saved: true, value: i });
    }
    expect(bad).toEqual([]);

    const text = readFileSync(configFile, "utf8");
    const parsed = parse(text) as Record<string, unknown>;
    for (let i = 0; i < n; i++) expect(parsed[`k${i}`]).toBe(i);
    expect(parsed.model).toBe("o3");
    expect(parsed.model_providers).toEqual({ local: { name: "Local", base_url: "http://127.0.0.1:11434/v1" } });
    // Every writer added exactly its own line among the top-level keys and changed nothing else.
    expect(text.match(/^k\d+ = \d+$/gm)).toHaveLength(n);
    expect(withoutAddedLines(text)).toBe(SEED);
    // No lock, breaker or temp file is left behind.
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("CLI logins and logouts racing library writers never corrupt the file or lose a key", async () => {
    const { home, codexHome, configFile } = homeWithConfig(SEED, "codex-conc-");
    removeAfterTest(home);
    const loginKeys = Array.from({ length: 5 }, (_, i) => `sk-concurrent-${i}-0123456789abcdef`);
    const procs: Array<Promise<RunResult>> = [];
    const writers = 8;
    for (let i = 0; i < writers; i++) {
      procs.push(writer(codexHome, i));
      if (i < loginKeys.length) {
        procs.push(runCli(["login", "--with-api-key"], { home, input: `${loginKeys[i]}\n`, timeoutMs: 60_000 }));
        procs.push(runCli(["logout"], { home, timeoutMs: 60_000 }));
      }
    }
    const { result: runs, bad } = await watchWhile(configFile, Promise.all(procs));
    for (const r of runs) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      for (const key of loginKeys) expect(r.stdout).not.toContain(key);
    }
    expect(bad).toEqual([]);

    const text = readFileSync(configFile, "utf8");
    const parsed = parse(text) as Record<string, unknown>;
    for (let i = 0; i < writers; i++) expect(parsed[`k${i}`]).toBe(i);
    expect(parsed.auth_token === undefined || loginKeys.includes(parsed.auth_token as string)).toBe(true);
    expect(text.match(/^auth_token = /gm)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(withoutAddedLines(text)).toBe(SEED);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);

    // A final logout gives back the seed plus the writers' keys, and nothing else.
    const out = await runCli(["logout"], { home });
    expect(out.code).toBe(0);
    const final = readFileSync(configFile, "utf8");
    expect(final).not.toContain("auth_token");
    expect(withoutAddedLines(final)).toBe(SEED);
  });

  test("simultaneous first logins into a home that does not exist yet: one clean file, one of the keys", async () => {
    const { home, codexHome, configFile } = homeWithConfig(undefined, "codex-conc-");
    removeAfterTest(home);
    rmSync(codexHome, { recursive: true });
    const keys = Array.from({ length: 8 }, (_, i) => `sk-first-login-${i}-0123456789abcdef`);
    const runs = await Promise.all(
      keys.map((key) => runCli(["login", "--with-api-key"], { home, input: `${key}\n`, timeoutMs: 60_000 })),
    );
    for (const r of runs) {
      expect([r.code, r.stderr]).toEqual([0, ""]);
      for (const key of keys) expect(r.stdout).not.toContain(key);
    }
    const text = readFileSync(configFile, "utf8");
    const stored = /^# Created by codex-credentials;[^\n]*\nauth_token = "(.*)"\n$/.exec(text)?.[1];
    expect(keys).toContain(stored);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("many Config objects in one process saving at once all keep their change", async () => {
    const { home, codexHome, configFile } = homeWithConfig(SEED, "codex-conc-");
    removeAfterTest(home);
    const configs = await Promise.all(Array.from({ length: 12 }, () => Config.load({ codexHome })));
    for (const [i, config] of configs.entries()) config.set(`k${i}`, i);
    const saved = await Promise.all(configs.map((c) => c.save()));
    expect(saved).toEqual(configs.map(() => true));
    const parsed = parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    for (let i = 0; i < configs.length; i++) expect(parsed[`k${i}`]).toBe(i);
    expect(withoutAddedLines(readFileSync(configFile, "utf8"))).toBe(SEED);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  });

  test("processes updating the same key: the file always parses and ends with one of the values", async () => {
    const { home, codexHome, configFile } = homeWithConfig(SEED, "codex-conc-");
    removeAfterTest(home);
    const script = `
      import { Config } from "codex-credentials";
      const config = await Config.load();
      config.set("model", "writer-" + process.env.IDX);
      config.set("model_providers.local.name", "name-" + process.env.IDX);
      await config.save();
    `;
    const { result: runs, bad } = await watchWhile(
      configFile,
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          runNodeScript(script, {
            env: { PATH: process.env.PATH, CODEX_HOME: codexHome, IDX: String(i) },
            timeoutMs: 60_000,
          }),
        ),
      ),
    );
    for (const r of runs) expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(bad).toEqual([]);
    const parsed = parse(readFileSync(configFile, "utf8")) as {
      model: string;
      model_providers: { local: { name: string } };
    };
    // Each save applies both of its edits together, under one lock: the two values come from one writer.
    const writerId = /^writer-(\d)$/.exec(parsed.model)?.[1];
    expect(writerId).toBeDefined();
    expect(parsed.model_providers.local.name).toBe(`name-${writerId}`);
    expect(readFileSync(configFile, "utf8")).toBe(
      SEED.replace('"o3"', `"writer-${writerId}"`).replace('"Local"', `"name-${writerId}"`),
    );
  });
});

describe("50 processes at once", () => {
  /**
   * A team's config: providers, MCP servers, projects, and codex 0.1.0's [profiles.NAME] tables, each holding
   * its key (which the next login or logout of that profile moves out) beside the user's own settings.
   */
  function seedConfig(loggedIn: string[]): string {
    const out = [
      "# ~/.codex/config.toml — managed by hand; every comment here must survive",
      'model = "gpt-5-codex"  # default for all profiles',
      'approval_policy = "on-request"',
      "",
      "[history]",
      'persistence = "save-all"',
      "",
    ];
    for (let i = 0; i < 20; i++) {
      out.push(
        `# provider ${i}`,
        `[model_providers.prov${i}]`,
        `name = "Provider ${i}"`,
        `base_url = "http://127.0.0.1:${8000 + i}/v1"  # local gateway`,
        `env_key = "PROV${i}_KEY"`,
        "request_max_retries = 4",
        "",
        `[mcp_servers.srv${i}]`,
        'command = "npx"',
        `args = ["-y", "@acme/mcp-${i}", '--root=C:\\src\\repo${i}']  # pinned`,
        'env = { LOG_LEVEL = "info" }',
        "",
        `[projects."/home/dev/src/repo-${i}"]`,
        'trust_level = "trusted"',
        "",
      );
    }
    for (const name of loggedIn) {
      out.push(
        `# profile ${name}: keep this comment`,
        `[profiles.${name}]`,
        `model = "o3"  # ${name}'s model`,
        `auth_token = "sk-conc50-old-${name}-0123456789abcdef"`,
        'approval_policy = "never"',
        "",
      );
    }
    return out.join("\n");
  }

  const LIB_WRITER = `
    import { Config } from "codex-credentials";
    const i = process.env.IDX;
    const config = await Config.load();
    config.set(["projects", "/home/dev/src/lib-" + i, "trust_level"], "trusted");
    config.set(["model_providers", "prov" + i, "request_max_retries"], 10 + Number(i));
    try {
      await config.save();
    } catch (err) {
      if (err.code !== "LOCK_TIMEOUT") throw err;
      process.stderr.write("error: " + err.message + "\\n");
      process.exitCode = 1;
    }
  `;

  test("logins of 35 profiles, logouts of 10 and 5 library writers: no update lost, comments kept, 0600", async () => {
    const loginNames = Array.from({ length: 35 }, (_, i) => `p${i}`);
    const logoutNames = Array.from({ length: 10 }, (_, i) => `lo${i}`);
    const libIds = Array.from({ length: 5 }, (_, i) => i);
    // Half of the profiles logged in, and all logged out of, are codex 0.1.0's tables in config.toml: each of
    // those writes config.toml, as the library writers do, all at once. The others write only their own file.
    const seed = seedConfig([...logoutNames, ...loginNames.slice(0, 18)]);
    const { home, codexHome, configFile } = homeWithConfig(seed, "codex-conc50-");
    removeAfterTest(home);
    const keyOf = (name: string) => `sk-conc50-new-${name}-0123456789abcdef`;
    const allKeys = [...loginNames.map(keyOf), ...logoutNames.map((n) => `sk-conc50-old-${n}-0123456789abcdef`)];

    type Op = { kind: "login"; name: string } | { kind: "logout"; name: string } | { kind: "library"; id: number };
    // Interleaved: login, login, logout, login, login, logout, ..., with a library writer every tenth.
    const ops: Op[] = [];
    const queues = { login: [...loginNames], logout: [...logoutNames], library: [...libIds] };
    for (let slot = 0; ops.length < 50; slot++) {
      if (slot % 10 === 9 && queues.library.length > 0)
        ops.push({ kind: "library", id: queues.library.shift() as number });
      else if (slot % 3 === 2 && queues.logout.length > 0)
        ops.push({ kind: "logout", name: queues.logout.shift() as string });
      else if (queues.login.length > 0) ops.push({ kind: "login", name: queues.login.shift() as string });
      else if (queues.logout.length > 0) ops.push({ kind: "logout", name: queues.logout.shift() as string });
      else ops.push({ kind: "library", id: queues.library.shift() as number });
    }
    expect(ops).toHaveLength(50);

    const started = (op: Op): Promise<RunResult> => {
      if (op.kind === "login") {
        return runCli(["login", "--profile", op.name, "--with-api-key"], {
          home,
          input: `${keyOf(op.name)}\n`,
          timeoutMs: 60_000,
        });
      }
      if (op.kind === "logout") return runCli(["logout", "--profile", op.name], { home, timeoutMs: 60_000 });
      return runNodeScript(LIB_WRITER, {
        env: { PATH: process.env.PATH, LANG: "C.UTF-8", CODEX_HOME: codexHome, IDX: String(op.id) },
        timeoutMs: 60_000,
      });
    };
    const { result: runs, bad } = await watchWhile(configFile, Promise.all(ops.map(started)));
    expect(bad).toEqual([]);

    // Every process succeeded, or gave up on the lock with the one clear line (and then changed nothing).
    const lockLine = new RegExp(
      `^error: another codex process is updating a config file \\(lock ${configFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.lock held for over \\d+\\.\\d s\\); try again, or remove the lock file if no codex process is running\\n$`,
    );
    const timedOut = new Set<Op>();
    for (const [i, r] of runs.entries()) {
      const op = ops[i] as Op;
      for (const key of allKeys) expect(r.stdout + r.stderr).not.toContain(key);
      if (r.code === 1 && lockLine.test(r.stderr)) timedOut.add(op);
      else {
        // A login that moved a key out of [profiles.NAME] says what of the user's is left there.
        const stderr = r.stderr.replace(/^warning: \S+ has a legacy \[profiles\.\w+\] table[^\n]*\n$/, "");
        expect({ op, code: r.code, signal: r.signal, stderr }).toEqual({ op, code: 0, signal: null, stderr: "" });
      }
    }
    // Contention may make a few wait past the 10 s lock timeout on a loaded machine, not most of them.
    expect(timedOut.size).toBeLessThan(ops.length / 2);

    const text = readFileSync(configFile, "utf8");
    const want = parse(seed) as {
      profiles: Record<string, Record<string, unknown>>;
      model_providers: Record<string, Record<string, unknown>>;
      projects: Record<string, Record<string, unknown>>;
    };
    const profileFiles: string[] = [];
    for (const op of ops) {
      if (timedOut.has(op)) continue;
      if (op.kind === "login") {
        // The key leaves its table (the user's settings stay), and the new one is in the profile's own file.
        delete want.profiles[op.name]?.auth_token;
        const file = join(codexHome, `${op.name}.config.toml`);
        expect(parse(readFileSync(file, "utf8"))).toEqual({ auth_token: keyOf(op.name) });
        expect(statSync(file).mode & 0o777).toBe(0o600);
        profileFiles.push(`${op.name}.config.toml`);
      } else if (op.kind === "logout") {
        delete want.profiles[op.name]?.auth_token;
      } else {
        want.projects[`/home/dev/src/lib-${op.id}`] = { trust_level: "trusted" };
        (want.model_providers[`prov${op.id}`] as Record<string, unknown>).request_max_retries = 10 + op.id;
      }
    }
    // No lost update, no logged-out key left, nothing else changed (a timed-out process changed nothing).
    expect(parse(text)).toEqual(want);
    // Every comment of the seed is still there, in order.
    const comments = seed.split("\n").filter((line) => line.includes("#"));
    const lines = text.split("\n");
    let at = 0;
    for (const comment of comments) {
      at = lines.indexOf(comment, at);
      expect(at, `comment line ${JSON.stringify(comment)}`).toBeGreaterThanOrEqual(0);
      at++;
    }
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(codexHome).sort()).toEqual(["config.toml", ...profileFiles].sort());
  }, 60_000);
});
