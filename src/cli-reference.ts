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
    out.push("Examples:", ["```console", ...lines, "```"].join("\n"));
  }
  return out.join("\n\n");
}

function commandSection(spec: CommandSpec): string {
  return [
    `## codex ${spec.name}`,
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    ["```", usageLine(spec), "```"].join("\n"),
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
    ["```", "codex <command> [flags]", "```"].join("\n"),
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
