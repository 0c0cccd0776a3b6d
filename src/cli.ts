/**
 * What the `codex` executable does, as one function (`main`; bin.ts runs it for the process): argument
 * parsing and nothing else. It builds each command's explicit inputs (io, env, config, clock), runs it, and
 * turns any error into one line on stderr and an exit code: 0 ok · 1 failure / not logged in · 2 usage ·
 * 4 authentication required. Stack traces only with --debug.
 *
 * Parsing uses Node's own `util.parseArgs`. Commander was tried first: loading it pulls in child_process,
 * net and dgram at start-up, which alone cost more than the whole start-up budget of `codex status`.
 * The commands themselves (flags, help, examples) are defined in cli-spec.ts; this file binds them to code.
 */
import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { parseArgs } from "node:util";
import { COMMANDS, COMPLETION, type CommandSpec, GLOBAL_FLAGS, LOGIN, PROGRAM_FLAGS, STATUS } from "./cli-spec.js";
import type { CommandContext } from "./commands/context.js";
import type { IO } from "./commands/io.js";
import { runLogout } from "./commands/logout.js";
import { runStatus } from "./commands/status.js";
import { Config } from "./config/config.js";
import type { Fetch } from "./config/http.js";
import { CodexError, ExitCode, UsageError } from "./errors.js";
import { looksLikeSecret } from "./safe-text.js";

declare const __VERSION__: string;
/** What scripts/build.mjs names the bundles when it makes their code caches: "codex-credentials/dist/". */
declare const __CACHED_AS__: string;

type Flags = Record<string, boolean | string | undefined>;

interface Parsed {
  flags: Flags;
  positionals: string[];
}

/** The inputs of a command that loads config.toml itself (doctor must run when it does not parse). */
type BareContext = Omit<CommandContext, "config">;

type Runner =
  | { preload: true; run(args: Parsed, ctx: CommandContext): Promise<ExitCode> }
  | { preload: false; run(args: Parsed, ctx: BareContext): Promise<ExitCode> };

/** The value of a flag that takes one (`--model gpt-5`), or undefined when it was not given. */
function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError("--port needs a port number from 1 to 65535");
  return port;
}

// Commands other than status and logout are loaded only when used: the sign-in flows, the HTTP client and
// the checks need code that the two commands with a start-up budget never should.
const RUNNERS: Record<string, Runner> = {
  status: {
    preload: true,
    run: async ({ flags }, ctx) => {
      if (flags.check === true && flags.all === true) {
        throw new UsageError("--check asks about one account; leave out --all, or use --profile NAME");
      }
      return runStatus({ ...ctx, json: flags.json === true, all: flags.all === true, check: flags.check === true });
    },
  },
  login: {
    preload: true,
    run: async ({ flags }, ctx) =>
      (await import("./commands/login.js")).runLogin({
        ...ctx,
        withApiKey: flags["with-api-key"] === true,
        deviceAuth: flags["device-auth"] === true,
        port: portFlag(stringFlag(flags, "port")),
        noBrowser: flags["no-browser"] === true,
      }),
  },
  logout: {
    preload: true,
    run: async ({ flags }, ctx) => {
      if (flags.all === true && ctx.profile !== undefined) {
        throw new UsageError("--all signs out of every account; leave out --profile");
      }
      return runLogout({ ...ctx, noRevoke: flags["no-revoke"] === true, all: flags.all === true });
    },
  },
  run: {
    preload: true,
    run: async ({ flags, positionals }, ctx) =>
      (await import("./commands/run.js")).runRun({
        ...ctx,
        prompt: positionals[0],
        json: flags.json === true,
        model: stringFlag(flags, "model"),
      }),
  },
  chat: {
    preload: true,
    run: async ({ flags }, ctx) =>
      (await import("./commands/chat.js")).runChat({ ...ctx, model: stringFlag(flags, "model") }),
  },
  token: {
    preload: true,
    run: async ({ flags }, ctx) =>
      (await import("./commands/token.js")).runToken({
        ...ctx,
        json: flags.json === true,
        force: flags.force === true,
      }),
  },
  doctor: {
    preload: false,
    run: async ({ flags }, ctx) =>
      (await import("./commands/doctor.js")).runDoctor({
        ...ctx,
        json: flags.json === true,
        offline: flags.offline === true,
      }),
  },
  completion: {
    preload: false,
    run: async ({ flags, positionals }, ctx) => {
      const { runCompletion } = await import("./commands/completion.js");
      if (flags.profiles === true) return runCompletion({ ...ctx, profiles: true });
      const shell = positionals[0];
      if (shell === undefined) throw new UsageError("codex completion needs a shell: bash, zsh or fish");
      if (!COMPLETION.choices?.includes(shell)) {
        throw new UsageError(
          `codex completion knows bash, zsh and fish${quoteWord(shell) ? `, not${quoteWord(shell)}` : ""}`,
        );
      }
      return runCompletion({
        ...ctx,
        shell: shell as "bash" | "zsh" | "fish",
        commands: COMMANDS,
        globalFlags: GLOBAL_FLAGS,
        programFlags: PROGRAM_FLAGS,
      });
    },
  },
};

/**
 * The word in quotes when it looks like a command or flag name and not like a key (safe-text.ts's
 * looksLikeSecret, the rule that also masks other programs' messages), nothing otherwise: a mistyped
 * command is worth repeating, a pasted API key is not.
 */
function quoteWord(word: string): string {
  return /^-{0,2}[A-Za-z][A-Za-z-]{0,39}$/.test(word) && !looksLikeSecret(word) ? ` '${word}'` : "";
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
  // Case is ignored: `codex STATUS` is a typo of `codex status` as much as `codex stauts` is.
  const lower = word.toLowerCase();
  const best = choices
    .map((c) => ({ c, d: distance(lower, c) }))
    .filter((x) => x.d <= 2)
    .sort((x, y) => x.d - y.d)[0];
  return best === undefined ? "" : ` (did you mean ${prefix}${best.c}?)`;
}

/**
 * Commands of OpenAI's Codex CLI that people type out of habit, and ours that does their job. Both tools
 * install a `codex` command, so `codex exec …` here most likely meant a prompt for the model.
 */
const CODEX_CLI_COMMANDS: Record<string, string> = { exec: "run", e: "run" };

/**
 * The usage error for a first word that is not a command: the nearest command (case ignored), the
 * command of ours that does what OpenAI's Codex CLI's does, or, for words that read as a prompt
 * (`codex "fix the tests"`), `codex run` with that prompt. A word is repeated only when it cannot be a key
 * (quoteWord), and a prompt only when none of its words looks like one (looksLikeSecret).
 */
function unknownCommand(args: string[]): UsageError {
  const first = args[0] ?? "";
  const lower = first.toLowerCase();
  const names = COMMANDS.map((c) => c.name);
  const own = CODEX_CLI_COMMANDS[lower];
  if (own !== undefined) {
    const prompt = promptText(untilFlag(args.slice(1)));
    return new UsageError(
      `unknown command '${lower}': that is OpenAI's Codex CLI; to send a prompt here: \`codex ${own} ${prompt ?? "PROMPT"}\``,
    );
  }
  const near = suggest(first, names);
  if (near !== "") return new UsageError(`unknown command${quoteWord(first)}${near}; see \`codex --help\``);
  const words = untilFlag(args);
  if (words.length > 1 || /\s/.test(first)) {
    return new UsageError(
      `unknown command${quoteWord(first)}; to send a prompt to the model: \`codex run ${promptText(words) ?? "PROMPT"}\``,
    );
  }
  return new UsageError(`unknown command${quoteWord(first)}; see \`codex --help\``);
}

/** The arguments before the first flag: what reads as a prompt in `codex fix the tests --profile work`. */
function untilFlag(args: string[]): string[] {
  const flag = args.findIndex((a) => a.startsWith("-"));
  return flag === -1 ? args : args.slice(0, flag);
}

/**
 * The words as one shell-quoted argument, or undefined when they should not be echoed: empty, too long to
 * be read in one line, holding a control character, or holding a word that may be a key.
 */
function promptText(words: string[]): string | undefined {
  const text = words.join(" ");
  if (text === "" || text.length > 60) return undefined;
  if (/[\p{Cc}\p{Cf}]/u.test(text)) return undefined;
  if (text.split(/\s+/).some((w) => looksLikeSecret(w))) return undefined;
  if (/^[\w ,.?:;()+=@%/-]*$/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", "'\\''")}'`;
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

/**
 * `--help` for the program (no spec) or one command, to the terminal's width (at most help.ts's
 * MAX_WIDTH), naming the docs/ directory installed beside this bundle when it is there.
 */
async function showHelp(io: IO, spec?: CommandSpec, path?: string): Promise<ExitCode> {
  const { MAX_WIDTH, commandHelp, programHelp } = await import("./help.js");
  const docs = join(__dirname, "..", "docs");
  const layout = { width: Math.min(io.columns(), MAX_WIDTH), docs: existsSync(docs) ? docs : undefined };
  io.out(spec ? commandHelp(spec, layout, path) : programHelp(layout));
  return ExitCode.ok;
}

async function dispatch(io: IO, env: NodeJS.ProcessEnv, args: string[], preset: string[] = []): Promise<ExitCode> {
  const first = args[0];
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? args[1] : undefined;
    const spec = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && spec === undefined) throw unknownCommand([topic]);
    return showHelp(io, spec);
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
  if (spec === undefined) throw unknownCommand(args);
  let rest = args.slice(1);
  let path = spec.name;
  if (spec === LOGIN && rest[0] === "status") {
    // `codex login status` is an alias of `codex status`, as in OpenAI's Codex CLI.
    spec = STATUS;
    path = "login status";
    rest = rest.slice(1);
  }
  const parsed = parseFlags(spec, [...rest, ...preset]);
  if (parsed.flags.help) return showHelp(io, spec, path);
  const bare: BareContext = {
    io,
    env,
    clock: () => new Date(),
    // Proxies and CA files from this environment (config/network.ts), loaded on the first request only.
    fetch: lazyNetworkFetch(env),
    profile: stringFlag(parsed.flags, "profile"),
  };
  const runner = RUNNERS[spec.name] as Runner;
  if (!runner.preload) return runner.run(parsed, bare);
  return runner.run(parsed, { ...bare, config: await Config.load({ env }) });
}

function lazyNetworkFetch(env: NodeJS.ProcessEnv): Fetch {
  let fetch: Fetch | undefined;
  return async (url, init) => {
    fetch ??= (await import("./config/network.js")).networkFetch(env);
    return fetch(url, init);
  };
}

/**
 * A stack trace naming the installed files. Node 20's V8 names a script compiled from a code cache as the
 * cache's maker named it (scripts/build.mjs: "codex-credentials/dist/main.cjs", never a path on the build
 * machine), not as the loader does; this directory is where the bundle really is. Frames already naming an
 * absolute path (newer Node, or a cache that was rejected) are left as they are.
 */
function installedStack(stack: string): string {
  const dir = `${__dirname}${sep}`;
  return stack.replaceAll(`(${__CACHED_AS__}`, () => `(${dir}`).replaceAll(`at ${__CACHED_AS__}`, () => `at ${dir}`);
}

/**
 * codex with these arguments (those after the program name), this environment and these streams: the
 * exit code, returned. Nothing here reads the process (argv, env, stdio) or ends it; bin.ts does that for
 * the executable, and tests run this in process with their own io.
 */
export async function main(args: string[], env: NodeJS.ProcessEnv, io: IO): Promise<number> {
  const debug = args.includes("--debug");
  try {
    return await dispatch(io, env, args);
  } catch (err) {
    if (err instanceof CodexError) {
      io.error(err.message);
      if (debug && err.stack) io.err(installedStack(err.stack));
      return err.exitCode;
    }
    io.error(`unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
    if (debug && err instanceof Error && err.stack) io.err(installedStack(err.stack));
    else io.err("Run again with --debug for details, and please report this.");
    return ExitCode.failure;
  }
}
