/**
 * Concurrent writers never lose each other's updates and never leave a torn or corrupt file: many node
 * processes using the library, the CLI logging in and out, and writers in one process, all on one
 * CODEX_HOME at once.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { Config } from "codex";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { homeWithConfig, type RunResult, removeAfterTest, runCli, runNodeScript } from "./helpers.js";

/** A node process that loads the config, sets `k<IDX> = IDX`, saves, and prints what save() returned. */
const WRITER = `
  import { Config } from "codex";
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
    const stored = /^auth_token = "(.*)"\n$/.exec(text)?.[1];
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
      import { Config } from "codex";
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
