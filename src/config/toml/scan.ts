/**
 * Where each key and table header of a TOML document is: the positions the format-preserving editor
 * splices at. It reads a document smol-toml has already accepted, so it recognises structure and does not
 * validate; anything it does not recognise makes it give up (undefined), and the editor then asks
 * toml-patch's concrete syntax tree instead. Every edit is verified by parsing the result, whichever
 * found the positions.
 *
 * Written by hand because toml-patch, the only format-preserving TOML library we found that exposes
 * positions, costs more to load than all of `codex logout` and builds its syntax tree at about 3 MB/s: a
 * 1 MB config took a third of a second before the edit began. This scanner only looks for strings,
 * brackets, comments and line ends.
 */

/** Offsets are in UTF-16 code units from the start of the document (without its BOM). */
export interface Entry {
  /** Full key path: the section's header, then the (dotted) key. */
  path: string[];
  /** Where the key starts. */
  start: number;
  valueStart: number;
  /** Just past the value. */
  end: number;
}
export interface Section {
  /** Header path; [] for the top level. */
  path: string[];
  isArray: boolean;
  /**
   * From the header's `[` to the end of the section's last key or comment (so a comment at the end of a
   * section is part of it, as in toml-patch's tree).
   */
  header?: { start: number; end: number };
  entries: Entry[];
}

/** Thrown inside the scanner for anything it does not recognise; never escapes it. */
const UNSUPPORTED = Symbol("unsupported");

const BARE_KEY = /[A-Za-z0-9_-]+/y;
/** Numbers, booleans, dates, inf/nan: everything up to a delimiter. */
const SCALAR = /[^ \t\r\n,\]}#]+/y;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Regular expressions rather than loops over characters where a config is mostly made of them: they run
// as compiled code from the first call, which matters in a process that scans one file and exits. Each is
// one character class repeated, never a repeated group with alternatives: V8 keeps a backtracking entry
// per repetition of such a group, and a 10 MB key (or a file of a million comment lines) overflowed it
// with "Maximum call stack size exceeded". Loops here step once per comment line or escape, not per
// character, and use no stack.
/** Spaces and line ends. */
const SPACE = /[ \t\r\n]*/y;
/** What ends a stretch of a one-line basic string's plain characters. */
const STRING_STOP = /["\\\n]/g;
const TIME_AFTER_SPACE = / \d{2}:/y;

export function scanSections(body: string): Section[] | undefined {
  try {
    return new Scanner(body).sections();
  } catch (err) {
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
}

class Scanner {
  private i = 0;

  constructor(private readonly body: string) {}

  sections(): Section[] {
    const { body } = this;
    const root: Section = { path: [], isArray: false, entries: [] };
    const out = [root];
    let current = root;
    for (;;) {
      const comment = this.skipTrivia();
      if (comment !== undefined && current.header !== undefined) current.header.end = comment;
      if (this.i >= body.length) return out;
      const start = this.i;
      if (body[start] === "[") {
        const isArray = body[start + 1] === "[";
        this.i += isArray ? 2 : 1;
        const path = this.key();
        this.expect(isArray ? "]]" : "]");
        current = { path, isArray, header: { start, end: this.i }, entries: [] };
        out.push(current);
      } else {
        const key = this.key();
        this.expect("=");
        this.skipSpaces();
        const valueStart = this.i;
        this.value();
        current.entries.push({ path: [...current.path, ...key], start, valueStart, end: this.i });
      }
      const end = this.endOfLine();
      if (current.header !== undefined) current.header.end = end;
    }
  }

  private expect(token: string): void {
    this.skipSpaces();
    if (!this.body.startsWith(token, this.i)) throw UNSUPPORTED;
    this.i += token.length;
  }

  private skipSpaces(): void {
    const { body } = this;
    while (body[this.i] === " " || body[this.i] === "\t") this.i++;
  }

  /** Skips spaces, line ends and comments; returns where the last comment skipped ends, if any. */
  private skipTrivia(): number | undefined {
    const { body } = this;
    let end: number | undefined;
    for (;;) {
      SPACE.lastIndex = this.i;
      SPACE.test(body);
      this.i = SPACE.lastIndex;
      if (body[this.i] !== "#") break;
      const nl = body.indexOf("\n", this.i);
      this.i = nl === -1 ? body.length : nl;
      end = body[this.i - 1] === "\r" ? this.i - 1 : this.i;
    }
    return end;
  }

  /** Skips a comment; returns where its text ends (before a CR). */
  private skipComment(): number {
    const nl = this.body.indexOf("\n", this.i);
    this.i = nl === -1 ? this.body.length : nl;
    return this.body[this.i - 1] === "\r" ? this.i - 1 : this.i;
  }

  /** Skips to the line end after a key-value or header; returns where its text (or its comment) ends. */
  private endOfLine(): number {
    let end = this.i;
    this.skipSpaces();
    const { body } = this;
    if (body[this.i] === "#") end = this.skipComment();
    if (this.i < body.length && body[this.i] !== "\n" && !body.startsWith("\r\n", this.i)) throw UNSUPPORTED;
    return end;
  }

  /** A dotted key, each part decoded. */
  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      parts.push(this.simpleKey());
      this.skipSpaces();
      if (this.body[this.i] !== ".") return parts;
      this.i++;
    }
  }

  private simpleKey(): string {
    const { body } = this;
    const start = this.i;
    if (body[start] === '"') {
      this.basicString();
      return decodeBasic(body.slice(start, this.i));
    }
    if (body[start] === "'") {
      this.literalString();
      return body.slice(start + 1, this.i - 1);
    }
    BARE_KEY.lastIndex = start;
    if (!BARE_KEY.test(body)) throw UNSUPPORTED;
    this.i = BARE_KEY.lastIndex;
    return body.slice(start, this.i);
  }

  private value(): void {
    const { body } = this;
    const c = body[this.i];
    if (c === '"') {
      if (body.startsWith('"""', this.i)) this.multiline('"""');
      else this.basicString();
    } else if (c === "'") {
      if (body.startsWith("'''", this.i)) this.multiline("'''");
      else this.literalString();
    } else if (c === "[") {
      this.i++;
      this.list("]", () => this.value());
    } else if (c === "{") {
      this.i++;
      this.list("}", () => {
        this.key();
        this.expect("=");
        this.skipSpaces();
        this.value();
      });
    } else {
      SCALAR.lastIndex = this.i;
      if (!SCALAR.test(body)) throw UNSUPPORTED;
      const token = body.slice(this.i, SCALAR.lastIndex);
      this.i = SCALAR.lastIndex;
      // A date and a time may be separated by a space: `1979-05-27 07:32:00`.
      TIME_AFTER_SPACE.lastIndex = this.i;
      if (LOCAL_DATE.test(token) && TIME_AFTER_SPACE.test(body)) {
        SCALAR.lastIndex = this.i + 1;
        SCALAR.test(body);
        this.i = SCALAR.lastIndex;
      }
    }
  }

  /** Items separated by commas up to `close`; a trailing comma, comments and line breaks allowed. */
  private list(close: string, item: () => void): void {
    const { body } = this;
    for (;;) {
      this.skipTrivia();
      if (body[this.i] === close) break;
      item();
      this.skipTrivia();
      if (body[this.i] !== ",") break;
      this.i++;
    }
    if (body[this.i] !== close) throw UNSUPPORTED;
    this.i++;
  }

  /** A one-line basic string; the scanner gives up on anything odd in it, such as a raw line break. */
  private basicString(): void {
    const { body } = this;
    STRING_STOP.lastIndex = this.i + 1;
    for (;;) {
      const stop = STRING_STOP.exec(body);
      if (stop === null || stop[0] === "\n") throw UNSUPPORTED;
      if (stop[0] === '"') break;
      // A backslash escapes the next character, which may be a quote but not a line end.
      if (stop.index + 1 >= body.length || body[stop.index + 1] === "\n") throw UNSUPPORTED;
      STRING_STOP.lastIndex = stop.index + 2;
    }
    this.i = STRING_STOP.lastIndex;
  }

  private literalString(): void {
    const end = this.body.indexOf("'", this.i + 1);
    const nl = this.body.indexOf("\n", this.i + 1);
    if (end === -1 || (nl !== -1 && nl < end)) throw UNSUPPORTED;
    this.i = end + 1;
  }

  private multiline(delimiter: '"""' | "'''"): void {
    const { body } = this;
    let from = this.i + 3;
    for (;;) {
      const at = body.indexOf(delimiter, from);
      if (at === -1) throw UNSUPPORTED;
      let backslashes = 0;
      if (delimiter === '"""') while (body[at - 1 - backslashes] === "\\") backslashes++;
      if (backslashes % 2 === 1) {
        from = at + 1;
        continue;
      }
      // Up to two more quotes belong to the content: `""""` ends with one quote.
      let end = at + 3;
      for (let extra = 0; extra < 2 && body[end] === delimiter[0]; extra++) end++;
      this.i = end;
      return;
    }
  }
}

/** A quoted key's text. JSON has the same escapes except TOML's \U, \e and \x, which we leave to toml-patch. */
function decodeBasic(quoted: string): string {
  if (/\\[Uex]/.test(quoted)) throw UNSUPPORTED;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw UNSUPPORTED;
  }
}
