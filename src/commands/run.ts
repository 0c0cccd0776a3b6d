/**
 * `codex run "prompt"`: one request, the reply streamed to stdout as it arrives. The prompt comes from the
 * argument, or from standard input with `-` (or when no argument is given and input is piped). `--json`
 * prints only the final reply as one JSON object, for scripts.
 */
import { openClient } from "../api/open.js";
import { fallbackSelectorRefusal, refusalLine } from "../auth/codex-cli.js";
import { type ExitCode, InvalidInputError, UsageError } from "../errors.js";
import { jsonText } from "../safe-text.js";
import type { CommandContext } from "./context.js";
import { MAX_PROMPT_BYTES } from "./input-lines.js";
import { printReplyNotes, streamToStdout } from "./reply-output.js";

export interface RunOptions extends CommandContext {
  /** The prompt argument; "-" reads standard input; undefined reads it too when it is not a terminal. */
  prompt: string | undefined;
  json: boolean;
  model?: string | undefined;
}

async function readPrompt(opts: RunOptions): Promise<string> {
  const { io } = opts;
  let prompt = opts.prompt;
  if (prompt === undefined || prompt === "-") {
    if (io.stdinIsTTY()) {
      if (prompt === "-") io.err("Reading the prompt from standard input; end it with Ctrl-D.");
      else throw new UsageError('codex run needs a prompt: `codex run "your prompt"`, or pipe it on standard input');
    }
    const input = await io.readAll(MAX_PROMPT_BYTES);
    if (input === undefined) {
      throw new InvalidInputError(
        `the prompt on standard input is over ${MAX_PROMPT_BYTES / 1024 / 1024} MiB; nothing was sent`,
      );
    }
    prompt = input.toString("utf8");
  }
  if (prompt.trim() === "") throw new UsageError("the prompt is empty; nothing was sent");
  return prompt;
}

export async function runRun(opts: RunOptions): Promise<ExitCode> {
  const { io } = opts;
  const selector = fallbackSelectorRefusal(opts.config, opts.env, opts.profile);
  if (selector !== undefined) io.warn(refusalLine(selector));
  // Credential first: without one, nothing is read and nothing is sent.
  const client = await openClient(opts);
  // On stderr, once: stdout may be piped into something that must not see it.
  if (client.credential.hides !== undefined) io.warn(client.credential.hides.message);
  const prompt = await readPrompt(opts);
  const messages = [{ role: "user" as const, content: prompt }];
  if (opts.json) {
    const reply = await client.reply(messages);
    io.out(
      jsonText({
        text: reply.text,
        model: reply.model,
        provider: client.provider.id,
        usage: reply.usage ?? null,
        incomplete: reply.incomplete ?? null,
      }),
    );
    return 0;
  }
  const reply = await streamToStdout(io, (onText) => client.reply(messages, { onText }));
  printReplyNotes(io, reply);
  return 0;
}
