/**
 * The sign-in server's side of the transport. A request that got no answer, as the NetworkError the user
 * sees: fetch's `TypeError: fetch failed` carries the system error in `cause`. Shared by the standard
 * protocol (through openid-client) and OpenAI's, without loading either's code. And `webFetch`, which
 * hands codex's transport (config/network.ts: proxies, CA files) to openid-client as the `fetch` it calls.
 */
import { isTlsFailure, TLS_HINT } from "../../config/ca.js";
import { type Fetch, systemReason } from "../../config/http.js";
import { CodexError, NetworkError } from "../../errors.js";
import { oneLine, redact } from "../../safe-text.js";
import { maskToken } from "../api-key.js";

/** `secrets` (a code, a token) are masked wherever the system's message echoes them. */
export function unreachable(err: unknown, host: string, secrets: readonly string[]): CodexError {
  const cause =
    (err as { cause?: { code?: string; message?: string } }).cause ?? (err as { code?: string; message?: string });
  // A proxy's refusal, or a CA file codex cannot use, already says what happened and names the proxy.
  if (cause instanceof CodexError) return cause;
  if (err instanceof CodexError) return err;
  const code = cause?.code ?? "UNKNOWN";
  const clean = (text: string) =>
    oneLine(
      redact(text, [...secrets], (s) => maskToken(s, false)),
      200,
    );
  const why = systemReason(code) ?? clean(cause?.message ?? String((err as Error)?.message ?? err));
  if (isTlsFailure(code)) {
    return new NetworkError(
      host,
      code,
      `secure connection to the sign-in server ${host} failed: ${why} (${code}); ${TLS_HINT}`,
      {
        cause: err,
      },
    );
  }
  return new NetworkError(host, code, `could not reach the sign-in server ${host}: ${why}`, { cause: err });
}

type WebFetchInit = {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: unknown;
  signal?: AbortSignal | null;
};

/**
 * `fetch` for openid-client's `customFetch`: the request through `fetch`, the answer as a web Response.
 * Failures keep the shape the library passes through and `unreachable` reads: an abort is the signal's
 * reason (TimeoutError / AbortError, as the global fetch throws), anything else a TypeError with the
 * transport's error as its `cause`. Redirects are never followed (the transport follows none).
 */
export function webFetch(fetch: Fetch): (url: string, init: WebFetchInit) => Promise<Response> {
  return async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : init.body instanceof URLSearchParams
            ? init.body.toString()
            : Buffer.from(init.body as Uint8Array).toString("utf8");
    const signal = init.signal ?? undefined;
    let answer: Awaited<ReturnType<Fetch>>;
    try {
      answer = await fetch(new URL(url), {
        method: (init.method ?? "GET") as "GET" | "POST",
        headers,
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
        redirect: "manual",
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new TypeError("fetch failed", { cause: err });
    }
    const status = answer.status;
    if (status < 200 || status > 599) throw new TypeError("fetch failed", { cause: new Error(`HTTP ${status}`) });
    const responseHeaders = new Headers();
    for (const [name, value] of answer.headers.entries?.() ?? []) responseHeaders.append(name, value);
    const empty = status === 204 || status === 205 || status === 304 || answer.body === null;
    const source = answer.body;
    const stream =
      empty || source === null
        ? null
        : ((it: AsyncIterator<Uint8Array>) =>
            new ReadableStream<Uint8Array>({
              async pull(controller) {
                try {
                  const next = await it.next();
                  if (next.done) controller.close();
                  else controller.enqueue(next.value);
                } catch (err) {
                  controller.error(signal?.aborted ? signal.reason : new TypeError("terminated", { cause: err }));
                }
              },
              async cancel() {
                await it.return?.();
              },
            }))(source[Symbol.asyncIterator]());
    return new Response(stream, { status, headers: responseHeaders });
  };
}
