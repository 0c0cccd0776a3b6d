/**
 * What codex's commands are: names, flags, help text and worked examples. Data only, so one definition
 * serves `--help` (rendered by help.ts, to the terminal's width), the shell completion scripts and the
 * generated reference docs/cli.md (`npm run docs`; a test fails when that file is out of date). src/cli.ts
 * binds each command to the function that runs it.
 *
 * Prose here is a few short paragraphs, each one string whose line breaks are only for this file (the
 * renderer wraps it again); the full story of each command is in docs/authentication.md.
 */

export interface FlagSpec {
  short?: string;
  description: string;
  /** Placeholder of the flag's value (`--model MODEL`); flags without one are switches. */
  value?: string;
}

/** A command line to try, and what it shows (aligned beside it, as a shell comment). */
export type Example = readonly [command: string, comment?: string];

export interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Worked examples, shown right after the flags. */
  examples: Example[];
  /** What `--help` says after the examples: the essentials, a few short paragraphs. */
  about: string[];
  /** The positional argument the command takes, if any (at most one), as shown in usage. */
  argument?: string;
  /** The values that argument can take, when there is a fixed set (for completion). */
  choices?: string[];
  /** What to say when an unexpected positional argument is given (default: a generic usage error). */
  positionalError?: string;
}

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  profile: { value: "NAME", description: "act on this account, $CODEX_HOME/NAME.config.toml (default: CODEX_PROFILE)" },
  help: { short: "h", description: "show help" },
  debug: { description: "show stack traces for errors" },
};

/** Flags accepted before any command (`codex --version`); `--profile` and `--debug` also go there. */
export const PROGRAM_FLAGS: Record<string, FlagSpec> = {
  profile: {
    value: "NAME",
    description: "act on this account, $CODEX_HOME/NAME.config.toml over config.toml (also: CODEX_PROFILE)",
  },
  help: { short: "h", description: "show help (also: codex <command> --help)" },
  version: { short: "V", description: "print the version" },
  debug: { description: "show stack traces for errors" },
};

export const STATUS: CommandSpec = {
  name: "status",
  summary: "show whether you are logged in, how, and where the credential comes from",
  flags: {
    json: { description: "print the status as JSON (with --all, an array)" },
    all: { description: "one line per account (profile), the active one marked *" },
    check: { description: "ask the provider whether the credential works (one request)" },
  },
  examples: [
    ["codex status"],
    ["codex status --check", "does the server accept it?"],
    ["codex status --json | jq .authenticated"],
    ["codex status --check --json | jq -r .check"],
    ["codex status --all", "every profile"],
    ["codex status --profile work"],
    ["codex login status"],
  ],
  about: [
    `Shows the credential codex uses (masked, e.g. sk-…abcd) and where it comes from: an environment
    variable, an auth_command, the system keyring or config.toml. Without --check no server is contacted.
    Exits 0 when a credential is available, 1 when not.`,
    `--check asks the provider, with one request: exit 0 when the credential is valid, 4 when it is
    rejected (run \`codex login\`), 1 when the server cannot be reached or does not say.`,
  ],
};

export const LOGIN: CommandSpec = {
  name: "login",
  summary: "sign in: in your browser, with a device code, or with an API key",
  // Not an argument: `codex login status` is recognised before parsing, as the alias of `codex status`.
  choices: ["status"],
  flags: {
    "device-auth": { description: "sign in with a code entered on another device (SSH, headless)" },
    "with-api-key": { description: "read an API key from standard input" },
    port: { value: "PORT", description: "loopback port for the browser sign-in (default 1455; 1457 if busy, ChatGPT only)" },
    "no-browser": { description: "print the sign-in URL instead of opening a browser" },
  },
  examples: [
    ["codex login", "in your browser"],
    ["codex login --device-auth", "over SSH"],
    ["codex login --no-browser", "over SSH: open the URL anywhere, paste back the address"],
    ["codex login --no-browser --port 8765", "print the URL; another port"],
    ["codex login --with-api-key < ~/openai.key"],
    ["printenv OPENAI_API_KEY | codex login --with-api-key"],
    ["codex login --profile work --with-api-key < ~/work.key"],
    ["codex login status", "same as codex status"],
  ],
  about: [
    `Signs in in your browser (a terminal first asks how), with your ChatGPT account (as OpenAI's Codex CLI does) or with the OAuth
    server that [oauth] issuer in config.toml names, and keeps the session in $CODEX_HOME/config.toml
    (mode 0600) or the system keyring. Signing in again revokes the old session.`,
    `An API key is read from standard input only, never from the command line, where other users and your
    shell history would see it.`,
  ],
  positionalError:
    "codex login does not take the API key as an argument (process lists and shell history would keep it); pipe it on standard input: `codex login --with-api-key < keyfile`",
};

export const LOGOUT: CommandSpec = {
  name: "logout",
  summary: "remove the stored credential and end the session at the server",
  flags: {
    "no-revoke": { description: "do not revoke OAuth sessions at the server" },
    all: { description: "sign out of every account, and remove OpenAI's Codex CLI's auth.json" },
  },
  examples: [
    ["codex logout"],
    ["codex logout --profile work"],
    ["codex logout --all", "every account, nothing left behind"],
    ["codex logout --no-revoke", "offline: forget the session, tell no server"],
  ],
  about: [
    `Removes the account's credential from config.toml (every other line stays as it was) and from the
    system keyring, revokes an OAuth session at its issuer, and says what it removed and where from.`,
    `An environment variable (CODEX_API_KEY, OPENAI_API_KEY) or an auth_command is named, not removed:
    those are yours. Exits 1 when a credential could not be removed.`,
  ],
};

export const TOKEN: CommandSpec = {
  name: "token",
  summary: "print the credential codex would send, for scripts and other tools",
  flags: {
    json: { description: "print it as JSON, with its kind, expiry, account and source" },
    force: { description: "print it even when standard output is a terminal" },
  },
  examples: [
    ['curl -H "Authorization: Bearer $(codex token)" "$OPENAI_BASE_URL/models"'],
    ["codex token --json | jq -r .expires_at", "null for an API key"],
    ["codex token --profile work --json | jq -r .kind", "api_key, oauth, chatgpt or command"],
  ],
  about: [
    `Prints the credential \`codex run\` would send (OPENAI_API_KEY or an auth_command wins as there). Other
    tools should get it this way, not from config.toml or auth.json: a session about to expire is renewed
    first, with the one refresh every command shares. A terminal gets nothing without --force.`,
    `Exits 4 when not logged in, 1 when a renewal cannot reach the issuer.`,
  ],
};

const MODEL_FLAG: FlagSpec = { short: "m", value: "MODEL", description: "model to use (default: config.toml's model)" };

export const RUN: CommandSpec = {
  name: "run",
  summary: "send one prompt and stream the reply",
  argument: "[PROMPT | -]",
  flags: {
    model: MODEL_FLAG,
    json: { description: "print only the final reply, as one JSON object" },
  },
  examples: [
    ['codex run "explain what a PKCE code verifier is"'],
    ["git diff | codex run -"],
    ['codex run --json "one word for happy" | jq -r .text'],
    ['codex run -m gpt-5-mini "summarise RFC 8628 in two lines"'],
  ],
  about: [
    `Sends PROMPT to the configured provider and prints the reply as it arrives. With \`-\`, or with no
    PROMPT and piped input, the prompt is read from standard input.`,
    `Without a credential meant for that provider nothing is sent and codex exits 4; \`codex status\` shows
    which one codex would use.`,
  ],
};

export const CHAT: CommandSpec = {
  name: "chat",
  summary: "talk with the assistant (one message per line when input is piped)",
  flags: { model: MODEL_FLAG },
  examples: [
    ["codex chat"],
    ["printf 'pick a number from 1 to 9\\nnow double it\\n' | codex chat"],
    ["codex chat -m gpt-5-mini"],
  ],
  about: [
    `On a terminal, a conversation: /exit or Ctrl-D leaves, /new starts over, Ctrl-C stops the reply being
    written. With piped input, each line is one message and each reply is printed in turn.`,
  ],
};

export const DOCTOR: CommandSpec = {
  name: "doctor",
  summary: "check everything that commonly goes wrong, and say how to fix it",
  flags: {
    json: { description: "print the checks as JSON" },
    offline: { description: "skip the checks that contact the provider and the sign-in server" },
  },
  examples: [
    ["codex doctor"],
    ["codex doctor --profile work"],
    ["codex doctor --offline", "no network"],
    ["codex doctor --json | jq '.checks[] | select(.status == \"problem\")'"],
  ],
  about: [
    `Checks config.toml and the profile's file, permissions, where the credential is (and whether it is in
    more than one place), the OAuth session, the keyring, stale locks, proxies, CA files and, unless
    --offline, whether the hosts answer and accept the credential. One line each, with its fix.`,
    `It changes nothing (an expired OAuth access token is renewed, as any request would). Exits 0 when all
    is well, 1 when something needs fixing.`,
  ],
};

export const COMPLETION: CommandSpec = {
  name: "completion",
  summary: "print a shell completion script (bash, zsh or fish)",
  argument: "SHELL",
  choices: ["bash", "zsh", "fish"],
  flags: {
    profiles: { description: "print the profile names (NAME.config.toml files), one per line (the scripts use this)" },
  },
  examples: [
    ["echo 'source <(codex completion bash)' >> ~/.bashrc"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's ${fpath[1]}, for the shell to expand
    ['codex completion zsh > "${fpath[1]}/_codex"', "then restart zsh"],
    ["codex completion fish > ~/.config/fish/completions/codex.fish"],
  ],
  about: [
    `Prints a script that makes your shell complete codex's commands, flags and profile names. Profile
    names are read from $CODEX_HOME each time you press Tab, so new profiles complete at once.`,
  ],
};

export const COMMANDS: CommandSpec[] = [LOGIN, LOGOUT, STATUS, TOKEN, CHAT, RUN, DOCTOR, COMPLETION];

export const PROGRAM_DESCRIPTION =
  "Sign in to an OpenAI-compatible coding assistant, check where you stand, use it, and sign out.";

export const PROGRAM_EXAMPLES: Example[] = [
  ["codex login"],
  ["codex login --with-api-key < ~/openai.key"],
  ["codex status"],
  ['codex run "write a haiku about TOML"'],
  ["codex logout"],
];

export const EXIT_STATUS = "Exit status: 0 ok, 1 failure or not logged in, 2 usage error, 4 authentication required.";

/** A flag as usage shows it: `--model MODEL`, `--json`. */
export function longFlag(name: string, flag: FlagSpec): string {
  return `--${name}${flag.value ? ` ${flag.value}` : ""}`;
}

/** A command's summary as a sentence, for the top of its help and its section of docs/cli.md. */
export function summarySentence(spec: CommandSpec): string {
  return `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`;
}

export function usageLine(spec: CommandSpec, path = spec.name): string {
  return `codex ${path}${Object.keys(spec.flags).length > 0 ? " [flags]" : ""}${spec.argument ? ` ${spec.argument}` : ""}`;
}
