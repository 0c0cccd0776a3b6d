/**
 * Format preservation through the CLI: `codex login` adds exactly one `auth_token` line among the
 * top-level keys (before the first table header) and changes no other byte; `codex logout` removes that line
 * again, so login-then-logout gives back the original file byte for byte — whatever the file looks like.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { homeWithConfig, linesWithEndings, removeAfterTest } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

/** A throwaway home holding config.toml with exactly these bytes, removed after the test. */
function fresh(content: string | Buffer): ReturnType<typeof homeWithConfig> {
  const made = homeWithConfig(content);
  removeAfterTest(made.home);
  return made;
}

const KEY = "sk-format-0123456789abcdefXYZ";
const KEY2 = "sk-format-second-9876543210zyxw";
const BOM = "\uFEFF";

/** A hand-written config of the kind people really keep: every formatting feature the promise names. */
const REALISTIC_LINES = [
  "# Codex configuration — edited by hand, please keep my comments!",
  "#   Ünïcödé in comments: ✓ 日本語 🚀",
  "\t# a tab-indented comment   ",
  "",
  'model = "o3"   # the default model   ',
  'model_provider\t=\t"local"\t# tabs around the equals sign',
  'approval_policy="on-request"',
  "   ",
  "# a comment between keys",
  "\"quoted key\" = 'literal \\ string with a backslash'",
  "'literal key' = 42   ",
  'appearance.theme = "fast"          ',
  "notify = [",
  '  "notify-send", # the program',
  "  # a comment line inside the array",
  '  "Codex",',
  "\t42,",
  "]",
  'description = """',
  "A multi-line string.",
  "[not.a.table]",
  'auth_token = "this line is inside a string"',
  '  # not a comment either"""',
  "raw = '''",
  "C:\\literal\\path",
  "'''",
  'tui = { theme = "dark", animations = false, size = { w = 80, h = 24 } }',
  'history.persistence = "save-all" # dotted key with a trailing comment',
  "",
  "",
  "[model_providers.local]",
  'name = "Local model"',
  'base_url = "http://127.0.0.1:11434/v1"',
  '  wire_api = "chat"   # indented key',
  "",
  "# headers sent with every request",
  "[model_providers.local.http_headers]",
  '"X-Trace" = "1"',
  "",
  "[[mcp_servers]]",
  'name = "docs"',
  'args = ["--port", "8080"]   ',
  "",
  "[[mcp_servers]]",
  'name = "fs"',
  "env = { ROOT = '/srv' }",
  "",
  "[shell_environment_policy]",
  'inherit = "core"',
  "",
  "# trailing comment at the very end   ",
];

/** The realistic document with the given line ending, with or without a final newline. */
function realistic(eol: "\n" | "\r\n", finalNewline = true): string {
  return REALISTIC_LINES.join(eol) + (finalNewline ? eol : "");
}

interface LoginOutcome {
  after: string;
  /** Index of the inserted line in `linesWithEndings` of the text without its BOM. */
  inserted: number;
}

/** Logs in with KEY on a home holding `original` and checks everything both runs print. */
async function login(home: string, key = KEY): Promise<void> {
  const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${key}\n` });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toContain(key);
}

async function logout(home: string, keys: string[] = [KEY]): Promise<void> {
  const r = await runCliInProcess(["logout"], { home });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  for (const key of keys) expect(r.stdout + r.stderr).not.toContain(key);
}

/**
 * The file after login must be the original plus exactly one `auth_token = "KEY"` line (ending in the
 * document's line ending), placed before the first table header. Returns where it went.
 */
function expectOneLineAdded(originalText: string, afterText: string, firstHeader: string | undefined): LoginOutcome {
  // The BOM is kept (once) and everything else is compared without it.
  const bom = originalText.startsWith(BOM);
  expect(afterText.startsWith(BOM)).toBe(bom);
  const original = bom ? originalText.slice(1) : originalText;
  const after = bom ? afterText.slice(1) : afterText;
  expect(after.startsWith(BOM)).toBe(false);

  const lines = linesWithEndings(after);
  // (The realistic config has a decoy `auth_token = "…"` line inside a multi-line string.)
  const matching = lines.flatMap((l, i) => (l.trim() === `auth_token = "${KEY}"` ? [i] : []));
  expect(matching).toHaveLength(1);
  const inserted = matching[0] as number;
  const line = lines[inserted] as string;
  expect(line).toMatch(/^[ \t]*auth_token = "[^"]*"(\r?\n)?$/);

  const crlf = original.includes("\r\n");
  if (inserted < lines.length - 1 || original.endsWith("\n") || original === "") {
    // A line in the middle (or at the end of a file that ends with a newline) ends like the file's lines.
    expect(line.endsWith(crlf ? "\r\n" : "\n")).toBe(true);
    if (!crlf) expect(line.endsWith("\r\n")).toBe(false);
  }

  // Removing exactly that line (and, for a last line without an ending, the ending added before it) must
  // give back the original text exactly.
  const rest = [...lines];
  rest.splice(inserted, 1);
  let without = rest.join("");
  if (inserted === lines.length - 1 && !line.endsWith("\n") && inserted > 0) {
    without = without.replace(/\r?\n$/, "");
  }
  expect(without).toBe(original);

  if (firstHeader !== undefined) {
    const headerAt = lines.findIndex((l) => l.replace(/\r?\n$/, "") === firstHeader);
    expect(headerAt).toBeGreaterThan(inserted);
  }

  // And the document means what it meant, plus the token at the top level.
  const before = parse(original) as Record<string, unknown>;
  const parsed = parse(after) as Record<string, unknown>;
  expect(parsed).toEqual({ ...before, auth_token: KEY });
  return { after: afterText, inserted };
}

async function roundTrip(original: string | Buffer, firstHeader?: string): Promise<LoginOutcome> {
  const originalBytes = Buffer.isBuffer(original) ? original : Buffer.from(original, "utf8");
  const { home, codexHome, configFile } = fresh(originalBytes);
  await login(home);
  // No lock or temp file (config.toml.*) is left behind.
  expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  const afterBytes = readFileSync(configFile);
  const outcome = expectOneLineAdded(originalBytes.toString("utf8"), afterBytes.toString("utf8"), firstHeader);

  const st = await runCliInProcess(["status", "--json"], { home });
  expect(st.code).toBe(0);
  expect(JSON.parse(st.stdout)).toMatchObject({ authenticated: true, source: configFile });
  expect(st.stdout).not.toContain(KEY);

  await logout(home);
  expect(readFileSync(configFile).equals(originalBytes)).toBe(true);

  // Logging out again is a no-op that does not touch the file at all.
  const before = statSync(configFile, { bigint: true });
  const again = await runCliInProcess(["logout"], { home });
  expect(again.code).toBe(0);
  expect(again.stdout).not.toContain("Logged out successfully");
  const afterStat = statSync(configFile, { bigint: true });
  expect(afterStat.ino).toBe(before.ino);
  expect(afterStat.mtimeNs).toBe(before.mtimeNs);
  expect(readFileSync(configFile).equals(originalBytes)).toBe(true);
  expect(readdirSync(codexHome)).toEqual(["config.toml"]);
  return outcome;
}

describe("login then logout keeps every other byte", () => {
  const FIRST_HEADER = "[model_providers.local]";

  test("realistic config, LF", async () => {
    const { after, inserted } = await roundTrip(realistic("\n"), FIRST_HEADER);
    // Among the top-level keys: after the last one (the dotted `history.persistence` line), so it is not
    // inside the multi-line string or the multi-line array that come before.
    const lines = linesWithEndings(after);
    expect(lines[inserted - 1]).toBe('history.persistence = "save-all" # dotted key with a trailing comment\n');
  });

  test("realistic config, CRLF: the inserted line ends with CRLF and no bare LF appears", async () => {
    const original = realistic("\r\n");
    const { after } = await roundTrip(original, FIRST_HEADER);
    expect(after).toContain(`auth_token = "${KEY}"\r\n`);
    expect(/(^|[^\r])\n/.test(after)).toBe(false);
  });

  test("realistic config with a UTF-8 BOM (LF)", async () => {
    await roundTrip(BOM + realistic("\n"), FIRST_HEADER);
  });

  test("realistic config with a UTF-8 BOM and CRLF", async () => {
    const { after } = await roundTrip(BOM + realistic("\r\n"), FIRST_HEADER);
    expect(/(^|[^\r])\n/.test(after)).toBe(false);
  });

  test("realistic config without a trailing newline", async () => {
    await roundTrip(realistic("\n", false), FIRST_HEADER);
  });

  test("CRLF config without a trailing newline", async () => {
    await roundTrip(realistic("\r\n", false), FIRST_HEADER);
  });

  test("top-level keys only, no trailing newline", async () => {
    const { after } = await roundTrip('model = "o3"\n# last comment\nsandbox_mode = "read-only"   # ro');
    expect(after).toBe(`model = "o3"\n# last comment\nsandbox_mode = "read-only"   # ro\nauth_token = "${KEY}"`);
  });

  test("only tables, with a comment attached to the first table header: the token goes above that comment", async () => {
    const original = [
      "# My codex settings",
      "",
      "# The local provider",
      "# (two comment lines describing the table)",
      "[model_providers.local]",
      'name = "Local"',
      "",
      "[profiles.fast]",
      'model = "o4-mini"',
      "",
    ].join("\n");
    const { after, inserted } = await roundTrip(original, "[model_providers.local]");
    const lines = linesWithEndings(after);
    // The header comment block and its blank line stay first; the table keeps its comment directly above it.
    expect(lines.slice(0, 2)).toEqual(["# My codex settings\n", "\n"]);
    expect(inserted).toBe(2);
    expect(lines[inserted + 1]).toBe("# The local provider\n");
  });

  test("only tables, CRLF with a BOM", async () => {
    const original = `${BOM}[model_providers.local]\r\nname = "Local"\r\n\r\n[[mcp_servers]]\r\nname = "x"\r\n`;
    const { after } = await roundTrip(original, "[model_providers.local]");
    expect(after).toBe(
      `${BOM}auth_token = "${KEY}"\r\n[model_providers.local]\r\nname = "Local"\r\n\r\n[[mcp_servers]]\r\nname = "x"\r\n`,
    );
  });

  test("an array of tables as the first header", async () => {
    await roundTrip('[[mcp_servers]]\nname = "a"\n\n[[mcp_servers]]\nname = "b"\n', "[[mcp_servers]]");
  });

  test("empty file", async () => {
    const { after } = await roundTrip("");
    expect(after).toBe(`auth_token = "${KEY}"\n`);
  });

  test("empty file with only a BOM", async () => {
    const { after } = await roundTrip(BOM);
    expect(after).toBe(`${BOM}auth_token = "${KEY}"\n`);
  });

  test("comment-only file", async () => {
    await roundTrip("# nothing configured yet\n#\n# see docs   \n");
  });

  test("comment-only file without a trailing newline, CRLF", async () => {
    const { after } = await roundTrip("# one\r\n# two");
    expect(after).toBe(`# one\r\n# two\r\nauth_token = "${KEY}"`);
  });

  test("whitespace-only file", async () => {
    await roundTrip("\n\n  \t\n");
  });
});

describe("an existing auth_token", () => {
  const ORIGINAL = [
    "# settings",
    'model = "o3"',
    `auth_token   =  "sk-old-token-000000000000"   # my key, keep this comment`,
    'sandbox_mode = "workspace-write"',
    "",
    "[model_providers.local]",
    'name = "Local"',
    "",
  ].join("\n");

  test("re-login replaces only the value; logout removes that whole line", async () => {
    const { home, configFile } = fresh(ORIGINAL);
    await login(home);
    expect(readFileSync(configFile, "utf8")).toBe(ORIGINAL.replace('"sk-old-token-000000000000"', `"${KEY}"`));
    await login(home, KEY2);
    expect(readFileSync(configFile, "utf8")).toBe(ORIGINAL.replace('"sk-old-token-000000000000"', `"${KEY2}"`));
    await logout(home, [KEY, KEY2, "sk-old-token-000000000000"]);
    expect(readFileSync(configFile, "utf8")).toBe(
      ORIGINAL.replace('auth_token   =  "sk-old-token-000000000000"   # my key, keep this comment\n', ""),
    );
  });

  test("CRLF with a BOM: re-login replaces only the value, logout removes the line and its CRLF", async () => {
    const original = BOM + ORIGINAL.replaceAll("\n", "\r\n");
    const { home, configFile } = fresh(original);
    await login(home);
    expect(readFileSync(configFile, "utf8")).toBe(original.replace('"sk-old-token-000000000000"', `"${KEY}"`));
    await logout(home);
    expect(readFileSync(configFile, "utf8")).toBe(
      original.replace('auth_token   =  "sk-old-token-000000000000"   # my key, keep this comment\r\n', ""),
    );
  });

  test("a stored token on the last line without a newline: logout leaves no dangling line ending", async () => {
    const { home, configFile } = fresh('model = "o3"\nauth_token = "sk-old-token-000000000000"');
    await logout(home, ["sk-old-token-000000000000"]);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"');
  });

  test("a token written as a multi-line string: re-login replaces the whole value, logout removes all its lines", async () => {
    const original = 'model = "o3"\nauth_token = """\nsk-old-token-000000000000"""  # wrapped\n# after\n[t]\nx = 1\n';
    const { home, configFile } = fresh(original);
    await login(home);
    expect(readFileSync(configFile, "utf8")).toBe(
      `model = "o3"\nauth_token = "${KEY}"  # wrapped\n# after\n[t]\nx = 1\n`,
    );
    await logout(home);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n# after\n[t]\nx = 1\n');
  });

  test("a quoted auth_token key is recognised and replaced in place", async () => {
    const original = '"auth_token" = "sk-old-token-000000000000" # quoted\nmodel = "o3"\n';
    const { home, configFile } = fresh(original);
    await login(home);
    expect(readFileSync(configFile, "utf8")).toBe(`"auth_token" = "${KEY}" # quoted\nmodel = "o3"\n`);
    await logout(home);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n');
  });
});
