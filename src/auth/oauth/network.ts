/**
 * A request to a sign-in server that got no answer, as the NetworkError the user sees: fetch's `TypeError:
 * fetch failed` carries the system error in `cause`. Shared by the standard protocol (through
 * openid-client) and OpenAI's (plain fetch), without loading either's code.
 */
import { NetworkError } from "../../errors.js";
import { oneLine, redact } from "../../safe-text.js";
import { maskToken } from "../api-key.js";

/** `secrets` (a code, a token) are masked wherever the system's message echoes them. */
export function unreachable(err: unknown, host: string, secrets: readonly string[]): NetworkError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "UNKNOWN";
  const why =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "DNS lookup failed"
        : oneLine(
            redact(cause?.message ?? String((err as Error)?.message ?? err), [...secrets], (s) => maskToken(s, false)),
            200,
          );
  return new NetworkError(host, code, `could not reach the sign-in server ${host}: ${why}`, { cause: err });
}
