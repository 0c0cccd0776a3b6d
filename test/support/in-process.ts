/**
 * `codex` run in the test's own process: src/cli.ts's `main` with a test IO, the same arguments, the same
 * clean environment and the same result as `runCli` (../helpers.ts), without the ~50 ms of a new Node
 * process per run. For behaviour a process adds nothing to; what needs one (exit of the process, signals,
 * terminals, crashes, locks between processes, start-up) keeps `runCli`, and so do runs whose environment
 * asks for a process (needsProcess).
 *
 *   const r = await runCliInProcess(["status"], { home });   // { code, signal: null, stdout, stderr }
 */
import { PassThrough, Writable } from "node:stream";
import { main } from "../../src/cli.js";
import { createIO, type IO } from "../../src/commands/io.js";
import { cleanEnv, type RunOptions, type RunResult, runCli } from "../helpers.js";

/** Text written to a stream, kept as bytes and decoded once at the end (a character may span two writes). */
class Capture extends Writable {
  readonly #chunks: Buffer[] = [];
  // Not a terminal: io.ts asks `isTTY` and `columns` of the stream it was given.
  readonly isTTY = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    done();
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }
}

export interface TestIO {
  io: IO;
  stdout(): string;
  stderr(): string;
  /** Ends standard input if it was left open (`silentStdin`). */
  close(): void;
}

/**
 * An IO on strings, as a pipe: standard input holds `input` and is then closed (or, with `silentStdin`,
 * stays open and silent until `close`); stdout and stderr are captured; nothing is a terminal, so
 * `columns()` is COLUMNS or 80, as for a pipe.
 */
export function testIO(env: NodeJS.ProcessEnv, opts: Pick<RunOptions, "input" | "silentStdin"> = {}): TestIO {
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  if (!opts.silentStdin) stdin.end(opts.input ?? "");
  const stdout = new Capture();
  const stderr = new Capture();
  return {
    io: createIO(env, { stdin, stdout, stderr }),
    stdout: () => stdout.text(),
    stderr: () => stderr.text(),
    close: () => void stdin.end(),
  };
}

/**
 * Why a run with this environment and cwd needs a process of its own, or undefined when it does not:
 * variables Node reads only when a process starts (a preload, extra CA certificates), a keyring reached
 * through the helper process (a bus address with no unix socket: the helper is dist/keyring-helper.cjs, found
 * beside the bundle, and the sources have none beside them; a unix socket is spoken to in process), another
 * cwd (main has none of its own).
 */
export function needsProcess(env: NodeJS.ProcessEnv, cwd?: string): string | undefined {
  if (env.NODE_OPTIONS !== undefined) return "NODE_OPTIONS";
  if (env.NODE_EXTRA_CA_CERTS !== undefined) return "NODE_EXTRA_CA_CERTS";
  const bus = env.DBUS_SESSION_BUS_ADDRESS;
  if (bus !== undefined && !bus.split(";").some((a) => a.startsWith("unix:"))) return "the keyring's helper";
  if (cwd !== undefined && cwd !== process.cwd()) return "a cwd";
  return undefined;
}

/**
 * `runCli` in process: same options, same result. A run that needs a process (needsProcess) gets one,
 * through `runCli`. Past `timeoutMs` the result is what `runCli` gives for a killed process (code null,
 * SIGKILL) with the output so far; the run itself cannot be killed and goes on.
 */
export async function runCliInProcess(args: string[], opts: RunOptions & { home: string }): Promise<RunResult> {
  const env = cleanEnv(opts.home, opts.env);
  if (needsProcess(env, opts.cwd) !== undefined) return runCli(args, opts);
  const t = testIO(env, opts);
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), opts.timeoutMs ?? 20_000);
  });
  try {
    const code = await Promise.race([main(args, env, t.io), killed]);
    return code === null
      ? { code: null, signal: "SIGKILL", stdout: t.stdout(), stderr: t.stderr() }
      : { code, signal: null, stdout: t.stdout(), stderr: t.stderr() };
  } finally {
    clearTimeout(timer);
    t.close();
  }
}
