/** Printing a streamed reply: shared by `run` and `chat`. */
import type { Reply } from "../api/client.js";
import type { IO } from "./io.js";

/**
 * Streams the reply's text to stdout as it arrives and ends it with a newline. If the stream fails
 * midway, what was printed stays printed, and the line is ended so the error starts on its own line.
 */
export async function streamToStdout(io: IO, send: (onText: (text: string) => void) => Promise<Reply>): Promise<Reply> {
  let last = "\n";
  const onText = (text: string) => {
    io.write(text);
    last = text;
  };
  try {
    return await send(onText);
  } finally {
    if (!last.endsWith("\n")) io.write("\n");
  }
}

export function printReplyNotes(io: IO, reply: Reply): void {
  if (reply.incomplete !== undefined) {
    io.warn(`the server ended the reply early (${reply.incomplete})`);
  }
}
