/**
 * `codex completion bash|zsh|fish`: prints a completion script for the shell, generated from the command
 * definitions the CLI passes in (so it cannot drift from them). Profile names are not baked in: the script
 * runs `codex completion --profiles` when it needs them, so new profiles complete at once.
 */

import { isProfileName } from "../config/accounts.js";
import { Config } from "../config/config.js";
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";

export type Shell = "bash" | "zsh" | "fish";

/** What completion needs of a command's definition (src/cli-spec.ts's CommandSpec has it). */
export interface CompletionCommand {
  name: string;
  summary: string;
  flags: Record<string, CompletionFlag>;
  /** Fixed values of the positional argument (`completion`: bash, zsh, fish; `login`: status). */
  choices?: string[] | undefined;
}

export interface CompletionFlag {
  short?: string | undefined;
  description: string;
  /** Placeholder of the flag's value (`NAME`, `MODEL`, `PORT`); absent for switches. */
  value?: string | undefined;
}

export interface CompletionOptions extends Omit<CommandContext, "config"> {
  /** Print this shell's script. */
  shell?: Shell | undefined;
  /** Print the profile names in config.toml instead, one per line (what the scripts call). */
  profiles?: boolean | undefined;
  commands?: CompletionCommand[] | undefined;
  /** Flags every command takes (`--profile NAME`, `--help`, `--debug`). */
  globalFlags?: Record<string, CompletionFlag> | undefined;
}

export async function runCompletion(opts: CompletionOptions): Promise<ExitCode> {
  if (opts.profiles) {
    for (const name of await profileNames(opts)) opts.io.out(name);
    return 0;
  }
  throw new Error(`completion for ${opts.shell} is not written yet`);
}

/** `[profiles.NAME]` tables in config.toml, in file order; none when the file is missing or broken. */
async function profileNames(opts: CompletionOptions): Promise<string[]> {
  let config: Config;
  try {
    config = await Config.load({ env: opts.env });
  } catch {
    // Completion must never print an error into the user's command line.
    return [];
  }
  const profiles = config.get("profiles");
  if (typeof profiles !== "object" || profiles === null || Array.isArray(profiles)) return [];
  return Object.keys(profiles).filter(isProfileName);
}
