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
  longFlag,
  PROGRAM_DESCRIPTION,
  PROGRAM_EXAMPLES,
  PROGRAM_FLAGS,
  summarySentence,
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
    const long = longFlag(name, f);
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
  return ["Examples:", examplesBlock(lines)].join("\n\n");
}

/** Where each command is described in full. */
const MORE: Record<string, string> = {
  login: "[`codex login`](authentication.md#codex-login) in authentication.md",
  logout: "[`codex logout`](authentication.md#codex-logout) in authentication.md",
  status: "[`codex status`](authentication.md#codex-status-also-codex-login-status) in authentication.md",
  token: "[Other tools and scripts](authentication.md#other-tools-and-scripts) in authentication.md",
  run: "[`codex run` and `codex chat`](authentication.md#codex-run-and-codex-chat) in authentication.md",
  chat: "[`codex run` and `codex chat`](authentication.md#codex-run-and-codex-chat) in authentication.md",
  doctor: "[When something is wrong](authentication.md#when-something-is-wrong) in authentication.md",
  completion: "[Shell completion](../README.md#shell-completion) in the README",
};

/** A paragraph as one line: the source's line breaks are only for the source (help.ts wraps them again). */
const paragraph = (text: string) => text.trim().split(/\s+/).join(" ");

function commandSection(spec: CommandSpec): string {
  return [
    `## codex ${spec.name}`,
    summarySentence(spec),
    ["```text", usageLine(spec), "```"].join("\n"),
    flagTable(spec.flags),
    exampleBlock(spec.examples),
    ...spec.about.map(paragraph),
    `More: ${MORE[spec.name] ?? "[authentication.md](authentication.md)"}.`,
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
    exampleBlock(PROGRAM_EXAMPLES),
    `${EXIT_STATUS} See [authentication.md](authentication.md) for where credentials are stored and how each way of signing in works.`,
    ...COMMANDS.map(commandSection),
  ].join("\n\n")}\n`;
}
