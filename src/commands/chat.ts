/**
 * `codex chat`: a conversation. On a terminal it is interactive: the session's history goes with every
 * turn, `/exit` or Ctrl-D leaves, Ctrl-C stops the reply being streamed and, at an empty prompt, leaves.
 * With piped input it reads one message per line, prints each reply, and exits 0 at end of input: the
 * same conversation, scriptable.
 *
 * Every turn sends the conversation so far; it is kept to MAX_HISTORY_CHARS by leaving out the oldest
 * turns (saying so), so a long session's memory and requests stay bounded.
 *
 * Failure policy: on a terminal a network or server error ends only that turn (the user can try again);
 * a rejected credential ends the session with exit 4. Piped, any failure ends the run with its exit code,
 * because a script cannot react to a message in the middle of the output.
 */
// Loaded with this module, which the CLI imports only when `codex chat` runs.
import { createInterface, type Interface } from "node:readline";
import { type Client, MAX_REPLY_CHARS } from "../api/client.js";
import { openClient } from "../api/open.js";
import type { Message } from "../api/wire.js";
import { fallbackSelectorRefusal, refusalLine } from "../auth/codex-cli.js";
import { CancelledError, CodexError, ExitCode as Exit, type ExitCode, InvalidInputError } from "../errors.js";
import type { CommandContext } from "./context.js";
import { inputLines, LINE_TOO_LONG, MAX_PROMPT_BYTES } from "./input-lines.js";
import type { IO } from "./io.js";
import { printReplyNotes, streamToStdout } from "./reply-output.js";

export interface ChatOptions extends CommandContext {
  model?: string | undefined;
}

const HELP = `Commands: /new starts a new conversation, /exit leaves (or Ctrl-D). Ctrl-C stops a reply.`;

/**
 * The most text a turn sends as the conversation so far: as much as one reply may hold (32 Mi characters).
 * That is far beyond any model's context, so in practice the server says the conversation is too long
 * first; the limit is there so that memory stays bounded whatever the server accepts.
 */
export const MAX_HISTORY_CHARS = MAX_REPLY_CHARS;

/**
 * Leaves out the oldest messages until the conversation fits MAX_HISTORY_CHARS, keeping at least the last
 * message and starting with one of the user's, and says so.
 */
function fitHistory(io: IO, history: Message[]): void {
  let total = 0;
  for (const m of history) total += m.content.length;
  let drop = 0;
  while (total > MAX_HISTORY_CHARS && drop < history.length - 1) total -= history[drop++]?.content.length ?? 0;
  // A conversation starts with a message of the user's: a reply that would come first goes too.
  while (drop > 0 && drop < history.length - 1 && history[drop]?.role !== "user") drop++;
  if (drop === 0) return;
  history.splice(0, drop);
  io.note(
    `(the conversation is longer than ${MAX_HISTORY_CHARS / 1024 / 1024} MiB of text; its ${drop} oldest messages are no longer sent)`,
  );
}

type SlashCommand = "exit" | "new" | "help";

/** A line that is exactly one known slash command; other text starting with "/" is a message. */
function slashCommand(line: string): SlashCommand | "unknown" | undefined {
  const word = line.trim();
  if (!/^\/[a-z]+$/.test(word)) return undefined;
  if (word === "/exit" || word === "/quit") return "exit";
  if (word === "/new" || word === "/clear") return "new";
  if (word === "/help") return "help";
  return "unknown";
}

export async function runChat(opts: ChatOptions): Promise<ExitCode> {
  const selector = fallbackSelectorRefusal(opts.config, opts.env, opts.profile);
  if (selector !== undefined) opts.io.warn(refusalLine(selector));
  const client = await openClient(opts);
  // Once for the whole conversation, on stderr (stdout may be piped), before the first turn.
  if (client.credential.hides !== undefined) opts.io.warn(client.credential.hides.message);
  return opts.io.stdinIsTTY() ? interactive(opts.io, client) : piped(opts.io, client);
}

async function piped(io: IO, client: Client): Promise<ExitCode> {
  const history: Message[] = [];
  // Not readline: it holds a line of any length (see input-lines.ts). Leaving the loop stops the reading.
  for await (const line of inputLines(io.stdin as AsyncIterable<Buffer>, MAX_PROMPT_BYTES)) {
    if (line === LINE_TOO_LONG) {
      throw new InvalidInputError(
        `a message on standard input is over ${MAX_PROMPT_BYTES / 1024 / 1024} MiB; nothing more was sent`,
      );
    }
    if (line.trim() === "") continue;
    const command = slashCommand(line);
    if (command === "exit") break;
    if (command === "new") {
      history.length = 0;
      continue;
    }
    if (command !== undefined) {
      io.err(command === "unknown" ? `Unknown command, not sent. ${HELP}` : HELP);
      continue;
    }
    history.push({ role: "user", content: line });
    fitHistory(io, history);
    const reply = await streamToStdout(io, (onText) => client.reply(history, { onText }));
    history.push({ role: "assistant", content: reply.text });
    printReplyNotes(io, reply);
  }
  return Exit.ok;
}

/** Lines typed at the prompt, including ones typed ahead while a reply streams; null once input closed. */
function lineQueue(rl: Interface): () => Promise<string | null> {
  const lines: string[] = [];
  let waiting: ((line: string | null) => void) | undefined;
  let closed = false;
  rl.on("line", (line) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(line);
    } else lines.push(line);
  });
  rl.on("close", () => {
    closed = true;
    waiting?.(null);
    waiting = undefined;
  });
  return () => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
}

async function interactive(io: IO, client: Client): Promise<ExitCode> {
  const rl = createInterface({
    input: io.stdin,
    output: io.stderr,
    terminal: true,
    prompt: "› ",
    historySize: 200,
  });
  const next = lineQueue(rl);
  let streaming: AbortController | undefined;
  rl.on("SIGINT", () => {
    if (streaming !== undefined) {
      streaming.abort();
      return;
    }
    if (rl.line !== "") {
      // Ctrl-C on a half-typed line discards it, as shells do.
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      return;
    }
    rl.close();
  });
  io.note(
    `codex chat · ${client.model} via ${client.provider.name}. Type /exit or press Ctrl-D to leave, /help for more.`,
  );
  const history: Message[] = [];
  try {
    for (;;) {
      rl.prompt();
      const line = await next();
      if (line === null) break;
      if (line.trim() === "") continue;
      const command = slashCommand(line);
      if (command === "exit") break;
      if (command === "help" || command === "unknown") {
        io.err(command === "unknown" ? `Unknown command, not sent. ${HELP}` : HELP);
        continue;
      }
      if (command === "new") {
        history.length = 0;
        io.note("Started a new conversation.");
        continue;
      }
      history.push({ role: "user", content: line });
      fitHistory(io, history);
      streaming = new AbortController();
      let text = "";
      try {
        const { signal } = streaming;
        const reply = await streamToStdout(io, (onText) =>
          client.reply(history, {
            signal,
            onText: (t) => {
              text += t;
              onText(t);
            },
          }),
        );
        history.push({ role: "assistant", content: reply.text });
        printReplyNotes(io, reply);
      } catch (err) {
        if (err instanceof CancelledError) {
          // What was shown stays part of the conversation, as in a chat window; a turn stopped before any
          // reply is dropped, so the next one does not send two user messages in a row.
          if (text !== "") history.push({ role: "assistant", content: text });
          else history.pop();
          io.note("(reply stopped; press Ctrl-C again or type /exit to leave)");
        } else if (err instanceof CodexError && err.exitCode !== Exit.authRequired) {
          history.pop();
          io.error(err.message);
        } else {
          throw err;
        }
      } finally {
        streaming = undefined;
      }
    }
  } finally {
    rl.close();
  }
  return Exit.ok;
}
