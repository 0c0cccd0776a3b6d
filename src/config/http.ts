/**
 * The HTTP transport: the part of `fetch` codex uses, so either can serve it — the global `fetch`
 * (library users, tests) or `nodeFetch` below. The CLI sends every request (the provider's and the sign-in
 * server's) through `networkFetch` (network.ts), which is this plus the proxy and CA rules.
 *
 * Why not always the global fetch: on Node 20 its first call compiles undici, about 110 ms — twice what
 * all of `node -e 0` costs — before a byte is sent. `node:http`/`node:https` are already in Node's
 * snapshot and add about 10 ms. The transport only needs one request with a body and a streamed
 * response, which these modules do directly.
 *
 * It lives below auth/ (config/ is the lowest layer) because the sign-in code sends through it too.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { lazyRequire } from "./lazy-require.js";

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
  headers: {
    get(name: string): string | null;
    /** Every header, names in lower case (the sign-in code hands them to openid-client). */
    entries?(): Iterable<[string, string]>;
  };
  /** The response body; iterating it after the caller aborted, or after the connection broke, throws. */
  body: AsyncIterable<Uint8Array> | null;
}

/** `fetch` (global or any compatible one) satisfies this; so does `nodeFetch`. */
export type Fetch = (url: URL, init: HttpRequest) => Promise<HttpResponse>;

/** How one request leaves this machine, when not straight to the URL's host (network.ts decides). */
export interface Route {
  /** Which module sends it: the proxy's scheme when the request is forwarded to one, else the URL's. */
  protocol?: "http:" | "https:";
  /** Options over the URL's: an agent, a secure context, or a proxy's address and the absolute URI. */
  options?: RequestOptions & { secureContext?: unknown };
  /** Sees the request before it is sent (to watch a proxy's answer to CONNECT). */
  watch?: (request: ClientRequest, fail: (err: Error) => void) => void;
  /** An error to reject with in place of the response (a proxy's own 407). */
  refuse?: (response: IncomingMessage) => Error | undefined;
  /** The error the caller sees for a request that failed before any response. */
  failure?: (err: Error) => Error;
}

export function send(url: URL, init: HttpRequest, route: Route = {}): Promise<HttpResponse> {
  const protocol = route.protocol ?? url.protocol;
  const mod: typeof import("node:http") = protocol === "https:" ? lazyRequire("node:https") : lazyRequire("node:http");
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      reject(route.failure ? route.failure(err) : err);
    };
    const request = mod.request(
      url,
      { method: init.method, headers: init.headers, signal: init.signal, ...route.options },
      (res: IncomingMessage) => {
        const refused = route.refuse?.(res);
        if (refused !== undefined) {
          res.destroy();
          settled = true;
          reject(refused);
          return;
        }
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get(name) {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
            *entries() {
              for (const [name, v] of Object.entries(res.headers)) {
                if (v !== undefined) yield [name, Array.isArray(v) ? v.join(", ") : v];
              }
            },
          },
          body: res,
        });
      },
    );
    route.watch?.(request, (err) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(err);
    });
    request.on("error", fail);
    request.end(init.body);
  });
}

/** A system error's code in a few words (`ECONNREFUSED`: "connection refused"), or undefined for the others. */
export function systemReason(code: string): string | undefined {
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL") return "DNS lookup failed";
  if (code === "ECONNRESET") return "the connection was reset";
  if (code === "ETIMEDOUT") return "timed out";
  return undefined;
}

/** Straight to the URL's host: no proxy, Node's own CA roots (and NODE_EXTRA_CA_CERTS). */
export const nodeFetch: Fetch = (url, init) => send(url, init);
