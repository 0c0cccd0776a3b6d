/**
 * `--help` that fits the terminal: on a real pseudo-terminal of 80 and of 120 columns (python3's pty, see
 * runCliInPty), piped (80, or COLUMNS), every page fills the width it has, never more, and loses nothing:
 * every flag with its description, every example and every paragraph is there, only wrapped. The prose is
 * short, and the help names the docs/ directory installed beside the bundle (a copy of dist/ elsewhere
 * points to its own docs/, or to none when it has none).
 */
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { COMMANDS, type CommandSpec, GLOBAL_FLAGS, PROGRAM_EXAMPLES, PROGRAM_FLAGS } from "../src/cli-spec.js";
import { ROOT, removeAfterTest, run, runCliInPty, tempDir, testHome } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

/** Every help page: the program's, each command's, and the alias `codex login status`. */
const PAGES: Array<{ args: string[]; spec?: CommandSpec }> = [
  { args: ["--help"] },
  ...COMMANDS.map((spec) => ({ args: [spec.name, "--help"], spec })),
  { args: ["login", "status", "--help"], spec: COMMANDS.find((c) => c.name === "status") },
];

const words = (text: string) => text.trim().split(/\s+/).join(" ");
/** The words of a page or a text, without the `#` that starts each line of an example's comment. */
const commentless = (text: string) =>
  words(text)
    .split(" ")
    .filter((w) => w !== "#")
    .join(" ");
const width = (line: string) => [...line].length;

/** What must be on the page, each as its words (wrapping may put any line break between them). */
function expectedTexts(spec: CommandSpec | undefined): string[] {
  const flags = spec === undefined ? PROGRAM_FLAGS : { ...spec.flags, ...GLOBAL_FLAGS };
  const texts = Object.entries(flags).map(([name, f]) => `--${name}${f.value ? ` ${f.value}` : ""} ${f.description}`);
  if (spec === undefined) {
    texts.push(...COMMANDS.map((c) => `${c.name} ${c.summary}`));
    texts.push(...PROGRAM_EXAMPLES.map(([command]) => `$ ${command}`));
    return texts;
  }
  for (const [command, comment] of spec.examples) texts.push(`$ ${command}`, ...(comment ? [`# ${comment}`] : []));
  return [...texts, ...spec.about];
}

/** Each line fits (or is one word that fits nowhere), and the page holds everything it should. */
function expectFits(output: string, columns: number, spec: CommandSpec | undefined): void {
  const lines = output.replace(/\n$/, "").split("\n");
  for (const line of lines) {
    if (width(line) > columns) expect(line.trim(), `a line wider than ${columns}`).not.toContain(" ");
  }
  const page = commentless(output);
  for (const text of expectedTexts(spec)) expect(page).toContain(commentless(text));
}

describe("on a terminal", () => {
  test.each([80, 120])("%i columns: every page fits, and nothing is lost", async (columns) => {
    const home = testHome();
    const results = await Promise.all(PAGES.map((page) => runCliInPty(page.args, { home, columns })));
    PAGES.forEach((page, i) => {
      const r = results[i];
      expect(r?.code, page.args.join(" ")).toBe(0);
      const output = (r?.output ?? "").replaceAll("\r\n", "\n");
      expect(output).toMatch(/^Usage: codex /m);
      expectFits(output, columns, page.spec);
      const longest = Math.max(...output.split("\n").map(width));
      // The terminal's width is used: past 80 on the wide one, up to the cap on readable line length.
      if (columns === 120) expect(longest).toBeGreaterThan(80);
      expect(longest).toBeLessThanOrEqual(Math.min(columns, 100));
    });
  });
});

describe("piped", () => {
  test("80 columns, and the same page a terminal of 80 gets", async () => {
    const home = testHome();
    for (const page of PAGES) {
      const piped = await runCliInProcess(page.args, { home });
      expect(piped.code).toBe(0);
      expectFits(piped.stdout, 80, page.spec);
      expect(Math.max(...piped.stdout.split("\n").map(width))).toBeGreaterThan(70);
    }
    const onTerminal = await runCliInPty(["logout", "--help"], { home, columns: 80 });
    const piped = await runCliInProcess(["logout", "--help"], { home });
    expect(onTerminal.output.replaceAll("\r\n", "\n")).toBe(piped.stdout);
  });

  test.each([
    ["60", 60],
    ["45", 45],
    ["0", 80],
    ["wide", 80],
    ["99999", 80],
  ])("COLUMNS=%s: %i columns", async (value, columns) => {
    const home = testHome();
    for (const page of PAGES) {
      const r = await runCliInProcess(page.args, { home, env: { COLUMNS: value } });
      expect(r.code).toBe(0);
      expectFits(r.stdout, columns, page.spec);
      expect(Math.max(...r.stdout.split("\n").map(width))).toBeGreaterThan(columns - 10);
    }
  });
});

test("flag descriptions keep their column and wrap under it", async () => {
  const r = await runCliInProcess(["logout", "--help"], { home: testHome() });
  const flags = r.stdout.split("Flags:\n")[1]?.split("\n\n")[0] ?? "";
  expect(flags).toBe(
    [
      "      --no-revoke     do not revoke OAuth sessions at the server",
      "      --all           sign out of every account, and remove OpenAI's Codex CLI's",
      "                      auth.json",
      "      --profile NAME  act on this account, $CODEX_HOME/NAME.config.toml",
      "                      (default: CODEX_PROFILE)",
      "  -h, --help          show help",
      "      --debug         show stack traces for errors",
    ].join("\n"),
  );
  const examples = r.stdout.split("Examples:\n")[1]?.split("\n\n")[0] ?? "";
  expect(examples).toContain("  $ codex logout --all        # every account, nothing left behind\n");
  expect(examples).toContain("  $ codex logout --no-revoke  # offline: forget the session, tell no server");
});

test("a narrow terminal: descriptions under their flags, comments above their commands", async () => {
  const r = await runCliInProcess(["logout", "--help"], { home: testHome(), env: { COLUMNS: "45" } });
  expect(r.stdout).toContain(
    "\nFlags:\n  --no-revoke\n      do not revoke OAuth sessions at the\n      server\n  --all\n      sign out of every account, and remove\n",
  );
  expect(r.stdout).toContain("\n  # offline: forget the session, tell no\n  # server\n  $ codex logout --no-revoke\n");
});

test("usage, flags and examples come first; the prose after them is short", async () => {
  for (const spec of COMMANDS) {
    const r = await runCliInProcess([spec.name, "--help"], { home: testHome() });
    const sections = r.stdout.split("\n\n").map((s) => s.split("\n")[0]);
    expect(sections[1], spec.name).toMatch(new RegExp(`^Usage: codex ${spec.name}\\b`));
    expect(sections.slice(2, 4), spec.name).toEqual(["Flags:", "Examples:"]);
    const prose = spec.about.map((p) => words(p).split(" ").length);
    for (const n of prose) expect(n, `${spec.name}: words in a paragraph`).toBeLessThanOrEqual(50);
    expect(
      prose.reduce((a, b) => a + b, 0),
      `${spec.name}: words of prose`,
    ).toBeLessThanOrEqual(80);
  }
});

describe("where the docs are", () => {
  test("the docs/ directory beside the bundle, by its absolute path", async () => {
    const docs = join(ROOT, "docs");
    const program = await runCliInProcess(["--help"], { home: testHome() });
    expect(program.stdout).toContain(`\nDocs, in ${docs}:\n  cli.md  `);
    expect(program.stdout).toMatch(/\n {2}authentication\.md +\S/);
    const command = await runCliInProcess(["logout", "--help"], { home: testHome() });
    expect(command.stdout.endsWith(`\n\nMore: ${join(docs, "authentication.md")}\n`)).toBe(true);
  });

  test("a copy of the package elsewhere names its own docs/, or none when it has none", async () => {
    const copy = removeAfterTest(tempDir("codex-help-copy-"));
    cpSync(join(ROOT, "dist"), join(copy, "dist"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(copy, "package.json"));
    const home = testHome();
    const bare = await run(process.execPath, [join(copy, "dist", "cli.cjs"), "--help"], { env: { HOME: home } });
    expect(bare.code).toBe(0);
    expect(bare.stdout).not.toContain("Docs");
    expect(bare.stdout).not.toContain(ROOT);
    const bareCommand = await run(process.execPath, [join(copy, "dist", "cli.cjs"), "status", "--help"], {
      env: { HOME: home },
    });
    expect(bareCommand.stdout).not.toContain("More:");

    mkdirSync(join(copy, "docs"));
    const withDocs = await run(process.execPath, [join(copy, "dist", "cli.cjs"), "--help"], { env: { HOME: home } });
    expect(withDocs.stdout).toContain(`\nDocs, in ${join(copy, "docs")}:\n`);
    expect(withDocs.stdout).not.toContain(ROOT);
  });
});
