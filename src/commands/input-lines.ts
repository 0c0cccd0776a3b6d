/**
 * Messages read from standard input, bounded: `codex run -` reads one prompt, piped `codex chat` one message
 * per line, each at most MAX_PROMPT_BYTES.
 *
 * node:readline holds a line of any length until its end comes, so a line that never ends (`yes | tr -d '\n'
 * | codex chat`) would grow memory without bound; it cannot be told to stop. This splitter works on the raw
 * bytes instead: a line past the limit ends the reading at once, and what was read of it is dropped.
 */

/**
 * The largest prompt read from standard input: a few times what the largest context windows hold (about a
 * million tokens, some 4 MB of text), so no real prompt is cut, and an endless input ends at once.
 */
export const MAX_PROMPT_BYTES = 4 * 1024 * 1024;

/** A line of input past the limit: no more lines come after it. */
export const LINE_TOO_LONG = Symbol("line too long");

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of `input`, decoded as UTF-8 (invalid bytes become U+FFFD), split where readline splits them:
 * at LF, CRLF, or a lone CR, the line end not included; a last line without an end counts. A line over
 * `maxBytes` yields LINE_TOO_LONG, and the input is then left unread: ending the iteration destroys the
 * stream, so a writer that goes on gets EPIPE. LF and CR never occur inside a UTF-8 sequence, so splitting
 * bytes before decoding is safe, and a character cut between two chunks is joined again.
 */
export async function* inputLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<string | typeof LINE_TOO_LONG> {
  let parts: Buffer[] = [];
  let size = 0;
  // After a CR, an LF that follows (maybe in the next chunk) is the same line end.
  let afterCR = false;
  const take = (): string => {
    const line = Buffer.concat(parts, size).toString("utf8");
    parts = [];
    size = 0;
    return line;
  };
  for await (const chunk of input) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const byte = buf[i];
      if (byte !== LF && byte !== CR) continue;
      if (byte === LF && afterCR && i === start && size === 0) {
        afterCR = false;
        start = i + 1;
        continue;
      }
      size += i - start;
      if (size > maxBytes) {
        yield LINE_TOO_LONG;
        return;
      }
      parts.push(buf.subarray(start, i));
      yield take();
      afterCR = byte === CR;
      start = i + 1;
    }
    if (start < buf.length) {
      afterCR = false;
      size += buf.length - start;
      if (size > maxBytes) {
        yield LINE_TOO_LONG;
        return;
      }
      parts.push(buf.subarray(start));
    }
  }
  if (size > 0) yield take();
}
