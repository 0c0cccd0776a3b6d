/**
 * Retry and back-off for a reply. After a reset connection, a 429 or 5xx, or a stream that broke before
 * any text arrived (each a Retryable), the request is sent again, up to `maxRetries` times, with
 * exponential backoff honouring `Retry-After`; a server asking to wait longer than MAX_RETRY_WAIT_MS gets
 * an error the user can act on instead. After a 401 it is sent once more, with a renewed token, when the
 * credential can renew (OAuth; API keys cannot). Any other failure is final.
 */

import { setTimeout as delay } from "node:timers/promises";
import type { HttpResponse } from "../config/http.js";
import { AuthRejectedError, CancelledError } from "../errors.js";

/** The longest `Retry-After` we wait for; a server asking for more gets an error the user can act on. */
const MAX_RETRY_WAIT_MS = 60_000;

/** A failure after which the same request may be sent again. */
export class Retryable extends Error {
  constructor(
    readonly error: Error,
    readonly waitMs: number | undefined = undefined,
  ) {
    super(error.message);
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new CancelledError("reply interrupted");
    throw err;
  }
}

export interface RetryOptions {
  maxRetries: number;
  sleep: Sleep;
  signal?: AbortSignal | undefined;
  /** After a 401: whether the token was renewed, so the request may be sent again (once). */
  renew: () => Promise<boolean>;
}

/** `attempt()` until it succeeds, fails for good, or has been tried `maxRetries + 1` times. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  let renewed = false;
  let lastError: Retryable | undefined;
  for (let n = 0; n <= options.maxRetries; n++) {
    if (n > 0) await options.sleep(lastError?.waitMs ?? backoff(n), options.signal);
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof AuthRejectedError && err.status === 401 && !renewed) {
        renewed = true;
        if (await options.renew()) {
          // Not an attempt of its own: the request was refused for its token, not for the server's state.
          n--;
          lastError = undefined;
          continue;
        }
      }
      if (!(err instanceof Retryable)) throw err;
      lastError = err;
      if (err.waitMs !== undefined && err.waitMs > MAX_RETRY_WAIT_MS) {
        throw withNote(err.error, `; it asks to retry in ${Math.ceil(err.waitMs / 1000)} s`);
      }
    }
  }
  const final = (lastError as Retryable).error;
  throw options.maxRetries === 0
    ? final
    : withNote(final, `; gave up after ${options.maxRetries + 1} attempts, try again later`);
}

function withNote<E extends Error>(error: E, note: string): E {
  error.message = error.message.replace(/; try again later$/, "") + note;
  return error;
}

/** Exponential backoff with jitter: about 0.5, 1, 2, 4, 8 s. */
function backoff(attempt: number): number {
  const base = Math.min(8_000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The wait a 429/5xx asks for: `retry-after-ms` (OpenAI), else `Retry-After` in seconds or as a date. */
export function retryAfterMs(headers: HttpResponse["headers"], now: Date): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}
