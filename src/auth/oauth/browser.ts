/**
 * Browser sign-in: OAuth 2.0 authorization code with PKCE (S256), `state`, and a `nonce` when OpenID
 * Connect, received by a one-shot HTTP server on the loopback interface (RFC 8252 §7.3).
 *
 * The redirect URI names `localhost` (what OpenAI registers for Codex's client id), and a browser may take
 * `localhost` to 127.0.0.1 or to [::1] (Chromium tries [::1] first). So the server listens on both, on the
 * same port (RFC 8252 §8.3): were it on 127.0.0.1 alone, any other local user listening on [::1]:port would
 * receive the authorization code and `state`. When another program holds the port on either address, the
 * sign-in stops with a PortInUseError naming it, before anything is shown or opened. Where the system has no
 * IPv6 at all (binding ::1 fails with EADDRNOTAVAIL or EAFNOSUPPORT) it listens on 127.0.0.1 alone: then no
 * one can listen on [::1] either. Nothing else on the network can reach either address.
 *
 * A callback whose `state` is not ours is answered with an error page and ignored (the flow keeps waiting
 * for the real one); the first callback with our `state` settles the flow, and the servers close once its
 * answer is sent.
 *
 * Paste-back: a browser on another machine (SSH, a container, WSL) cannot reach this loopback; it ends on a
 * page that cannot connect, whose address is the callback. With `paste` (a terminal), the user may paste that
 * address instead, and whichever arrives first wins: the other is closed. A pasted address goes through the
 * same decision as a request to the listener (`judge`: our path, our `state`), and then the same exchange
 * (PKCE verifier, `error=`, nonce); one with another `state` is refused (the caller says why) and the wait
 * goes on, as the listener does. A code alone is refused: it carries no `state`, so nothing would show that
 * it was issued for this sign-in and not for an attacker's account that someone wants you signed into
 * (login CSRF, RFC 6749 §10.12).
 *
 * With OpenAI's sign-in on the default port, a busy 1455 moves the server to 1457, the other loopback port
 * OpenAI registers for its client (as OpenAI's Codex CLI does); a port the user chose never moves.
 *
 * Failure policy: a busy port is a PortInUseError suggesting --port or --device-auth; `access_denied` and
 * other errors from the server are OAuthErrors; no callback within the time limit is an OAuthError; an
 * aborted signal (Ctrl-C) is a CancelledError. Nothing is stored here: the caller stores the result.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Fetch } from "../../config/http.js";
import { issuerHost, OPENAI_FALLBACK_PORT, type OAuthSettings } from "../../config/oauth.js";
import type { StoredCredential } from "../../credentials/store.js";
import { CancelledError, LoginRestrictedError, OAuthError, PortInUseError } from "../../errors.js";
import {
  assertIssuerTransport,
  authorizeUrl,
  callbackError,
  createPkce,
  createState,
  credentialFromOpenAI,
  exchangeCode,
  workspaceRefusal,
} from "./openai.js";

const CALLBACK_PATH = "/auth/callback";

export interface BrowserLoginOptions {
  settings: OAuthSettings;
  /** Loopback port (default: settings.redirectPort). */
  port?: number | undefined;
  /**
   * Shows the authorization URL to the user (and opens the browser). `expiresAt` is when the wait for the
   * browser ends (by `clock`), for saying how long is left.
   */
  onUrl: (url: string, expiresAt: Date) => void | Promise<void>;
  signal?: AbortSignal | undefined;
  /** How long to wait for the browser, in ms (default 10 minutes). */
  timeoutMs?: number | undefined;
  clock?: () => Date;
  /** `forced_chatgpt_workspace_id`: the OpenAI sign-in asks for one of these and refuses any other. */
  workspaces?: readonly string[] | undefined;
  /** The transport (config/network.ts: proxies, CA files); default: straight to the issuer. */
  fetch?: Fetch | undefined;
  /** Where the user can paste the address the browser ended on (a terminal); see PasteBack. */
  paste?: PasteBack | undefined;
}

/**
 * The terminal, taking the address a browser elsewhere ended on. `start` begins reading (before the URL is
 * shown, so nothing typed is ever echoed) and hands each line entered, at most `maxChars` and one more, to
 * `offer`, which answers why the line was not taken (to say so, and read on), or undefined when it was. The
 * function `start` returns stops reading and gives the terminal back.
 */
export interface PasteBack {
  start(offer: (line: string) => PasteRefusal | undefined, maxChars: number): () => void;
}

/**
 * Why a pasted line was not taken: longer than MAX_PASTE_CHARS; a code alone; a query or address with no
 * `state`; not the callback's address; another sign-in's `state`. `callback` is this sign-in's redirect URI,
 * `maxChars` MAX_PASTE_CHARS. Never the line itself: it may hold a code.
 */
export interface PasteRefusal {
  why: "too-long" | "code-alone" | "no-state" | "not-callback" | "foreign";
  callback: string;
  maxChars: number;
}

/**
 * The most a pasted address may hold. Authorization codes are mostly under 100 characters, and the longest
 * seen (Microsoft's) stay under 2,000; a URL of 8 KiB is beyond what many servers accept.
 */
export const MAX_PASTE_CHARS = 8192;

const TEN_MINUTES = 10 * 60_000;

export async function loginWithBrowser(options: BrowserLoginOptions): Promise<StoredCredential> {
  const { settings } = options;
  const { servers, port } = await listenOnLoopback(
    options.port ?? settings.redirectPort,
    // OpenAI registers a second port for its client: Codex moves there when the first is busy.
    options.port === undefined && settings.defaultPort && settings.protocol === "openai"
      ? OPENAI_FALLBACK_PORT
      : undefined,
  );
  // Ends the wait for the callback however this function exits, so no timer outlives it.
  const done = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, done.signal]) : done.signal;
  let stopPaste: (() => void) | undefined;
  try {
    const redirectUri = `http://localhost:${port}${CALLBACK_PATH}`;
    const flow =
      settings.protocol === "openai"
        ? openaiFlow(settings, redirectUri, options.workspaces, options.fetch)
        : await standardFlow(settings, redirectUri, options.fetch);
    const timeoutMs = options.timeoutMs ?? TEN_MINUTES;
    const clock = options.clock ?? (() => new Date());
    // Taken before the timer starts, so the time shown as left is never more than the wait really has.
    const expiresAt = new Date(clock().getTime() + timeoutMs);
    const waiting = waitForCallback(servers, port, flow.state, signal, timeoutMs);
    waiting.callback.catch(() => {});
    stopPaste = options.paste?.start(waiting.offer, MAX_PASTE_CHARS);
    await options.onUrl(flow.url, expiresAt);
    const { url: returned, respond } = await waiting.callback;
    // The terminal is given back before the exchange, which may take a while and then print.
    stopPaste?.();
    stopPaste = undefined;
    try {
      const credential = await flow.finish(returned, clock());
      await respond(200, "Signed in to codex", "You are signed in. You can close this tab and return to the terminal.");
      return credential;
    } catch (err) {
      const denied = err instanceof OAuthError && err.error === "access_denied";
      await respond(
        denied ? 403 : 400,
        denied ? "Sign-in cancelled" : "Sign-in failed",
        denied
          ? "The sign-in was denied, so codex stored nothing. You can close this tab."
          : "codex could not complete the sign-in; the terminal says why. You can close this tab.",
      );
      if (denied && settings.protocol !== "openai") {
        throw new OAuthError("access_denied", "the sign-in was denied in the browser; nothing was stored");
      }
      throw err;
    }
  } finally {
    stopPaste?.();
    done.abort();
    closeAll(servers);
  }
}

/** One protocol's side of the browser sign-in: the URL to open, and what to do with the callback. */
interface Flow {
  url: string;
  state: string;
  /** Exchanges the callback's code for the credential; an error callback is an OAuthError. */
  finish(callback: URL, now: Date): Promise<StoredCredential>;
}

/** OAuth 2.0 / OpenID Connect, from the issuer's discovery metadata, through openid-client. */
async function standardFlow(settings: OAuthSettings, redirectUri: string, fetch: Fetch | undefined): Promise<Flow> {
  const client = await import("openid-client");
  const { discover, serverError } = await import("./server.js");
  const { credentialFromTokens } = await import("./tokens.js");
  const config = await discover(settings.issuer, settings.clientId, {
    allowInsecureHttp: settings.allowInsecureHttp,
    fetch,
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const oidc = settings.scopes.includes("openid");
  const nonce = oidc ? client.randomNonce() : undefined;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    response_type: "code",
    scope: settings.scopes.join(" "),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...(nonce === undefined ? {} : { nonce }),
  });
  return {
    url: url.href,
    state,
    async finish(returned, now) {
      const tokens = await client
        .authorizationCodeGrant(config, returned, {
          pkceCodeVerifier: verifier,
          expectedState: state,
          ...(nonce === undefined ? {} : { expectedNonce: nonce }),
          idTokenExpected: oidc,
        })
        .catch((err: unknown) => {
          const code = returned.searchParams.get("code");
          throw serverError(err, settings.issuer, "the sign-in", code === null ? [verifier] : [verifier, code]);
        });
      return credentialFromTokens(tokens, settings, now);
    },
  };
}

/** OpenAI's own sign-in, as its Codex CLI sends it (see openai.ts). */
function openaiFlow(
  settings: OAuthSettings,
  redirectUri: string,
  workspaces: readonly string[] | undefined,
  fetch: Fetch | undefined,
): Flow {
  assertIssuerTransport(settings);
  const pkce = createPkce();
  const state = createState();
  return {
    url: authorizeUrl(settings, redirectUri, pkce, state, workspaces),
    state,
    async finish(returned, now) {
      const error = callbackError(returned);
      if (error !== undefined) throw error;
      const code = returned.searchParams.get("code");
      if (code === null || code === "") {
        throw new OAuthError(
          undefined,
          `${issuerHost(settings.issuer)} sent the browser back without a code; run \`codex login\` again`,
        );
      }
      const tokens = await exchangeCode(
        { issuer: settings.issuer, clientId: settings.clientId, fetch },
        redirectUri,
        pkce.verifier,
        code,
      );
      const credential = credentialFromOpenAI(tokens, settings, now);
      // Checked before anything is saved, as Codex does (the issuer was asked for it, but may not obey).
      const refusal = workspaceRefusal(workspaces, credential.oauth?.chatgptAccountId);
      if (refusal !== undefined) throw new LoginRestrictedError(`${refusal}; nothing was stored`);
      return credential;
    },
  };
}

function closeAll(servers: readonly Server[]): void {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
}

/** Whether binding ::1 failed because this system has no IPv6 loopback at all. */
const noIPv6 = (code: string | undefined) => code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT";

/** Listens on `port`, or on `fallback` when another program holds `port`. */
async function listenOnLoopback(port: number, fallback?: number): Promise<{ servers: Server[]; port: number }> {
  try {
    return await listenOnBoth(port);
  } catch (err) {
    if (fallback === undefined || !(err instanceof PortInUseError)) throw err;
    return listenOnBoth(fallback);
  }
}

/**
 * One server on 127.0.0.1 and one on [::1], on the same port (`port` 0: the port the system picks for the
 * first); the second only where the system has IPv6. Closes what it opened when either address is taken.
 */
async function listenOnBoth(port: number): Promise<{ servers: Server[]; port: number }> {
  const v4 = createServer();
  await listen(v4, "127.0.0.1", port);
  const bound = (v4.address() as AddressInfo).port;
  const v6 = createServer();
  try {
    await listen(v6, "::1", bound);
  } catch (err) {
    if (noIPv6((err as NodeJS.ErrnoException).code)) return { servers: [v4], port: bound };
    closeAll([v4]);
    throw err;
  }
  return { servers: [v4, v6], port: bound };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const address = host.includes(":") ? `[${host}]` : host;
      reject(err.code === "EADDRINUSE" || err.code === "EACCES" ? new PortInUseError(port, address) : err);
    });
    // exclusive: never share the port with another process's listener (cluster mode would).
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
}

interface Callback {
  /** The callback URL as the browser requested it (or the user pasted it), on the registered redirect URI. */
  url: URL;
  /** Answers the browser's request with a small page, then lets the server close (nothing, for a paste). */
  respond(status: number, title: string, text: string): Promise<void>;
}

/**
 * What a callback is to this sign-in, whether it reached the listener or was pasted: the one place that
 * decides. `elsewhere`: not the callback's path; `foreign`: another sign-in's (a stale tab, a forged request,
 * an address from an earlier attempt); `ours`: the one to finish the sign-in with.
 */
function judge(url: URL, state: string): "elsewhere" | "foreign" | "ours" {
  if (url.pathname !== CALLBACK_PATH) return "elsewhere";
  return url.searchParams.get("state") === state ? "ours" : "foreign";
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * A pasted line as the callback URL the listener would have seen (`http://localhost:PORT/auth/callback?…`),
 * whatever host or port it was pasted with; or why it cannot be one. Takes the whole address, or its query
 * (`code=…&state=…`, with or without `?`).
 */
function pastedCallback(line: string, port: number): URL | PasteRefusal["why"] {
  const text = line.trim();
  if (text.length > MAX_PASTE_CHARS) return "too-long";
  const base = `http://localhost:${port}`;
  let url: URL | undefined;
  if (/^https?:\/\//i.test(text)) {
    let pasted: URL | undefined;
    try {
      pasted = new URL(text);
    } catch {
      return "not-callback";
    }
    if (!LOOPBACK_NAMES.has(pasted.hostname) || pasted.pathname !== CALLBACK_PATH) return "not-callback";
    url = new URL(`${CALLBACK_PATH}${pasted.search}`, base);
  } else if (/^\??[A-Za-z_]+=/.test(text) && !/\s/.test(text)) {
    url = new URL(`${CALLBACK_PATH}?${text.replace(/^\?/, "")}`, base);
  } else {
    return /^[\w.~+/=-]{8,}$/.test(text) ? "code-alone" : "not-callback";
  }
  return url.searchParams.has("state") ? url : "no-state";
}

function waitForCallback(
  servers: readonly Server[],
  port: number,
  state: string,
  signal: AbortSignal,
  timeoutMs: number,
): { callback: Promise<Callback>; offer(line: string): PasteRefusal | undefined } {
  let settled = false;
  let accept: (callback: Callback) => void = () => {};
  const callback = new Promise<Callback>((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(
        new OAuthError(
          undefined,
          `no answer from the browser within ${timeoutMs >= 60_000 ? `${Math.round(timeoutMs / 60_000)} minutes` : `${Math.ceil(timeoutMs / 1000)} s`}; run \`codex login\` again (or \`codex login --device-auth\` on a machine without a browser)`,
        ),
      );
    }, timeoutMs);
    const onAbort = () => {
      finish();
      reject(new CancelledError("sign-in cancelled; nothing was stored"));
    };
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    accept = (cb) => {
      finish();
      resolve(cb);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", `http://localhost:${port}`);
      const verdict = req.method === "GET" ? judge(url, state) : "elsewhere";
      if (verdict === "elsewhere") {
        page(res, 404, "Not found", "This is codex's sign-in callback; there is nothing else here.");
        return;
      }
      if (settled) {
        page(res, 409, "Already handled", "This sign-in has already been handled. You can close this tab.");
        return;
      }
      if (verdict === "foreign") {
        // Not our sign-in: refuse it and keep waiting for the real one.
        page(
          res,
          400,
          "Sign-in link not recognised",
          "This sign-in response does not match the one codex is waiting for. Start again from the terminal.",
        );
        return;
      }
      accept({
        url,
        respond: (status, title, text) =>
          new Promise<void>((done) => {
            res.once("finish", () => done());
            res.once("close", () => done());
            page(res, status, title, text);
          }),
      });
    };
    for (const server of servers) server.on("request", onRequest);
  });
  const offer = (line: string): PasteRefusal | undefined => {
    // A line entered as the wait ends (the listener won, or time ran out) has nothing left to do.
    if (settled) return undefined;
    const url = pastedCallback(line, port);
    const callback = `http://localhost:${port}${CALLBACK_PATH}`;
    if (typeof url === "string") return { why: url, callback, maxChars: MAX_PASTE_CHARS };
    if (judge(url, state) === "foreign") return { why: "foreign", callback, maxChars: MAX_PASTE_CHARS };
    accept({ url, respond: async () => {} });
    return undefined;
  };
  return { callback, offer };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width"><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    connection: "close",
  });
  res.end(body);
}
