/**
 * Help that teaches, and a reference that cannot drift: every command's `--help` (from the CLI) has a
 * description and worked examples, and docs/cli.md is exactly what `npm run docs` renders from the command
 * definitions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { renderReference } from "../src/cli-reference.js";
import { COMMANDS } from "../src/cli-spec.js";
import { ROOT, testHome } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

describe("docs/cli.md", () => {
  test("is up to date with the command definitions (if not: run `npm run docs` and commit docs/cli.md)", () => {
    const committed = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
    // One assertion on the whole file: the diff vitest prints shows which lines drifted.
    expect(committed, "docs/cli.md is out of date: run `npm run docs`").toBe(renderReference());
  });

  test("has a section for every command, with each of its flags and its examples", () => {
    const doc = renderReference();
    for (const spec of COMMANDS) {
      const section = doc.split(`\n## codex ${spec.name}\n`)[1]?.split("\n## ")[0];
      expect(section, spec.name).toBeDefined();
      for (const flag of Object.keys(spec.flags)) expect(section, `${spec.name} --${flag}`).toContain(`\`--${flag}`);
      expect(section).toMatch(new RegExp(`\`\`\`console\\n\\$ [^\\n]*codex ${spec.name}\\b`));
    }
  });
});

describe("--help", () => {
  test.each(COMMANDS.map((c) => [c.name]))(
    "codex %s --help: usage, every flag, a description and worked examples",
    async (name) => {
      const home = testHome();
      const r = await runCliInProcess([name, "--help"], { home });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      const spec = COMMANDS.find((c) => c.name === name);
      expect(r.stdout).toMatch(new RegExp(`^Usage: codex ${name}\\b`, "m"));
      for (const flag of Object.keys(spec?.flags ?? {})) expect(r.stdout).toContain(`--${flag}`);
      // Usage, flags, examples, then the description (help.test.ts checks the layout and the width).
      const sections = r.stdout.split("\n\n");
      const at = sections.findIndex((s) => s.startsWith("Examples:\n"));
      const examples = sections[at] ?? "";
      const description = sections.slice(at + 1).filter((s) => !s.startsWith("More: "));
      // A description of at least a sentence or two, not just the summary line again.
      expect(description.join(" ").trim().length).toBeGreaterThan(100);
      const lines = examples.split("\n").filter((l) => l.startsWith("  $ "));
      expect(lines.length, `${name} has worked examples`).toBeGreaterThanOrEqual(3);
      // codex itself, or a program fed by it (`curl -H "Authorization: Bearer $(codex token)" …`).
      for (const line of lines)
        expect(line).toMatch(/^ {2}\$ (.+\| )?codex |^ {2}\$ (echo|printf|git|printenv)|\$\(codex /);
      // `codex help NAME` is the same page.
      const viaHelp = await runCliInProcess(["help", name], { home });
      expect(viaHelp.stdout).toBe(r.stdout);
    },
  );

  test("codex --help lists every command, with examples and the exit statuses", async () => {
    const r = await runCliInProcess(["--help"], { home: testHome() });
    expect(r.code).toBe(0);
    // At 80 columns (piped), a long summary wraps under itself.
    for (const spec of COMMANDS) {
      const summary = spec.summary.replace(/[()*]/g, "\\$&").split(" ").join("\\s+");
      expect(r.stdout).toMatch(new RegExp(`^  ${spec.name} +${summary}$`, "m"));
    }
    expect(r.stdout).toContain("Examples:\n  $ codex login\n");
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      "Exit status: 0 ok, 1 failure or not logged in, 2 usage error, 4 authentication required.",
    );
  });
});
