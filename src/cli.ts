/**
 * The `codex` executable: argument parsing and nothing else. It builds each command's explicit inputs
 * (io, env, config, clock), runs it, and turns any error into one line on stderr and an exit code:
 * 0 ok · 1 failure / not logged in · 2 usage · 4 authentication required. Stack traces only with --debug.
 *
 * Parsing uses Node's own `util.parseArgs`. Commander was tried first: loading it pulls in child_process,
 * net and dgram at start-up, which alone cost more than the whole start-up budget of `codex status`.
 * The command table below is also what `--help` is rendered from.
 */
import { parseArgs } from "node:util";
import type { CommandContext } from "./commands/context.js";
import { createIO, type IO } from "./commands/io.js";
import { runLogout } from "./commands/logout.js";
import { runStatus } from "./commands/status.js";
import { Config } from "./config/config.js";
import { CodexError, ExitCode, UsageError } from "./errors.js";

declare const __VERSION__: string;

type Flags = Record<string, boolean | string | undefined>;

interface FlagSpec {
  short?: string;
  description: string;
  /** Placeholder of the flag's value (`--model MODEL`); flags without one are switches. */
  value?: string;
}

interface Parsed {
  flags: Flags;
  positionals: string[];
}

interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Description and worked examples shown by `--help`. */
  help: string;
  /** The positional argument the command takes, if any (at most one), as shown in usage. */
  argument?: string;
  /** What to say when an unexpected positional argument is given (default: a generic usage error). */
  positionalError?: string;
  run(args: Parsed, ctx: CommandContext): Promise<ExitCode>;
}

const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  profile: { value: "NAME", description: "act on this account (default: CODEX_PROFILE, then profile in config.toml)" },
  help: { short: "h", description: "show help" },
  debug: { description: "show stack traces for errors" },
};

const STATUS: CommandSpec = {
  name: "status",
  summary: "show whether you are logged in, how, and where the credential comes from",
  flags: {
    json: { description: "print the status as JSON (with --all, an array)" },
    all: { description: "one line per account (profile), the active one marked *" },
  },
  help: `Shows how codex authenticates: with which credential (masked, e.g. sk-…abcd) and from where: the
CODEX_API_KEY or OPENAI_API_KEY environment variable, an auth_command, the system keyring, or
$CODEX_HOME/config.toml. For an OAuth session, also the account, the issuer and when the access token
expires. Warns when a credential sits in a file other users can read. Never contacts a server (an
auth_command is run, to check it works). Exits 0 when a credential is available, 1 when not (or when
the session has ended).

Examples:
  $ codex status
  $ codex status --json | jq .authenticated
  $ codex status --all                           # every profile
  $ codex status --profile work
  $ codex login status`,
  run: ({ flags }, ctx) => runStatus({ ...ctx, json: flags.json === true, all: flags.all === true }),
};

const LOGIN: CommandSpec = {
  name: "login",
  summary: "sign in: in your browser, with a device code, or with an API key",
  flags: {
    "device-auth": { description: "sign in with a code entered on another device (SSH, headless)" },
    "with-api-key": { description: "read an API key from standard input" },
    port: { value: "PORT", description: "loopback port for the browser sign-in (default 1455)" },
    "no-browser": { description: "print the sign-in URL instead of opening a browser" },
  },
  help: `With no flag, signs in with OAuth in your browser (on a terminal, it first asks which way to sign
in). codex listens on 127.0.0.1 for the browser to come back, and stores the session in
$CODEX_HOME/config.toml (default ~/.codex/config.toml, mode 0600), or in the system keyring when
config.toml says cli_auth_credentials_store = "keyring" (or "auto": the keyring when it answers); it
renews the access token by itself. The server is [oauth] issuer in config.toml (default
https://auth.openai.com). With --profile NAME the credential is stored for that account.

--device-auth prints a URL and a code to enter on any device: for SSH sessions and machines without a
browser. --with-api-key reads an API key from standard input, never from the command line, where other
users and your shell history would see it.

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
  // Loaded only when used: the sign-in flows need code that status and logout never should.
  run: async ({ flags }, ctx) =>
    (await import("./commands/login.js")).runLogin({
      ...ctx,
      withApiKey: flags["with-api-key"] === true,
      deviceAuth: flags["device-auth"] === true,
      port: portFlag(stringFlag(flags, "port")),
      noBrowser: flags["no-browser"] === true,
    }),
};

function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError("--port needs a port number from 1 to 65535");
  return port;
}

const LOGOUT: CommandSpec = {
  name: "logout",
  summary: "remove the stored credential and end the session at the server",
  flags: {
    "no-revoke": { description: "do not revoke OAuth sessions at the server" },
    all: { description: "log out of every account, and remove OpenAI's Codex CLI's auth.json" },
  },
  help: `Removes the account's credential from every place codex stores one ($CODEX_HOME/config.toml, leaving
every other line of the file as it was, and the system keyring) and says where it was removed from. An
OAuth session is then revoked at its issuer (refresh token, then access token; at most 5 seconds); if
that fails, the session is still removed from this machine and codex says which token may stay valid,
and until when. If CODEX_API_KEY or OPENAI_API_KEY is set, or the account uses an auth_command, codex
says so: those are yours to remove. --all logs out of every profile and also removes auth.json written
by OpenAI's Codex CLI in the same directory. Exits 1 when a credential could not be removed (e.g. the
keyring did not answer).

Examples:
  $ codex logout
  $ codex logout --profile work
  $ codex logout --all                           # every account, nothing left behind
  $ codex logout --no-revoke                     # offline: forget the session, tell no server`,
  run: ({ flags }, ctx) => {
    if (flags.all === true && ctx.profile !== undefined) {
      throw new UsageError("--all logs out of every account; leave out --profile");
    }
    return runLogout({ ...ctx, noRevoke: flags["no-revoke"] === true, all: flags.all === true });
  },
};

/** The value of a flag that takes one (`--model gpt-5`), or undefined when it was not given. */
function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

const MODEL_FLAG: FlagSpec = { short: "m", value: "MODEL", description: "model to use (default: config.toml's model)" };

const RUN: CommandSpec = {
  name: "run",
  summary: "send one prompt and stream the reply",
  argument: "[PROMPT | -]",
  flags: {
    model: MODEL_FLAG,
    json: { description: "print only the final reply, as one JSON object" },
  },
  help: `Sends PROMPT to the configured provider and prints the reply as it arrives. With \`-\`, or with no
PROMPT and piped input, the prompt is read from standard input. Needs a credential (\`codex login\`, or
CODEX_API_KEY / OPENAI_API_KEY); without one nothing is sent and codex exits 4.

Examples:
  $ codex run "explain what a PKCE code verifier is"
  $ git diff | codex run -
  $ codex run --json "one word for happy" | jq -r .text
  $ codex run -m gpt-5-mini "summarise RFC 8628 in two lines"`,
  run: async ({ flags, positionals }, ctx) =>
    (await import("./commands/run.js")).runRun({
      ...ctx,
      prompt: positionals[0],
      json: flags.json === true,
      model: stringFlag(flags, "model"),
    }),
};

const CHAT: CommandSpec = {
  name: "chat",
  summary: "talk with the assistant (one message per line when input is piped)",
  flags: { model: MODEL_FLAG },
  help: `On a terminal, an interactive conversation: each turn sends the whole session so far. Type /exit or
press Ctrl-D to leave, /new to start over; Ctrl-C stops the reply being written, and Ctrl-C at an empty
prompt leaves. With piped input, each line is one message and each reply is printed in turn.

Examples:
  $ codex chat
  $ printf 'pick a number from 1 to 9\nnow double it\n' | codex chat
  $ codex chat -m gpt-5-mini`,
  run: async ({ flags }, ctx) =>
    (await import("./commands/chat.js")).runChat({
      ...ctx,
      model: stringFlag(flags, "model"),
    }),
};

const COMMANDS: CommandSpec[] = [LOGIN, LOGOUT, STATUS, CHAT, RUN];

const PROGRAM_HELP = `Sign in to an OpenAI-compatible coding assistant, check where you stand, use it, and sign out.

Usage: codex <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)}${c.summary}`).join("\n")}

Flags:
  --profile NAME  act on this account (also: CODEX_PROFILE, or profile = "NAME" in config.toml)
  -h, --help      show help (also: codex <command> --help)
  -V, --version   print the version
  --debug         show stack traces for errors

Examples:
  $ codex login
  $ codex login --with-api-key < ~/openai.key
  $ codex status
  $ codex run "write a haiku about TOML"
  $ codex logout

Exit status: 0 ok, 1 failure or not logged in, 2 usage error, 4 authentication required.
Docs: docs/authentication.md`;

function commandHelp(spec: CommandSpec, path = spec.name): string {
  const flags = { ...spec.flags, ...GLOBAL_FLAGS };
  const lines = Object.entries(flags).map(([name, f]) => {
    const long = `--${name}${f.value ? ` ${f.value}` : ""}`;
    const label = f.short ? `-${f.short}, ${long}` : `    ${long}`;
    return `  ${label.padEnd(20)}${label.length >= 20 ? "  " : ""}${f.description}`;
  });
  return `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.\n\nUsage: codex ${path}${
    Object.keys(spec.flags).length > 0 ? " [flags]" : ""
  }${spec.argument ? ` ${spec.argument}` : ""}\n\nFlags:\n${lines.join("\n")}\n\n${spec.help}`;
}

/**
 * The word in quotes when it looks like a command or flag name, nothing otherwise: a mistyped command is
 * worth repeating, a pasted API key is not.
 */
function quoteWord(word: string): string {
  return /^-{0,2}[a-z][a-z-]{0,23}$/.test(word) ? ` '${word}'` : "";
}

/** Edit distance, for "did you mean" on mistyped commands and flags. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function suggest(word: string, choices: string[], prefix = ""): string {
  const best = choices
    .map((c) => ({ c, d: distance(word, c) }))
    .filter((x) => x.d <= 2)
    .sort((x, y) => x.d - y.d)[0];
  return best === undefined ? "" : ` (did you mean ${prefix}${best.c}?)`;
}

/**
 * Parses the flags of one command. Error messages name the offending flag but never echo a value or a
 * positional argument: those are where a pasted key would be.
 */
function parseFlags(spec: CommandSpec, args: string[]): Parsed {
  const known = { ...spec.flags, ...GLOBAL_FLAGS };
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(known).map(([name, f]) => [
        name,
        { type: f.value ? ("string" as const) : ("boolean" as const), ...(f.short ? { short: f.short } : {}) },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: Flags = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (spec.argument !== undefined && positionals.length === 0) {
        positionals.push(token.value);
        continue;
      }
      throw new UsageError(
        spec.argument !== undefined
          ? `codex ${spec.name} takes one ${spec.argument.replace(/[[\]]/g, "").split(" ")[0]} argument; quote it if it has spaces`
          : (spec.positionalError ?? `codex ${spec.name} takes no arguments; see \`codex ${spec.name} --help\``),
      );
    }
    if (token.kind !== "option") continue;
    const name = Object.hasOwn(known, token.name)
      ? token.name
      : Object.entries(known).find(([, f]) => f.short === token.name)?.[0];
    const shown = token.rawName.split("=")[0] ?? "";
    if (name === undefined) {
      throw new UsageError(
        `unknown flag${quoteWord(shown)} for codex ${spec.name}${suggest(token.name, Object.keys(known), "--")}; see \`codex ${spec.name} --help\``,
      );
    }
    if (known[name]?.value !== undefined) {
      if (token.value === undefined || token.value === "") {
        throw new UsageError(`flag '${shown}' needs a value: ${shown} ${known[name]?.value}`);
      }
      flags[name] = token.value;
      continue;
    }
    if (token.inlineValue !== undefined) throw new UsageError(`flag '${shown}' does not take a value`);
    flags[name] = true;
  }
  return { flags, positionals };
}

async function dispatch(io: IO, env: NodeJS.ProcessEnv, args: string[], preset: string[] = []): Promise<ExitCode> {
  const first = args[0];
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? args[1] : undefined;
    const spec = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && spec === undefined) throw new UsageError(`unknown command${quoteWord(topic)}`);
    io.out(spec ? commandHelp(spec) : PROGRAM_HELP);
    return ExitCode.ok;
  }
  if (first === "-V" || first === "--version") {
    io.out(__VERSION__);
    return ExitCode.ok;
  }
  if (first === "--debug") return dispatch(io, env, args.slice(1), preset);
  if (first === "--profile" || first.startsWith("--profile=")) {
    // A global flag given before the command (`codex --profile work status`) applies to it as if after.
    const n = first === "--profile" ? 2 : 1;
    if (args.length <= n) throw new UsageError("--profile needs a name and a command: codex --profile NAME status");
    return dispatch(io, env, args.slice(n), [...preset, ...args.slice(0, n)]);
  }
  if (first.startsWith("-")) {
    throw new UsageError(`unknown flag${quoteWord(first.split("=")[0] ?? "")}; see \`codex --help\``);
  }
  let spec = COMMANDS.find((c) => c.name === first);
  if (spec === undefined) {
    throw new UsageError(
      `unknown command${quoteWord(first)}${suggest(
        first,
        COMMANDS.map((c) => c.name),
      )}; see \`codex --help\``,
    );
  }
  let rest = args.slice(1);
  let path = spec.name;
  if (spec === LOGIN && rest[0] === "status") {
    // `codex login status` is an alias of `codex status`, as in OpenAI's Codex CLI.
    spec = STATUS;
    path = "login status";
    rest = rest.slice(1);
  }
  const parsed = parseFlags(spec, [...rest, ...preset]);
  if (parsed.flags.help) {
    io.out(commandHelp(spec, path));
    return ExitCode.ok;
  }
  const config = await Config.load({ env });
  return spec.run(parsed, {
    io,
    env,
    config,
    clock: () => new Date(),
    fetch: (url, init) => import("./api/http.js").then((m) => m.nodeFetch(url, init)),
    profile: stringFlag(parsed.flags, "profile"),
  });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = createIO(env);
  const args = argv.slice(2);
  const debug = args.includes("--debug");
  try {
    return await dispatch(io, env, args);
  } catch (err) {
    if (err instanceof CodexError) {
      io.error(err.message);
      if (debug && err.stack) io.err(err.stack);
      return err.exitCode;
    }
    io.error(`unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
    if (debug && err instanceof Error && err.stack) io.err(err.stack);
    else io.err("Run again with --debug for details, and please report this.");
    return ExitCode.failure;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
