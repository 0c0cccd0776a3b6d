/**
 * Server-Sent Events, as both of OpenAI's streaming APIs send them. Bytes arrive split anywhere (inside a
 * line, inside a multi-byte UTF-8 character), so they go through a streaming UTF-8 decoder before the
 * line parser; comment lines (`: keep-alive`) are dropped, `data:` lines joined, CRLF/CR/LF all accepted
 * (WHATWG HTML, "Server-sent events", §9.2.6). The line parser is eventsource-parser, a small, well-kept
 * implementation of that section; one line or event larger than MAX_EVENT_CHARS stops the stream rather
 * than growing memory without bound.
 */
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

export type { EventSourceMessage as SseEvent };

export const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseTooLargeError extends Error {
  constructor(limit: number) {
    super(
      `an event larger than ${limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MiB` : `${limit} characters`}`,
    );
  }
}

export class SseDecoder {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #parser: EventSourceParser;
  readonly #limit: number;
  #events: EventSourceMessage[] = [];
  #tooLarge = false;
  /** The last text fed ended with CR, so an LF starting the next one belongs to the same line break. */
  #pendingCR = false;
  /** Where the text fed so far ends: at the start of a line, or inside a comment line (`: keep-alive`). */
  #lineStart = true;
  #inComment = false;
  #progressed = false;

  constructor(maxEventChars = MAX_EVENT_CHARS) {
    this.#limit = maxEventChars;
    this.#parser = createParser({
      onEvent: (event) => {
        // The parser bounds what it buffers across feeds; an event completed within one feed is checked here.
        if (event.data.length > maxEventChars) this.#tooLarge = true;
        else this.#events.push(event);
      },
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") this.#tooLarge = true;
      },
      maxBufferSize: maxEventChars,
    });
  }

  /** Feeds the next bytes; returns the events they completed, in order. */
  push(chunk: Uint8Array): EventSourceMessage[] {
    return this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /**
   * The stream ended. An event without its terminating blank line is discarded, as the standard says:
   * a half-received event is exactly what a cut connection produces.
   */
  end(): EventSourceMessage[] {
    return this.#feed(this.#decoder.decode());
  }

  /**
   * Whether the last `push` carried any part of a field line (`data:`, `event:`, …), as opposed to only
   * comment lines and blank lines: a server sending nothing but keep-alive comments is making no progress.
   */
  get progressed(): boolean {
    return this.#progressed;
  }

  #scan(text: string): boolean {
    let progressed = false;
    let i = 0;
    while (i < text.length) {
      if (this.#lineStart) {
        const c = text.charCodeAt(i);
        if (c === 10) {
          i++;
          continue;
        }
        this.#inComment = c === 58; // ":"
        this.#lineStart = false;
      }
      if (!this.#inComment) progressed = true;
      const lf = text.indexOf("\n", i);
      if (lf === -1) break;
      this.#lineStart = true;
      i = lf + 1;
    }
    return progressed;
  }

  #feed(raw: string): EventSourceMessage[] {
    if (this.#tooLarge) throw new SseTooLargeError(this.#limit);
    // Line endings become LF before parsing. The parser holds a line ending in a bare CR back until it
    // sees what follows (it could be CRLF), which delays such an event and loses it at the end of the
    // stream; here a CR is a line break at once, and an LF right after it is dropped even across reads.
    let text = this.#pendingCR && raw.startsWith("\n") ? raw.slice(1) : raw;
    if (raw !== "") this.#pendingCR = raw.endsWith("\r");
    if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
    this.#progressed = this.#scan(text);
    if (text !== "") this.#parser.feed(text);
    if (this.#tooLarge) throw new SseTooLargeError(this.#limit);
    const events = this.#events;
    this.#events = [];
    return events;
  }
}
