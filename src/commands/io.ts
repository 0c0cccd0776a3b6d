/**
 * All terminal concerns in one object, as the GitHub CLI's IOStreams: TTY detection, colour (`NO_COLOR`,
 * `TERM=dumb`, non-TTY output is plain), results on stdout, diagnostics on stderr, reading standard input
 * and masked prompts. Commands receive an IO and never touch `process.stdout` or check TTYs themselves, so
 * tests can run them with any streams.
 *
 * Diagnostics often carry text from outside (a server's message, another program's stderr), so every
 * line written to stderr loses its control characters here, whatever the caller already did; codex's own
 * colour is added after that. Lines on stdout are results, some of them exact data (`--json`): callers
 * clean what they put there (safe-text.ts).
 */
import { fstatSync, statSync, writeSync } from "node:fs";
import { lazyRequire } from "../config/lazy-require.js";
import type { Env } from "../config/paths.js";
import { CancelledError } from "../errors.js";
import { oneLine, stripControls } from "../safe-text.js";

type In = NodeJS.ReadableStream & { isTTY?: boolean };
type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface IO {
  readonly stdin: In;
  readonly stdout: Out;
  readonly stderr: Out;
  /** Whether we may ask the user something: both the input and the place we ask on are terminals. */
  canPrompt(): boolean;
  stdinIsTTY(): boolean;
  /** Whether stdout is a terminal (rather than a pipe or a file). */
  stdoutIsTTY(): boolean;
  /**
   * How many columns output may fill: the terminal's width when stdout is one, else COLUMNS when it holds
   * a width, else 80. Asking creates the terminal's stream, so only output that is laid out asks (help).
   */
  columns(): number;
  /** A line of result, to stdout, as given. */
  out(line: string): void;
  /** Text to stdout as given (streamed replies). */
  write(text: string): void;
  /** A line of diagnostics, to stderr, without control characters (tab and newline stay). */
  err(line: string): void;
  /** A line of diagnostics that matters less (dim on a colour terminal), to stderr, as `err`. */
  note(line: string): void;
  /** `warning: …` to stderr, highlighted when stderr is a colour terminal; the line as `err`. */
  warn(line: string): void;
  /** `error: …` to stderr; the line as `err`. */
  error(line: string): void;
  /** Text styled for stdout, or plain when colour is off. */
  bold(text: string): string;
  /**
   * All of standard input, when it holds at most `maxBytes`; undefined when it holds more. Reading stops at
   * the limit, so an input that never ends (`yes | codex …`) costs neither time nor memory.
   */
  readAll(maxBytes: number): Promise<Buffer | undefined>;
  /** Asks for a secret without echoing it (prompt on stderr). Ctrl-C is a CancelledError. */
  promptSecret(message: string): Promise<string>;
  /** Asks to pick one of `choices` (the first is the default; prompt on stderr). Ctrl-C is a CancelledError. */
  choose<T extends string>(message: string, choices: ReadonlyArray<{ value: T; name: string }>): Promise<T>;
  /**
   * A signal that aborts when the user presses Ctrl-C (SIGINT), for long waits that should end cleanly
   * rather than kill the process. Call `release` when the wait is over to restore the default.
   */
  interruptSignal(): { signal: AbortSignal; release(): void; cancel(): void };
  /**
   * Reads lines typed or pasted on the terminal while codex waits for something else (the browser sign-in):
   * standard input in raw mode, echo off, so a pasted secret is never shown and a redrawn status line is
   * never broken. Enter hands the line to `onLine` (empty lines are skipped); Backspace and Ctrl-U edit it;
   * Ctrl-C and Esc call `onCancel` (raw mode turns off the terminal's own Ctrl-C). Escape sequences (arrow
   * keys, bracketed paste) and other control characters are dropped, so a line holds none. At most
   * `maxChars` + 1 characters are kept: a longer line arrives cut there. `onTyping` is told the length so
   * far. The function returned stops reading and restores the terminal's mode.
   */
  readLines(handlers: {
    maxChars: number;
    onLine(line: string): void;
    onCancel(): void;
    onTyping?(chars: number): void;
  }): () => void;
  /**
   * A line on stderr saying what codex is waiting for, kept current by calling `show` again. On a terminal
   * it is one line redrawn in place (carriage return, erase line), removed by `end` or by any other output,
   * which would otherwise run into it; after other output the next `show` draws it again below. Elsewhere
   * (a pipe, a file, TERM=dumb) each `show` is a plain line, but at most one a minute: a log gets a sign of
   * life, never a flood.
   */
  statusLine(): StatusLine;
}

export interface StatusLine {
  /** Whether the line is redrawn in place (a terminal) rather than written as plain lines. */
  readonly live: boolean;
  show(text: string): void;
  /** Takes the line off the terminal; `show` does nothing after. */
  end(): void;
}

/** The least time between two plain lines of a status line (see IO.statusLine). */
const PLAIN_STATUS_EVERY_MS = 60_000;
/** Carriage return, then erase the whole line (ECMA-48 EL 2): the cursor ends at column 1 of a blank line. */
const ERASE_LINE = "\r\x1b[2K";

/** Maps @inquirer's cancellation errors to ours. */
function promptCancelled(err: unknown): never {
  if (err instanceof Error && (err.name === "ExitPromptError" || err.name === "AbortPromptError")) {
    throw new CancelledError();
  }
  throw err;
}

/** From the CommonJS bin an @inquirer module is a bundled CommonJS file, whose `default` is the whole module. */
function defaultExport<F>(mod: { default: F }): F {
  return typeof mod.default === "function" ? mod.default : (mod.default as unknown as { default: F }).default;
}

export function colorEnabled(isTTY: boolean, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTTY;
}

interface Streams {
  stdin: In;
  stdout: Out;
  stderr: Out;
}

/**
 * Whether a file descriptor is a terminal, without loading `tty` (and with it `net`) for pipes, files and
 * /dev/null, the usual destinations of scripted runs. Only other character devices ask `tty`.
 */
function fdIsTTY(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev === statSync("/dev/null").rdev) return false;
  } catch {
    return false;
  }
  return (lazyRequire("node:tty") as typeof import("node:tty")).isatty(fd);
}

/**
 * Writes straight to a file descriptor. process.stdout is a stream whose creation loads Node's stream and
 * socket machinery, a sizeable share of a short command's run time; a few synchronous lines need none of
 * it. EAGAIN (a non-blocking pipe that is full) is retried; EPIPE (the reader went away) ends output.
 */
function fdWriter(fd: number): (text: string) => void {
  let closed = false;
  return (text) => {
    let buf = Buffer.from(text);
    while (!closed && buf.length > 0) {
      try {
        buf = buf.subarray(writeSync(fd, buf));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EAGAIN") closed = true;
      }
    }
  };
}

/**
 * The real terminal when called with no streams (file descriptors 0–2, every stream created only when
 * used); the given streams otherwise (tests, embedding).
 */
export function createIO(env: Env, streams?: Streams): IO {
  const real = streams === undefined;
  const get = <K extends keyof Streams>(k: K): Streams[K] => (streams ?? (process as unknown as Streams))[k];
  const rawOut = real ? fdWriter(1) : (t: string) => void get("stdout").write(t);
  const rawErr = real ? fdWriter(2) : (t: string) => void get("stderr").write(t);
  // Whether a status line is on screen, the cursor at its end: anything else written first erases it.
  let drawn = false;
  /** Ctrl-C was pressed: a status line is not drawn again after the interrupt erased it. */
  let interrupted = false;
  const erase = () => {
    if (!drawn) return;
    drawn = false;
    rawErr(ERASE_LINE);
  };
  const writeOut = (t: string) => {
    erase();
    rawOut(t);
  };
  const writeErr = (t: string) => {
    erase();
    rawErr(t);
  };
  const stdoutTTY = real ? fdIsTTY(1) : get("stdout").isTTY === true;
  const stderrTTY = real ? fdIsTTY(2) : get("stderr").isTTY === true;
  const stdinIsTTY = () => (real ? fdIsTTY(0) : get("stdin").isTTY === true);
  const outColor = colorEnabled(stdoutTTY, env);
  const errColor = colorEnabled(stderrTTY, env);
  const paint = (on: boolean, code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    get stdin() {
      return get("stdin");
    },
    get stdout() {
      return get("stdout");
    },
    get stderr() {
      return get("stderr");
    },
    canPrompt: () => stdinIsTTY() && stderrTTY,
    stdinIsTTY,
    stdoutIsTTY: () => stdoutTTY,
    columns: () => {
      const terminal = stdoutTTY ? get("stdout").columns : undefined;
      if (terminal !== undefined && Number.isInteger(terminal) && terminal > 0) return terminal;
      // 1 to 9999: anything else (0, a word, a runaway number) is not a width.
      if (/^[1-9]\d{0,3}$/.test(env.COLUMNS ?? "")) return Number(env.COLUMNS);
      return 80;
    },
    out: (line) => writeOut(`${line}\n`),
    write: (text) => writeOut(text),
    err: (line) => writeErr(`${stripControls(line)}\n`),
    note: (line) => writeErr(`${paint(errColor, "2", stripControls(line))}\n`),
    warn: (line) => writeErr(`${paint(errColor, "33", "warning:")} ${stripControls(line)}\n`),
    error: (line) => writeErr(`${paint(errColor, "31", "error:")} ${stripControls(line)}\n`),
    bold: (text) => paint(outColor, "1", text),
    async readAll(maxBytes) {
      const chunks: Buffer[] = [];
      let size = 0;
      // Leaving the loop early destroys the stream: nothing more is read, and a writer that goes on gets EPIPE.
      for await (const chunk of get("stdin")) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += buf.length;
        if (size > maxBytes) return undefined;
        chunks.push(buf);
      }
      return Buffer.concat(chunks);
    },
    async promptSecret(message) {
      erase();
      const password = defaultExport(await import("@inquirer/password"));
      return password(
        { message, mask: "*" },
        {
          input: get("stdin") as NodeJS.ReadableStream,
          output: get("stderr") as NodeJS.WritableStream,
          clearPromptOnDone: true,
        },
      ).catch(promptCancelled);
    },
    async choose(message, choices) {
      erase();
      const select = defaultExport(await import("@inquirer/select"));
      return select(
        { message, choices: choices.map((c) => ({ value: c.value, name: c.name })), default: choices[0]?.value },
        { input: get("stdin") as NodeJS.ReadableStream, output: get("stderr") as NodeJS.WritableStream },
      ).catch(promptCancelled) as Promise<(typeof choices)[number]["value"]>;
    },
    interruptSignal() {
      const controller = new AbortController();
      if (!real) return { signal: controller.signal, release: () => {}, cancel: () => controller.abort() };
      const onInterrupt = () => {
        // The terminal has echoed ^C where the cursor was: a status line is erased with it, and any other
        // line is ended, so that what follows starts on a line of its own.
        if (drawn) erase();
        else writeErr("\n");
        // The wait's timer may fire before the abort reaches the flow that ends it: nothing is drawn again.
        interrupted = true;
        controller.abort();
      };
      process.once("SIGINT", onInterrupt);
      return {
        signal: controller.signal,
        release: () => process.removeListener("SIGINT", onInterrupt),
        cancel: onInterrupt,
      };
    },
    readLines({ maxChars, onLine, onCancel, onTyping }) {
      const input = get("stdin") as In & { setRawMode?(raw: boolean): unknown; isRaw?: boolean };
      const wasRaw = input.isRaw === true;
      input.setRawMode?.(true);
      let line = "";
      // 0: text; 1: after ESC; 2: in a CSI sequence (ESC [ … final byte); 3: the one character after ESC O.
      let inSequence = 0;
      const onData = (chunk: string | Buffer) => {
        const text = String(chunk);
        // Esc alone: a key press. (An arrow key's ESC arrives with the rest of its sequence.)
        if (text === "\x1b") return onCancel();
        const before = line.length;
        for (const c of text) {
          const code = c.codePointAt(0) as number;
          if (inSequence === 1) inSequence = c === "[" ? 2 : c === "O" ? 3 : 0;
          else if (inSequence === 2) inSequence = code >= 0x40 && code <= 0x7e ? 0 : 2;
          else if (inSequence === 3) inSequence = 0;
          else if (c === "\x03") return onCancel();
          else if (c === "\x1b") inSequence = 1;
          else if (c === "\r" || c === "\n") {
            const entered = line;
            line = "";
            if (entered.trim() !== "") onLine(entered);
          } else if (c === "\x7f" || c === "\b") line = line.slice(0, -1);
          else if (c === "\x15") line = "";
          else if (code >= 0x20 && !(code >= 0x7f && code < 0xa0) && line.length <= maxChars) line += c;
        }
        if (line.length !== before) onTyping?.(line.length);
      };
      input.setEncoding?.("utf8");
      input.on("data", onData);
      input.resume?.();
      return () => {
        input.removeListener("data", onData);
        input.setRawMode?.(wasRaw);
        input.pause?.();
      };
    },
    statusLine() {
      const live = stderrTTY && env.TERM !== "dumb";
      let ended = false;
      let lastPlain = Number.NEGATIVE_INFINITY;
      return {
        live,
        show(text) {
          if (ended || interrupted) return;
          const line = oneLine(text, 1000);
          if (!live) {
            // Monotonic: a system clock set back must not silence the line for as long.
            const now = performance.now();
            if (now - lastPlain < PLAIN_STATUS_EVERY_MS) return;
            lastPlain = now;
            writeErr(`${line}\n`);
            return;
          }
          // A line that wrapped could not be erased by ERASE_LINE (it erases one row), so it is cut to the
          // terminal's width, less room for the ^C the terminal echoes after it on Ctrl-C.
          const columns = get("stderr").columns;
          const fit = Math.max(10, (columns !== undefined && columns > 0 ? columns : 80) - 3);
          rawErr(`${ERASE_LINE}${oneLine(line, fit)}`);
          drawn = true;
        },
        end() {
          ended = true;
          erase();
        },
      };
    },
  };
}
