/**
 * One voice: every user-facing message is listed in docs/messages.md (read out of src/ by
 * scripts/messages.mjs), so a new or changed one shows up in review; every one of them keeps to the glossary
 * (scripts/glossary.mjs) and, for errors, warnings and doctor's lines, to one way of writing a line; and no
 * error's message is a variable the catalogue cannot read.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { AVOID, oneLineProblems, prose } from "../scripts/glossary.mjs";
import { type Extracted, extractMessages, renderCatalogue } from "../scripts/messages.mjs";
import { ROOT, tempDir } from "./helpers.js";

/**
 * The sinks whose text is not words the catalogue can show, and why that is right. Keep this short: a new
 * message belongs in the catalogue, written where it is raised (or built by a helper that the extractor
 * follows), not passed in a variable.
 */
const OPAQUE_ALLOWED: Array<{ file: string; message: string; why: string }> = [
  {
    file: "src/auth/oauth/openai.ts",
    message: "{code}",
    why: "the refusal's OAuth error code; refresh.ts turns it into words (its `why`)",
  },
  { file: "src/cli.ts", message: "{__VERSION__}", why: "`codex --version`" },
  { file: "src/commands/completion.ts", message: "{name}", why: "a profile's name, for shell completion" },
  { file: "src/commands/completion.ts", message: "{script.trimEnd()}", why: "the completion script itself" },
  { file: "src/commands/reply-output.ts", message: "{shown}", why: "the model's reply" },
  { file: "src/commands/token.ts", message: "{token}", why: "`codex token`: the credential itself, for a pipe" },
  {
    file: "src/credentials/dbus.ts",
    message: "{text}",
    why: "an error reply's own text (the bus's or the Secret Service's), passed on as libdbus's was by the native module",
  },
];

/** Errors, warnings, doctor's lines, and the pieces they are built from: one line each, in one way. */
const oneLine = (kind: string): boolean => {
  const sink = kind.split(" via ")[0] ?? kind;
  return (
    /\((?:exit [\d|?]+|quoted|internal)\)$/.test(sink) ||
    sink === "io.warn" ||
    sink === "io.error" ||
    !sink.startsWith("io.")
  );
};

let extracted: Extracted;
beforeAll(() => {
  extracted = extractMessages();
});

const every = () => extracted.catalogue.flatMap((e) => e.message.map((m) => ({ ...e, text: m })));

describe("docs/messages.md", () => {
  test("is up to date with src/ (if not: run `npm run messages` and review the diff of docs/messages.md)", () => {
    const committed = readFileSync(join(ROOT, "docs", "messages.md"), "utf8");
    // One assertion on the whole file: vitest's diff shows the messages that are new or changed.
    expect(committed, "docs/messages.md is out of date: run `npm run messages`").toBe(renderCatalogue(extracted));
  });

  test("lists the messages of every kind of sink, helpers followed", () => {
    const has = (file: string, kind: RegExp, text: string) =>
      expect(
        extracted.catalogue.some((e) => e.file === file && kind.test(e.kind) && e.message.includes(text)),
        `${file}: ${text}`,
      ).toBe(true);
    // An error class's message, through its constructor (ConfigValueError builds "{path}: {key} must be …").
    has(
      "src/config/providers.ts",
      /^ConfigValueError \(exit 1\)$/,
      "the environment: OPENAI_BASE_URL must be an http:// or https:// URL",
    );
    // A helper's parameters given by its helper's callers, two hops out: oauth.ts's fail(key, expected) calls
    // Config.invalid(key, expected), which raises it.
    has(
      "src/config/oauth.ts",
      /^ConfigValueError \(exit 1\) via fail\(\)$/,
      '{this.origin(key)}: oauth.protocol must be "openai" or "standard"',
    );
    // A helper's parameter, at each call: command-store.ts's fail(why).
    has(
      "src/credentials/command-store.ts",
      /^CredentialCommandError \(exit 1\) via fail\(\)$/,
      "auth_command `{name}` was not found; check auth_command in config.toml",
    );
    // doctor's checks, built by problem(id, message, fix).
    has("src/commands/doctor.ts", /^fix via problem\(\)$/, "correct the file");
    // Two hops out: doctor's found(message) passes its words on to ok() or skipped(), which build the check.
    has("src/commands/doctor.ts", /^message via found\(\)$/, "{winner} is set: codex uses it");
    // A table of texts (fs-errors.ts's REASONS), listed once.
    has("src/config/fs-errors.ts", /^text of REASONS$/, "permission denied");
    // The exit code a call passes (LoginRestrictedError's second argument).
    has("src/auth/in-use.ts", /^LoginRestrictedError \(exit 4\)$/, "{breach.message}");
    has("src/commands/login.ts", /^io\.choose choice$/, "Paste an API key");
  });
});

describe("the glossary", () => {
  test("no message uses a phrasing it rules out", () => {
    const found = every().flatMap((m) =>
      AVOID.filter((a) => a.pattern.test(prose(m.text))).map((a) => `${m.file} (${m.kind}): say "${a.say}": ${m.text}`),
    );
    expect(found).toEqual([]);
  });

  test("errors, warnings and doctor's lines: lower case, no final period, one sentence", () => {
    const found = every()
      .filter((m) => oneLine(m.kind))
      .flatMap((m) => oneLineProblems(m.text).map((p) => `${m.file} (${m.kind}) ${p}: ${m.text}`));
    expect(found).toEqual([]);
  });

  test.each([
    ["the credentials were rejected by api.openai.com", "the credential"],
    ["run `codex login` to log in again", "sign in"],
    ["could not connect; is it running? The credential was not checked.", "second sentence"],
    ["Could not read config.toml", "capital"],
    ["the API key is empty; nothing was saved", "nothing was stored"],
    ["unset it to log out completely", "sign out"],
  ])("catches %j", (text, what) => {
    const said = [...AVOID.filter((a) => a.pattern.test(prose(text))).map((a) => a.say), ...oneLineProblems(text)].join(
      "; ",
    );
    expect(said).toContain(what);
  });

  test("leaves alone what is right: commands, settings, quotes, names", () => {
    for (const text of [
      "not logged in; run `codex login` to sign in",
      'cli_auth_credentials_store must be "file", "keyring" or "auto"',
      'OpenAI\'s Codex CLI refuses to load it ("legacy `profile` config is no longer supported")',
      "Codex is not enabled for your ChatGPT workspace; ask your workspace administrator for access",
      "--with-api-key reads the key from standard input",
      "a table of providers, e.g. [model_providers.local]",
    ]) {
      expect(
        AVOID.filter((a) => a.pattern.test(prose(text))).map((a) => a.say),
        text,
      ).toEqual([]);
      expect(oneLineProblems(text), text).toEqual([]);
    }
  });
});

describe("no message hides from the catalogue", () => {
  test("every sink whose text is a variable is one of the few allowed", () => {
    const allowed = (o: { file: string; message: string }) =>
      OPAQUE_ALLOWED.some((a) => a.file === o.file && o.message.split(" / ").every((m) => m === a.message));
    expect(extracted.opaque.filter((o) => !allowed(o)).map((o) => `${o.file} (${o.kind}): ${o.message}`)).toEqual([]);
    // And the list stays short: an entry nothing needs any more goes.
    const unused = OPAQUE_ALLOWED.filter(
      (a) => !extracted.opaque.some((o) => o.file === a.file && o.message === a.message),
    );
    expect(unused).toEqual([]);
  });

  test("the extractor follows helpers, constants, tables and classes, and reports a message passed in a variable", () => {
    const root = tempDir("codex-messages-");
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write(
      "src/errors.ts",
      `export class CodexError extends Error {
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode + code.length * 0;
  }
}
export class UsageError extends CodexError {
  constructor(message: string) {
    super("USAGE", message, 2);
  }
}
export class ValueError extends CodexError {
  constructor(key: string, expected: string) {
    super("VALUE", \`\${key} must be \${expected}\`);
  }
}
`,
    );
    write("src/io.ts", "export interface IO {\n  out(line: string): void;\n  warn(line: string): void;\n}\n");
    write(
      "src/command.ts",
      `import { UsageError, ValueError } from "./errors.js";
import type { IO } from "./io.js";
const NAME_RULE = "1 to 64 letters or digits";
const REASONS: Record<string, string> = { EACCES: "permission denied", EPERM: "operation not permitted" };
const fail = (why: string) => new UsageError(\`the helper \${why}\`);
const plural = (n: number) => (n === 1 ? "file" : "files");
export function run(io: IO, x: string, given: string, code: string) {
  if (x === "1") throw fail("was not found; check its name");
  if (x === "2") throw fail("did not finish in time");
  if (x === "3") throw new ValueError("--profile", \`a name of \${NAME_RULE}\`);
  if (x === "4") throw new UsageError(given);
  if (x === "5") throw new UsageError(\`cannot read it: \${REASONS[code]}\`);
  io.warn(x === "6" ? "the first way" : \`the second way, \${x}\`);
  io.out(\`\${x.length} \${plural(x.length)} found\`);
  const warnings: string[] = [];
  warnings.push("kept for later");
  return { problem: "a problem", fix: \`run \\\`codex \${x}\\\`\`, warnings };
}
`,
    );
    const { catalogue, opaque } = extractMessages({ root });
    const lines = catalogue.flatMap((e) => e.message.map((m) => `${e.kind}: ${m}`));
    expect(lines).toEqual(
      expect.arrayContaining([
        "UsageError (exit 2) via fail(): the helper was not found; check its name",
        "UsageError (exit 2) via fail(): the helper did not finish in time",
        "ValueError (exit 1): --profile must be a name of 1 to 64 letters or digits",
        "UsageError (exit 2): cannot read it: permission denied",
        "UsageError (exit 2): cannot read it: operation not permitted",
        "io.warn: the first way",
        "io.warn: the second way, {x}",
        "io.out: {x.length} {file|files} found",
        "warnings: kept for later",
        "problem: a problem",
        "fix: run `codex {x}`",
      ]),
    );
    expect(opaque).toEqual([{ file: "src/command.ts", kind: "UsageError (exit 2)", message: "{given}" }]);
  });
});
