/**
 * docs/cli.md, rendered from the command definitions in cli-spec.ts. `npm run docs` writes it; a test
 * renders it again and fails when the committed file differs, so the reference cannot drift from `--help`.
 * Not part of the executable's bundle.
 */
import {
  COMMANDS,
  type CommandSpec,
  EXIT_STATUS,
  type Example,
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

/** Worked examples as a console block, each comment aligned beside its command as in `--help`. */
function exampleBlock(list: readonly Example[]): string {
  const width = Math.max(0, ...list.filter(([, c]) => c !== undefined).map(([command]) => command.length));
  const lines = list.map(([command, comment]) =>
    comment === undefined ? `$ ${command}` : `$ ${command.padEnd(width)}  # ${comment}`,
  );
  return ["Examples:", ["```console", ...lines, "```"].join("\n")].join("\n\n");
}

/** A paragraph as one line: the source's line breaks are only for the source (help.ts wraps them again). */
const paragraph = (text: string) => text.trim().split(/\s+/).join(" ");

function commandSection(spec: CommandSpec): string {
  return [
    `## codex ${spec.name}`,
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    ["```", usageLine(spec), "```"].join("\n"),
    flagTable(spec.flags),
    exampleBlock(spec.examples),
    ...spec.about.map(paragraph),
    "More: [Command details](authentication.md#command-details) in authentication.md.",
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
    exampleBlock(PROGRAM_EXAMPLES),
    `${EXIT_STATUS} See [authentication.md](authentication.md) for where credentials are stored and how each way of signing in works.`,
    ...COMMANDS.map(commandSection),
  ].join("\n\n")}\n`;
}
