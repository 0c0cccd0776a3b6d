/**
 * Agreeing with OpenAI's Codex CLI on which config.toml is valid (#17, item 7): a date that does not exist.
 * smol-toml builds dates with JavaScript's Date and rolls `2023-02-30` over to March 2nd; Codex (the Rust
 * `toml` crate) refuses the file ("invalid date, expected day between 01 and 28"), so codex must not edit
 * it either. Each expectation below was checked against `@openai/codex@0.169.0` (`codex login status`).
 */
import { readdirSync, readFileSync, statSync, utimesSync } from "node:fs";
import { describe, expect, test, vi } from "vitest";
import { Config, ConfigParseError } from "../src/index.js";
import { homeWithConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const { scans } = vi.hoisted(() => ({ scans: { count: 0 } }));
vi.mock("../src/config/toml/dates.js", async (load) => {
  const real = await load<typeof import("../src/config/toml/dates.js")>();
  return {
    ...real,
    findImpossibleDate: (body: string) => {
      scans.count++;
      return real.findImpossibleDate(body);
    },
  };
});

/** Loads `text` as config.toml; the error it is refused with, or undefined. */
async function refusal(text: string): Promise<ConfigParseError | undefined> {
  const { codexHome } = homeWithConfig(text, "codex-toml-valid-");
  try {
    await Config.load({ codexHome });
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigParseError)) throw err;
    return err;
  }
}

/** `text` with one `@` where the value goes: the value in its place, and where `@` was (1-based). */
function place(template: string, value: string): { text: string; line: number; column: number } {
  const at = template.indexOf("@");
  const before = template.slice(0, at);
  const line = before.split("\n").length;
  return { text: template.replace("@", value), line, column: at - before.lastIndexOf("\n") };
}

/** Every place a value can be. */
const PLACES: Record<string, string> = {
  "top level": 'model = "o3"\nx = @\n',
  "a table": "[t]\nx = @ # a comment\n",
  "a dotted key in a table": "[t.u]\nv.w = @\n",
  "an array of tables": "[[t]]\nx = 1\n\n[[t]]\nx = @\n",
  "an inline table": "t = { a = 1, b = @ }\n",
  "an inline table in an inline table": "t = { a = { b = @ } }\n",
  "an array": "x = [ 2024-02-29, @ ]\n",
  "a multi-line array with comments": "x = [\n  1, # 2023-02-30 here is a comment\n  @,\n]\n",
  "an array of inline tables": 'x = [ { a = "]" }, { a = [ @ ] } ]\n',
  "after strings that look like dates": "s = \"2023-02-30\"\nl = '2023-02-30'\nx = @\n",
};

/** The date kinds TOML has, each with an impossible day. */
const KINDS: Record<string, (date: string) => string> = {
  "offset date-time (Z)": (d) => `${d}T10:00:00Z`,
  "offset date-time (+hh:mm)": (d) => `${d}T10:00:00.5+01:00`,
  "offset date-time, space-separated": (d) => `${d} 10:00:00-07:00`,
  "local date-time": (d) => `${d}T10:00:00`,
  "local date-time, space-separated, no seconds": (d) => `${d} 10:00`,
  "local date": (d) => d,
};

const IMPOSSIBLE: [string, string][] = [
  ["2100-02-29", "invalid date, expected day between 01 and 28"], // divisible by 100, not by 400
  ["1900-02-29", "invalid date, expected day between 01 and 28"],
  ["2023-02-29", "invalid date, expected day between 01 and 28"],
  ["2024-02-30", "invalid date, expected day between 01 and 29"],
  ["2023-02-31", "invalid date, expected day between 01 and 28"],
  ["2023-04-31", "invalid date, expected day between 01 and 30"],
  ["2023-06-31", "invalid date, expected day between 01 and 30"],
  ["2023-09-31", "invalid date, expected day between 01 and 30"],
  ["2023-11-31", "invalid date, expected day between 01 and 30"],
];

const REAL = ["2024-02-29", "2000-02-29", "0000-02-29", "2023-02-28", "2023-01-31", "2023-04-30", "2023-12-31"];

describe("a date that does not exist is refused like any other parse error", () => {
  for (const [where, template] of Object.entries(PLACES)) {
    test(`in ${where}, every kind of date`, async () => {
      for (const [kind, write] of Object.entries(KINDS)) {
        for (const [date, reason] of IMPOSSIBLE) {
          const { text, line, column } = place(template, write(date));
          const err = await refusal(text);
          expect(err, `${kind} ${date}`).toBeInstanceOf(ConfigParseError);
          expect(err, `${kind} ${date}`).toMatchObject({ code: "CONFIG_PARSE", line, column, reason });
          expect(err?.message).toMatch(/config\.toml:\d+:\d+: invalid date, expected day between 01 and (28|29|30)$/);
          expect(err?.message).not.toContain(date);
        }
      }
    });
  }

  test("real dates are read as written, leap days included", async () => {
    for (const [where, template] of Object.entries(PLACES)) {
      for (const date of REAL) {
        const { text } = place(template, `${date}T10:00:00Z`);
        expect(await refusal(text), `${where} ${date}`).toBeUndefined();
      }
    }
    const { codexHome } = homeWithConfig(`d = 2000-02-29\nt = { d = 2024-02-29T23:59:59Z }\n`, "codex-toml-valid-");
    const config = await Config.load({ codexHome });
    expect((config.get("d") as Date).toISOString()).toBe("2000-02-29T00:00:00.000Z");
    expect((config.get("t.d") as Date).toISOString()).toBe("2024-02-29T23:59:59.000Z");
  });

  test("the first impossible date is the one named", async () => {
    const err = await refusal("a = 2023-01-31\nb = [2023-04-30, 2023-04-31]\nc = 2023-02-30\n");
    expect(err).toMatchObject({ line: 2, column: 18, reason: "invalid date, expected day between 01 and 30" });
  });

  test("date-like keys, headers, strings and comments are not dates (Codex loads them)", async () => {
    const texts = [
      "2023-02-30 = 1\nd = 2023-01-01\n",
      "[2023-02-30]\nd = 2023-01-01\n",
      "[[2023-02-30]]\nd = 2023-01-01\n",
      "[a.2023-02-30.b]\nd = 2023-01-01\n",
      "t = { 2023-02-30 = 1, d = 2023-01-01 }\n",
      "t = { a.2023-02-30 = 1, d = [2023-01-01] }\n",
      'd = 2023-01-01\n"2023-02-30" = "2023-02-30"\n',
      "d = 2023-01-01\n'2023-02-30' = '2023-02-30'\n",
      'd = 2023-01-01\ns = "a \\" = 2023-02-30"\n',
      'd = 2023-01-01\ns = "a \\\\"\nt = "= 2023-02-30"\n',
      'd = 2023-01-01\ns = """\n= 2023-02-30\n"""\n',
      'd = 2023-01-01\ns = """a \\""" = 2023-02-30"""\n',
      'd = 2023-01-01\ns = """a""""\nt = """= 2023-02-30"""\n',
      "d = 2023-01-01\ns = '''\nx = 2023-02-30'''\n",
      "d = 2023-01-01\ns = '''a'''''\nt = '''= 2023-02-30'''\n",
      "d = 2023-01-01 # = 2023-02-30\n# x = 2023-02-30\n",
      "d = [2023-01-01, # = 2023-02-30\n]\n",
    ];
    for (const text of texts) expect(await refusal(text), text).toBeUndefined();
  });

  test("what smol-toml already refuses, as Codex does: day 00/32, month 00/13, hour 24, minute 60, second 61, offset ±24:00", async () => {
    for (const value of [
      "2023-01-00",
      "2023-01-32",
      "2023-00-10",
      "2023-13-10",
      "24:00:00",
      "2023-01-01T24:00:00Z",
      "23:60:00",
      "2023-01-01T10:60:00",
      "23:59:61",
      "2023-01-01T23:59:61Z",
      "2023-01-01T10:00:00+24:00",
      "2023-01-01T10:00:00-25:00",
      "2023-01-01T10:00:00+23:60",
      "2023-01-01T10:00:00.Z",
    ]) {
      expect(await refusal(`x = ${value}\n`), value).toMatchObject({ line: 1, column: 5 });
    }
    // Codex accepts these too.
    for (const value of ["2023-01-01T10:00:00+23:59", "2023-01-01T10:00:00-23:59", "10:00", "9999-12-31"]) {
      expect(await refusal(`x = ${value}\n`), value).toBeUndefined();
    }
  });

  test("a date broken in two by a space or line break is refused, as Codex refuses it; smol-toml reads it as one", async () => {
    // Found by the malformed-file fuzz: a profile login stored its credential, then could not edit the
    // config.toml it had loaded. Codex 0.169.0: "missing comma between array elements" / "key with no value".
    for (const [text, line, column] of [
      ["x = 1979-\n5-27\n", 1, 5],
      ["x = 1979- 5-27\n", 1, 5],
      ["x = [\n  1979-\n5-27,\n]\n", 2, 3],
      ["t = { a = 1979-\n5-27 }\n", 1, 11],
    ] as const) {
      expect(await refusal(text), text).toMatchObject({
        line,
        column,
        reason: "invalid date, expected YYYY-MM-DD without a break",
      });
    }
    // A key or string that begins like one is not a date.
    expect(await refusal('1979-x = 1\nd = 2023-01-01\ns = "1979- 5-27"\n')).toBeUndefined();
  });

  test("a leap second (:60) is refused, though Codex accepts it: smol-toml cannot represent it", async () => {
    // The one difference left, on the safe side: codex refuses to edit a file Codex would load.
    expect(await refusal("x = 23:59:60\n")).toMatchObject({ line: 1, column: 5, reason: "invalid date" });
  });

  test("a config without dates is not scanned for them; one with a date is scanned once", async () => {
    scans.count = 0;
    expect(await refusal('model = "o3"\n[t]\nx = [1, "2023-02-30", { a = 1.5 }]\n')).toBeUndefined();
    expect(scans.count).toBe(0);
    expect(await refusal('model = "o3"\n[t]\nx = [1, 2023-02-28]\n')).toBeUndefined();
    expect(scans.count).toBe(1);
  });
});

describe("the CLI refuses the file and leaves it untouched", () => {
  const SECRET = "sk-stored-0123456789abcdefSECRET";
  const TEXT = `auth_token = "${SECRET}"\n\n[[events]]\nname = "a"\nat = 2023-02-28T10:00:00Z\n\n[[events]]\nname = "b"\nat = 2023-02-30T10:00:00Z\n`;

  for (const args of [["login", "--with-api-key"], ["logout"], ["status"]]) {
    test(`codex ${args.join(" ")}: exit 1, one line with path:line:col and the reason, never the value`, async () => {
      const { home, codexHome, configFile } = homeWithConfig(TEXT, "codex-toml-valid-");
      utimesSync(configFile, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
      const before = statSync(configFile).mtimeMs;
      const r = await runCliInProcess(args, { home, input: "sk-new-0123456789abcdefNEWKEY\n" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: ${configFile}:9:6: invalid date, expected day between 01 and 28\n`);
      for (const text of [r.stdout, r.stderr]) {
        expect(text).not.toContain("2023-02-30");
        expect(text).not.toContain(SECRET);
      }
      expect(readFileSync(configFile, "utf8")).toBe(TEXT);
      expect(statSync(configFile).mtimeMs).toBe(before);
      expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    });
  }
});
