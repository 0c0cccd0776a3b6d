/**
 * fast-check generators of config.toml files as people (and tools) really leave them, for the fuzz suite
 * (test/fuzz.property.test.ts): comments everywhere, blank and whitespace-only lines, LF, CRLF or both in
 * one file, an optional BOM, an optional final newline; Unicode in keys (quoted, with emoji, combining marks
 * and right-to-left text), values and comments; every value syntax, inline tables and arrays, multi-line
 * basic and literal strings holding decoy headers and `auth_token = …` lines; tables with quoted and spaced
 * headers, headers nested up to 50 levels, arrays of tables; `[profiles.NAME]` tables; an existing
 * `auth_token` for the default account or for the profile `fuzz`; and, in a few runs, a 100 KB+ string.
 *
 * Each document comes with what the properties need to know about it: its lines, the line ending codex
 * will use for a new line, where an existing credential is (lines, and the text around its value), and how
 * the `fuzz` profile's table is written. `malformedArb` derives broken files from these documents.
 *
 * The one shape on which login-then-logout is knowingly not the identity (see `knownBug`: a bare
 * `[profiles.fuzz]` the user wrote) is generated only with `knownBugs: true` (CODEX_FUZZ_KNOWN_BUGS=1).
 */
import fc from "fast-check";

export const BOM = "\uFEFF";
export type Eol = "\n" | "\r\n";
export type Account = "default" | "fuzz";

/** An `auth_token` the document already holds: lines [start, end] (0-based, BOM excluded). */
export interface CredentialEntry {
  start: number;
  end: number;
  /** Text before the value on its first line (indent, key, `=`), and after it on its last line. */
  prefix: string;
  suffix: string;
  /** The stored value, as TOML reads it. */
  value: string;
}

/**
 * How `[profiles.fuzz]` is written: absent; a section with keys; a section holding only a comment; dotted
 * keys at the top level (`profiles.fuzz.model = …`); an inline table (`profiles.fuzz = { … }`); or a bare
 * empty section (a known bug).
 */
export type FuzzForm = "none" | "section" | "commented" | "dotted" | "inline" | "bare";

/**
 * The `[profiles]` table itself: no header; a header with a comment under it; a bare header (a known bug);
 * or the whole table inline at the top level, `profiles = { … }` (a known bug).
 */
export type ProfilesForm = "none" | "commented" | "bare" | "inline";

export interface TomlDoc {
  /** The file's text, BOM included. */
  text: string;
  bom: boolean;
  /** Lines without their endings (BOM excluded), and each line's ending ("" for a last line without one). */
  lines: string[];
  endings: string[];
  /** The line ending codex uses for new lines: the first line's ("\n" when there is none). */
  eol: Eol;
  /** Whether LF and CRLF both occur. */
  mixed: boolean;
  finalNewline: boolean;
  credentials: Partial<Record<Account, CredentialEntry>>;
  fuzz: FuzzForm;
  profiles: ProfilesForm;
  /** Whether it holds a 100 KB+ string. */
  huge: boolean;
  /** Deepest table nesting a header or dotted key writes. */
  depth: number;
  /** Every credential value in the file (other profiles' too): none may ever be printed. */
  secrets: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------

/** Unicode that makes editors and parsers stumble: emoji (ZWJ, flags, variation selectors), combining marks, RTL. */
export const UNICODE_FRAGMENTS = [
  "é",
  "e\u0301", // e + combining acute
  "a\u0308\u0323", // two combining marks
  "\u0915\u094D\u0937", // Devanagari conjunct
  "🚀",
  "🔑",
  "👩🏽‍💻", // ZWJ sequence with a skin tone
  "🇯🇵", // regional indicators
  "❤️", // variation selector
  "日本語",
  "Ünïcödé",
  "שלום", // Hebrew (RTL)
  "مفتاح", // Arabic (RTL)
  "\u202Eevil\u202C", // right-to-left override … pop
  "\u200F", // right-to-left mark
  "\u200D", // zero-width joiner
  "\u00A0", // no-break space
  "\u2028", // line separator (not a line ending in TOML)
  "\uFEFF", // a BOM that is not at the start
  "\u{10FFFF}",
  "\u0085", // NEL, a C1 control TOML allows
] as const;

/** What an arbitrary generates. */
type Gen<A> = A extends fc.Arbitrary<infer T> ? T : never;

const ASCII = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Text of any Unicode (including the fragments above), with ASCII punctuation and spaces. */
const unicodeText = (maxLength = 16): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: ASCII },
      { weight: 1, arbitrary: fc.constant(" ") },
      { weight: 3, arbitrary: fc.constantFrom(...UNICODE_FRAGMENTS) },
      { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
    ),
    maxLength,
  });

// biome-ignore lint/suspicious/noControlCharactersInRegex: TOML forbids these in comments and strings
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** Text a comment may hold: anything but control characters other than tab. */
const commentText = fc
  .tuple(unicodeText(24), fc.constantFrom("", "\t", "  ", " # nested #", " [x] ", ' auth_token = "decoy"'))
  .map(([t, extra]) => (t + extra).replace(CONTROL, "?"));

/** A TOML basic string holding `s` (JSON's escapes are TOML's; TOML also forbids a raw DEL). */
export function basicString(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, "\\u007F");
}

/** A TOML literal string holding `s` with what a literal string cannot hold replaced. */
function literalString(s: string): string {
  return `'${s.replace(CONTROL, "?").replaceAll("'", "?")}'`;
}

// ---------------------------------------------------------------------------------------------------------
// Values: each is its raw lines (a multi-line value's first line starts it, its last line ends it)
// ---------------------------------------------------------------------------------------------------------

const scalar: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom("1_000", "0x1F", "0o17", "0b101", "+7", "-0", "9_223_372_036_854_775_807", "-9223372036854775808"),
  fc.constantFrom("3.14", "-0.5e3", "1e10", "6.626e-34", "inf", "-inf", "nan", "+1.0", "-0.0"),
  fc.constantFrom("true", "false"),
  fc.constantFrom(
    "1979-05-27T07:32:00Z",
    "1979-05-27T00:32:00.999999-07:00",
    "1979-05-27 07:32:00Z",
    "1979-05-27T07:32:00",
    "1979-05-27",
    "07:32:00",
  ),
  unicodeText().map(basicString),
  fc.string({ unit: fc.constantFrom(...'\\"\t\n\r\x00\x1b\x7f'), maxLength: 4 }).map(basicString),
  unicodeText().map(literalString),
);

/** Keys inside inline tables (unique first segments are chosen by the caller). */
const inlineKeys = ["a", "b-c", "d_e", '"q k"', "'lit'", '"é🚀"', '"שלום"', '"e\u0301"', "x.y"];

const inlineValue: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; table: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("table")),
  array: fc
    .tuple(fc.array(tie("value"), { maxLength: 3 }), fc.boolean(), fc.constantFrom("", " "))
    .map(([items, comma, pad]) => (items.length === 0 ? "[]" : `[${pad}${items.join(", ")}${comma ? "," : ""}${pad}]`)),
  table: fc
    .uniqueArray(fc.tuple(fc.constantFrom(...inlineKeys), tie("value")), {
      maxLength: 3,
      selector: ([k]) => k.split(".")[0],
    })
    .map((pairs) => (pairs.length === 0 ? "{}" : `{ ${pairs.map(([k, v]) => `${k} = ${v}`).join(", ")} }`)),
})).value;

/** `[[[ 1 ]]]` / `{ a = { a = 1 } }` nested up to 50 deep. */
const deepInline: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 2, max: 50 }), fc.boolean())
  .map(([n, array]) => (array ? `${"[".repeat(n)}1${"]".repeat(n)}` : `${"{ a = ".repeat(n)}1${" }".repeat(n)}`));

/** Lines that look like TOML but sit inside a multi-line string. */
const decoyLine = fc.oneof(
  fc.constantFrom(
    "[profiles.fuzz]",
    "[fake.table]",
    'auth_token = "decoy"',
    "auth_token = '''",
    "# not a comment",
    "",
    "  indented",
    "[[array]]",
    "profiles.fuzz.auth_token = 1",
  ),
  unicodeText(20),
);

const multilineString: fc.Arbitrary<string[]> = fc
  .tuple(fc.array(decoyLine, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean())
  .map(([body, literal, lineEndingBackslash]) => {
    if (literal) {
      const clean = body.map((l) => l.replace(CONTROL, "?").replace(/'{3,}/g, "''"));
      return [`'''${clean[0] ?? ""}`, ...clean.slice(1), "end'''"];
    }
    const clean = body.map((l) => l.replace(CONTROL, "?").replaceAll("\\", "/").replaceAll('"', "'"));
    // A line-ending backslash trims the line break and the whitespace after it.
    if (lineEndingBackslash && clean.length > 1) clean[0] = `${clean[0]} \\`;
    return [`"""${clean[0]}`, ...clean.slice(1), 'end"""'];
  });

const multilineArray: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.array(
      fc.oneof(
        scalar.map((v) => ({ v, comment: "" })),
        fc.tuple(scalar, commentText).map(([v, c]) => ({ v, comment: ` # ${c}` })),
        commentText.map((c) => ({ v: undefined, comment: `# ${c}` })),
        fc.constant({ v: undefined, comment: "" }),
      ),
      { maxLength: 4 },
    ),
    fc.constantFrom("  ", "\t", ""),
  )
  .map(([items, indent]) => {
    const lines = ["["];
    items.forEach((item, i) => {
      if (item.v === undefined) lines.push(item.comment === "" ? "" : `${indent}${item.comment}`);
      else lines.push(`${indent}${item.v}${i === items.length - 1 ? "" : ","}${item.comment}`);
    });
    lines.push("]");
    return lines;
  });

const value: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: scalar.map((v) => [v]) },
  { weight: 3, arbitrary: inlineValue.map((v) => [v]) },
  { weight: 1, arbitrary: deepInline.map((v) => [v]) },
  { weight: 2, arbitrary: multilineArray },
  { weight: 2, arbitrary: multilineString },
);

/** A 100 KB+ string value: a short Unicode chunk repeated. */
const hugeValue: fc.Arbitrary<string[]> = fc
  .tuple(
    unicodeText(12).filter((s) => s.length > 0),
    fc.integer({ min: 100_000, max: 200_000 }),
    fc.boolean(),
  )
  .map(([chunk, size, multiline]) => {
    const text = chunk.repeat(Math.ceil(size / chunk.length));
    if (!multiline) return [basicString(text)];
    const clean = text.replace(CONTROL, "?").replace(/'{3,}/g, "''");
    return [`'''`, clean, `'''`];
  });

// ---------------------------------------------------------------------------------------------------------
// Keys, lines, sections
// ---------------------------------------------------------------------------------------------------------

type KeyStyle = "bare" | "dashed" | "quoted" | "literal" | "unicode" | "rtl" | "combining" | "escaped" | "dotted";
const keyStyle = fc.constantFrom<KeyStyle>(
  "bare",
  "bare",
  "dashed",
  "quoted",
  "literal",
  "unicode",
  "rtl",
  "combining",
  "escaped",
  "dotted",
);

/** The key text of the i-th key of a table (unique by construction), and its depth (dotted keys nest). */
function keyText(style: KeyStyle, i: number, dottedDepth: number): { text: string; depth: number } {
  switch (style) {
    case "bare":
      return { text: `k${i}`, depth: 1 };
    case "dashed":
      return { text: `k-${i}_x`, depth: 1 };
    case "quoted":
      return { text: `"k ${i} = [x]"`, depth: 1 };
    case "literal":
      return { text: `'k.${i}'`, depth: 1 };
    case "unicode":
      return { text: `"ключ ${i} 🔑"`, depth: 1 };
    case "rtl":
      return { text: `"מפתח ${i} \u202Eabc"`, depth: 1 };
    case "combining":
      return { text: `"e\u0301${i}"`, depth: 1 };
    case "escaped":
      return { text: `"k\\u00e9\\t${i}"`, depth: 1 };
    case "dotted": {
      const rest = Array.from({ length: dottedDepth - 1 }, (_, j) => (j % 3 === 1 ? `"s ${j} é"` : `l${j}`));
      return { text: [`d${i}`, ...rest].join(i % 2 === 0 ? "." : " . "), depth: dottedDepth };
    }
  }
}

const indent = fc.constantFrom("", "", "", "  ", "\t", " \t");
const equals = fc.constantFrom(" = ", " = ", "=", "  =  ", "\t=\t", " =\t");
const trailing = fc.oneof(
  { weight: 4, arbitrary: fc.constant("") },
  { weight: 2, arbitrary: fc.constantFrom(" ", "   ", "\t", " \t ") },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(" ", "  ", "\t", ""), commentText).map(([s, c]) => `${s}#${c}`) },
);

type Item =
  | { kind: "kv"; style: KeyStyle; depth: number; indent: string; equals: string; value: string[]; trailing: string }
  | { kind: "comment"; indent: string; text: string }
  | { kind: "blank"; text: string };

const item: fc.Arbitrary<Item> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("kv" as const),
      style: keyStyle,
      depth: fc.oneof(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 50 })),
      indent,
      equals,
      value,
      trailing,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("comment" as const), indent, text: commentText }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("blank" as const), text: fc.constantFrom("", "", "  ", "\t") }),
  },
);

type HeaderStyle = "plain" | "quoted" | "spaced" | "deep" | "array";
const section = fc.record({
  style: fc.constantFrom<HeaderStyle>("plain", "quoted", "spaced", "deep", "deep", "array"),
  /** Depth of a deep header: often exactly 50. */
  depth: fc.oneof(fc.constant(50), fc.integer({ min: 2, max: 50 })),
  /** Arrays of tables repeat their header this many times. */
  repeat: fc.integer({ min: 1, max: 3 }),
  indent: fc.constantFrom("", "", " ", "\t"),
  trailing,
  above: fc.array(commentText, { maxLength: 2 }),
  items: fc.array(item, { maxLength: 4 }),
});

function headerText(style: HeaderStyle, j: number, depth: number): { text: string; depth: number } {
  switch (style) {
    case "plain":
      return { text: `[t${j}]`, depth: 1 };
    case "quoted":
      return { text: `["t ${j} 🚀".'ü.${j}'."שלום ${j}"]`, depth: 3 };
    case "spaced":
      return { text: `[ t${j} . "x y" ]`, depth: 2 };
    case "deep":
      return { text: `[deep${j}.${Array.from({ length: depth - 1 }, (_, i) => `l${i + 1}`).join(".")}]`, depth };
    case "array":
      return { text: `[[a${j}]]`, depth: 1 };
  }
}

/** Keys a profile table may hold without changing which credential codex uses. */
const profileItem = fc.oneof(
  fc.constantFrom('model = "o3"', 'model_reasoning_effort = "high"', "approval_policy = 'on-request'"),
  commentText.map((c) => `# ${c}`),
  fc.constantFrom("", "  "),
);

/** An old credential value: never a valid API key (it has a space), so a new login always changes it. */
const oldToken = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]{4,12}$/).map((s) => `sk-old ${s}`),
  unicodeText(10).map((s) => `old ${s}`),
  fc.constant(""),
);

type CredentialStyle = "basic" | "literal" | "multiline" | "multiline-literal";
const credential = fc.record({
  key: fc.constantFrom("auth_token", "auth_token", '"auth_token"', "'auth_token'"),
  indent,
  equals,
  style: fc.constantFrom<CredentialStyle>("basic", "basic", "literal", "multiline", "multiline-literal"),
  token: oldToken,
  trailing,
});

/** The credential's raw lines, and the prefix/suffix around its value. */
function credentialLines(c: Gen<typeof credential>, key: string = c.key) {
  const prefix = `${c.indent}${key}${c.equals}`;
  const clean = c.token.replace(CONTROL, "?");
  let valueLines: string[] = [];
  let token = clean;
  switch (c.style) {
    case "basic":
      valueLines = [basicString(clean)];
      break;
    case "literal":
      token = clean.replaceAll("'", "?");
      valueLines = [literalString(token)];
      break;
    case "multiline":
      // The newline right after the opening delimiter is trimmed.
      token = clean.replaceAll("\\", "/").replaceAll('"', "'");
      valueLines = ['"""', `${token}"""`];
      break;
    case "multiline-literal":
      token = clean.replaceAll("'", "?");
      valueLines = ["'''", `${token}'''`];
      break;
  }
  const lines = [...valueLines];
  lines[0] = prefix + lines[0];
  lines[lines.length - 1] += c.trailing;
  return { lines, prefix, suffix: c.trailing, token };
}

// ---------------------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------------------

export interface DocOptions {
  /** Also generate the shape `knownBug` names. */
  knownBugs?: boolean;
  /** Relative weight of documents holding a 100 KB+ string (0 for none). Default 1 in 40. */
  hugeWeight?: number;
}

export function tomlDocArb(options: DocOptions = {}): fc.Arbitrary<TomlDoc> {
  const hugeWeight = options.hugeWeight ?? 1;
  const fuzzForms: FuzzForm[] = ["none", "none", "section", "commented", "dotted", "inline"];
  const profilesForms: ProfilesForm[] = ["none", "none", "none", "commented", "bare", "inline"];
  if (options.knownBugs) fuzzForms.push("bare");
  return fc
    .record({
      top: fc.array(item, { maxLength: 7 }),
      sections: fc.array(section, { maxLength: 4 }),
      /** Other accounts' tables: [profiles.work], [profiles.o3] (with a credential of their own, sometimes). */
      otherProfiles: fc.subarray(["work", "o3"]),
      otherProfileItems: fc.array(profileItem, { maxLength: 3 }),
      otherProfileToken: fc.option(oldToken),
      fuzz: fc.constantFrom(...fuzzForms),
      fuzzItems: fc.array(profileItem, { maxLength: 3 }),
      profiles: fc.constantFrom(...profilesForms),
      defaultCredential: fc.option(fc.tuple(credential, fc.nat())),
      fuzzCredential: fc.option(credential),
      /** Where, among the sections, the profile tables go. */
      profilesAt: fc.nat(),
      huge:
        hugeWeight > 0
          ? fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, { weight: hugeWeight, arbitrary: hugeValue })
          : fc.constant(undefined),
      eol: fc.constantFrom<Eol>("\n", "\r\n"),
      mixed: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }) },
      ),
      bom: fc.boolean(),
      finalNewline: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      endComment: fc.option(commentText),
    })
    .map((g) => build(g));
}

type Generated = {
  top: Item[];
  sections: Gen<typeof section>[];
  otherProfiles: string[];
  otherProfileItems: string[];
  otherProfileToken: string | null;
  fuzz: FuzzForm;
  fuzzItems: string[];
  profiles: ProfilesForm;
  defaultCredential: [Gen<typeof credential>, number] | null;
  fuzzCredential: Gen<typeof credential> | null;
  profilesAt: number;
  huge: string[] | undefined;
  eol: Eol;
  mixed: boolean[] | undefined;
  bom: boolean;
  finalNewline: boolean;
  endComment: string | null;
};

function build(g: Generated): TomlDoc {
  const lines: string[] = [];
  const credentials: TomlDoc["credentials"] = {};
  const secrets: string[] = [];
  let depth = 0;
  // An inline `profiles = { … }` is the whole table: no [profiles.x] sections, no other fuzz form beside it.
  const profiles = g.profiles;
  const fuzz: FuzzForm =
    profiles === "inline"
      ? "none"
      : profiles !== "none" && (g.fuzz === "dotted" || g.fuzz === "inline")
        ? "section"
        : g.fuzz;
  const fuzzItems = uniqueKeys(g.fuzzItems);
  const fuzzKeys = fuzzItems.filter(isKeyLine);
  // A credential in fuzz's table needs a place to live, and a table that stays after logout: a section
  // left bare would go with it, which is not what this model predicts. (A section always gets a key.)
  const fuzzCredential =
    g.fuzzCredential !== null && (fuzz === "dotted" || fuzz === "commented" || fuzz === "section")
      ? g.fuzzCredential
      : null;

  const emitCredential = (c: Gen<typeof credential>, account: Account, key?: string) => {
    const { lines: raw, prefix, suffix, token } = credentialLines(c, key);
    credentials[account] = { start: lines.length, end: lines.length + raw.length - 1, prefix, suffix, value: token };
    if (token !== "") secrets.push(token);
    lines.push(...raw);
  };

  // Top level: the user's keys with an existing default credential among them, the huge string, fuzz's
  // dotted or inline form, and an inline `profiles`.
  const top = g.top;
  const credentialAt = g.defaultCredential === null ? -1 : g.defaultCredential[1] % (top.length + 1);
  top.forEach((it, i) => {
    if (i === credentialAt && g.defaultCredential !== null) emitCredential(g.defaultCredential[0], "default");
    emitItem(it, i);
  });
  if (credentialAt === top.length && g.defaultCredential !== null) emitCredential(g.defaultCredential[0], "default");

  function emitItem(it: Item, i: number): void {
    if (it.kind === "blank") lines.push(it.text);
    else if (it.kind === "comment") lines.push(`${it.indent}#${it.text}`);
    else {
      const key = keyText(it.style, i, it.depth);
      depth = Math.max(depth, key.depth);
      const v = [...it.value];
      v[0] = `${it.indent}${key.text}${it.equals}${v[0]}`;
      v[v.length - 1] += it.trailing;
      lines.push(...v);
    }
  }

  if (g.huge !== undefined) {
    const v = [...g.huge];
    v[0] = `huge = ${v[0]}`;
    lines.push(...v);
  }
  if (fuzz === "dotted") {
    for (const l of fuzzKeys.length > 0 ? fuzzKeys : ['model = "fuzz-model"']) lines.push(`profiles.fuzz.${l}`);
    if (fuzzCredential !== null) emitCredential(fuzzCredential, "fuzz", "profiles.fuzz.auth_token");
  }
  if (fuzz === "inline") lines.push('profiles.fuzz = { model = "fuzz-model", "e\u0301" = 1 }');
  if (profiles === "inline") lines.push('profiles = { work = { model = "o3" } }');

  // Sections, with the profile tables somewhere among them.
  const emitProfiles = () => {
    if (profiles === "commented" || profiles === "bare") {
      lines.push("[profiles]");
      if (profiles === "commented") lines.push("# one table per account");
    }
    if (profiles !== "inline") {
      for (const name of g.otherProfiles) {
        lines.push(`[profiles.${name}]`);
        lines.push(...uniqueKeys(g.otherProfileItems));
        if (g.otherProfileToken !== null) {
          lines.push(`auth_token = ${basicString(g.otherProfileToken)}`);
          if (g.otherProfileToken !== "") secrets.push(g.otherProfileToken);
        }
      }
    }
    if (fuzz === "section" || fuzz === "commented" || fuzz === "bare") {
      lines.push("[profiles.fuzz]");
      if (fuzz === "commented") lines.push("# the fuzz account");
      if (fuzz === "section") {
        lines.push(...fuzzItems);
        if (fuzzKeys.length === 0) lines.push('model = "fuzz-model"');
      }
      if (fuzzCredential !== null) emitCredential(fuzzCredential, "fuzz");
    }
  };
  const profilesAt = g.profilesAt % (g.sections.length + 1);
  g.sections.forEach((s, j) => {
    if (j === profilesAt) emitProfiles();
    const header = headerText(s.style, j, s.depth);
    depth = Math.max(depth, header.depth);
    for (let r = 0; r < (s.style === "array" ? s.repeat : 1); r++) {
      for (const c of s.above) lines.push(`#${c}`);
      lines.push(`${s.indent}${header.text}${s.trailing}`);
      s.items.forEach((it, i) => {
        emitItem(it, i);
      });
    }
  });
  if (profilesAt === g.sections.length) emitProfiles();
  if (g.endComment !== null) lines.push(`# ${g.endComment}`);

  // Line endings: one kind, or a mix chosen line by line. Without a final newline, empty last lines are
  // not lines at all ("a\n" + "" is "a\n"): drop them so `lines` is what a reader of the text sees.
  const endings = lines.map((_, i) => {
    if (i === lines.length - 1 && !g.finalNewline) return "";
    if (g.mixed === undefined) return g.eol;
    return g.mixed[i % g.mixed.length] ? "\r\n" : "\n";
  });
  while (lines.length > 0 && lines[lines.length - 1] === "" && endings[endings.length - 1] === "") {
    lines.pop();
    endings.pop();
    if (endings.length > 0) endings[endings.length - 1] = "";
  }
  const body = lines.map((l, i) => l + endings[i]).join("");
  const nl = body.indexOf("\n");
  const eol: Eol = nl > 0 && body[nl - 1] === "\r" ? "\r\n" : "\n";
  return {
    text: (g.bom ? BOM : "") + body,
    bom: g.bom,
    lines,
    endings,
    eol,
    mixed: body.includes("\r\n") && /(^|[^\r])\n/.test(body),
    finalNewline: body === "" || body.endsWith("\n"),
    credentials,
    fuzz,
    profiles,
    huge: g.huge !== undefined,
    depth,
    secrets,
  };
}

const isKeyLine = (line: string): boolean => /^[a-z_]+ = /.test(line);

/** Lines with each key's first assignment only (comments and blank lines all stay). */
function uniqueKeys(items: readonly string[]): string[] {
  const seen = new Set<string>();
  return items.filter((line) => {
    if (!isKeyLine(line)) return true;
    const key = line.split(" ", 1)[0] as string;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Why login then logout of `account` cannot give back this document byte for byte on the current codex,
 * or undefined. Each is reported with a minimal example in the fuzz suite's known-bug tests.
 */
export function knownBug(_doc: TomlDoc, _account: Account): string | undefined {
  // None at present. (A bare [profiles.fuzz] the user wrote was pruned by logout while codex kept a profile's
  // key there; it now goes to the profile's own file.)
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Malformed files
// ---------------------------------------------------------------------------------------------------------

export type MalformedKind =
  | "random-bytes"
  | "random-tokens"
  | "truncated"
  | "invalid-utf8"
  | "flipped-byte"
  | "nul"
  | "cesu-surrogate"
  | "stray-bom"
  | "lone-cr"
  | "structural"
  | "enormous-line"
  | "deep-nesting";

export interface Malformed {
  kind: MalformedKind;
  bytes: Buffer;
  /** Credential values of the document it was made from: never to be printed. */
  secrets: string[];
}

/** Byte sequences a strict UTF-8 decoder must refuse. */
const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe],
  [0x80], // a continuation byte alone
  [0xc3], // a lead byte without its continuation
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0xaf], // overlong '/'
  [0xe2, 0x82], // a 3-byte sequence cut short
  [0xf0, 0x9f, 0x9a], // a 4-byte sequence cut short
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // the old 5-byte form
];

/** UTF-16 surrogates encoded as if they were characters (CESU-8 / WTF-8): invalid UTF-8. */
const CESU: readonly number[][] = [
  [0xed, 0xa0, 0x80], // U+D800 alone
  [0xed, 0xbf, 0xbf], // U+DFFF alone
  [0xed, 0xa0, 0xbd, 0xed, 0xba, 0x80], // 🚀 as a CESU-8 surrogate pair
  [0xed, 0xb0, 0x80, 0xed, 0xa0, 0x80], // a low then a high surrogate
];

/** TOML-ish fragments, to assemble text a parser must refuse (or, sometimes, accept). */
const TOKENS = [
  "[",
  "]",
  "[[",
  "]]",
  "=",
  " = ",
  '"',
  "'",
  '"""',
  "'''",
  "{",
  "}",
  ",",
  ".",
  "#",
  "\n",
  "\r\n",
  "\r",
  " ",
  "\t",
  "a",
  "auth_token",
  "profiles",
  "fuzz",
  "1",
  "-0x1",
  "1e999",
  "9223372036854775808",
  "true",
  "nan",
  "1979-05-27T25:00:00Z",
  "1979-02-30",
  "\\",
  "\\u",
  "\\uD800",
  "\\U0011FFFF",
  "\\x41",
  "\x00",
  "\x7f",
  "\x1b",
  "🚀",
  "\u202E",
  "\uFEFF",
  "e\u0301",
];

const seedDoc = (knownBugs: boolean) => tomlDocArb({ hugeWeight: 0, knownBugs });

/** `bytes` with `insert` spliced in at `at` (taken modulo the length + 1), replacing `remove` bytes. */
function spliceBytes(bytes: Buffer, at: number, insert: readonly number[], remove = 0): Buffer {
  const i = at % (bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, i), Buffer.from(insert), bytes.subarray(Math.min(bytes.length, i + remove))]);
}

function fromDoc(
  kind: MalformedKind,
  knownBugs: boolean,
  mutate: fc.Arbitrary<(bytes: Buffer, text: string) => Buffer>,
): fc.Arbitrary<Malformed> {
  return fc.tuple(seedDoc(knownBugs), mutate).map(([doc, f]) => ({
    kind,
    bytes: f(Buffer.from(doc.text, "utf8"), doc.text),
    secrets: doc.secrets,
  }));
}

/**
 * Files codex must refuse without crashing and without touching them: random bytes, TOML-ish token soup,
 * generated documents truncated at any byte, with an invalid UTF-8 sequence, a flipped bit, a NUL, a CESU-8
 * surrogate, a stray BOM (or UTF-16), a lone CR, or a structural mistake (a duplicated line, a stray
 * token) spliced in, and enormous lines. Some of these happen to be valid TOML; that is fine, callers check
 * that codex then works. Hostile but valid nesting (dotted keys and headers hundreds of levels deep) is
 * included up to a depth codex handles; `knownBugs` raises it to where codex crashes.
 */
export function malformedArb(options: { knownBugs?: boolean } = {}): fc.Arbitrary<Malformed> {
  const knownBugs = options.knownBugs ?? false;
  const at = fc.nat();
  return fc.oneof(
    {
      weight: 20,
      arbitrary: fc
        .uint8Array({ maxLength: 600 })
        .map((b) => ({ kind: "random-bytes" as const, bytes: Buffer.from(b), secrets: [] })),
    },
    {
      weight: 40,
      arbitrary: fc
        .array(fc.constantFrom(...TOKENS), { maxLength: 60 })
        .map((t) => ({ kind: "random-tokens" as const, bytes: Buffer.from(t.join(""), "utf8"), secrets: [] })),
    },
    {
      weight: 60,
      arbitrary: fromDoc(
        "truncated",
        knownBugs,
        at.map((n) => (b: Buffer) => b.subarray(0, n % (b.length + 1))),
      ),
    },
    {
      weight: 20,
      arbitrary: fromDoc(
        "invalid-utf8",
        knownBugs,
        fc.tuple(at, fc.constantFrom(...INVALID_UTF8)).map(
          ([n, seq]) =>
            (b: Buffer) =>
              spliceBytes(b, n, seq),
        ),
      ),
    },
    {
      weight: 60,
      arbitrary: fromDoc(
        "flipped-byte",
        knownBugs,
        fc
          .tuple(at, fc.integer({ min: 0, max: 7 }), fc.option(fc.integer({ min: 0, max: 255 })))
          .map(([n, bit, replacement]) => (b: Buffer) => {
            if (b.length === 0) return Buffer.from([1 << bit]);
            const out = Buffer.from(b);
            const i = n % b.length;
            out[i] = replacement ?? (out[i] as number) ^ (1 << bit);
            return out;
          }),
      ),
    },
    {
      weight: 20,
      arbitrary: fromDoc(
        "nul",
        knownBugs,
        fc.tuple(at, fc.boolean()).map(
          ([n, replace]) =>
            (b: Buffer) =>
              spliceBytes(b, n, [0], replace ? 1 : 0),
        ),
      ),
    },
    {
      weight: 20,
      arbitrary: fromDoc(
        "cesu-surrogate",
        knownBugs,
        fc.tuple(at, fc.constantFrom(...CESU)).map(
          ([n, seq]) =>
            (b: Buffer) =>
              spliceBytes(b, n, seq),
        ),
      ),
    },
    {
      weight: 20,
      arbitrary: fromDoc(
        "stray-bom",
        knownBugs,
        fc
          .tuple(at, fc.constantFrom("mid", "double", "utf16le", "utf16be"))
          .map(([n, how]) => (b: Buffer, text: string) => {
            if (how === "mid") return spliceBytes(b, n, [0xef, 0xbb, 0xbf]);
            if (how === "double") return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), b]);
            const le = Buffer.from(`\uFEFF${text.replace(/^\uFEFF/, "")}x`, "utf16le");
            return how === "utf16le" ? le : Buffer.from(le).swap16();
          }),
      ),
    },
    {
      weight: 20,
      arbitrary: fromDoc(
        "lone-cr",
        knownBugs,
        at.map((n) => (b: Buffer) => {
          const nl = b.indexOf(0x0a, n % (b.length + 1));
          return nl === -1 ? Buffer.concat([b, Buffer.from("\ra = 1")]) : spliceBytes(b, nl, [0x0d], 1);
        }),
      ),
    },
    {
      weight: 40,
      arbitrary: fromDoc(
        "structural",
        knownBugs,
        fc.tuple(at, fc.oneof(fc.constantFrom(...TOKENS), fc.constant("dup"))).map(([n, token]) => (b: Buffer) => {
          if (token !== "dup") return spliceBytes(b, n, [...Buffer.from(token, "utf8")]);
          // A line again, right after itself: a duplicate key or table, unless it is blank or a comment.
          const lines = b.toString("utf8").split("\n");
          const i = n % lines.length;
          lines.splice(i, 0, lines[i] as string);
          return Buffer.from(lines.join("\n"), "utf8");
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 128 * 1024, max: 256 * 1024 }),
          fc.constantFrom("unterminated", "bare", "comment-nul", "digits", "header", "arrays", "invalid-tail"),
        )
        .map(([size, how]) => {
          let bytes: Buffer;
          switch (how) {
            case "unterminated":
              bytes = Buffer.from(`x = "${"a".repeat(size)}`);
              break;
            case "bare":
              bytes = Buffer.from("k".repeat(size));
              break;
            case "comment-nul":
              bytes = Buffer.from(`# ${"c".repeat(size)}\x00\n`);
              break;
            case "digits":
              bytes = Buffer.from(`x = ${"1".repeat(size)}\n`);
              break;
            case "header":
              bytes = Buffer.from(`[${"a.".repeat(size / 2)}`);
              break;
            case "arrays":
              bytes = Buffer.from(`x = ${"[".repeat(size)}`);
              break;
            case "invalid-tail":
              bytes = Buffer.concat([Buffer.from(`x = "${"é".repeat(size / 2)}`), Buffer.from([0xc3, 0x22, 0x0a])]);
              break;
          }
          return { kind: "enormous-line" as const, bytes, secrets: [] };
        }),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.integer({ min: 100, max: 5000 }), fc.constantFrom("dotted", "header", "arrays", "inline"))
        .map(([n, how]) => {
          const path = Array.from({ length: n }, (_, i) => `k${i % 10}`).join(".");
          const text =
            how === "dotted"
              ? `${path} = 1\n`
              : how === "header"
                ? `[${path}]\nx = 1\n`
                : how === "arrays"
                  ? `x = ${"[".repeat(n * 3)}${"]".repeat(n * 3)}\n` // past smol-toml's limit beyond 333
                  : `x = ${"{ a = ".repeat(n * 3)}1${" }".repeat(n * 3)}\n`;
          return { kind: "deep-nesting" as const, bytes: Buffer.from(text), secrets: [] };
        }),
    },
  );
}
