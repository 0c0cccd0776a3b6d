/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's two streaming formats, for tests that run the built
 * CLI against it. Each test scripts the answers, one per request, in order; every request is recorded
 * (method, path, headers, parsed body) so tests can check what the CLI sent.
 *
 *   const server = await startProvider();
 *   server.reply(sse(responsesEvents(["Hel", "lo"])));
 *   const r = await runCli(["run", "hi"], { home, env: { OPENAI_BASE_URL: server.baseUrl, ... } });
 *   expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
 */
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

export interface Recorded {
  method: string;
  /** Path without the query, e.g. `/v1/responses`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The JSON body, parsed (undefined when it was not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields the CLI sent
  body: any;
}

export type Script = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface FakeProvider {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  port: number;
  requests: Recorded[];
  /** Queues answers for the next requests, in order. A request with nothing queued gets HTTP 418. */
  reply(...scripts: Script[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProviderOptions {
  /**
   * Serve https with this certificate, and name the host `hostname` in baseUrl (it listens on 127.0.0.1
   * whatever the name: test/proxy.test.ts makes a name only its proxy resolves). Default: http://127.0.0.1.
   */
  tls?: { key: string; cert: string; hostname: string };
}

/** Starts the server; it is closed when the current test finishes. */
export async function startProvider(options: ProviderOptions = {}): Promise<FakeProvider> {
  const queue: Script[] = [];
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const recorded: Recorded = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body,
    };
    requests.push(recorded);
    const script = queue.shift();
    try {
      if (script === undefined) {
        res.writeHead(418, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "no scripted response for this request" } }));
        return;
      }
      await script(recorded, res);
    } catch (err) {
      res.destroy(err as Error);
    }
  };
  const tls = options.tls;
  const server: Server =
    tls === undefined ? createHttpServer(handler) : (createHttpsServer(tls, handler) as unknown as Server);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const provider: FakeProvider = {
    baseUrl: tls === undefined ? `http://127.0.0.1:${port}/v1` : `https://${tls.hostname}:${port}/v1`,
    port,
    requests,
    reply: (...scripts) => {
      queue.push(...scripts);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  onTestFinished(() => provider.close());
  return provider;
}

/** One SSE event: `event:` line (when given) and the data, JSON-encoded unless already a string. */
export function sseEvent(data: unknown, event?: string): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}${text
    .split("\n")
    .map((l) => `data: ${l}`)
    .join("\n")}\n\n`;
}

export interface StreamOptions {
  model?: string;
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  /** Leave out the final event (`response.completed` / `[DONE]` and the finish chunk): a stream cut short. */
  omitEnd?: boolean;
}

/** A Responses API stream: created, one `response.output_text.delta` per part, completed. */
export function responsesEvents(parts: string[], opts: StreamOptions = {}): string {
  const model = opts.model ?? "gpt-test";
  let out = sseEvent(
    { type: "response.created", response: { id: "resp_1", model, status: "in_progress" } },
    "response.created",
  );
  for (const delta of parts) {
    out += sseEvent(
      { type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta },
      "response.output_text.delta",
    );
  }
  if (!opts.omitEnd) {
    out += sseEvent(
      {
        type: "response.completed",
        response: { id: "resp_1", model, status: "completed", usage: opts.usage ?? null },
      },
      "response.completed",
    );
  }
  return out;
}

/** A Chat Completions stream: one chunk per part, a finish chunk, a usage chunk, then `[DONE]`. */
export function chatEvents(parts: string[], opts: StreamOptions = {}): string {
  const model = opts.model ?? "chat-test";
  const chunk = (delta: object, finish: string | null) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  let out = sseEvent(chunk({ role: "assistant", content: "" }, null));
  for (const content of parts) out += sseEvent(chunk({ content }, null));
  if (!opts.omitEnd) {
    out += sseEvent(chunk({}, "stop"));
    if (opts.usage) {
      out += sseEvent({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        model,
        choices: [],
        usage: {
          prompt_tokens: opts.usage.input_tokens,
          completion_tokens: opts.usage.output_tokens,
          total_tokens: opts.usage.total_tokens,
        },
      });
    }
    out += "data: [DONE]\n\n";
  }
  return out;
}

export interface SseScriptOptions {
  status?: number;
  headers?: Record<string, string>;
  /**
   * Split the body into writes of this many bytes (or sizes from the given list, cycling), each flushed
   * separately with `delayMs` between them, so the client sees arbitrary boundaries (inside lines, inside
   * multi-byte UTF-8 characters).
   */
  chunkBytes?: number | number[];
  delayMs?: number;
  /** Destroy the connection after this many bytes of the body (a stream cut mid-reply). */
  cutAfterBytes?: number;
  /** After the body, keep the connection open without ending the response (a stalled stream). */
  hangAfter?: boolean;
}

/** Answers with `text/event-stream` and the given body, written as the options say. */
export function sse(body: string | Buffer, opts: SseScriptOptions = {}): Script {
  return async (_req, res) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    const limit = opts.cutAfterBytes ?? bytes.length;
    res.writeHead(opts.status ?? 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...opts.headers,
    });
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    const sizes = opts.chunkBytes === undefined ? [bytes.length || 1] : [opts.chunkBytes].flat();
    let offset = 0;
    let i = 0;
    while (offset < limit) {
      const size = Math.max(1, sizes[i++ % sizes.length] as number);
      const end = Math.min(limit, offset + size);
      res.write(bytes.subarray(offset, end));
      offset = end;
      if (opts.delayMs !== undefined && offset < limit) await sleep(opts.delayMs);
    }
    if (opts.cutAfterBytes !== undefined) {
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    if (opts.hangAfter) return;
    res.end();
  };
}

/** Answers with an HTTP status and a JSON (or text) body. */
export function status(
  code: number,
  body: unknown = { error: { message: `status ${code}` } },
  headers: Record<string, string> = {},
): Script {
  return (_req, res) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(code, { "content-type": typeof body === "string" ? "text/plain" : "application/json", ...headers });
    res.end(text);
  };
}

/** Never answers (the request hangs until the client gives up). */
export function hang(): Script {
  return () => new Promise<void>(() => {});
}

/** Writes `chunk`, then waits until the response can take more (drained) or is closed: a sender that never outruns the reader. */
export async function writePaced(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (res.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
