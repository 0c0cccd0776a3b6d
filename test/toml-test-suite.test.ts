/**
 * The toml-lang/toml-test suite through login and logout (#17, item 7): every valid document is a
 * config.toml that `login --with-api-key` then `logout` give back byte for byte (and that still reads as
 * the same values, plus `auth_token`, in between); every invalid one is refused with `path:line:col:
 * reason` and left as it was (bytes, mtime, nothing beside it).
 *
 * The files: node_modules/.cache/toml-test, which scripts/install-toml-test.sh (`npm test`'s pretest)
 * fills from Debian's golang-github-burntsushi-toml-dev; or any toml-test `tests` directory named by
 * CODEX_TOML_TEST_DIR, to run the newest suite by hand:
 *
 *   git clone https://github.com/toml-lang/toml-test /tmp/toml-test
 *   CODEX_TOML_TEST_DIR=/tmp/toml-test/tests npx vitest run test/toml-test-suite.test.ts
 *
 * A directory with a `files-toml-1.0.0` list (the suite's own, since 2024) runs the files it names; one
 * without (Debian's, from 2022) runs every file, which is TOML 1.0 but for valid/string/escape-esc (the
 * `\e` escape of TOML 1.1: that suite's version.go leaves it out of 1.0.0; smol-toml and Codex read it, so
 * it round-trips like the rest).
 *
 * Every file goes through the library in this process, each in its own CODEX_HOME (the CLI is these
 * functions: spawning it twice for ~700 files takes minutes); a sample of each kind also goes through the
 * built CLI, to show that path is the same.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { decodeToml, parseToml } from "../src/config/toml-text.js";
import { ConfigParseError, loginWithApiKey, logout } from "../src/index.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const DIR = process.env.CODEX_TOML_TEST_DIR ?? join(ROOT, "node_modules", ".cache", "toml-test");
const KEY = "sk-toml-test-0123456789abcdefKEY";

/**
 * Invalid in TOML 1.0, valid in TOML 1.1, which smol-toml and OpenAI's Codex CLI (0.169.0, checked with
 * `codex login status` on each file) both read: codex loads these, so they must round-trip as valid files
 * do. Names of both suites (Debian's 2022 one numbers linebreak-N without a leading zero).
 */
const TOML_1_1: Record<string, string> = {
  "invalid/datetime/no-secs.toml": "TOML 1.1 makes the seconds of a time optional",
  "invalid/local-datetime/no-secs.toml": "TOML 1.1 makes the seconds of a time optional",
  "invalid/local-time/no-secs.toml": "TOML 1.1 makes the seconds of a time optional",
  "invalid/inline-table/trailing-comma.toml": "TOML 1.1 allows a comma after an inline table's last pair",
  "invalid/string/basic-byte-escapes.toml": "TOML 1.1 adds the \\xHH escape",
  ...Object.fromEntries(
    ["1", "2", "3", "4", "01", "02", "03", "04"].map((n) => [
      `invalid/inline-table/linebreak-${n}.toml`,
      "TOML 1.1 allows line breaks (and comments) inside inline tables",
    ]),
  ),
};

/**
 * Files codex treats otherwise by design: none so far. (A valid file whose `auth_token` were a table, or
 * whose `cli_auth_credentials_store` named no store, would be refused by login on purpose.)
 */
const OURS: Record<string, string> = {};

interface SuiteFile {
  /** As the suite names it: "valid/…/x.toml". */
  name: string;
  bytes: Buffer;
}

function suiteFiles(): SuiteFile[] {
  if (!existsSync(join(DIR, "valid")) || !existsSync(join(DIR, "invalid"))) {
    throw new Error(`no toml-test suite in ${DIR}: run \`bash scripts/install-toml-test.sh\` (npm test does)`);
  }
  const list = join(DIR, "files-toml-1.0.0");
  const names = existsSync(list)
    ? readFileSync(list, "utf8")
        .split("\n")
        .filter((n) => n.endsWith(".toml"))
    : ["valid", "invalid"].flatMap((kind) =>
        (readdirSync(join(DIR, kind), { recursive: true }) as string[])
          .filter((n) => n.endsWith(".toml"))
          .map((n) => `${kind}/${n}`),
      );
  return names.sort().map((name) => ({ name, bytes: readFileSync(join(DIR, name)) }));
}

const files = suiteFiles();
const valid = files.filter((f) => f.name.startsWith("valid/") || TOML_1_1[f.name] !== undefined);
const invalid = files.filter((f) => f.name.startsWith("invalid/") && TOML_1_1[f.name] === undefined);
const root = tempDir("codex-toml-test-");

/** A fresh CODEX_HOME holding `bytes` as config.toml, its mtime set in the past so a rewrite shows. */
function homeWith(file: SuiteFile, n: number): { home: string; codexHome: string; configFile: string } {
  const home = join(root, String(n));
  const codexHome = join(home, ".codex");
  mkdirSync(codexHome, { recursive: true, mode: 0o700 });
  const configFile = join(codexHome, "config.toml");
  writeFileSync(configFile, file.bytes, { mode: 0o600 });
  utimesSync(configFile, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
  return { home, codexHome, configFile };
}

function values(bytes: Buffer): Record<string, unknown> {
  return parseToml(decodeToml(bytes, "config.toml").body, "config.toml");
}

/** The state a refused command must leave: the file's bytes and mtime, and the directory's names. */
function state(codexHome: string, configFile: string) {
  return { bytes: readFileSync(configFile), mtimeMs: statSync(configFile).mtimeMs, names: readdirSync(codexHome) };
}

/** Why the library refused the file (a ConfigParseError naming the file, a line and a column). */
async function expectRefused(promise: Promise<unknown>, configFile: string, name: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${name} was accepted`).toBeInstanceOf(ConfigParseError);
  const message = (err as Error).message;
  expect(message.startsWith(`${configFile}:`), message).toBe(true);
  expect(message.slice(configFile.length), message).toMatch(/^:\d+:\d+: \S[^\n]*$/);
}

let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`toml-test (${existsSync(join(DIR, "VERSION")) ? readFileSync(join(DIR, "VERSION"), "utf8").trim() : DIR})`, () => {
  test("the suite is there, with its exceptions", () => {
    expect(valid.length).toBeGreaterThan(90);
    expect(invalid.length).toBeGreaterThan(200);
    for (const name of Object.keys(OURS))
      expect(
        files.some((f) => f.name === name),
        name,
      ).toBe(true);
  });

  test(`every valid file (and TOML 1.1 addition Codex reads) round-trips through login and logout`, async () => {
    const failures: string[] = [];
    for (const file of valid) {
      if (OURS[file.name] !== undefined) continue;
      const { codexHome, configFile } = homeWith(file, counter++);
      try {
        const before = values(file.bytes);
        await loginWithApiKey(KEY, { codexHome, env: {} });
        const stored = readFileSync(configFile);
        expect(values(stored)).toEqual({ ...before, auth_token: KEY });
        await logout({ codexHome, env: {}, revoke: false });
        expect(readFileSync(configFile).equals(file.bytes), "logout gives back the original bytes").toBe(true);
      } catch (err) {
        failures.push(`${file.name}: ${(err as Error).message.split("\n", 1)[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test("every invalid file is refused by login and logout, and left as it was", async () => {
    const failures: string[] = [];
    for (const file of invalid) {
      if (OURS[file.name] !== undefined) continue;
      const { codexHome, configFile } = homeWith(file, counter++);
      const before = state(codexHome, configFile);
      try {
        await expectRefused(loginWithApiKey(KEY, { codexHome, env: {} }), configFile, file.name);
        expect(state(codexHome, configFile)).toEqual(before);
        await expectRefused(logout({ codexHome, env: {}, revoke: false }), configFile, file.name);
        expect(state(codexHome, configFile)).toEqual(before);
      } catch (err) {
        failures.push(`${file.name}: ${(err as Error).message.split("\n", 1)[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe("a sample through the built CLI gives the same answers", () => {
    /** `count` files spread evenly over `list`. */
    const sample = (list: SuiteFile[], count: number) =>
      Array.from(
        { length: Math.min(count, list.length) },
        (_, i) => list[Math.floor((i * list.length) / count)] as SuiteFile,
      );

    /** Runs `check` on each item, `width` at a time (two cores, shared). */
    async function each<T>(items: T[], width: number, check: (item: T) => Promise<void>): Promise<void> {
      const queue = [...items];
      await Promise.all(
        Array.from({ length: width }, async () => {
          for (let item = queue.shift(); item !== undefined; item = queue.shift()) await check(item);
        }),
      );
    }

    test("10 valid files: codex login --with-api-key, then codex logout, give back the bytes", async () => {
      await each(sample(valid, 10), 3, async (file) => {
        const { home, configFile } = homeWith(file, counter++);
        const login = await runCli(["login", "--with-api-key"], { home, input: `${KEY}\n` });
        expect(login.stderr, file.name).toBe("");
        expect(login.code, file.name).toBe(0);
        expect(values(readFileSync(configFile)), file.name).toEqual({ ...values(file.bytes), auth_token: KEY });
        const out = await runCli(["logout"], { home });
        expect(out.code, file.name).toBe(0);
        expect(readFileSync(configFile).equals(file.bytes), file.name).toBe(true);
      });
    });

    test("10 invalid files: codex login and codex logout print the library's error in one line, exit 1, touch nothing", async () => {
      await each(sample(invalid, 10), 3, async (file) => {
        const { home, codexHome, configFile } = homeWith(file, counter++);
        const before = state(codexHome, configFile);
        const library = await loginWithApiKey(KEY, { codexHome, env: {} }).catch((e: unknown) => e as Error);
        expect(library, file.name).toBeInstanceOf(ConfigParseError);
        for (const args of [["login", "--with-api-key"], ["logout"]]) {
          const r = await runCli(args, { home, input: `${KEY}\n` });
          expect(r.code, file.name).toBe(1);
          expect(r.stderr, file.name).toBe(`error: ${(library as Error).message}\n`);
          expect(state(codexHome, configFile), file.name).toEqual(before);
        }
      });
    });
  });
});
