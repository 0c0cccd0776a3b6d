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
  constructor() {
    super(`an event in the stream is larger than ${MAX_EVENT_CHARS / 1024 / 1024} MiB`);
  }
}

export class SseDecoder {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #parser: EventSourceParser;
  #events: EventSourceMessage[] = [];
  #tooLarge = false;

  constructor(maxEventChars = MAX_EVENT_CHARS) {
    this.#parser = createParser({
      onEvent: (event) => {
        this.#events.push(event);
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

  #feed(text: string): EventSourceMessage[] {
    if (this.#tooLarge) throw new SseTooLargeError();
    if (text !== "") this.#parser.feed(text);
    if (this.#tooLarge) throw new SseTooLargeError();
    const events = this.#events;
    this.#events = [];
    return events;
  }
}
