/**
 * Sending one request to the provider, as both of the client's requests are sent (a reply's POST, the
 * credential check's GET): the same headers (the provider's, the credential, the ChatGPT backend's), a time
 * limit on the response headers, the caller's abort, and every way the request can fail turned into one
 * typed error that names the host and never contains the credential.
 *
 * Failure policy: a refused connection, DNS or TLS failure is a NetworkError; a reset connection is one
 * too, marked Retryable (retry.ts decides whether to send again). The status of an answer is the caller's
 * to judge (a reply and a check read a 5xx differently); errorDetail and rejected say what the server said.
 */

import { maskToken } from "../auth/api-key.js";
import { describeCredential, type ResolvedCredential } from "../auth/credential.js";
import { isTlsFailure, TLS_HINT } from "../config/ca.js";
import type { Fetch, HttpRequest, HttpResponse } from "../config/http.js";
import { OPENAI_ORIGINATOR } from "../config/oauth.js";
import type { ProviderSettings } from "../config/providers.js";
import { CancelledError, CodexError, NetworkError, ProxyError } from "../errors.js";
import { oneLine, redact } from "../safe-text.js";
import { Retryable } from "./retry.js";

declare const __VERSION__: string;

const ERROR_BODY_LIMIT = 64 * 1024;
const ERROR_BODY_WAIT_MS = 5_000;

// Why a request's AbortController fired, when it was not the caller.
const REQUEST_TIMEOUT = Symbol("request timeout");
const IDLE_TIMEOUT = Symbol("idle timeout");

export interface Request {
  method: "POST" | "GET";
  url: URL;
  accept: string;
  /** JSON; sent with its content-type. */
  body?: string;
  /** What is being asked for, as the messages of a cancel or a timeout name it. */
  purpose: "reply" | "check";
  /** The longest to wait for the response headers. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * One request's abort: the caller's signal forwarded to the request's own controller, and the timer that
 * aborts it for a reason of ours (no headers in time; for a stream, no data in time).
 */
export class Exchange {
  readonly controller = new AbortController();
  readonly #signal: AbortSignal | undefined;
  readonly #forward = () => this.controller.abort(this.#signal?.reason);
  #timer: NodeJS.Timeout | undefined;

  /** Starts the time limit on the response headers: `timeoutMs`. */
  constructor(signal: AbortSignal | undefined, timeoutMs: number) {
    this.#signal = signal;
    signal?.addEventListener("abort", this.#forward, { once: true });
    this.#limit(timeoutMs, REQUEST_TIMEOUT);
  }

  /** Aborts the request after `ms` of silence; called again, the wait starts over. */
  idleLimit(ms: number): void {
    this.#limit(ms, IDLE_TIMEOUT);
  }

  #limit(ms: number, reason: symbol): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.controller.abort(reason), ms);
  }

  /** Why the request was aborted; undefined while it was not. */
  get aborted(): "cancelled" | "idle" | "timeout" | undefined {
    if (!this.controller.signal.aborted) return undefined;
    if (this.#signal?.aborted) return "cancelled";
    return this.controller.signal.reason === IDLE_TIMEOUT ? "idle" : "timeout";
  }

  /** Stops the timer, so the request may take as long as it takes. */
  unlimited(): void {
    clearTimeout(this.#timer);
  }

  /** The request is over: no timer left running, the caller's signal let go. */
  end(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#forward);
  }
}

/** The answer's headers have arrived; `exchange` still forwards the caller's abort until ended. */
export interface Sent {
  response: HttpResponse;
  exchange: Exchange;
}

/**
 * Sends requests as one client: its provider, its credential, and the token it currently holds (renewed
 * when the credential can renew). Every token it has sent is remembered, so server text echoing an old
 * one is masked too.
 */
export class Sender {
  #token = "";
  readonly #secrets = new Set<string>();
  readonly #sessionId = crypto.randomUUID();

  readonly #fetch: Fetch;

  constructor(
    readonly provider: ProviderSettings,
    readonly credential: ResolvedCredential,
    fetch: Fetch,
  ) {
    this.#fetch = fetch;
    this.#setToken(credential.token);
  }

  /** Host (and port) of the provider, as messages name it. */
  get host(): string {
    return new URL(this.provider.baseUrl).host;
  }

  /** Whether the credential is a ChatGPT sign-in, whose requests carry the backend's headers and body. */
  get chatgpt(): boolean {
    return this.credential.oauth?.protocol === "openai";
  }

  /** `{base_url}{path}` with the provider's query parameters. */
  url(path: string): URL {
    const url = new URL(`${this.provider.baseUrl}${path}`);
    for (const [k, v] of Object.entries(this.provider.queryParams)) url.searchParams.set(k, v);
    return url;
  }

  /** An OAuth token about to expire is renewed before sending (no request is built if the session ended). */
  async renewIfExpiring(): Promise<void> {
    if (this.credential.current) this.#setToken(await this.credential.current());
  }

  /** Whether a refused token can be swapped for a fresh one (OAuth; API keys cannot). */
  get canRenew(): boolean {
    return Boolean(this.credential.refresh);
  }

  /** After the server refused the token: a fresh one, if the credential gives one. */
  async renew(): Promise<boolean> {
    if (!this.credential.refresh) return false;
    const token = await this.credential.refresh(this.#token);
    if (token === undefined) return false;
    this.#setToken(token);
    return true;
  }

  /**
   * Sends `request` and waits for the response headers, within `timeoutMs`. On success the request's timer
   * is stopped and its Exchange handed over: the caller ends it once done with the body.
   */
  async send(request: Request): Promise<Sent> {
    const cancelled = () => new CancelledError(request.purpose === "reply" ? "reply interrupted" : "check interrupted");
    if (request.signal?.aborted) throw cancelled();
    const exchange = new Exchange(request.signal, request.timeoutMs);
    const init: HttpRequest = {
      method: request.method,
      headers: this.#headers(request),
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: exchange.controller.signal,
      redirect: "manual",
    };
    try {
      const response = await this.#fetch(request.url, init);
      exchange.unlimited();
      return { response, exchange };
    } catch (err) {
      exchange.end();
      const why = exchange.aborted;
      if (why === "cancelled") throw cancelled();
      if (why !== undefined) throw timedOut(request, this.host, err);
      // A proxy's refusal or a CA file codex cannot use (config/network.ts) already says what happened.
      if (err instanceof CodexError) throw err;
      const error = describeNetworkError(err, this.host, this.provider.baseUrl);
      throw TRANSIENT.has(error.reason) ? new Retryable(error) : error;
    }
  }

  #headers(request: Request): Record<string, string> {
    return {
      "user-agent": `codex/${__VERSION__} node/${process.versions.node}`,
      accept: request.accept,
      ...lowerCaseKeys(this.provider.headers),
      ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      authorization: `Bearer ${this.#token}`,
      ...this.#chatgptHeaders(),
    };
  }

  /**
   * What OpenAI's Codex CLI adds for the ChatGPT backend: the account (workspace) the token is for, who is
   * asking (`originator`), and one `session_id` for all of this client's requests. Read at each request,
   * as a renewed session may name its account anew.
   */
  #chatgptHeaders(): Record<string, string> {
    if (!this.chatgpt) return {};
    const account = this.credential.oauth?.chatgptAccountId;
    return {
      originator: OPENAI_ORIGINATOR,
      session_id: this.#sessionId,
      ...(account === undefined ? {} : { "chatgpt-account-id": account }),
    };
  }

  /** Why the server refused the credential, and what to do about it. */
  rejected(status: number, detail: string): string {
    return `the credential was rejected by ${this.host} (HTTP ${status}${detail}): ${describeCredential(this.credential)}; ${
      this.credential.source.type === "env"
        ? `put a valid key in ${this.credential.source.variable}, or unset it and run \`codex login\``
        : "run `codex login` to sign in again"
    }`;
  }

  /** `: <server's message>` from an error response, scrubbed and shortened; "" when there is none. */
  async errorDetail(response: HttpResponse): Promise<string> {
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
    const clean = this.scrub(message).trim();
    return clean === "" ? "" : `: ${clean}`;
  }

  #setToken(token: string): void {
    this.#token = token;
    this.#secrets.add(token);
  }

  /** Server text made safe for one line of output: no credential, no control characters, bounded length. */
  scrub(text: string): string {
    return oneLine(redact(text, this.#secrets, (secret) => maskToken(secret)));
  }
}

/** No response headers within the request's time limit. */
function timedOut(request: Request, host: string, err: unknown): NetworkError {
  if (request.purpose === "reply") {
    const within = `no response from ${host} within ${seconds(request.timeoutMs)} (request_timeout_ms)`;
    return new NetworkError(
      host,
      "TIMEOUT",
      err instanceof ProxyError
        ? `${within}: ${err.message}`
        : `${within}; try again, or raise request_timeout_ms in config.toml`,
    );
  }
  const within = `no answer from ${host} within ${seconds(request.timeoutMs)}`;
  return new NetworkError(host, "TIMEOUT", err instanceof ProxyError ? `${within}: ${err.message}` : within);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Releases a response body we will not read, so its connection closes instead of keeping the process
 * alive. A Node stream is destroyed and a web stream cancelled; `return()` on a fresh async iterator would
 * not do: a generator that never started runs no cleanup.
 */
export function cancel(response: HttpResponse): void {
  const body = response.body as
    | (AsyncIterable<Uint8Array> & { destroy?: () => void; cancel?: () => Promise<void> })
    | null;
  if (body === null) return;
  if (typeof body.destroy === "function") body.destroy();
  else if (typeof body.cancel === "function") body.cancel().catch(() => {});
  else cancelReader(body[Symbol.asyncIterator]());
}

export function cancelReader(reader: AsyncIterator<Uint8Array>): void {
  reader.return?.().catch(() => {});
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
