/**
 * The two wire formats an OpenAI-compatible provider speaks, reduced to what a conversation needs: the
 * request body for a list of messages, and what each streamed event means (more text, the end with model
 * and usage, or an error the server reports inside the stream).
 *
 * Responses API: POST /responses with `input`; events `response.output_text.delta` … `response.completed`.
 * Chat Completions: POST /chat/completions with `messages`; chunks with `choices[].delta`, then `[DONE]`.
 */
import type { WireApi } from "../config/providers.js";
import type { SseEvent } from "./sse.js";

export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Token counts, in the Responses API's names (Chat Completions' are translated). */
export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

export type Step =
  | { kind: "text"; text: string; finished?: boolean }
  /** Facts about the reply; `finished` when a Chat Completions chunk carried a `finish_reason`. */
  | { kind: "meta"; model?: string | undefined; usage?: Usage | undefined; finished?: boolean }
  | { kind: "done"; model?: string | undefined; usage?: Usage | undefined; incomplete?: string | undefined }
  | { kind: "error"; message: string };

export interface WireFormat {
  /** Path under the provider's base URL. */
  readonly path: string;
  body(model: string, messages: Message[]): unknown;
  /** What one event means; undefined for events that do not matter here. */
  interpret(event: SseEvent): Step | undefined;
  /** Whether a stream that ended without a `done` step may still count as complete. */
  completeWithoutDone(sawFinish: boolean): boolean;
}

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asNumber = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export class EventFormatError extends Error {}

function parseData(event: SseEvent): Json {
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch {
    throw new EventFormatError("the server sent an event that is not valid JSON");
  }
  const obj = asObject(value);
  if (obj === undefined) throw new EventFormatError("the server sent an event that is not a JSON object");
  return obj;
}

function errorMessage(value: unknown): string | undefined {
  const obj = asObject(value);
  if (obj === undefined) return asString(value);
  return asString(obj.message) ?? asString(obj.code) ?? asString(obj.type);
}

function usageOf(value: unknown, names: { input: string; output: string }): Usage | undefined {
  const u = asObject(value);
  if (u === undefined) return undefined;
  const usage: Usage = {};
  const input = asNumber(u[names.input]);
  const output = asNumber(u[names.output]);
  const total = asNumber(u.total_tokens);
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  if (total !== undefined) usage.total_tokens = total;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

const responses: WireFormat = {
  path: "/responses",
  body: (model, messages) => ({
    model,
    // Easy input messages: the whole conversation so far, as the API keeps no state (store: false).
    input: messages.map((m) => ({ role: m.role, content: m.content })),
    stream: true,
    store: false,
  }),
  interpret(event) {
    const data = parseData(event);
    const type = asString(data.type) ?? event.event;
    const response = asObject(data.response);
    switch (type) {
      case "response.output_text.delta":
      case "response.refusal.delta": {
        const delta = data.delta;
        if (typeof delta !== "string") throw new EventFormatError(`the server sent a ${type} event without text`);
        return delta === "" ? undefined : { kind: "text", text: delta };
      }
      case "response.created":
      case "response.in_progress":
        return { kind: "meta", model: asString(response?.model) };
      case "response.completed":
        return {
          kind: "done",
          model: asString(response?.model),
          usage: usageOf(response?.usage, { input: "input_tokens", output: "output_tokens" }),
        };
      case "response.incomplete":
        return {
          kind: "done",
          model: asString(response?.model),
          usage: usageOf(response?.usage, { input: "input_tokens", output: "output_tokens" }),
          incomplete: asString(asObject(response?.incomplete_details)?.reason) ?? "unknown reason",
        };
      case "response.failed":
        return { kind: "error", message: errorMessage(response?.error) ?? "the response failed" };
      case "error":
        return { kind: "error", message: errorMessage(data.error ?? data) ?? "unknown error" };
      default:
        return undefined;
    }
  },
  completeWithoutDone: () => false,
};

/**
 * Instructions for the ChatGPT backend when the conversation has no system message: it requires the
 * field (Codex sends its own long prompt there).
 */
export const DEFAULT_INSTRUCTIONS = "You are a helpful coding assistant. Answer the user's request directly.";

/**
 * The Responses API as the ChatGPT backend takes it from OpenAI's Codex CLI: the system messages as
 * `instructions` (required), never stored on the server, always streamed. The events are the same.
 */
const chatgptResponses: WireFormat = {
  ...responses,
  body: (model, messages) => {
    const system = messages.filter((m) => m.role === "system").map((m) => m.content);
    return {
      model,
      instructions: system.length === 0 ? DEFAULT_INSTRUCTIONS : system.join("\n\n"),
      input: messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: m.content })),
      store: false,
      stream: true,
    };
  },
};

const chat: WireFormat = {
  path: "/chat/completions",
  body: (model, messages) => ({
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  }),
  interpret(event) {
    if (event.data.trim() === "[DONE]") return { kind: "done" };
    const data = parseData(event);
    if (data.error !== undefined) return { kind: "error", message: errorMessage(data.error) ?? "unknown error" };
    const usage = usageOf(data.usage, { input: "prompt_tokens", output: "completion_tokens" });
    const choice = asObject(Array.isArray(data.choices) ? data.choices[0] : undefined);
    const content = asObject(choice?.delta)?.content;
    if (content !== undefined && content !== null && typeof content !== "string") {
      throw new EventFormatError("the server sent a chunk whose delta.content is not text");
    }
    const text = asString(content);
    const finished = asString(choice?.finish_reason) !== undefined;
    if (text !== undefined && text !== "") return { kind: "text", text, finished };
    return { kind: "meta", model: asString(data.model), usage, finished };
  },
  // Some servers end the stream after the chunk carrying `finish_reason` without sending `[DONE]`.
  completeWithoutDone: (sawFinish) => sawFinish,
};

/** The format to speak: `chatgpt` for a ChatGPT sign-in's requests to the ChatGPT backend. */
export function wireFormat(api: WireApi, chatgpt = false): WireFormat {
  if (chatgpt) return chatgptResponses;
  return api === "chat" ? chat : responses;
}
