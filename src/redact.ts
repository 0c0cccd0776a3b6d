/**
 * Words that may be secrets, in text on its way to a person (a mistyped command line, another program's
 * stderr), usable from any layer. One rule decides what "looks like a key or token", so that what the CLI
 * refuses to repeat and what it masks in a tool's message never disagree:
 *
 * a word (without the punctuation around it) looks like a key or token when it has 24 characters or more,
 * or 8 or more mixing letters and digits, or 8 or more switching between lower and upper case three times.
 * Every real key and token (OpenAI's `sk-…`, JWTs, Vault's `hvs.…`, GitHub's `ghp_…`, AWS keys) is caught;
 * prose, command names and short numbers are not. Short lowercase passwords cannot be told from words by any
 * rule: text that may hold one is never shown whole in the first place.
 *
 * Callers strip control characters first (`oneLine` in safe-text.ts), so that no escape sequence can split a
 * secret into pieces that each look harmless.
 */

/** What a masked word becomes. */
export const MASK = "…";

const AROUND = /^["'`([{<]+|["'`)\]}>,.;:!?]+$/g;

function caseSwitches(word: string): number {
  let switches = 0;
  let upper: boolean | undefined;
  for (const ch of word) {
    const isUpper = ch >= "A" && ch <= "Z";
    const isLower = ch >= "a" && ch <= "z";
    if (!isUpper && !isLower) continue;
    if (upper !== undefined && upper !== isUpper) switches++;
    upper = isUpper;
  }
  return switches;
}

/** Whether `word` (one word, no spaces) looks like a key or token by the rule above. */
export function looksLikeSecret(word: string): boolean {
  const core = word.replace(AROUND, "");
  if (core.length >= 24) return true;
  if (core.length < 8) return false;
  return (/\d/.test(core) && /[A-Za-z]/.test(core)) || caseSwitches(core) >= 3;
}

/**
 * `text` (one line, control characters already stripped) with every occurrence of a `known` secret, and
 * every word that looks like one, replaced by `…`. Known secrets shorter than 4 characters are ignored:
 * masking every "a" would only garble the message.
 */
export function redact(text: string, known: Iterable<string> = []): string {
  let out = text;
  const secrets = [...new Set(known)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  for (const secret of secrets) out = out.split(secret).join(MASK);
  return out
    .split(" ")
    .map((word) => {
      if (!looksLikeSecret(word)) return word;
      const lead = /^["'`([{<]*/.exec(word)?.[0] ?? "";
      const tail = /["'`)\]}>,.;:!?]*$/.exec(word.slice(lead.length))?.[0] ?? "";
      return `${lead}${MASK}${tail}`;
    })
    .join(" ");
}
