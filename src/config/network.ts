/**
 * The one transport for every request codex makes (the provider's and the sign-in server's): http.ts's
 * `send`, with the proxy (proxy.ts) and CA (ca.ts) rules of the command's environment.
 *
 * - https:// through a proxy: a CONNECT tunnel (https-proxy-agent, bundled into dist/vendor and loaded only
 *   when a proxy applies), then TLS to the host itself, so the proxy sees neither the credential nor the
 *   conversation. Its answer to CONNECT is watched here: anything but 200 is a ProxyError naming the proxy
 *   and its variable, never handed on as the server's answer (the library would replay the proxy's 407 as
 *   if the provider had sent it).
 * - http:// through a proxy: the request with its absolute URI, sent to the proxy (six lines of node:http;
 *   http-proxy-agent's debug output would print the request's headers, credential included).
 * - A proxy's user name and password go only into the Proxy-Authorization header; the agent gets the
 *   proxy's URL without them, so nothing it logs or throws can carry them.
 * - With a custom CA bundle, one secure context (Node's roots, NODE_EXTRA_CA_CERTS, the bundle) serves
 *   every https connection, to hosts and to an https:// proxy.
 *
 * Start-up: with no proxy or CA variable set, `networkFetch` is nodeFetch and loads nothing more.
 */
import type { ClientRequest, RequestOptions } from "node:http";
import { CodexError, ProxyError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import { caConfigured, customCaVariable, isTlsFailure, readCaFile, TLS_HINT } from "./ca.js";
import { type Fetch, type HttpRequest, type HttpResponse, nodeFetch, type Route, send, systemReason } from "./http.js";
import { lazyRequire } from "./lazy-require.js";
import type { Env } from "./paths.js";
import { type ProxyServer, proxyConfigured, proxyDecision } from "./proxy.js";

interface Trust {
  /** A tls.SecureContext trusting Node's roots and the custom bundle; undefined: Node's default. */
  secureContext: unknown;
}

/** The transport for a command run with `env`. */
export function networkFetch(env: Env): Fetch {
  if (!proxyConfigured(env) && !caConfigured(env)) return nodeFetch;
  let trust: Trust | undefined;
  return (url: URL, init: HttpRequest): Promise<HttpResponse> => {
    try {
      trust ??= loadTrust(env);
    } catch (err) {
      return Promise.reject(err);
    }
    return route(url, env, trust, init.signal).then((how) => send(url, init, how));
  };
}

/** Reads and checks the CA files (NetworkSettingError naming the variable); once per transport. */
function loadTrust(env: Env): Trust {
  const extra = env.NODE_EXTRA_CA_CERTS ? readCaFile("NODE_EXTRA_CA_CERTS", env.NODE_EXTRA_CA_CERTS) : undefined;
  const custom = customCaVariable(env);
  if (custom === undefined) return { secureContext: undefined };
  const bundle = readCaFile(custom.variable, custom.path);
  const tls: typeof import("node:tls") = lazyRequire("node:tls");
  // `ca` replaces Node's list, so its roots (and NODE_EXTRA_CA_CERTS, which Node adds to them) come first.
  const ca = [...tls.rootCertificates, ...(extra?.certificates ?? []), ...bundle.certificates];
  return { secureContext: tls.createSecureContext({ ca }) };
}

async function route(url: URL, env: Env, trust: Trust, signal: AbortSignal | undefined): Promise<Route> {
  const https = url.protocol === "https:";
  const tlsOptions: RequestOptions =
    trust.secureContext === undefined ? {} : ({ secureContext: trust.secureContext } as RequestOptions);
  const decision = proxyDecision(url, env);
  if (!("proxy" in decision)) return https ? { options: tlsOptions } : {};
  const proxy = decision.proxy;
  const proxyTls = proxy.url.protocol === "https:" ? tlsOptions : {};
  const headers: Record<string, string> = proxy.authorization ? { "Proxy-Authorization": proxy.authorization } : {};
  const noCredentials = new URL(`${proxy.url.protocol}//${proxy.url.host}`);

  if (!https) {
    // Absolute-form request (RFC 9112 §3.2.2) to the proxy, which forwards it.
    return {
      protocol: proxy.url.protocol as "http:" | "https:",
      options: {
        ...proxyTls,
        protocol: proxy.url.protocol,
        hostname: bare(proxy.url.hostname),
        host: bare(proxy.url.hostname),
        port: proxy.url.port || (proxy.url.protocol === "https:" ? 443 : 80),
        path: url.href,
      },
      watch: (request) => {
        request.setHeader("host", url.host);
        if (proxy.authorization) request.setHeader("proxy-authorization", proxy.authorization);
      },
      refuse: (res) => (res.statusCode === 407 ? refusal(proxy, url, 407, res.statusMessage) : undefined),
      failure: (err) => unreachableProxy(err, proxy, url),
    };
  }

  // A dynamic import, so the CLI's bundle loads dist/vendor/https-proxy-agent.cjs (scripts/build.mjs) only here.
  const { HttpsProxyAgent } = await import("https-proxy-agent");
  // The request's signal reaches the socket to the proxy, which node:http cannot close while the agent is
  // still waiting for the answer to CONNECT: without it, a proxy that never answers keeps codex running.
  const agent = new HttpsProxyAgent(noCredentials, {
    ...(proxyTls as object),
    headers,
    keepAlive: false,
    ...(signal === undefined ? {} : { signal }),
  });
  let tunnelled = false;
  return {
    options: { ...tlsOptions, agent },
    watch: (request: ClientRequest, fail) => {
      request.once("proxyConnect", (connect: { statusCode?: number; statusText?: string }) => {
        if (connect.statusCode === 200) tunnelled = true;
        else fail(refusal(proxy, url, connect.statusCode ?? 0, connect.statusText));
      });
    },
    // Before the tunnel stands, a failure is the proxy's (down, refused, reset); after it, the host's own
    // (TLS, a reset), described by the caller like any other.
    failure: (err) => (tunnelled ? err : unreachableProxy(err, proxy, url)),
  };
}

/** IPv6 without its brackets, as node:http wants a host. */
function bare(hostname: string): string {
  return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
}

/** The proxy answered, but not with the tunnel (or, for http://, with its own 407). */
function refusal(proxy: ProxyServer, url: URL, status: number, text: string | undefined): ProxyError {
  const answer = `HTTP ${status}${text ? ` ${oneLine(text, 60)}` : ""}`;
  const via = `the proxy ${proxy.shown} (${proxy.variable})`;
  const why =
    // Any answer to CONNECT is the proxy's own: some (tinyproxy) say 401 where the standard says 407.
    status === 407 || status === 401
      ? `${via} asks for a user name and password (${answer}); ${proxy.authorization ? `check those in ${proxy.variable}` : `put them in ${proxy.variable} as http://USER:PASSWORD@HOST:PORT`}`
      : status === 403
        ? `${via} does not allow connections to ${url.host} (${answer}); ask its administrators, or set NO_PROXY to reach ${url.hostname} directly`
        : status >= 500
          ? `${via} could not connect to ${url.host} (${answer}); check the host name, or set NO_PROXY to reach ${url.hostname} directly`
          : `${via} refused to connect to ${url.host} (${answer})`;
  return new ProxyError(
    { host: url.host, proxy: proxy.shown, variable: proxy.variable, status },
    `PROXY_${status}`,
    why,
  );
}

/** The proxy itself could not be reached: refused, DNS, reset, TLS to an https:// proxy. */
function unreachableProxy(err: Error, proxy: ProxyServer, url: URL): Error {
  // The caller's time ran out (or Ctrl-C) before the tunnel stood: the caller says which, and with this
  // error it can say that the proxy is where the time went.
  if (err.name === "AbortError") {
    return new ProxyError(
      { host: url.host, proxy: proxy.shown, variable: proxy.variable },
      "ABORT_ERR",
      `the proxy ${proxy.shown} (${proxy.variable}) did not open a connection to ${url.host}; check ${proxy.variable}, or set NO_PROXY to reach ${url.hostname} directly`,
      { cause: err },
    );
  }
  const code = (err as { code?: string }).code ?? "UNKNOWN";
  const why = systemReason(code) ?? oneLine(redactProxy(err.message, proxy), 200);
  return new ProxyError(
    { host: url.host, proxy: proxy.shown, variable: proxy.variable },
    code,
    `could not reach ${url.host}: the proxy ${proxy.shown} (${proxy.variable}) did not answer (${why}); check ${proxy.variable}, or set NO_PROXY to reach ${url.hostname} directly`,
    { cause: err },
  );
}

/** A system message never names the proxy with its password, but a library's might: it is masked. */
function redactProxy(text: string, proxy: ProxyServer): string {
  let out = text;
  for (const secret of [proxy.url.password, proxy.url.username, proxy.authorization ?? ""]) {
    if (secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

/** Why a request got no answer, in a few words, and what to do (doctor's network check). */
export function networkFailure(err: unknown): { why: string; fix: string } {
  const network = "check your network, and HTTPS_PROXY and NO_PROXY if it needs a proxy";
  if (err instanceof ProxyError) {
    return {
      why: err.message.split("; ")[0] ?? err.message,
      fix: err.message.split("; ").slice(1).join("; ") || network,
    };
  }
  if (err instanceof CodexError) return { why: err.message, fix: network };
  const cause = ((err as { cause?: unknown }).cause ?? err) as { code?: string; message?: string; name?: string };
  const code = cause?.code ?? "";
  if (cause?.name === "TimeoutError" || cause?.name === "AbortError") return { why: "no answer in time", fix: network };
  if (isTlsFailure(code)) return { why: `${oneLine(cause.message ?? code, 200)} (${code})`, fix: TLS_HINT };
  return { why: systemReason(code) ?? oneLine(cause?.message ?? String(err), 200), fix: network };
}
