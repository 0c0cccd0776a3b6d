/**
 * What codex's commands are: names, flags, help text and worked examples. Data only, so one definition
 * serves `--help`, the shell completion scripts and the generated reference docs/cli.md
 * (`npm run docs`; a test fails when that file is out of date). src/cli.ts binds each command to the
 * function that runs it.
 */

export interface FlagSpec {
  short?: string;
  description: string;
  /** Placeholder of the flag's value (`--model MODEL`); flags without one are switches. */
  value?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Description and worked examples shown by `--help`. */
  help: string;
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
  help: `Shows how codex authenticates: with which credential (masked, e.g. sk-…abcd) and from where: the
CODEX_API_KEY or OPENAI_API_KEY environment variable, an auth_command, the system keyring, or
$CODEX_HOME/config.toml. For an OAuth session, also the account, the issuer and when the access token
expires. Warns when a credential sits in a file other users can read. Without --check it never contacts
a server (an auth_command is run, to check it works). Exits 0 when a credential is available, 1 when not
(or when the session has ended).

--check also asks the provider whether the credential works, with one request (GET {base_url}/models,
within 10 s or request_timeout_ms if lower), and tells three answers apart: valid (exit 0), rejected by
the server (exit 4: run \`codex login\`), and server unreachable (exit 1, naming the host and the network
error; the credential may well be fine). An answer that settles neither way (HTTP 403, 404, 429) is
"unknown" (exit 1). A base_url over plain http:// to another machine is "refused" (exit 1), nothing sent.
With --json, "check" holds valid, rejected, unreachable, unknown or refused.

Examples:
  $ codex status
  $ codex status --check                         # does the server accept it?
  $ codex status --json | jq .authenticated
  $ codex status --check --json | jq -r .check
  $ codex status --all                           # every profile
  $ codex status --profile work
  $ codex login status`,
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
  help: `With no flag, signs in in your browser (on a terminal, it first asks which way to sign in): with
your ChatGPT account by default, exactly as OpenAI's Codex CLI does, or with the OAuth server that
[oauth] issuer in config.toml names. codex listens on 127.0.0.1 and [::1] for the browser to come back,
and stores the session in $CODEX_HOME/config.toml (default ~/.codex/config.toml, mode 0600), or in the
system keyring when config.toml says cli_auth_credentials_store = "keyring" (or "auto": the keyring when
it answers); it renews the access token by itself. Signing in again replaces the session and revokes the
old one at the server. forced_login_method and forced_chatgpt_workspace_id in config.toml restrict how,
and to which ChatGPT workspace, you may sign in. With --profile NAME the credential is stored for that
account, in $CODEX_HOME/NAME.config.toml, as OpenAI's Codex CLI keeps a profile (created 0600 when missing).

--device-auth prints a URL and a code to enter on any device: for SSH sessions and machines without a
browser. --with-api-key reads an API key from standard input, never from the command line, where other
users and your shell history would see it. \`codex login status\` is \`codex status\`.

Examples:
  $ codex login                                  # browser sign-in (asks first on a terminal)
  $ codex login --device-auth                    # over SSH
  $ codex login --no-browser --port 8765         # print the URL; listen on another port
  $ codex login --with-api-key < ~/openai.key
  $ printenv OPENAI_API_KEY | codex login --with-api-key
  $ codex login --profile work --with-api-key < ~/work.key
  $ codex login status                           # same as codex status`,
  positionalError:
    "codex login does not take the API key as an argument (process lists and shell history would keep it); pipe it on standard input: `codex login --with-api-key < keyfile`",
};

export const LOGOUT: CommandSpec = {
  name: "logout",
  summary: "remove the stored credential and end the session at the server",
  flags: {
    "no-revoke": { description: "do not revoke OAuth sessions at the server" },
    all: { description: "log out of every account, and remove OpenAI's Codex CLI's auth.json" },
  },
  help: `Removes the account's credential from every place codex stores one ($CODEX_HOME/config.toml, or the
profile's NAME.config.toml, leaving every other line as it was; the system keyring) and says where it was
removed from; a profile's file that codex created and that holds nothing else goes too. An
OAuth session is then revoked at its issuer (refresh token, then access token; at most 5 seconds); if
that fails, the session is still removed from this machine and codex says which token may stay valid,
and until when. If CODEX_API_KEY or OPENAI_API_KEY is set, or the account uses an auth_command, codex
says so: those are yours to remove. --all logs out of every profile and also removes auth.json written
by OpenAI's Codex CLI in the same directory, revoking the ChatGPT session it holds. Exits 1 when a credential could not be removed (e.g. the
keyring did not answer).

Examples:
  $ codex logout
  $ codex logout --profile work
  $ codex logout --all                           # every account, nothing left behind
  $ codex logout --no-revoke                     # offline: forget the session, tell no server`,
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
  help: `Sends PROMPT to the configured provider and prints the reply as it arrives. With \`-\`, or with no
PROMPT and piped input, the prompt is read from standard input. Needs a credential meant for that
provider (\`codex login\`, or CODEX_API_KEY / OPENAI_API_KEY for OpenAI; a provider with env_key takes
only that variable); without one nothing is sent and codex exits 4. A base_url over plain http:// to
another machine is refused, nothing sent (exit 1), unless its table sets allow_insecure_http = true.

Examples:
  $ codex run "explain what a PKCE code verifier is"
  $ git diff | codex run -
  $ codex run --json "one word for happy" | jq -r .text
  $ codex run -m gpt-5-mini "summarise RFC 8628 in two lines"`,
};

export const CHAT: CommandSpec = {
  name: "chat",
  summary: "talk with the assistant (one message per line when input is piped)",
  flags: { model: MODEL_FLAG },
  help: `On a terminal, an interactive conversation: each turn sends the whole session so far. Type /exit or
press Ctrl-D to leave, /new to start over; Ctrl-C stops the reply being written, and Ctrl-C at an empty
prompt leaves. With piped input, each line is one message and each reply is printed in turn.

Examples:
  $ codex chat
  $ printf 'pick a number from 1 to 9\\nnow double it\\n' | codex chat
  $ codex chat -m gpt-5-mini`,
};

export const DOCTOR: CommandSpec = {
  name: "doctor",
  summary: "check everything that commonly goes wrong, and say how to fix it",
  flags: {
    json: { description: "print the checks as JSON" },
    offline: { description: "skip the check that contacts the provider" },
  },
  help: `Checks, one line each, and says how to fix what is wrong: config.toml (and the profile's file) parses
and its settings are valid; nothing OpenAI's Codex CLI refuses on the same $CODEX_HOME (a legacy
profile = or [profiles.NAME], and, as a warning, wire_api = "chat"); file and directory permissions; a credential in more than one place (config.toml, the system
keyring, an environment variable, OpenAI's Codex CLI's auth.json) and which one codex uses; an
environment variable hiding the stored credential; an OAuth session that has ended or is about to; the
system keyring answers; a lock file left by a process that no longer runs; the provider accepts the
credential (one request, as \`codex status --check\`; --offline skips it). It changes nothing, except
that an expired OAuth access token is renewed, as any request renews it. Exits 0 when all is well, 1
when something needs fixing.

Examples:
  $ codex doctor
  $ codex doctor --profile work
  $ codex doctor --offline                       # no network
  $ codex doctor --json | jq '.checks[] | select(.status == "problem")'`,
};

export const COMPLETION: CommandSpec = {
  name: "completion",
  summary: "print a shell completion script (bash, zsh or fish)",
  argument: "SHELL",
  choices: ["bash", "zsh", "fish"],
  flags: {
    profiles: { description: "print the profile names (NAME.config.toml files), one per line (the scripts use this)" },
  },
  help: `Prints a script that makes your shell complete codex's commands, flags and profile names. Profile
names are read from $CODEX_HOME each time you press Tab, so new profiles complete at once.

Examples:
  $ echo 'source <(codex completion bash)' >> ~/.bashrc
  $ codex completion zsh > "\${fpath[1]}/_codex"      # then restart zsh
  $ codex completion fish > ~/.config/fish/completions/codex.fish`,
};

export const COMMANDS: CommandSpec[] = [LOGIN, LOGOUT, STATUS, CHAT, RUN, DOCTOR, COMPLETION];

export const PROGRAM_DESCRIPTION =
  "Sign in to an OpenAI-compatible coding assistant, check where you stand, use it, and sign out.";

export const PROGRAM_EXAMPLES = `Examples:
  $ codex login
  $ codex login --with-api-key < ~/openai.key
  $ codex status
  $ codex run "write a haiku about TOML"
  $ codex logout`;

export const EXIT_STATUS = "Exit status: 0 ok, 1 failure or not logged in, 2 usage error, 4 authentication required.";

function flagLines(flags: Record<string, FlagSpec>): string[] {
  return Object.entries(flags).map(([name, f]) => {
    const long = `--${name}${f.value ? ` ${f.value}` : ""}`;
    const label = f.short ? `-${f.short}, ${long}` : `    ${long}`;
    return `  ${label.padEnd(20)}${label.length >= 20 ? "  " : ""}${f.description}`;
  });
}

export function programHelp(): string {
  return `${PROGRAM_DESCRIPTION}

Usage: codex <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join("\n")}

Flags:
${flagLines(PROGRAM_FLAGS).join("\n")}

${PROGRAM_EXAMPLES}

${EXIT_STATUS}
Docs: docs/cli.md, docs/authentication.md`;
}

export function usageLine(spec: CommandSpec, path = spec.name): string {
  return `codex ${path}${Object.keys(spec.flags).length > 0 ? " [flags]" : ""}${spec.argument ? ` ${spec.argument}` : ""}`;
}

export function commandHelp(spec: CommandSpec, path = spec.name): string {
  return `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.\n\nUsage: ${usageLine(spec, path)}\n\nFlags:\n${flagLines(
    { ...spec.flags, ...GLOBAL_FLAGS },
  ).join("\n")}\n\n${spec.help}`;
}
