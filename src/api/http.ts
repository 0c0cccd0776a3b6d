/**
 * The HTTP transport: the part of `fetch` the client uses, so either can serve it — the global `fetch`
 * (library users, tests) or `nodeFetch` below (the CLI's default).
 *
 * Why not always the global fetch: on Node 20 its first call compiles undici, about 110 ms — twice what
 * all of `node -e 0` costs — before a byte is sent. `node:http`/`node:https` are already in Node's
 * snapshot and add about 10 ms. The transport only needs one request with a body and a streamed
 * response, which these modules do directly.
 */
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

const lazyRequire: NodeRequire = typeof require === "function" ? require : createRequire(import.meta.url);

export interface HttpRequest {
  method: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /**
   * Always "manual": a redirect is an answer, never followed, so the conversation and the credential go to
   * base_url and nowhere else (the global fetch would resend the body to wherever a 307 points). nodeFetch
   * never follows one anyway.
   */
  redirect?: "manual";
}

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** The response body; iterating it after the caller aborted, or after the connection broke, throws. */
  body: AsyncIterable<Uint8Array> | null;
}

/** `fetch` (global or any compatible one) satisfies this; so does `nodeFetch`. */
export type Fetch = (url: URL, init: HttpRequest) => Promise<HttpResponse>;

export const nodeFetch: Fetch = (url, init) => {
  const mod: typeof import("node:http") =
    url.protocol === "https:" ? lazyRequire("node:https") : lazyRequire("node:http");
  return new Promise((resolve, reject) => {
    const request = mod.request(
      url,
      { method: init.method, headers: init.headers, signal: init.signal },
      (res: IncomingMessage) => {
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get(name) {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
          },
          body: res,
        });
      },
    );
    request.on("error", reject);
    request.end(init.body);
  });
};
