/**
 * Which proxy, if any, a request goes through, decided from the command's environment as curl and most
 * tools decide it:
 *
 * - https:// through `https_proxy` / `HTTPS_PROXY`, http:// through `http_proxy` / `HTTP_PROXY`, either
 *   falling back to `all_proxy` / `ALL_PROXY`; the lower-case name first (curl's order), an empty value
 *   counts as unset; a value without a scheme (`proxy:3128`) is http://, as curl takes it;
 * - `no_proxy` / `NO_PROXY`: entries separated by commas or spaces; `*` alone exempts every host; `host`,
 *   `.host` and `*.host` each exempt the host and every name under it (curl's rule); `host:port` only that
 *   port; an IP address (`10.1.2.3`, `::1` or `[::1]`) exempts exactly that address;
 * - this machine (`localhost`, 127.0.0.0/8, [::1]) is never reached through a proxy, whatever the variables
 *   say, as Go's net/http does: the fake servers of tests and a local model server are local, and a proxy
 *   could not reach them anyway.
 *
 * Written here rather than taken from proxy-from-env (the usual package): it reads only process.env (codex
 * decides from the command's env), does not say which variable chose the proxy (every message names it),
 * and takes `example.com` in NO_PROXY to mean that name alone, where curl exempts its subdomains too.
 *
 * A proxy's user name and password stay in `url` for the Proxy-Authorization header; everything printed
 * uses `shown`, scheme://host:port.
 */
import { NetworkSettingError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import type { Env } from "./paths.js";
import { isLoopbackHost } from "./transport.js";

export interface ProxyServer {
  /** The proxy's URL, credentials included: for the Proxy-Authorization header only, never printed. */
  url: URL;
  /** scheme://host:port, for messages. */
  shown: string;
  /** The variable it came from, as spelled in the environment. */
  variable: string;
  /** `Basic …` when the URL carries a user name or password. */
  authorization: string | undefined;
}

/** Why a request goes straight to its host. */
export type Exemption = { by: "loopback" } | { by: "no_proxy"; variable: string; entry: string };

export type ProxyDecision = { proxy: ProxyServer } | { direct: Exemption } | { direct: undefined };

/** The proxy variables in the order they are consulted; each pair lower-case first. */
export const PROXY_VARIABLES = [
  "https_proxy",
  "HTTPS_PROXY",
  "http_proxy",
  "HTTP_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
] as const;

/** The first of `names` set to a non-empty value. */
function pick(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return { name, value };
  }
  return undefined;
}

/** Whether any proxy variable is set: when none is, nothing here runs beyond this. */
export function proxyConfigured(env: Env): boolean {
  return pick(env, PROXY_VARIABLES.slice(0, 6)) !== undefined;
}

/** How a request to `target` goes; throws NetworkSettingError for a proxy variable codex cannot use. */
export function proxyDecision(target: URL, env: Env): ProxyDecision {
  const https = target.protocol === "https:";
  const chosen =
    pick(env, https ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]) ??
    pick(env, ["all_proxy", "ALL_PROXY"]);
  if (chosen === undefined) return { direct: undefined };
  if (isLoopbackHost(target.hostname)) return { direct: { by: "loopback" } };
  const noProxy = pick(env, ["no_proxy", "NO_PROXY"]);
  if (noProxy !== undefined) {
    const entry = exemptingEntry(target, noProxy.value);
    if (entry !== undefined) return { direct: { by: "no_proxy", variable: noProxy.name, entry } };
  }
  return { proxy: parseProxy(chosen.name, chosen.value) };
}

/** A proxy variable's value as a ProxyServer, or NetworkSettingError naming the variable (never the value). */
export function parseProxy(variable: string, value: string): ProxyServer {
  const text = value.trim();
  const scheme = text.indexOf("://");
  let url: URL;
  try {
    url = new URL(scheme === -1 ? `http://${text}` : text);
  } catch {
    throw new NetworkSettingError(
      variable,
      `${variable} is not a proxy URL; set it to http://HOST:PORT (or https://HOST:PORT), or unset it`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const name = oneLine(url.protocol.slice(0, -1), 20);
    throw new NetworkSettingError(
      variable,
      `${variable} names a ${name}:// proxy, which codex does not support; use an http:// or https:// proxy, or unset ${variable}`,
    );
  }
  if (url.hostname === "") {
    throw new NetworkSettingError(variable, `${variable} names no proxy host; set it to http://HOST:PORT, or unset it`);
  }
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const authorization =
    url.username !== "" || url.password !== ""
      ? `Basic ${Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString("base64")}`
      : undefined;
  return { url, shown: `${url.protocol}//${url.hostname}:${port}`, variable, authorization };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The NO_PROXY entry that exempts `target`, as written; undefined when none does. */
export function exemptingEntry(target: URL, noProxy: string): string | undefined {
  const host = target.hostname.toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  // An address is matched whole: 10.1.2.3 is not "under" 1.2.3.
  const address = isAddress(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === "") continue;
    if (raw === "*") return raw;
    const entry = splitEntry(raw.toLowerCase());
    if (entry === undefined) continue;
    if (entry.port !== undefined && entry.port !== port) continue;
    if (entry.ip || address) {
      if (host === entry.host) return raw;
    } else if (host === entry.host || host.endsWith(`.${entry.host}`)) {
      return raw;
    }
  }
  return undefined;
}

/** An IP literal as URL writes a host (`[::1]`, `10.1.2.3`), not a name. */
function isAddress(host: string): boolean {
  return host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** One NO_PROXY entry as host (IPv6 in brackets, as URL writes it), optional port, and whether an address. */
function splitEntry(entry: string): { host: string; port: string | undefined; ip: boolean } | undefined {
  let host = entry;
  let port: string | undefined;
  const colons = entry.split(":").length - 1;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close === -1) return undefined;
    host = entry.slice(0, close + 1);
    const rest = entry.slice(close + 1);
    if (rest.startsWith(":")) port = rest.slice(1);
    else if (rest !== "") return undefined;
  } else if (colons === 1) {
    host = entry.slice(0, entry.indexOf(":"));
    port = entry.slice(entry.indexOf(":") + 1);
  } else if (colons > 1) {
    host = `[${entry}]`;
  }
  if (port !== undefined && (port === "" || !/^\d{1,5}$/.test(port))) return undefined;
  if (host.startsWith("*.")) host = host.slice(2);
  else if (host.startsWith(".")) host = host.slice(1);
  if (host === "") return undefined;
  const ip = isAddress(host);
  if (ip) {
    // The form URL writes (shortest IPv6, decimal IPv4), so `0:0:0:0:0:0:0:1` matches [::1].
    try {
      host = new URL(`http://${host}/`).hostname;
    } catch {
      return undefined;
    }
  }
  return { host, port: port === undefined ? undefined : String(Number(port)), ip };
}
