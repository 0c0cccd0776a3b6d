/**
 * docs/cli.md, rendered from the command definitions in cli-spec.ts. `npm run docs` writes it; a test
 * renders it again and fails when the committed file differs, so the reference cannot drift from `--help`.
 * Not part of the executable's bundle.
 */
import {
  COMMANDS,
  type CommandSpec,
  EXIT_STATUS,
  type FlagSpec,
  GLOBAL_FLAGS,
  PROGRAM_DESCRIPTION,
  PROGRAM_EXAMPLES,
  PROGRAM_FLAGS,
  usageLine,
} from "./cli-spec.js";

/**
 * Examples test/docs-run.test.ts must not run, and why: each example command starting with one of these gets a
 * `<!-- not run `PREFIX`: WHY -->` marker above its block (the markers are explained at the top of that test).
 * Every other example is run there, in a throwaway home with a stand-in for OpenAI.
 */
const NOT_RUN: ReadonlyArray<readonly [prefix: string, why: string]> = [
  [
    "codex completion zsh",
    "for zsh, whose $fpath names the directory (test/completion.test.ts loads the script in zsh)",
  ],
  ["codex completion fish", "for fish, which makes that directory (test/completion.test.ts loads the script in fish)"],
];

/** A fenced block of example commands, with the markers its commands need. */
function examplesBlock(lines: string[]): string {
  const commands = lines.filter((l) => l.startsWith("$ ")).map((l) => l.slice(2));
  const markers = NOT_RUN.filter(([prefix]) => commands.some((c) => c.startsWith(prefix))).map(
    ([prefix, why]) => `<!-- not run \`${prefix}\`: ${why} -->`,
  );
  return [...markers, "```console", ...lines, "```"].join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function flagTable(flags: Record<string, FlagSpec>): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const long = `--${name}${f.value ? ` ${f.value}` : ""}`;
    return `| ${f.short ? `\`-${f.short}\`, ` : ""}\`${long}\` | ${cell(f.description)} |`;
  });
  return ["| Flag | Description |", "| --- | --- |", ...rows].join("\n");
}

/** `--help`'s free text: paragraphs as Markdown paragraphs, the examples as a console block. */
function helpBody(help: string): string {
  const [description = "", examples] = help.split(/\n?Examples:\n/);
  const paragraphs = description
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\n/g, " "))
    .filter((p) => p !== "");
  const out = [...paragraphs];
  if (examples !== undefined) {
    const lines = examples.split("\n").map((l) => l.replace(/^ {2}/, ""));
    out.push("Examples:", examplesBlock(lines));
  }
  return out.join("\n\n");
}

function commandSection(spec: CommandSpec): string {
  return [
    `## codex ${spec.name}`,
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    ["```text", usageLine(spec), "```"].join("\n"),
    flagTable(spec.flags),
    helpBody(spec.help),
  ].join("\n\n");
}

export function renderReference(): string {
  const toc = COMMANDS.map((c) => `- [\`codex ${c.name}\`](#codex-${c.name}): ${c.summary}`).join("\n");
  return `${[
    "# codex command-line reference",
    "<!-- Generated from src/cli-spec.ts by `npm run docs`. Do not edit by hand: a test fails when this file is out of date. -->",
    PROGRAM_DESCRIPTION,
    ["```text", "codex <command> [flags]", "```"].join("\n"),
    toc,
    "Flags before the command:",
    flagTable(PROGRAM_FLAGS),
    "Flags every command takes:",
    flagTable(GLOBAL_FLAGS),
    helpBody(PROGRAM_EXAMPLES),
    `${EXIT_STATUS} See [authentication.md](authentication.md) for where credentials are stored and how each way of signing in works.`,
    ...COMMANDS.map(commandSection),
  ].join("\n\n")}\n`;
}
