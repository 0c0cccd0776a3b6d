/**
 * All terminal concerns in one object, as the GitHub CLI's IOStreams: TTY detection, colour (`NO_COLOR`,
 * `TERM=dumb`, non-TTY output is plain), results on stdout, diagnostics on stderr, reading standard input
 * and masked prompts. Commands receive an IO and never touch `process.stdout` or check TTYs themselves, so
 * tests can run them with any streams.
 */
import type { Env } from "../config/paths.js";
import { CancelledError } from "../errors.js";

type In = NodeJS.ReadableStream & { isTTY?: boolean };
type Out = NodeJS.WritableStream & { isTTY?: boolean };

export interface IO {
  readonly stdin: In;
  readonly stdout: Out;
  readonly stderr: Out;
  /** Whether we may ask the user something: both the input and the place we ask on are terminals. */
  canPrompt(): boolean;
  stdinIsTTY(): boolean;
  /** A line of result, to stdout. */
  out(line: string): void;
  /** A line of diagnostics, to stderr. */
  err(line: string): void;
  /** `warning: …` to stderr, highlighted when stderr is a colour terminal. */
  warn(line: string): void;
  /** `error: …` to stderr. */
  error(line: string): void;
  /** Text styled for stdout, or plain when colour is off. */
  bold(text: string): string;
  /** All of standard input, as UTF-8. */
  readAll(): Promise<string>;
  /** Asks for a secret without echoing it (prompt on stderr). Ctrl-C is a CancelledError. */
  promptSecret(message: string): Promise<string>;
}

export function colorEnabled(stream: Out, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

interface Streams {
  stdin: In;
  stdout: Out;
  stderr: Out;
}

export function createIO(env: Env, streams: Streams = process as unknown as Streams): IO {
  // process.stdin is a getter that builds a socket or TTY stream (loading net and tty) on first use;
  // `codex status` never reads input, so touch it only when a command does.
  const { stdout, stderr } = streams;
  let input: In | undefined;
  const stdinStream = () => {
    input ??= streams.stdin;
    return input;
  };
  const stdinIsTTY = () => stdinStream().isTTY === true;
  const outColor = colorEnabled(stdout, env);
  const errColor = colorEnabled(stderr, env);
  const paint = (on: boolean, code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    get stdin() {
      return stdinStream();
    },
    stdout,
    stderr,
    canPrompt: () => stdinIsTTY() && stderr.isTTY === true,
    stdinIsTTY,
    out: (line) => void stdout.write(`${line}\n`),
    err: (line) => void stderr.write(`${line}\n`),
    warn: (line) => void stderr.write(`${paint(errColor, "33", "warning:")} ${line}\n`),
    error: (line) => void stderr.write(`${paint(errColor, "31", "error:")} ${line}\n`),
    bold: (text) => paint(outColor, "1", text),
    async readAll() {
      const chunks: Buffer[] = [];
      for await (const chunk of stdinStream()) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      return Buffer.concat(chunks).toString("utf8");
    },
    async promptSecret(message) {
      const { default: password } = await import("@inquirer/password");
      try {
        return await password(
          { message, mask: "*" },
          {
            input: stdinStream() as NodeJS.ReadableStream,
            output: stderr as NodeJS.WritableStream,
            clearPromptOnDone: true,
          },
        );
      } catch (err) {
        if (err instanceof Error && (err.name === "ExitPromptError" || err.name === "AbortPromptError")) {
          throw new CancelledError();
        }
        throw err;
      }
    },
  };
}
