/**
 * `--help`, laid out for the terminal it is read on: usage, flags and examples first, then a few lines of
 * prose, every paragraph wrapped to the width the caller gives (cli.ts: the terminal's, at most
 * MAX_WIDTH). Flag and command tables keep their descriptions in one column and wrap them with a hanging
 * indent; example comments stay aligned beside their commands while there is room, and go above them when
 * there is not. A line is longer than the width only when one word is (a long path): the terminal then
 * wraps it, and copying it still gives the whole word.
 *
 * Only `--help` loads this module (cli.ts imports it on demand), so commands with a start-up budget never
 * run it.
 */
import { join } from "node:path";
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
 * Lines longer than this are harder to read, however wide the terminal (typographers' 60–100 characters;
 * man(1) stops at 80, GitHub's CLI at 120). 100 fits the flag tables' descriptions on one line.
 */
export const MAX_WIDTH = 100;

export interface HelpLayout {
  /** Columns to fill: the terminal's width, already capped at MAX_WIDTH. */
  width: number;
  /** The installed package's docs/ directory, when it is there to point to. */
  docs?: string;
}

/** Columns a string takes: one per code point (help text has no wide or combining characters). */
function columns(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The words of `text` (any whitespace separates them; line breaks in the source are not kept) filled into
 * lines of at most `width` columns, greedily, the first line starting with `first` and the others with
 * `rest` (a hanging indent). A word that does not fit on a line of its own gets one anyway, unbroken.
 */
export function wrap(text: string, width: number, first = "", rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let used = columns(first);
  let empty = true;
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    const size = columns(word);
    if (!empty && used + 1 + size > width) {
      lines.push(line);
      line = rest;
      used = columns(rest);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    used += empty ? size : 1 + size;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(empty ? line.trimEnd() : line);
  return lines;
}

/**
 * Two columns: labels, then descriptions that wrap under themselves. A label too long for the column has
 * its description on the next line; when the terminal leaves the descriptions too little room beside the
 * labels, every description goes under its label.
 */
function table(rows: ReadonlyArray<readonly [string, string]>, width: number): string[] {
  const labelWidth = Math.min(24, Math.max(...rows.map(([label]) => columns(label))));
  const column = 2 + labelWidth + 2;
  const indent = " ".repeat(column);
  const stacked = width - column < 30;
  const out: string[] = [];
  for (const [label, text] of rows) {
    if (stacked) {
      out.push(...wrap(label, width, "  ", "    "), ...wrap(text, width, "      "));
    } else if (columns(label) > labelWidth) {
      out.push(`  ${label}`, ...wrap(text, width, indent));
    } else {
      out.push(...wrap(text, width, `  ${label}${" ".repeat(labelWidth - columns(label))}  `, indent));
    }
  }
  return out;
}

function flagRows(flags: Record<string, FlagSpec>): Array<[string, string]> {
  return Object.entries(flags).map(([name, f]) => {
    const long = longFlag(name, f);
    return [f.short ? `-${f.short}, ${long}` : `    ${long}`, f.description];
  });
}

/**
 * `  $ command` lines, each comment beside its command in one column (wrapping under itself), or, when the
 * column would leave a comment too little room, on its own line above the command.
 */
function examples(list: readonly Example[], width: number): string[] {
  const commented = list.filter(([, comment]) => comment !== undefined);
  const column = 4 + Math.max(0, ...commented.map(([command]) => columns(command))) + 2;
  const beside = width - column >= 20;
  const out: string[] = [];
  for (const [command, comment] of list) {
    if (comment !== undefined && beside) {
      const first = `  $ ${command}${" ".repeat(column - 4 - columns(command))}# `;
      out.push(...wrap(comment, width, first, `${" ".repeat(column)}# `));
      continue;
    }
    if (comment !== undefined) out.push(...wrap(comment, width, "  # "));
    out.push(...wrap(command, width, "  $ ", "      "));
  }
  return out;
}

function paragraphs(texts: readonly string[], width: number): string[] {
  return texts.map((text) => wrap(text, width).join("\n"));
}

const DOC_FILES: Array<[string, string]> = [
  ["cli.md", "every command and flag"],
  ["authentication.md", "signing in, where credentials are kept, signing out, when something is wrong"],
  ["security.md", "what codex defends against, and how"],
];

export function programHelp({ width, docs }: HelpLayout): string {
  const sections = [
    wrap(PROGRAM_DESCRIPTION, width).join("\n"),
    wrap("codex <command> [flags]", width, "Usage: ", "       ").join("\n"),
    ["Commands:", ...table(COMMANDS.map((c) => [c.name, c.summary]), width)].join("\n"),
    ["Flags:", ...table(flagRows(PROGRAM_FLAGS), width)].join("\n"),
    ["Examples:", ...examples(PROGRAM_EXAMPLES, width)].join("\n"),
    wrap(EXIT_STATUS, width).join("\n"),
  ];
  if (docs !== undefined) {
    sections.push([...wrap(`Docs, in ${docs}:`, width), ...table(DOC_FILES, width)].join("\n"));
  }
  return sections.join("\n\n");
}

export function commandHelp(spec: CommandSpec, { width, docs }: HelpLayout, path = spec.name): string {
  const sections = [
    wrap(summarySentence(spec), width).join("\n"),
    wrap(usageLine(spec, path), width, "Usage: ", "       ").join("\n"),
    ["Flags:", ...table(flagRows({ ...spec.flags, ...GLOBAL_FLAGS }), width)].join("\n"),
    ["Examples:", ...examples(spec.examples, width)].join("\n"),
    ...paragraphs(spec.about, width),
  ];
  if (docs !== undefined) sections.push(wrap(`More: ${join(docs, "authentication.md")}`, width).join("\n"));
  return sections.join("\n\n");
}
