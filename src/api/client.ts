/**
 * The provider client: sends a conversation, streams the reply back piece by piece, and turns every way
 * that can fail into one typed error that names the host and never contains the credential.
 *
 * Failure policy:
 * - connection refused, DNS, TLS → NetworkError at once (retrying cannot fix them); a reset connection,
 *   429 and 5xx → up to `maxRetries` retries with exponential backoff, honouring `Retry-After`;
 * - 401/403 → AuthRejectedError (exit 4), after one retry with a refreshed token when the credential can
 *   refresh (OAuth; API keys cannot);
 * - a stream that breaks before any text arrived is retried like a reset connection; once text has been
 *   handed to the caller it is not (the caller printed it), and the error says the reply is incomplete.
 * Time is bounded twice: `requestTimeoutMs` until the response headers, `streamIdleTimeoutMs` between chunks.
 * Size is bounded too: one reply's text to MAX_REPLY_CHARS, all it streams to MAX_REPLY_STREAM_BYTES, one
 * event to MAX_EVENT_CHARS (sse.ts); past a limit the reply stops with ReplyTooLargeError, and what was
 * handed to the caller stays handed.
 */

import { setTimeout as delay } from "node:timers/promises";
import { maskToken } from "../auth/api-key.js";
import type { ResolvedCredential } from "../auth/credential.js";
import { describeCredential } from "../auth/credential.js";
import { isTlsFailure, TLS_HINT } from "../config/ca.js";
import { OPENAI_ORIGINATOR } from "../config/oauth.js";
import { cleartextRefusal, type ProviderSettings } from "../config/providers.js";
import {
  ApiError,
  AuthRejectedError,
  AuthRequiredError,
  CancelledError,
  CodexError,
  NetworkError,
  ProxyError,
  ReplyTooLargeError,
  SessionEndedError,
  StreamInterruptedError,
} from "../errors.js";
import { oneLine, redact } from "../safe-text.js";
import type { Fetch, HttpResponse } from "../config/http.js";
import { SseDecoder, SseTooLargeError } from "./sse.js";
import { EventFormatError, type Message, type Usage, wireFormat } from "./wire.js";

declare const __VERSION__: string;

export type { Fetch } from "../config/http.js";

export interface Reply {
  text: string;
  /** The model that answered, as the server reported it (else the one requested). */
  model: string;
  usage?: Usage | undefined;
  /** Set when the server ended the reply early on purpose (e.g. `max_output_tokens`). */
  incomplete?: string | undefined;
}

export interface ReplyOptions {
  /** Receives each piece of text as it arrives. */
  onText?: (text: string) => void;
  /** Aborting it stops the request or the stream; the reply then rejects with CancelledError. */
  signal?: AbortSignal | undefined;
}

export interface ClientOptions {
  provider: ProviderSettings;
  model: string;
  credential: ResolvedCredential;
  fetch: Fetch;
  /** Waits between retries (injectable so embedders can control time). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  clock?: () => Date;
}

export type CheckResult = "valid" | "rejected" | "unreachable" | "unknown";

/** What `Client.check()` learned; nothing secret in it. */
export interface CredentialCheck {
  result: CheckResult;
  /** Host (and port) asked. */
  host: string;
  /** The URL asked (the provider's models endpoint). */
  url: string;
  /** The HTTP status, when the server answered one. */
  status?: number | undefined;
  /** One line for people, naming the host. */
  message: string;
  elapsedMs: number;
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

/** The longest a check waits for an answer, unless request_timeout_ms is shorter. */
const CHECK_TIMEOUT_MS = 10_000;

/** The longest `Retry-After` we wait for; a server asking for more gets an error the user can act on. */
const MAX_RETRY_WAIT_MS = 60_000;
const ERROR_BODY_LIMIT = 64 * 1024;
const ERROR_BODY_WAIT_MS = 5_000;

// Why an attempt's AbortController fired, when it was not the caller.
const REQUEST_TIMEOUT = Symbol("request timeout");
const IDLE_TIMEOUT = Symbol("idle timeout");

/** A failure after which the same request may be sent again. */
class Retryable extends Error {
  constructor(
    readonly error: Error,
    readonly waitMs: number | undefined = undefined,
  ) {
    super(error.message);
  }
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new CancelledError("reply interrupted");
    throw err;
  }
}

export class Client {
  readonly provider: ProviderSettings;
  readonly model: string;
  readonly credential: ResolvedCredential;
  readonly #fetch: Fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #clock: () => Date;
  #token = "";
  readonly #sessionId = crypto.randomUUID();
  /** Every token this client has sent, so server text echoing an old one is masked too. */
  readonly #secrets = new Set<string>();

  /** Throws InsecureTransportError when the provider's base_url is plain http:// to another machine (no opt-in). */
  constructor(options: ClientOptions) {
    // Checked here rather than by each caller: no client exists that could send the credential in clear text.
    const refusal = cleartextRefusal(options.provider);
    if (refusal !== undefined) throw refusal;
    this.provider = options.provider;
    this.model = options.model;
    this.credential = options.credential;
    this.#setToken(options.credential.token);
    this.#fetch = options.fetch;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Host (and port) of the provider, as messages name it. */
  get host(): string {
    return new URL(this.provider.baseUrl).host;
  }

  /** Sends the conversation and streams the assistant's reply. */
  async reply(messages: Message[], options: ReplyOptions = {}): Promise<Reply> {
    const wire = wireFormat(this.provider.wireApi, this.#chatgpt);
    const url = new URL(`${this.provider.baseUrl}${wire.path}`);
    for (const [k, v] of Object.entries(this.provider.queryParams)) url.searchParams.set(k, v);
    const body = JSON.stringify(wire.body(this.model, messages));
    // An OAuth token about to expire is renewed before sending (no request is built if the session ended).
    if (this.credential.current) this.#setToken(await this.credential.current());
    let refreshed = false;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.provider.maxRetries; attempt++) {
      if (attempt > 0) {
        const wait =
          lastError instanceof Retryable && lastError.waitMs !== undefined ? lastError.waitMs : backoff(attempt);
        await this.#sleep(wait, options.signal);
      }
      try {
        return await this.#attempt(url, body, wire, options);
      } catch (err) {
        if (err instanceof AuthRejectedError && err.status === 401 && !refreshed && this.credential.refresh) {
          refreshed = true;
          const token = await this.credential.refresh(this.#token);
          if (token !== undefined) {
            this.#setToken(token);
            attempt--;
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
    throw this.provider.maxRetries === 0
      ? final
      : withNote(final, `; gave up after ${this.provider.maxRetries + 1} attempts, try again later`);
  }

  async #attempt(url: URL, body: string, wire: ReturnType<typeof wireFormat>, options: ReplyOptions): Promise<Reply> {
    const host = this.host;
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) throw new CancelledError("reply interrupted");
    options.signal?.addEventListener("abort", forward, { once: true });
    let timer = setTimeout(() => controller.abort(REQUEST_TIMEOUT), this.provider.requestTimeoutMs);
    const whyAborted = () =>
      options.signal?.aborted ? "cancelled" : controller.signal.reason === IDLE_TIMEOUT ? "idle" : "timeout";
    // Released in `finally` whichever way the attempt ends, so no connection outlives it.
    let response: HttpResponse | undefined;
    let reader: AsyncIterator<Uint8Array> | undefined;
    try {
      try {
        response = await this.#fetch(url, {
          method: "POST",
          headers: {
            "user-agent": `codex/${__VERSION__} node/${process.versions.node}`,
            accept: "text/event-stream",
            ...lowerCaseKeys(this.provider.headers),
            "content-type": "application/json",
            authorization: `Bearer ${this.#token}`,
            ...this.#chatgptHeaders(),
          },
          body,
          signal: controller.signal,
          redirect: "manual",
        });
      } catch (err) {
        if (controller.signal.aborted) {
          if (whyAborted() === "cancelled") throw new CancelledError("reply interrupted");
          const within = `no response from ${host} within ${seconds(this.provider.requestTimeoutMs)} (request_timeout_ms)`;
          throw new NetworkError(
            host,
            "TIMEOUT",
            err instanceof ProxyError
              ? `${within}: ${err.message}`
              : `${within}; try again, or raise request_timeout_ms in config.toml`,
          );
        }
        throw networkError(err, host, this.provider.baseUrl);
      }
      clearTimeout(timer);

      if (response.status === 401 || response.status === 403) {
        // A 403 often says why (no access to the model, region); a 401 body may echo part of the key.
        const detail = response.status === 403 ? await this.#errorDetail(response) : "";
        throw new AuthRejectedError(response.status, this.#rejected(response.status, detail));
      }
      if (response.status === 429 || response.status >= 500) {
        const wait = retryAfterMs(response.headers, this.#clock());
        const detail = await this.#errorDetail(response);
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
        const detail = await this.#errorDetail(response);
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
      let received = 0;
      let text = "";
      let model = this.model;
      let usage: Usage | undefined;
      let finished = false;
      const interrupted = (message: string, cause?: unknown) => {
        const error = new StreamInterruptedError(message, { cause });
        // Nothing reached the caller yet: sending the request again cannot duplicate any output.
        return text === "" ? new Retryable(error) : error;
      };
      // The idle timer restarts when data arrives, not on comment lines: keep-alives alone are silence.
      const restartIdle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(IDLE_TIMEOUT), this.provider.streamIdleTimeoutMs);
      };
      restartIdle();
      for (;;) {
        let chunk: IteratorResult<Uint8Array>;
        try {
          chunk = await reader.next();
        } catch (err) {
          const why = whyAborted();
          if (controller.signal.aborted && why === "cancelled") throw new CancelledError("reply interrupted");
          if (controller.signal.aborted && why === "idle") {
            throw interrupted(
              `${host} sent no data for ${seconds(this.provider.streamIdleTimeoutMs)} (stream_idle_timeout_ms); the reply is incomplete`,
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
        if (decoder.progressed) restartIdle();
        for (const event of events) {
          let step: ReturnType<typeof wire.interpret>;
          try {
            step = wire.interpret(event);
          } catch (err) {
            if (!(err instanceof EventFormatError)) throw err;
            throw new StreamInterruptedError(`${err.message.replace("the server", host)}; the reply is incomplete`);
          }
          if (step === undefined) continue;
          if (step.kind === "error") {
            throw new StreamInterruptedError(`${host} reported an error: ${this.#scrub(step.message)}`);
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
            options.onText?.(step.text);
          } else if (step.kind === "done") {
            return { text, model, usage, incomplete: step.incomplete };
          }
        }
        if (chunk.done) break;
      }
      if (wire.completeWithoutDone(finished)) return { text, model, usage };
      throw interrupted(`the connection to ${host} closed before the reply was complete`);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", forward);
      if (reader !== undefined) cancelReader(reader);
      else if (response !== undefined) cancel(response);
    }
  }

  /** Why the server refused the credential, and what to do about it. */
  #rejected(status: number, detail: string): string {
    return `the credential was rejected by ${this.host} (HTTP ${status}${detail}): ${describeCredential(this.credential)}; ${
      this.credential.source.type === "env"
        ? `put a valid key in ${this.credential.source.variable}, or unset it and run \`codex login\``
        : "run `codex login` to sign in again"
    }`;
  }

  /**
   * Asks the provider whether it accepts the credential, with one cheap authenticated request:
   * GET {base_url}/models, sent as replies are (the provider's headers and query parameters, an OAuth token
   * renewed first when it is about to expire, and renewed once more if the server refuses it). No retries:
   * the answer is wanted now, within `timeoutMs`.
   *
   * The answers users most often confuse are told apart: "rejected" only when the server said so (HTTP
   * 401, or the issuer ended the OAuth session); a server that cannot be reached, or fails (5xx), is
   * "unreachable" and says nothing about the credential; an answer that settles neither (403, 404, 429,
   * a 2xx that is not JSON) is "unknown". Never throws for these; the message names the host.
   */
  async check(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CredentialCheck> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? Math.min(CHECK_TIMEOUT_MS, this.provider.requestTimeoutMs);
    const url = new URL(`${this.provider.baseUrl}/models`);
    for (const [k, v] of Object.entries(this.provider.queryParams)) url.searchParams.set(k, v);
    // The ChatGPT backend lists models for a client version, as OpenAI's Codex CLI asks it.
    if (this.#chatgpt) url.searchParams.set("client_version", __VERSION__);
    const request = `GET ${url.pathname}`;
    const answer = (result: CheckResult, message: string, status?: number): CredentialCheck => ({
      result,
      host: this.host,
      url: url.toString(),
      status,
      message,
      elapsedMs: Date.now() - started,
    });
    try {
      if (this.credential.current) this.#setToken(await this.credential.current());
      let status: number;
      let response: HttpResponse;
      for (let renewed = false; ; renewed = true) {
        response = await this.#get(url, timeoutMs, options.signal);
        status = response.status;
        if (status !== 401 || renewed || !this.credential.refresh) break;
        cancel(response);
        const token = await this.credential.refresh(this.#token);
        if (token === undefined) break;
        this.#setToken(token);
      }
      const host = this.host;
      if (status === 401) {
        const detail = await this.#errorDetail(response);
        return answer("rejected", this.#rejected(status, detail), status);
      }
      if (status >= 200 && status <= 299) {
        const type = response.headers.get("content-type") ?? "";
        cancel(response);
        if (!/^application\/(.+\+)?json\b/i.test(type)) {
          return answer(
            "unknown",
            `${host} answered ${request} with content-type ${JSON.stringify(type.slice(0, 60))}, not JSON, so codex cannot tell whether the credential works; check base_url`,
            status,
          );
        }
        return answer(
          "valid",
          `${host} accepted ${describeCredential(this.credential)} (${request}, HTTP ${status})`,
          status,
        );
      }
      const detail = await this.#errorDetail(response);
      if (status >= 500) {
        return answer(
          "unreachable",
          `${host} failed to answer (HTTP ${status}${detail}); the credential was not checked, try again later`,
          status,
        );
      }
      const why =
        status === 403
          ? `refused ${request} (HTTP 403${detail}); the credential may lack permission to list models`
          : status === 429
            ? `is limiting requests (HTTP 429${detail})`
            : `answered ${request} with HTTP ${status}${detail}; it may not offer a model list (check base_url)`;
      return answer("unknown", `${host} ${why}, so codex cannot tell whether the credential works`, status);
    } catch (err) {
      if (err instanceof SessionEndedError || err instanceof AuthRequiredError) return answer("rejected", err.message);
      if (err instanceof NetworkError) {
        return answer("unreachable", `${err.message}; the credential was not checked`);
      }
      if (err instanceof CodexError && !(err instanceof CancelledError)) return answer("unknown", err.message);
      throw err;
    }
  }

  /** One GET with a time limit on the response headers; failures become NetworkError naming the host. */
  async #get(url: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) throw new CancelledError("check interrupted");
    signal?.addEventListener("abort", forward, { once: true });
    const timer = setTimeout(() => controller.abort(REQUEST_TIMEOUT), timeoutMs);
    try {
      return await this.#fetch(url, {
        method: "GET",
        headers: {
          "user-agent": `codex/${__VERSION__} node/${process.versions.node}`,
          accept: "application/json",
          ...lowerCaseKeys(this.provider.headers),
          authorization: `Bearer ${this.#token}`,
          ...this.#chatgptHeaders(),
        },
        signal: controller.signal,
        redirect: "manual",
      });
    } catch (err) {
      if (signal?.aborted) throw new CancelledError("check interrupted");
      if (controller.signal.aborted) {
        const within = `no answer from ${this.host} within ${seconds(timeoutMs)}`;
        throw new NetworkError(this.host, "TIMEOUT", err instanceof ProxyError ? `${within}: ${err.message}` : within);
      }
      if (err instanceof CodexError) throw err;
      throw describeNetworkError(err, this.host, this.provider.baseUrl);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", forward);
    }
  }

  /** `: <server's message>` from an error response, scrubbed and shortened; "" when there is none. */
  async #errorDetail(response: HttpResponse): Promise<string> {
    const raw = await readCapped(response, ERROR_BODY_LIMIT, ERROR_BODY_WAIT_MS);
    let message: string | undefined;
    try {
      // OpenAI's `{ error: { message } }`, then the shapes other servers use.
      const parsed = JSON.parse(raw) as {
        error?: { message?: unknown } | unknown;
        message?: unknown;
        detail?: unknown;
      };
      const error = parsed.error as { message?: unknown } | undefined;
      message = [error?.message, parsed.error, parsed.message, parsed.detail].find((v) => typeof v === "string") as
        | string
        | undefined;
    } catch {
      // Not JSON: an HTML error page from a proxy says nothing useful; plain text might.
      message = /^\s*</.test(raw) ? undefined : raw;
    }
    if (message === undefined) return "";
    const clean = this.#scrub(message).trim();
    return clean === "" ? "" : `: ${clean}`;
  }

  /** Whether the credential is a ChatGPT sign-in, whose requests carry the backend's headers and body. */
  get #chatgpt(): boolean {
    return this.credential.oauth?.protocol === "openai";
  }

  /**
   * What OpenAI's Codex CLI adds for the ChatGPT backend: the account (workspace) the token is for, who is
   * asking (`originator`), and one `session_id` for all of this client's requests. Read at each request,
   * as a renewed session may name its account anew.
   */
  #chatgptHeaders(): Record<string, string> {
    if (!this.#chatgpt) return {};
    const account = this.credential.oauth?.chatgptAccountId;
    return {
      originator: OPENAI_ORIGINATOR,
      session_id: this.#sessionId,
      ...(account === undefined ? {} : { "chatgpt-account-id": account }),
    };
  }

  #setToken(token: string): void {
    this.#token = token;
    this.#secrets.add(token);
  }

  /** Server text made safe for one line of output: no credential, no control characters, bounded length. */
  #scrub(text: string): string {
    return oneLine(redact(text, this.#secrets, (secret) => maskToken(secret)));
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function mib(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function withNote<E extends Error>(error: E, note: string): E {
  error.message = error.message.replace(/; try again later$/, "") + note;
  return error;
}

/**
 * Releases a response body we will not read, so its connection closes instead of keeping the process
 * alive. A Node stream is destroyed and a web stream cancelled; `return()` on a fresh async iterator would
 * not do: a generator that never started runs no cleanup.
 */
function cancel(response: HttpResponse): void {
  const body = response.body as
    | (AsyncIterable<Uint8Array> & { destroy?: () => void; cancel?: () => Promise<void> })
    | null;
  if (body === null) return;
  if (typeof body.destroy === "function") body.destroy();
  else if (typeof body.cancel === "function") body.cancel().catch(() => {});
  else cancelReader(body[Symbol.asyncIterator]());
}

function cancelReader(reader: AsyncIterator<Uint8Array>): void {
  reader.return?.().catch(() => {});
}

/** Exponential backoff with jitter: about 0.5, 1, 2, 4, 8 s. */
function backoff(attempt: number): number {
  const base = Math.min(8_000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The wait a 429/5xx asks for: `retry-after-ms` (OpenAI), else `Retry-After` in seconds or as a date. */
function retryAfterMs(headers: HttpResponse["headers"], now: Date): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

async function readCapped(response: HttpResponse, limit: number, waitMs: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), waitMs);
  });
  try {
    while (size < limit) {
      const next = await Promise.race([reader.next(), timeout]);
      if (next === "timeout" || next.done) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // A body cut short still says what it said so far.
  } finally {
    clearTimeout(timer);
    // Destroy rather than return(): a read may still be pending when the wait ran out.
    cancel(response);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}

const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED"]);

/** fetch's "fetch failed" TypeError, turned into a message about the host; transient ones are retryable. */
function networkError(err: unknown, host: string, baseUrl: string): Error {
  // A proxy's refusal or a CA file codex cannot use (config/network.ts) already says what happened.
  if (err instanceof CodexError) return err;
  const error = describeNetworkError(err, host, baseUrl);
  return TRANSIENT.has(error.reason) ? new Retryable(error) : error;
}

/** A failure to reach the host (refused, DNS, TLS, reset…), as a NetworkError whose message names it. */
function describeNetworkError(err: unknown, host: string, baseUrl: string): NetworkError {
  // The global fetch wraps the system error in a TypeError's `cause`; node:http rejects with it directly.
  const cause = ((err as { cause?: unknown }).cause ?? err) as
    | (Error & { code?: string; errors?: Array<{ code?: string }> })
    | undefined;
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? "UNKNOWN";
  const hostname = new URL(baseUrl).hostname;
  let message: string;
  if (code === "ECONNREFUSED") {
    message = `could not connect to ${host}: connection refused; check that the server at ${baseUrl} is running`;
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL") {
    message = `could not resolve ${hostname} (DNS lookup failed); check base_url in config.toml and your network`;
  } else if (isTlsFailure(code)) {
    message = `secure connection to ${host} failed: ${cause?.message ?? code} (${code}); ${TLS_HINT}`;
  } else if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    message = `could not connect to ${host}: timed out; check your network`;
  } else if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    message = `could not reach ${host}: network unreachable; check your network`;
  } else if (TRANSIENT.has(code)) {
    message = `the connection to ${host} was reset before it answered`;
  } else {
    message = `could not reach ${host}: ${cause?.message ?? (err instanceof Error ? err.message : String(err))}`;
  }
  return new NetworkError(host, code, message, { cause: err });
}
