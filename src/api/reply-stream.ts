/**
 * The answer to a reply's request, into a Reply: its status judged (401/403 refuse the credential, 429 and
 * 5xx may be retried, anything else not a stream of events is an error), then its events read as they
 * come, each piece of text handed to the caller at once.
 *
 * Failure policy: a stream that breaks before any text arrived is Retryable (sending the request again
 * cannot duplicate output); once text has been handed to the caller it is not (the caller printed it),
 * and the error says the reply is incomplete. Time between chunks is bounded by `streamIdleTimeoutMs`;
 * size by MAX_REPLY_CHARS of text, MAX_REPLY_STREAM_BYTES in all and MAX_EVENT_CHARS per event (sse.ts):
 * past a limit the reply stops with ReplyTooLargeError, and what was handed to the caller stays handed.
 */

import { ApiError, AuthRejectedError, CancelledError, ReplyTooLargeError, StreamInterruptedError } from "../errors.js";
import { Retryable, retryAfterMs } from "./retry.js";
import { cancel, cancelReader, type Sender, type Sent, seconds } from "./send.js";
import { SseDecoder, SseTooLargeError } from "./sse.js";
import { EventFormatError, type Usage, type WireFormat } from "./wire.js";

export interface Reply {
  text: string;
  /** The model that answered, as the server reported it (else the one requested). */
  model: string;
  usage?: Usage | undefined;
  /** Set when the server ended the reply early on purpose (e.g. `max_output_tokens`). */
  incomplete?: string | undefined;
}

/**
 * The most text one reply may have: 32 Mi characters. The largest replies models give today (about 128k
 * output tokens) are well under 1 MiB; this is far beyond any of them, and small enough that a reply, and a
 * chat that sends it back, stays a few tens of MB in memory.
 */
export const MAX_REPLY_CHARS = 32 * 1024 * 1024;
/**
 * The most one reply may stream, events and all: 256 MiB. A server can send events that carry no text
 * (or empty text) forever; this ends such a stream. Each text delta comes with 100–250 bytes of JSON, so a
 * real reply of 128k tokens streams about 30 MB.
 */
export const MAX_REPLY_STREAM_BYTES = 256 * 1024 * 1024;

export interface ReplyStream {
  sender: Sender;
  wire: WireFormat;
  /** The model asked for, until the server names the one that answers. */
  model: string;
  clock: () => Date;
  onText?: ((text: string) => void) | undefined;
}

/** Reads the reply from `sent`; whichever way it ends, the response is released and the exchange ended. */
export async function receiveReply({ response, exchange }: Sent, stream: ReplyStream): Promise<Reply> {
  const { sender, wire } = stream;
  const host = sender.host;
  let reader: AsyncIterator<Uint8Array> | undefined;
  try {
    if (response.status === 401 || response.status === 403) {
      // A 403 often says why (no access to the model, region); a 401 body may echo part of the key.
      const detail = response.status === 403 ? await sender.errorDetail(response) : "";
      throw new AuthRejectedError(response.status, sender.rejected(response.status, detail));
    }
    if (response.status === 429 || response.status >= 500) {
      const wait = retryAfterMs(response.headers, stream.clock());
      const detail = await sender.errorDetail(response);
      const error =
        response.status === 429
          ? new ApiError(429, `${host} is limiting requests (HTTP 429${detail}); try again later`)
          : new ApiError(
              response.status,
              `${host} failed to answer (HTTP ${response.status}${detail}); try again later`,
            );
      throw new Retryable(error, wait);
    }
    if (response.status < 200 || response.status > 299) {
      const detail = await sender.errorDetail(response);
      throw new ApiError(response.status, `${host} refused the request (HTTP ${response.status}${detail})`);
    }
    const type = response.headers.get("content-type") ?? "";
    if (!/^text\/event-stream\b/i.test(type) || response.body === null) {
      throw new ApiError(
        response.status,
        `${host} did not answer with a stream of events (content-type ${JSON.stringify(type.slice(0, 60))}); check base_url and wire_api`,
      );
    }

    reader = response.body[Symbol.asyncIterator]();
    const decoder = new SseDecoder();
    const idleMs = sender.provider.streamIdleTimeoutMs;
    let received = 0;
    let text = "";
    let model = stream.model;
    let usage: Usage | undefined;
    let finished = false;
    const interrupted = (message: string, cause?: unknown) => {
      const error = new StreamInterruptedError(message, { cause });
      // Nothing reached the caller yet: sending the request again cannot duplicate any output.
      return text === "" ? new Retryable(error) : error;
    };
    // The idle timer restarts when data arrives, not on comment lines: keep-alives alone are silence.
    exchange.idleLimit(idleMs);
    for (;;) {
      let chunk: IteratorResult<Uint8Array>;
      try {
        chunk = await reader.next();
      } catch (err) {
        const why = exchange.aborted;
        if (why === "cancelled") throw new CancelledError("reply interrupted");
        if (why === "idle") {
          throw interrupted(
            `${host} sent no data for ${seconds(idleMs)} (stream_idle_timeout_ms); the reply is incomplete`,
          );
        }
        throw interrupted(`the connection to ${host} broke before the reply was complete`, err);
      }
      if (!chunk.done) {
        received += chunk.value.length;
        if (received > MAX_REPLY_STREAM_BYTES) {
          throw new ReplyTooLargeError(
            `${host} streamed more than ${mib(MAX_REPLY_STREAM_BYTES)} for one reply; codex stopped reading it, the reply is incomplete`,
          );
        }
      }
      let events: ReturnType<SseDecoder["push"]>;
      try {
        events = chunk.done ? decoder.end() : decoder.push(chunk.value);
      } catch (err) {
        if (err instanceof SseTooLargeError)
          throw new StreamInterruptedError(`${host} sent ${err.message}; the reply is incomplete`);
        throw err;
      }
      if (decoder.progressed) exchange.idleLimit(idleMs);
      for (const event of events) {
        let step: ReturnType<WireFormat["interpret"]>;
        try {
          step = wire.interpret(event);
        } catch (err) {
          if (!(err instanceof EventFormatError)) throw err;
          throw new StreamInterruptedError(`${err.message.replace("the server", host)}; the reply is incomplete`);
        }
        if (step === undefined) continue;
        if (step.kind === "error") {
          throw new StreamInterruptedError(`${host} reported an error: ${sender.scrub(step.message)}`);
        }
        if (step.kind !== "text" && step.model !== undefined) model = step.model;
        if (step.kind !== "text" && step.usage !== undefined) usage = step.usage;
        if (step.kind !== "done" && step.finished) finished = true;
        if (step.kind === "text") {
          if (text.length + step.text.length > MAX_REPLY_CHARS) {
            throw new ReplyTooLargeError(
              `${host} sent a reply longer than ${mib(MAX_REPLY_CHARS)} of text; codex stopped reading it, the reply is incomplete`,
            );
          }
          text += step.text;
          stream.onText?.(step.text);
        } else if (step.kind === "done") {
          return { text, model, usage, incomplete: step.incomplete };
        }
      }
      if (chunk.done) break;
    }
    if (wire.completeWithoutDone(finished)) return { text, model, usage };
    throw interrupted(`the connection to ${host} closed before the reply was complete`);
  } finally {
    exchange.end();
    if (reader !== undefined) cancelReader(reader);
    else cancel(response);
  }
}

function mib(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}
