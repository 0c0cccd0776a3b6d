/**
 * API keys: validating what the user typed or piped, and the masked hint that is the only form of a key
 * codex ever prints.
 */
import { InvalidInputError } from "../errors.js";

/** Trims one trailing line ending (as `echo key | codex login --with-api-key` adds) and validates. */
export function normalizeApiKey(input: string): string {
  const key = input.replace(/\r?\n$/, "");
  if (key.trim() === "") throw new InvalidInputError("the API key is empty; nothing was saved");
  // A key with spaces or control characters is a paste or file mistake, and would corrupt headers.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we reject
  if (/[\s\x00-\x1f\x7f]/.test(key)) {
    throw new InvalidInputError(
      "the API key contains whitespace, line breaks or control characters; pass the key alone on standard input (nothing was saved)",
    );
  }
  return key;
}

/**
 * `sk-…abcd`: the key's short prefix (it says which kind of key it is) and its last four characters. A key
 * too short for that to be safe shows only its prefix. `keepPrefix: false` is for OAuth tokens, which are
 * random throughout: what looks like a prefix there is just more of the secret (`…abcd`).
 */
export function maskToken(token: string, keepPrefix = true): string {
  const prefix = keepPrefix ? (/^[A-Za-z]{2,5}[-_]/.exec(token)?.[0] ?? "") : "";
  // By code points: four UTF-16 units may be half an emoji, which no terminal or JSON reader can show.
  const chars = Array.from(token);
  const tail = chars.length >= 16 ? chars.slice(-4).join("") : "";
  return `${prefix}…${tail}`;
}
