/**
 * What codex accepts as a key or token, wherever it enters (standard input, the hidden prompt, an environment
 * variable, an auth_command's output, a store), in the credentials layer because the stores check what they
 * read with it; src/auth/api-key.ts turns a refusal into the error for each place.
 *
 * A key travels as `Authorization: Bearer <key>`, so it must be a valid HTTP header value, and every real key
 * or token (OpenAI's `sk-…`, JWTs, Vault, GitHub and 1Password tokens) is visible ASCII without quotes. So a
 * key is characters 0x21–0x7E but `"` and `'`; spaces, tabs, CR and LF around it are trimmed, as Codex does.
 * Anything else (a space or line break inside, quotes from a copied TOML or shell line, bytes that are not
 * UTF-8, a U+FFFD left by a lossy decoder, a non-ASCII look-alike) is a paste or encoding mistake that the
 * server would only answer with "unauthorized" or that would break the request: it is refused, naming what
 * and its position, and never the key nor the character itself where that could be part of the secret.
 *
 * Everything before the first problem is ASCII, so a position counts characters and bytes alike. A plain
 * loop, no regular expression: `codex status` checks the stored key with it.
 */

/**
 * The most codex reads of a key from standard input: far above any real key or token (an OpenAI key is under
 * 200 bytes, a JWT access token a few KiB), small enough that `yes | codex login --with-api-key` ends at once.
 */
export const MAX_KEY_BYTES = 64 * 1024;

/** What is wrong with a key: `problem` names the character ("a space"), `position` is 1-based. */
export interface KeyProblem {
  problem: string;
  position: number;
}

/** What the rule says a key is, for messages. */
export const KEY_RULE = "a key is printable ASCII: no spaces, quotes, control or non-ASCII characters";

const isKeyChar = (c: number) => c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x27;
const isTrimmed = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/** Names an ASCII character that is not allowed: all of them are safe to name, none can be in a valid key. */
function asciiName(c: number): string {
  switch (c) {
    case 0x20:
      return "a space";
    case 0x09:
      return "a tab";
    case 0x0a:
      return "a line break";
    case 0x0d:
      return "a carriage return";
    case 0x22:
      return "a double quote";
    case 0x27:
      return "a single quote";
    default:
      return `a control character (${codePoint(c)})`;
  }
}

const codePoint = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

function nonAsciiName(cp: number): string {
  if (cp === 0xfffd) return "U+FFFD (the replacement character: the key was not valid UTF-8 where it came from)";
  if (cp === 0xfeff) return "a byte order mark (U+FEFF)";
  if (cp >= 0xd800 && cp <= 0xdfff) return `half of a surrogate pair (${codePoint(cp)})`;
  if (cp <= 0x9f) return `a control character (${codePoint(cp)})`;
  return `a non-ASCII character (${codePoint(cp)})`;
}

/** `input` without the spaces, tabs, CR and LF around it, or the first thing that makes it no key. */
export function parseKey(input: string): { key: string } | KeyProblem {
  let start = 0;
  let end = input.length;
  while (start < end && isTrimmed(input.charCodeAt(start))) start++;
  while (end > start && isTrimmed(input.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const c = input.charCodeAt(i);
    if (isKeyChar(c)) continue;
    const problem = c < 0x80 ? asciiName(c) : nonAsciiName(input.codePointAt(i) as number);
    return { problem, position: i - start + 1 };
  }
  return { key: input.slice(start, end) };
}

// ignoreBOM keeps a leading U+FEFF in the text, so that it is named rather than silently dropped. Made on
// first use: a TextDecoder costs tens of microseconds, and `codex status` and `logout` never need one.
let fatal: InstanceType<typeof TextDecoder> | undefined;

/**
 * As parseKey, for bytes (standard input): decoded as strict UTF-8, so a byte that is not UTF-8 is named as
 * such rather than becoming a U+FFFD nobody can see.
 */
export function parseKeyBytes(bytes: Uint8Array): { key: string } | KeyProblem {
  let start = 0;
  let end = bytes.length;
  while (start < end && isTrimmed(bytes[start])) start++;
  while (end > start && isTrimmed(bytes[end - 1])) end--;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (isKeyChar(c)) continue;
    const position = i - start + 1;
    if (c < 0x80) return { problem: asciiName(c), position };
    // One character: its length from the lead byte, then the decoder's own checks (overlong forms, surrogates).
    const length = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    let cp: number | undefined;
    try {
      fatal ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      if (length > 0 && i + length <= end) cp = fatal.decode(bytes.subarray(i, i + length)).codePointAt(0);
    } catch {
      cp = undefined;
    }
    return { problem: cp === undefined ? "an invalid UTF-8 byte" : nonAsciiName(cp), position };
  }
  return { key: Buffer.from(bytes.subarray(start, end)).toString("latin1") };
}
