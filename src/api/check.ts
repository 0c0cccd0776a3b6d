/**
 * The credential check behind `codex status --check` (Client.check says what each result means): one GET
 * {base_url}/models through send.ts, the path a reply's request takes, so it carries what a reply would
 * (headers, query parameters, a renewed token). Failure policy: no retries, and nothing thrown for what the
 * server answers or for a server that cannot be reached; each becomes a result with a message naming the
 * host. Thrown: a cancel (CancelledError), and anything that is not a CodexError.
 */

import { describeCredential } from "../auth/credential.js";
import type { HttpResponse } from "../config/http.js";
import { AuthRequiredError, CancelledError, CodexError, NetworkError, SessionEndedError } from "../errors.js";
import { Retryable } from "./retry.js";
import { cancel, type Sender } from "./send.js";

declare const __VERSION__: string;

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

/** The longest a check waits for an answer, unless request_timeout_ms is shorter. */
const CHECK_TIMEOUT_MS = 10_000;

export async function checkCredential(
  sender: Sender,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CredentialCheck> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? Math.min(CHECK_TIMEOUT_MS, sender.provider.requestTimeoutMs);
  const url = sender.url("/models");
  // The ChatGPT backend lists models for a client version, as OpenAI's Codex CLI asks it.
  if (sender.chatgpt) url.searchParams.set("client_version", __VERSION__);
  const request = `GET ${url.pathname}`;
  const answer = (result: CheckResult, message: string, status?: number): CredentialCheck => ({
    result,
    host: sender.host,
    url: url.toString(),
    status,
    message,
    elapsedMs: Date.now() - started,
  });
  const get = async (): Promise<HttpResponse> => {
    const { response, exchange } = await sender.send({
      method: "GET",
      url,
      accept: "application/json",
      purpose: "check",
      timeoutMs,
      signal: options.signal,
    });
    // Only the headers are waited for; the caller's abort no longer concerns this request.
    exchange.end();
    return response;
  };
  try {
    await sender.renewIfExpiring();
    let status: number;
    let response: HttpResponse;
    for (let renewed = false; ; renewed = true) {
      response = await get();
      status = response.status;
      if (status !== 401 || renewed || !sender.canRenew) break;
      cancel(response);
      if (!(await sender.renew())) break;
    }
    const host = sender.host;
    if (status === 401) {
      const detail = await sender.errorDetail(response);
      return answer("rejected", sender.rejected(status, detail), status);
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
        `${host} accepted ${describeCredential(sender.credential)} (${request}, HTTP ${status})`,
        status,
      );
    }
    const detail = await sender.errorDetail(response);
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
  } catch (thrown) {
    // A reset connection is retryable for a reply; a check does not retry, so it is the failure itself.
    const err = thrown instanceof Retryable ? thrown.error : thrown;
    if (err instanceof SessionEndedError || err instanceof AuthRequiredError) return answer("rejected", err.message);
    if (err instanceof NetworkError) {
      return answer("unreachable", `${err.message}; the credential was not checked`);
    }
    if (err instanceof CodexError && !(err instanceof CancelledError)) return answer("unknown", err.message);
    throw err;
  }
}
