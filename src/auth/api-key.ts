/**
 * API keys: the errors for a key that breaks the rule (credentials/key-rule.ts), one per place it enters
 * (standard input or the prompt, an environment variable, a store), and the masked hint that is the only form
 * of a key codex ever prints.
 */
import { KEY_RULE, parseKey, parseKeyBytes } from "../credentials/key-rule.js";
import { InvalidInputError, InvalidKeyError, StoredKeyError } from "../errors.js";

export { MAX_KEY_BYTES } from "../credentials/key-rule.js";

/**
 * A key the user gave (typed at the prompt, piped on standard input, or passed to the library): trimmed and
 * checked, or an InvalidInputError saying what is wrong, nothing saved.
 */
export function normalizeApiKey(input: string | Uint8Array): string {
  const parsed = typeof input === "string" ? parseKey(input) : parseKeyBytes(input);
  if ("problem" in parsed) {
    throw new InvalidKeyError(
      `the API key contains ${parsed.problem} at position ${parsed.position}; nothing was stored (${KEY_RULE})`,
      parsed,
    );
  }
  if (parsed.key === "") throw new InvalidInputError("the API key is empty; nothing was stored");
  return parsed.key;
}

/** The key in environment variable `variable` (set, not blank), trimmed and checked. */
export function keyFromEnv(variable: string, value: string): string {
  const parsed = parseKey(value);
  if ("problem" in parsed) {
    throw new InvalidKeyError(
      `${variable} contains ${parsed.problem} at position ${parsed.position}, so it holds no usable API key (${KEY_RULE}); correct or unset it (nothing was sent)`,
      parsed,
    );
  }
  return parsed.key;
}

/**
 * A credential read back from config.toml or the keyring, before it is sent: stored by an older codex or by
 * hand, it may hold what the rule refuses everywhere else, and would then reach the server only as a header
 * error or "unauthorized". `what` says which and where ("the API key stored in /…/config.toml"), `login` is
 * the command that replaces it. Blank (only spaces or line breaks) is refused too: it was meant to be a key.
 */
export function storedKey(token: string, what: string, login: string): string {
  const parsed = parseKey(token);
  if ("key" in parsed && parsed.key !== "") return parsed.key;
  const fix = `run \`${login}\` to replace it`;
  const found = "problem" in parsed ? parsed : { problem: "nothing but white space", position: 1 };
  const said = "problem" in parsed ? `contains ${found.problem} at position ${found.position}` : "is blank";
  throw new StoredKeyError(`${what} ${said}, so it cannot be sent (${KEY_RULE}); ${fix}`, found, fix);
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
