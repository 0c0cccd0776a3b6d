/**
 * The provider client: sends a conversation, streams the reply back piece by piece, and turns every way
 * that can fail into one typed error that names the host and never contains the credential. It ties
 * together the parts, each with its failure policy:
 *
 * - send.ts: one request (headers, the time limit on the response headers, abort, network errors), the
 *   path both a reply and the credential check take;
 * - retry.ts: retry and back-off for a reply (a reset connection, 429, 5xx; a 401 once with a renewed
 *   token when the credential can renew);
 * - reply-stream.ts: the answer to a reply, streamed into a Reply within the idle and size limits;
 * - check.ts: the credential check (`codex status --check`), which never retries.
 */

import type { ResolvedCredential } from "../auth/credential.js";
import type { Fetch } from "../config/http.js";
import { cleartextRefusal, type ProviderSettings } from "../config/providers.js";
import { type CheckResult, type CredentialCheck, checkCredential } from "./check.js";
import { MAX_REPLY_CHARS, MAX_REPLY_STREAM_BYTES, type Reply, receiveReply } from "./reply-stream.js";
import { defaultSleep, type Sleep, withRetries } from "./retry.js";
import { Sender } from "./send.js";
import { type Message, wireFormat } from "./wire.js";

export type { Fetch } from "../config/http.js";
export { type CheckResult, type CredentialCheck, MAX_REPLY_CHARS, MAX_REPLY_STREAM_BYTES, type Reply };

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

export class Client {
  readonly provider: ProviderSettings;
  readonly model: string;
  readonly credential: ResolvedCredential;
  readonly #sender: Sender;
  readonly #sleep: Sleep;
  readonly #clock: () => Date;

  /** Throws InsecureTransportError when the provider's base_url is plain http:// to another machine (no opt-in). */
  constructor(options: ClientOptions) {
    // Checked here rather than by each caller: no client exists that could send the credential in clear text.
    const refusal = cleartextRefusal(options.provider);
    if (refusal !== undefined) throw refusal;
    this.provider = options.provider;
    this.model = options.model;
    this.credential = options.credential;
    this.#sender = new Sender(options.provider, options.credential, options.fetch);
    this.#sleep = options.sleep ?? defaultSleep;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Host (and port) of the provider, as messages name it. */
  get host(): string {
    return this.#sender.host;
  }

  /** Sends the conversation and streams the assistant's reply. */
  async reply(messages: Message[], options: ReplyOptions = {}): Promise<Reply> {
    const sender = this.#sender;
    const wire = wireFormat(this.provider.wireApi, sender.chatgpt);
    const url = sender.url(wire.path);
    const body = JSON.stringify(wire.body(this.model, messages));
    await sender.renewIfExpiring();
    const stream = { sender, wire, model: this.model, clock: this.#clock, onText: options.onText };
    const attempt = async () =>
      receiveReply(
        await sender.send({
          method: "POST",
          url,
          accept: "text/event-stream",
          body,
          purpose: "reply",
          timeoutMs: this.provider.requestTimeoutMs,
          signal: options.signal,
        }),
        stream,
      );
    return withRetries(attempt, {
      maxRetries: this.provider.maxRetries,
      sleep: this.#sleep,
      signal: options.signal,
      renew: () => sender.renew(),
    });
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
    return checkCredential(this.#sender, options);
  }
}
