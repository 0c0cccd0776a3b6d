/**
 * `codex completion bash|zsh|fish`: prints a completion script for the shell, generated from the command
 * definitions the CLI passes in (so it cannot drift from them). Profile names are not baked in: the script
 * runs `codex completion --profiles` when it needs them, so new profiles complete at once.
 *
 * Written by hand rather than with a library: the argument parser codex uses (node:util parseArgs) has no
 * completion support, and the three scripts are small. Each script finds the command word the same way the
 * CLI does: the first word that is not a flag or `--profile`'s value, with `login status` read as `status`.
 */

import { legacyProfiles, profileFiles } from "../config/accounts.js";
import { Config } from "../config/config.js";
import { codexHome } from "../config/paths.js";
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
  /** Flags taken before any command (`--version`, and the global ones). */
  programFlags?: Record<string, CompletionFlag> | undefined;
}

/** The flag whose value is a profile name, completed from config.toml. */
const PROFILE_FLAG = "profile";

export async function runCompletion(opts: CompletionOptions): Promise<ExitCode> {
  if (opts.profiles) {
    for (const name of await profileNames(opts)) opts.io.out(name);
    return 0;
  }
  const spec: CompletionSpec = {
    commands: [...(opts.commands ?? []), HELP_COMMAND],
    globalFlags: opts.globalFlags ?? {},
    programFlags: opts.programFlags ?? opts.globalFlags ?? {},
  };
  const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[opts.shell ?? "bash"](spec);
  opts.io.out(script.trimEnd());
  return 0;
}

/**
 * The profiles of CODEX_HOME: each `NAME.config.toml`, then each legacy `[profiles.NAME]` table of config.toml
 * (none when config.toml is missing or broken: completion never prints an error into the command line).
 */
async function profileNames(opts: CompletionOptions): Promise<string[]> {
  const names = profileFiles(codexHome(opts.env));
  try {
    for (const name of legacyProfiles(await Config.load({ env: opts.env }))) if (!names.includes(name)) names.push(name);
  } catch {}
  return names;
}

interface CompletionSpec {
  commands: CompletionCommand[];
  globalFlags: Record<string, CompletionFlag>;
  programFlags: Record<string, CompletionFlag>;
}

// `codex help COMMAND` is parsed before the command table, so it has no definition of its own.
const HELP_COMMAND: CompletionCommand = { name: "help", summary: "show help for a command", flags: {} };

function choicesOf(cmd: CompletionCommand, spec: CompletionSpec): string[] {
  if (cmd === HELP_COMMAND) return spec.commands.filter((c) => c !== HELP_COMMAND).map((c) => c.name);
  return cmd.choices ?? [];
}

function allFlags(cmd: CompletionCommand, spec: CompletionSpec): [string, CompletionFlag][] {
  return Object.entries(cmd === HELP_COMMAND ? {} : { ...cmd.flags, ...spec.globalFlags });
}

/** Flags that take a value, as the words a shell sees (`--model`, `-m`). */
function valueFlagWords(spec: CompletionSpec): string[] {
  const words = new Set<string>();
  const every = [spec.programFlags, spec.globalFlags, ...spec.commands.map((c) => c.flags)];
  for (const flags of every) {
    for (const [name, flag] of Object.entries(flags)) {
      if (flag.value === undefined) continue;
      words.add(`--${name}`);
      if (flag.short) words.add(`-${flag.short}`);
    }
  }
  return [...words];
}

function flagWords(flags: [string, CompletionFlag][]): string[] {
  return flags.flatMap(([name, f]) => [`--${name}`, ...(f.short ? [`-${f.short}`] : [])]);
}

/** A single-quoted word for bash and zsh. */
function sq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function bashScript(spec: CompletionSpec): string {
  const cases = spec.commands.map((cmd) => {
    const words = [...choicesOf(cmd, spec), ...flagWords(allFlags(cmd, spec))];
    return `    ${cmd.name}) words=${sq(words.join(" "))} ;;`;
  });
  const top = [...spec.commands.map((c) => c.name), ...flagWords(Object.entries(spec.programFlags))];
  const valueFlags = valueFlagWords(spec).filter((w) => w !== `--${PROFILE_FLAG}`);
  return `# codex completion for bash. Load it in ~/.bashrc:
#   source <(codex completion bash)
_codex() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" words i
  COMPREPLY=()
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    --${PROFILE_FLAG})
      words="$(command codex completion --profiles 2>/dev/null)"
      COMPREPLY=($(compgen -W "$words" -- "$cur"))
      return 0 ;;
${valueFlags.length > 0 ? `    ${valueFlags.join("|")}) return 0 ;;` : ""}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --${PROFILE_FLAG}) ((i++)) ;;
      -*) ;;
      *)
        if [[ -z "$cmd" ]]; then
          cmd="\${COMP_WORDS[i]}"
        elif [[ "$cmd" == login && "\${COMP_WORDS[i]}" == status ]]; then
          cmd=status
        else
          break
        fi ;;
    esac
  done
  case "$cmd" in
    "") words=${sq(top.join(" "))} ;;
${cases.join("\n")}
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _codex codex
`;
}

/** A zsh _arguments description: inside [...], so brackets are escaped. */
function zshDescription(text: string): string {
  return text.replace(/([[\]\\])/g, "\\$1");
}

function zshFlagSpecs(flags: [string, CompletionFlag][]): string[] {
  return flags.map(([name, f]) => {
    const action =
      f.value === undefined ? "" : name === PROFILE_FLAG ? ":profile:_codex_profiles" : `:${f.value.toLowerCase()}: `;
    const body = `[${zshDescription(f.description)}]${action}`;
    if (f.short) return `'(-${f.short} --${name})'{-${f.short},--${name}}${sq(body)}`;
    return sq(`--${name}${body}`);
  });
}

function zshScript(spec: CompletionSpec): string {
  const described = (items: [string, string][]) =>
    items.map(([name, text]) => `    ${sq(`${name.replaceAll(":", "\\:")}:${text}`)}`).join("\n");
  const cases = spec.commands.map((cmd) => {
    const args = zshFlagSpecs(allFlags(cmd, spec));
    const choices = choicesOf(cmd, spec);
    if (choices.length > 0) args.push(sq(`1::${cmd.name === "help" ? "command" : "argument"}:(${choices.join(" ")})`));
    return `        ${cmd.name})\n          _arguments -s ${args.join(" \\\n            ")} && ret=0 ;;`;
  });
  return `#compdef codex
# codex completion for zsh. Save it in a directory on $fpath (then restart zsh):
#   codex completion zsh > "\${fpath[1]}/_codex"
# or load it in ~/.zshrc, after compinit:
#   source <(codex completion zsh)

_codex_profiles() {
  local -a profiles
  profiles=(\${(f)"$(_call_program profiles command codex completion --profiles 2>/dev/null)"})
  _describe -t profiles 'profile' profiles
}

_codex() {
  local curcontext="$curcontext" state line ret=1
  local -a commands
  commands=(
${described(spec.commands.map((c) => [c.name, c.summary]))}
  )
  _arguments -C -s ${zshFlagSpecs(Object.entries(spec.programFlags)).join(" \\\n    ")} \\
    '1: :->command' \\
    '*:: :->args' && ret=0
  case $state in
    command)
      _describe -t commands 'codex command' commands && ret=0 ;;
    args)
      if [[ $words[1] == login && $words[2] == status ]] && (( CURRENT > 2 )); then
        # \`codex login status\` is \`codex status\`.
        words=(status "\${(@)words[3,-1]}")
        (( CURRENT-- ))
      fi
      curcontext="\${curcontext%:*:*}:codex-$words[1]:"
      case $words[1] in
${cases.join("\n")}
      esac ;;
  esac
  return ret
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _codex "$@"
else
  compdef _codex codex
fi
`;
}

/** A single-quoted word for fish, where only \\ and ' are special inside quotes. */
function fq(text: string): string {
  return `'${text.replace(/(['\\])/g, "\\$1")}'`;
}

function fishFlag(name: string, f: CompletionFlag, condition: string | undefined): string {
  const parts = ["complete -c codex"];
  if (condition) parts.push(`-n ${fq(condition)}`);
  if (f.short) parts.push(`-s ${f.short}`);
  parts.push(`-l ${name}`);
  if (name === PROFILE_FLAG) parts.push("-x -a '(__codex_profiles)'");
  else if (f.value !== undefined) parts.push("-x");
  parts.push(`-d ${fq(f.description)}`);
  return parts.join(" ");
}

function fishScript(spec: CompletionSpec): string {
  const lines: string[] = [];
  for (const cmd of spec.commands) {
    lines.push(`complete -c codex -n __codex_needs_command -a ${cmd.name} -d ${fq(cmd.summary)}`);
  }
  const globalNames = new Set(Object.keys(spec.globalFlags));
  for (const [name, f] of Object.entries(spec.programFlags)) {
    lines.push(fishFlag(name, f, globalNames.has(name) ? undefined : "__codex_needs_command"));
  }
  for (const [name, f] of Object.entries(spec.globalFlags)) {
    if (!(name in spec.programFlags)) lines.push(fishFlag(name, f, "not __codex_needs_command"));
  }
  for (const cmd of spec.commands) {
    const using = `__codex_using ${cmd.name}`;
    const choices = choicesOf(cmd, spec);
    if (choices.length > 0) {
      const describe = cmd.name === "help" ? "" : ` -d ${fq(`${cmd.name} argument`)}`;
      lines.push(
        `complete -c codex -n ${fq(`${using}; and __codex_no_argument`)} -a ${fq(choices.join(" "))}${describe}`,
      );
    }
    for (const [name, f] of Object.entries(cmd.flags)) lines.push(fishFlag(name, f, using));
  }
  return `# codex completion for fish. Save it where fish finds it:
#   codex completion fish > ~/.config/fish/completions/codex.fish

# The words typed after codex that are not flags or --profile's value.
function __codex_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for token in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $token
            case --${PROFILE_FLAG}
                set skip 1
            case '-*'
            case '*'
                echo $token
        end
    end
end

# The command word; \`login status\` is \`status\`.
function __codex_command
    set -l words (__codex_words)
    if test "$words[1]" = login -a "$words[2]" = status
        echo status
    else if set -q words[1]
        echo $words[1]
    else
        return 1
    end
end

function __codex_needs_command
    not __codex_command >/dev/null
end

function __codex_using
    set -l command (__codex_command)
    test "$command" = "$argv[1]"
end

# True while the command has no positional argument yet.
function __codex_no_argument
    test (count (__codex_words)) -le 1
end

function __codex_profiles
    command codex completion --profiles 2>/dev/null
end

complete -c codex -f
${lines.join("\n")}
`;
}
