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
}

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
    const callback = waitForCallback(servers, port, flow.state, signal, timeoutMs);
    callback.catch(() => {});
    await options.onUrl(flow.url, expiresAt);
    const { url: returned, respond } = await callback;
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
  /** The callback URL as the browser requested it, on the registered redirect URI. */
  url: URL;
  /** Answers the browser's request with a small page, then lets the server close. */
  respond(status: number, title: string, text: string): Promise<void>;
}

function waitForCallback(
  servers: readonly Server[],
  port: number,
  state: string,
  signal: AbortSignal,
  timeoutMs: number,
) {
  return new Promise<Callback>((resolve, reject) => {
    let settled = false;
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
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", `http://localhost:${port}`);
      if (req.method !== "GET" || url.pathname !== CALLBACK_PATH) {
        page(res, 404, "Not found", "This is codex's sign-in callback; there is nothing else here.");
        return;
      }
      if (settled) {
        page(res, 409, "Already handled", "This sign-in has already been handled. You can close this tab.");
        return;
      }
      if (url.searchParams.get("state") !== state) {
        // Not our sign-in (a stale tab, or a forged request): refuse it and keep waiting for the real one.
        page(
          res,
          400,
          "Sign-in link not recognised",
          "This sign-in response does not match the one codex is waiting for. Start again from the terminal.",
        );
        return;
      }
      finish();
      resolve({
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
