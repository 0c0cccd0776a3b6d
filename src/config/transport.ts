/**
 * Whether a request to a URL would carry a credential across the network in clear text: plain `http://`
 * to a host that is not this machine. Used for a provider's base_url (API keys, access tokens) and an
 * OAuth issuer (authorization codes, refresh tokens); the caller decides the opt-in and the message.
 *
 * Decided from the URL's text alone, before any DNS lookup: a name that merely resolves to 127.0.0.1
 * today may resolve elsewhere tomorrow (or on another network, or for whoever controls its DNS), so only
 * `localhost` itself, 127.0.0.0/8 and ::1 count as this machine.
 */

/** `localhost`, 127.0.0.0/8, `[::1]`, and 127.0.0.0/8 written as an IPv4-mapped IPv6 address. */
export function isLoopbackHost(hostname: string): boolean {
  // WHATWG URL parsing has already lower-cased the name and written any IPv4 form (127.1, 0x7f.0.0.1) as
  // four decimals, and IPv6 in its shortest form in brackets.
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === "[::1]" ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/** Whether a request to `url` would cross the network unencrypted (http:// to a host not this machine). */
export function isCleartextRemote(url: URL): boolean {
  return url.protocol === "http:" && !isLoopbackHost(url.hostname);
}
