/**
 * The `codex` executable: argument parsing and nothing else. It builds each command's explicit inputs
 * (io, env, config, clock), runs it, and turns any error into one line on stderr and an exit code:
 * 0 ok · 1 failure / not logged in · 2 usage · 4 authentication required. Stack traces only with --debug.
 */
import { Command, CommanderError, Option } from "commander";
import { runLogin } from "./commands/login.js";
import { runLogout } from "./commands/logout.js";
import { runStatus } from "./commands/status.js";
import { type IO, createIO } from "./commands/io.js";
import type { CommandContext } from "./commands/context.js";
import { Config } from "./config/config.js";
import { CodexError, ExitCode } from "./errors.js";

declare const __VERSION__: string;

const STATUS_HELP = `
Exit status is 0 when a credential is available, 1 when not.

Examples:
  $ codex status
  $ codex status --json | jq .authenticated`;

const LOGIN_HELP = `
The key is read from standard input, never from the command line, where other users and your shell
history would see it. On a terminal, \`codex login\` asks for it with a hidden prompt.

Examples:
  $ codex login                                 # asks for the key (on a terminal)
  $ codex login --with-api-key < ~/openai.key
  $ printenv OPENAI_API_KEY | codex login --with-api-key
  $ codex login status`;

const LOGOUT_HELP = `
Removes the stored credential from $CODEX_HOME/config.toml (default ~/.codex/config.toml), leaving every
other line of the file as it was. If CODEX_API_KEY or OPENAI_API_KEY is set, codex warns that it still
authenticates: only you can unset it.

Examples:
  $ codex logout`;

function build(io: IO, env: NodeJS.ProcessEnv, setExit: (code: number) => void): Command {
  const context = async (): Promise<CommandContext> => ({
    io,
    env,
    config: await Config.load({ env }),
    clock: () => new Date(),
  });
  const program = new Command("codex")
    .description("Sign in to an OpenAI-compatible coding assistant, check where you stand, and sign out.")
    .version(__VERSION__, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .addOption(new Option("--debug", "show stack traces for errors"))
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(rewriteError(s)),
    })
    .exitOverride();

  const statusAction = async (options: { json?: boolean }) =>
    setExit(await runStatus({ ...(await context()), json: options.json === true }));

  program
    .command("status")
    .description("show whether you are logged in, how, and where the credential comes from")
    .option("--json", "print the status as JSON")
    .addHelpText("after", STATUS_HELP)
    .action(statusAction);

  const login = program
    .command("login")
    .description("log in with an API key (read from standard input or a hidden prompt)")
    .option("--with-api-key", "read the API key from standard input")
    .addHelpText("after", LOGIN_HELP)
    .action(async (options: { withApiKey?: boolean }) =>
      setExit(await runLogin({ ...(await context()), withApiKey: options.withApiKey === true })),
    );
  login
    .command("status")
    .description("same as `codex status`")
    .option("--json", "print the status as JSON")
    .addHelpText("after", STATUS_HELP)
    .action(statusAction);

  program
    .command("logout")
    .description("remove the stored credential")
    .addHelpText("after", LOGOUT_HELP)
    .action(async () => setExit(await runLogout(await context())));

  for (const cmd of [program, ...program.commands, ...login.commands]) {
    cmd.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

/**
 * Commander echoes unknown options; `--api-key=sk-…` must not put a key on the terminal or in logs. And an
 * argument to `login` is almost always a key pasted where it does not belong: say where it goes instead.
 */
function rewriteError(message: string): string {
  if (message.includes("too many arguments for 'login'")) {
    return "error: codex login does not take the API key as an argument (process lists and shell history would keep it); pipe it on standard input: `codex login --with-api-key < keyfile`\n";
  }
  return message.replace(/'(-{1,2}[^'=\s]+)=[^']*'/g, "'$1=…'");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = createIO(env);
  const debug = argv.includes("--debug");
  let exitCode = 0;
  const program = build(io, env, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") return 0;
      // Commander already printed the message (redacted); argument mistakes are usage errors.
      return ExitCode.usage;
    }
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

process.exitCode = await main(process.argv);
