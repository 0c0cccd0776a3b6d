/**
 * Text from outside (a model's reply, a server's error message, an ID token's claims, another program's
 * stderr) on its way to a person, usable from any layer:
 *
 * - `stripControls`: no C0 or C1 control character but newline and tab survives, and an escape sequence
 *   (CSI, OSC, DCS, SOS/PM/APC, two-character ESC sequences, and their 8-bit C1 forms) goes whole, with its
 *   parameters, so a reply cannot set the window title, clear the screen, move the cursor or hide text
 *   behind a carriage return. CRLF becomes LF. Text split mid-sequence across chunks still loses every
 *   control character (only harmless printable leftovers can remain), so it is safe per chunk.
 * - `oneLine`: the same, folded to one bounded line, for a message.
 * - `ControlStripper`: `stripControls` for a stream, with no leftovers where a piece ends mid-sequence.
 * - `redact`: the same as `stripControls`, with credentials masked in every form a server echoes them in.
 * - `looksLikeSecret` / `maskSecretWords`: words that may be secrets nobody told us about (another
 *   program's stderr, a mistyped command line), masked by one rule, so that what the CLI refuses to repeat
 *   and what it masks in a tool's message never disagree.
 * - `jsonText`: JSON that no terminal takes for a control sequence, and that parses to the same value.
 *
 * Each is a few linear passes (regular expressions, indexOf): no recursion per character, whatever the
 * input's size.
 */

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: control characters are exactly what is matched
const SEQUENCES = new RegExp(
  [
    // OSC, DCS, SOS, PM, APC: a string up to its terminator (BEL or ST), or to the end when unterminated.
    "(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?",
    // CSI: parameters, intermediates, a final byte.
    "(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?",
    // Any other ESC sequence: intermediates and one final byte.
    "\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?",
    // What is left: every other C0 character but tab and newline, DEL, every C1 character.
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]",
  ].join("|"),
  "g",
);
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: end
const CRLF = /\r\n/g;

/** Whether `text` holds a character stripControls removes (a C0 but tab and newline, DEL, a C1). */
function hasControl(text: string): boolean {
  // A loop, not a regular expression: most text has none, and compiling SEQUENCES costs about 0.1 ms, a
  // share of `codex status` worth keeping for the text that needs it.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** `text` with every control character but `\n` and `\t` removed, escape sequences whole. */
export function stripControls(text: string): string {
  return hasControl(text) ? text.replace(CRLF, "\n").replace(SEQUENCES, "") : text;
}

/** `text` as one line: control characters and runs of white space become one space, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const line = stripControls(text).replace(/\s+/g, " ").trim();
  return line.length > max ? `${Array.from(line).slice(0, max - 1).join("")}…` : line;
}

/**
 * `stripControls` for text that arrives in pieces (a streamed reply): a piece that ends inside an escape
 * sequence keeps its introducer (at most two characters) for the next piece, so a sequence split anywhere
 * goes whole, parameters included, as if the text had come in one piece. A sequence still open when the
 * text ends is never printed.
 */
export class ControlStripper {
  #carry = "";

  push(text: string): string {
    const input = this.#carry + text;
    this.#carry = "";
    return input.replace(CRLF, "\n").replace(SEQUENCES, (match: string, offset: number, whole: string) => {
      if (offset + match.length === whole.length) this.#carry = unfinished(match);
      return "";
    });
  }
}

const isFinal = (c: number, low: number) => c >= low && c <= 0x7e;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the introducers of OSC, DCS, SOS, PM and APC
const STRING_INTRODUCER = /^(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])$/;

/** The introducer of `seq` (a match of SEQUENCES that ends the text) when it is unfinished; "" when finished. */
function unfinished(seq: string): string {
  const first = seq.charCodeAt(0);
  const last = seq.charCodeAt(seq.length - 1);
  const length = first === 0x1b ? Math.min(seq.length, 2) : 1;
  const introducer = seq.slice(0, length);
  if (STRING_INTRODUCER.test(introducer)) {
    const closed = seq.length > length && (last === 0x07 || last === 0x9c || seq.endsWith("\x1b\\"));
    return closed ? "" : introducer;
  }
  if (introducer === "\x1b[" || introducer === "\x9b") {
    return seq.length > length && isFinal(last, 0x40) ? "" : introducer;
  }
  if (first !== 0x1b) return "";
  return seq.length > 1 && isFinal(last, 0x30) ? "" : "\x1b";
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: every control character but tab and newline, one at a time
const CONTROL_CHARACTER = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Below this length a credential (or one of its encodings) would match ordinary words; it is not looked for. */
const MIN_SECRET_CHARS = 8;
/** How much of an encoded form identifies it: 16 base64 characters are 12 bytes of the credential. */
const ENCODED_PREFIX_CHARS = 16;
/** What a long prefix is: this many characters beyond the kind prefix (`sk-`, `sk-proj-`). */
const PREFIX_CHARS_BEYOND_KIND = 10;
// `sk-`, `sk-proj-`, `sk-svcacct-`: says which kind of key it is, the same for every key of that kind.
const KIND_PREFIX = /^[A-Za-z]{2,5}[-_](?:[A-Za-z]{2,10}[-_])?/;

/** One way a credential can appear in text, and how long a start of it already identifies it. */
interface Form {
  text: string;
  identifying: number;
  secret: string;
}

/**
 * The forms a server echoes a credential in: as is; percent-encoded (either case of hex digit); base64,
 * standard and URL-safe, at each of the three byte offsets it can start at inside the encoded data (as in
 * `Authorization: Basic base64(":" + key)`), keeping only the characters that depend on the credential
 * alone. A form is also recognised by its start alone: a long prefix of the key, or of an encoding of it.
 */
function formsOf(secret: string): Form[] {
  const kind = KIND_PREFIX.exec(secret)?.[0].length ?? 0;
  const prefix = Math.min(secret.length, kind + PREFIX_CHARS_BEYOND_KIND);
  const forms: Form[] = [{ text: secret, identifying: prefix, secret }];
  let encoded = secret;
  try {
    encoded = encodeURIComponent(secret);
  } catch {
    // A lone surrogate has no percent-encoding, so no server can echo one.
  }
  if (encoded !== secret) {
    const identifying = encodeURIComponent(secret.slice(0, prefix)).length;
    forms.push({ text: encoded, identifying, secret });
    const lower = encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    if (lower !== encoded) forms.push({ text: lower, identifying, secret });
  }
  const bytes = Buffer.from(secret, "utf8");
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const whole = Math.floor(padded.length / 3);
    // Characters that mix in bytes before the credential (the first 2 or 3 at offsets 1 and 2), or after
    // it (the last 1 or 2 of a partial final group), are not part of the form.
    const core = padded.toString("base64").slice(offset === 0 ? 0 : offset + 1, whole * 4 + (padded.length % 3));
    if (core.length < MIN_SECRET_CHARS) continue;
    const identifying = Math.min(core.length, ENCODED_PREFIX_CHARS);
    forms.push({ text: core, identifying, secret });
    const urlSafe = core.replace(/\+/g, "-").replace(/\//g, "_");
    if (urlSafe !== core) forms.push({ text: urlSafe, identifying, secret });
  }
  return forms.filter((f) => f.text.length >= MIN_SECRET_CHARS);
}

interface Found {
  start: number;
  end: number;
  secret: string;
  /** The form found (the rest of it may follow after control characters). */
  form: string;
}

const SEQUENCE_HERE = new RegExp(SEQUENCES.source, "y");

/**
 * Where `form`, starting at `start` of `text`, ends when control characters inserted anywhere inside it are
 * stepped over: a whole sequence, or one character alone. A match that stopped at
 * such an insertion would otherwise leave the rest of the credential on screen once they are stripped.
 */
function extendOver(text: string, start: number, form: string): number {
  let at = start;
  let j = 0;
  while (j < form.length && at < text.length) {
    if (text[at] === form[j]) {
      at++;
      j++;
      continue;
    }
    if (!hasControl(text[at] as string)) break;
    SEQUENCE_HERE.lastIndex = at;
    const whole = SEQUENCE_HERE.exec(text)?.[0].length ?? 1;
    // The whole sequence when the form goes on after it, else the one character (ESC that took a letter of
    // the form into a sequence of its own, as ESC X starting a string).
    if (whole > 1 && text[at + whole] === form[j]) at += whole;
    else at += 1;
  }
  return at;
}

/** Where each form occurs in `text` (recognised by its identifying start, extended as far as it goes on). */
function findForms(text: string, forms: Form[]): Found[] {
  const found: Found[] = [];
  for (const form of forms) {
    const needle = form.text.slice(0, form.identifying);
    // indexOf is linear in the text; each extension consumes the text it compares.
    for (let from = 0; ; ) {
      const start = text.indexOf(needle, from);
      if (start === -1) break;
      let end = start + needle.length;
      while (end < text.length && end - start < form.text.length && text[end] === form.text[end - start]) end++;
      found.push({ start, end, secret: form.secret, form: form.text });
      from = end;
    }
  }
  return found;
}

/** `text` with `remove`'s matches taken out, and where each kept run of it starts, there and in `text`. */
interface View {
  text: string;
  at: number[];
  from: number[];
}

function view(text: string, remove: RegExp): View {
  const v: View = { text: "", at: [], from: [] };
  const keep = (start: number, end: number) => {
    if (end <= start) return;
    v.at.push(v.text.length);
    v.from.push(start);
    v.text += text.slice(start, end);
  };
  let last = 0;
  remove.lastIndex = 0;
  for (let m = remove.exec(text); m !== null; m = remove.exec(text)) {
    keep(last, m.index);
    last = m.index + m[0].length;
  }
  keep(last, text.length);
  return v;
}

/** The position in the original text of position `i` of a view. */
function original(v: View, i: number): number {
  let lo = 0;
  let hi = v.at.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((v.at[mid] as number) <= i) lo = mid;
    else hi = mid - 1;
  }
  return (v.from[lo] as number) + i - (v.at[lo] as number);
}

/**
 * `text` without control characters (as `stripControls`), with every credential in `secrets` replaced by
 * `mask(credential)` wherever it appears whole, as a long prefix, percent-encoded or in base64 (see
 * `formsOf`). The forms are looked for in the text as it will be shown, so a sequence inserted inside a key
 * does not hide it; and in the text with only the control characters themselves taken out, because a
 * two-character sequence (ESC and a letter) takes a character of the key with it. Whatever either finds is
 * masked. Linear in the text for each form (a dozen per credential).
 */
export function redact(text: string, secrets: Iterable<string>, mask: (secret: string) => string = () => "…"): string {
  const forms: Form[] = [];
  for (const secret of new Set(secrets)) if (secret.length >= MIN_SECRET_CHARS) forms.push(...formsOf(secret));
  if (forms.length === 0) return stripControls(text);
  const views = [view(text, SEQUENCES)];
  if (views[0]?.text !== text) views.push(view(text, CONTROL_CHARACTER));
  const found: Found[] = [];
  for (const v of views) {
    for (const f of findForms(v.text, forms)) {
      const start = original(v, f.start);
      const end = Math.max(original(v, f.end - 1) + 1, extendOver(text, start, f.form));
      found.push({ start, end, secret: f.secret, form: f.form });
    }
  }
  if (found.length === 0) return stripControls(text);
  // What was masked may have held parts of sequences, so what is left is stripped as a whole: a sequence
  // cut by a mask no longer swallows the text after it, which may then show a credential neither view had
  // (an `ESC X` string that ran over the start of the next key). The result has no control character left,
  // so one more search of it, as it will be shown, finds those.
  const shown = stripControls(masked(text, found, mask));
  const left = findForms(shown, forms);
  return left.length === 0 ? shown : masked(shown, left, mask);
}

/** `text` with each found range replaced by its credential's mask (ranges that overlap become one). */
function masked(text: string, found: Found[], mask: (secret: string) => string): string {
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let cursor = 0;
  for (const f of found) {
    if (f.end <= cursor) continue;
    if (f.start >= cursor) out += text.slice(cursor, f.start) + mask(f.secret);
    cursor = f.end;
  }
  return out + text.slice(cursor);
}

const JSON_RAW_CONTROL = /[\x7f-\x9f]/g;

/**
 * `JSON.stringify(value)` with DEL and the C1 control characters escaped too (`\u009b`): JSON.stringify
 * escapes only C0, and U+009B is a CSI to many terminals. The value read back is exactly the same.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(JSON_RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

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

/**
 * Whether `word` (no spaces) looks like a key or token: without the punctuation around it, 24 characters or
 * more, or 8 or more mixing letters and digits, or 8 or more switching between lower and upper case three
 * times. Every real key and token (OpenAI's `sk-…`, JWTs, Vault's `hvs.…`, GitHub's `ghp_…`, AWS keys) is
 * caught; prose, command names and short numbers are not. Short lowercase passwords cannot be told from
 * words by any rule: text that may hold one is never shown whole in the first place.
 */
export function looksLikeSecret(word: string): boolean {
  const core = word.replace(AROUND, "");
  if (core.length >= 24) return true;
  if (core.length < 8) return false;
  return (/\d/.test(core) && /[A-Za-z]/.test(core)) || caseSwitches(core) >= 3;
}

/**
 * `text` as one line (`oneLine`), with the `known` secrets masked in every form (`redact`) and every word
 * that looks like a secret (`looksLikeSecret`) shown as `…`.
 */
export function maskSecretWords(text: string, known: Iterable<string> = [], max = 300): string {
  const masked = oneLine(redact(text, known), Number.MAX_SAFE_INTEGER)
    .split(" ")
    .map((word) => {
      if (!looksLikeSecret(word)) return word;
      const lead = /^["'`([{<]*/.exec(word)?.[0] ?? "";
      const tail = /["'`)\]}>,.;:!?]*$/.exec(word.slice(lead.length))?.[0] ?? "";
      return `${lead}…${tail}`;
    })
    .join(" ");
  return oneLine(masked, max);
}
