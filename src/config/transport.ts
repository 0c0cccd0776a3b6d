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
  // four decimals, and IPv6 in its shortest form in brackets (::ffff:127.0.0.1 as [::ffff:7f00:1]). Plain
  // string tests rather than regular expressions: this runs before every request, and compiling one costs
  // more than the whole test.
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  if (host.startsWith("127.")) {
    const parts = host.split(".");
    return parts.length === 4 && parts.every((p) => p.length >= 1 && p.length <= 3 && isDigits(p));
  }
  if (host.startsWith("[::ffff:7f") && host.endsWith("]")) {
    const rest = host.slice("[::ffff:7f".length, -1);
    const colon = rest.indexOf(":");
    return (
      colon === 2 && isHex(rest.slice(0, 2)) && rest.length - 3 >= 1 && rest.length - 3 <= 4 && isHex(rest.slice(3))
    );
  }
  return false;
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return text.length > 0;
}

/** Whether a request to `url` would cross the network unencrypted (http:// to a host not this machine). */
export function isCleartextRemote(url: URL): boolean {
  return url.protocol === "http:" && !isLoopbackHost(url.hostname);
}
