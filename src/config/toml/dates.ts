/**
 * Finding a date that does not exist (2023-02-30, 2100-02-29) in a document smol-toml has accepted.
 * smol-toml builds dates with JavaScript's Date, which rolls such a day over into the next month, where
 * TOML 1.0 (§ Offset Date-Time: "RFC 3339", whose § 5.7 bounds the day by month and leap year) and the
 * `toml` crate OpenAI's Codex CLI reads config.toml with refuse it: we would edit a file Codex cannot
 * load. Everything else about dates and times smol-toml already refuses where Codex does (hour 24, minute
 * 60, second 61, offset ±24:00, day 00 or 32, month 00 or 13), checked against Codex 0.169.0; it also
 * refuses a leap second (:60), which Codex reads: the safe way round, so it is left alone. It also reads a
 * date broken in two by a space or line break (`1979-` then `5-27`) as 1979-05-27, which Codex refuses
 * and the editor cannot read: that is found here too.
 *
 * The values keep no positions and a rolled-over date cannot be told from a real one, so this reads the
 * text. A date-like word is a date only where a value goes (`2023-02-30 = 1` is a key, and so is
 * `[2023-02-30]`), so it follows the document's structure: after `=`, and after `[` or `,` inside an array,
 * comes a value. It steps once per token, with no recursion and no validation (the parser did that).
 * The caller runs it only when the parsed values hold a date, so a config without one pays nothing.
 */

/** A value that is not a string, array or inline table: up to the next delimiter. */
const WORD = /[^ \t\r\n#"'=,[\]{}]+/y;
const SPACE = /[ \t\r\n]*/y;
/** What ends a stretch of a one-line basic string's plain characters. */
const STRING_STOP = /["\\]/g;
const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const BROKEN_DATE = /^\d{4}-/;

const ARRAY = 1;
const INLINE_TABLE = 2;

export interface ImpossibleDate {
  /** Offset of the value in the document, in UTF-16 code units. */
  index: number;
  /** Worded as Codex words it, without the value. */
  reason: string;
}

/** The first date value in `body` that does not exist or is broken, if any (`body`: a document smol-toml accepted). */
export function findImpossibleDate(body: string): ImpossibleDate | undefined {
  const open: number[] = [];
  /** Whether the next token is a value rather than a key. */
  let value = false;
  let i = 0;
  for (;;) {
    i = skipTrivia(body, i);
    if (i >= body.length) return undefined;
    const c = body[i];
    if (c === '"' || c === "'") {
      i = skipString(body, i);
      value = false;
    } else if (c === "=") {
      value = true;
      i++;
    } else if (c === "[") {
      // Where no value goes, this is a table header's `[` (or one of `[[`), which its `]` pops again; keys
      // follow it as values follow an array's.
      open.push(ARRAY);
      i++;
    } else if (c === "{") {
      open.push(INLINE_TABLE);
      value = false;
      i++;
    } else if (c === "]" || c === "}") {
      open.pop();
      value = false;
      i++;
    } else if (c === ",") {
      value = open.at(-1) === ARRAY;
      i++;
    } else {
      WORD.lastIndex = i;
      // Anything else the parser let through (a key in a character TOML 1.1 allows) is stepped over.
      const end = WORD.test(body) ? WORD.lastIndex : i + 1;
      if (value) {
        const reason = impossible(body.slice(i, end));
        if (reason !== undefined) return { index: i, reason };
      }
      // The time after a date and a space is a word of its own, read here as a key and skipped.
      value = false;
      i = end;
    }
  }
}

/** Why the date that `word` starts with does not exist or is broken; undefined for a real date or another value. */
function impossible(word: string): string | undefined {
  const m = DATE.exec(word);
  // smol-toml reads `1979-` and `5-27` across a space or line break as one date; the word stops at the
  // break. Codex refuses the file, and the editor cannot read it.
  if (m === null) return BROKEN_DATE.test(word) ? "invalid date, expected YYYY-MM-DD without a break" : undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return "invalid date, expected month between 01 and 12";
  const last = daysIn(year, month);
  if (day < 1 || day > last) return `invalid date, expected day between 01 and ${last}`;
  return undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Skips spaces, line ends and comments. */
function skipTrivia(body: string, from: number): number {
  let i = from;
  for (;;) {
    SPACE.lastIndex = i;
    SPACE.test(body);
    i = SPACE.lastIndex;
    if (body[i] !== "#") return i;
    const nl = body.indexOf("\n", i);
    if (nl === -1) return body.length;
    i = nl;
  }
}

/** Just past the string that starts at `from` (any of TOML's four kinds). */
function skipString(body: string, from: number): number {
  const quote = body[from] as '"' | "'";
  if (body.startsWith(quote.repeat(3), from)) return skipMultiline(body, from, quote);
  if (quote === "'") return end(body.indexOf("'", from + 1), body);
  STRING_STOP.lastIndex = from + 1;
  for (;;) {
    const stop = STRING_STOP.exec(body);
    if (stop === null) return body.length;
    if (stop[0] === '"') return stop.index + 1;
    STRING_STOP.lastIndex = stop.index + 2;
  }
}

function skipMultiline(body: string, from: number, quote: '"' | "'"): number {
  const delimiter = quote.repeat(3);
  let at = from + 3;
  for (;;) {
    at = body.indexOf(delimiter, at);
    if (at === -1) return body.length;
    let backslashes = 0;
    if (quote === '"') while (body[at - 1 - backslashes] === "\\") backslashes++;
    if (backslashes % 2 === 0) break;
    at++;
  }
  // Up to two more quotes belong to the content: `""""` ends with one quote.
  let i = at + 3;
  for (let extra = 0; extra < 2 && body[i] === quote; extra++) i++;
  return i;
}

function end(at: number, body: string): number {
  return at === -1 ? body.length : at + 1;
}
