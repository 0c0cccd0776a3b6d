/**
 * Printing a streamed reply: shared by `run` and `chat`.
 *
 * A model's text is outside text. On a terminal it is shown without control characters (no escape
 * sequence, no BEL; CRLF becomes LF and a lone CR goes), so a reply cannot retitle the window, clear the
 * screen or hide a line behind a carriage return. Written to a pipe or a file it is data and goes out
 * exactly as the server sent it (`codex run "write a script" > x.sh` keeps every byte).
 */
import type { Reply } from "../api/client.js";
import { ControlStripper, oneLine } from "../safe-text.js";
import type { IO } from "./io.js";

/**
 * Streams the reply's text to stdout as it arrives and ends it with a newline. If the stream fails
 * midway, what was printed stays printed, and the line is ended so the error starts on its own line.
 */
export async function streamToStdout(io: IO, send: (onText: (text: string) => void) => Promise<Reply>): Promise<Reply> {
  const stripper = io.stdoutIsTTY() ? new ControlStripper() : undefined;
  let last = "\n";
  const onText = (text: string) => {
    const shown = stripper === undefined ? text : stripper.push(text);
    if (shown === "") return;
    io.write(shown);
    last = shown;
  };
  try {
    return await send(onText);
  } finally {
    if (!last.endsWith("\n")) io.write("\n");
  }
}

export function printReplyNotes(io: IO, reply: Reply): void {
  if (reply.incomplete !== undefined) {
    io.warn(`the server ended the reply early (${oneLine(reply.incomplete, 100)})`);
  }
}
