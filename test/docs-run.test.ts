/**
 * Docs that run: every fenced block of README.md and docs/*.md does what its text says, so a doc that drifts
 * from the code fails the build.
 *
 * - ```ts / ```typescript / ```js / ```mjs / ```javascript: compiled together in one strict tsc run against the
 *   built package (`import … from "codex-credentials"` is this repository's dist/ and its types; JavaScript is
 *   type-checked too), then each is run with node in a throwaway home (test/support/doc-world.ts: a fake
 *   OpenAI on 127.0.0.1, no real credentials). By default it is logged in and must exit 0.
 * - ```sh / ```bash / ```shell / ```console: run with bash in a throwaway home, `codex` on PATH being
 *   dist/cli.cjs, stdin closed, each command in turn (in a console block, the lines after `$ `; the other
 *   lines are its output). Before it runs, the default account and every profile the block names hold an API
 *   key, each file a command reads with `<` holds one, each variable it reads is set, and a block using git
 *   runs in a repository with a change. Each command must exit 0, or, in a console block whose output for it
 *   shows an `error:` line, must fail. `codex login` signs in at the fake OpenAI (the test plays the
 *   browser and approves device codes). The `codex` commands of blocks and commands that are not run are
 *   still checked: each must be accepted by `codex … --help` (no unknown command or flag).
 * - ```toml: loaded by our codex as config.toml, or as NAME.config.toml when its first line is
 *   `# ~/.codex/NAME.config.toml` (test/docs-codex.test.ts loads them in OpenAI's Codex CLI): `codex status`
 *   and `codex doctor --offline --json` report no parse or settings problem, and doctor's `codex-cli` check
 *   finds nothing OpenAI's Codex refuses, unless the block is marked `<!-- codex-cli: refuses -->`, where it
 *   must say so.
 * - ```text: output, never run. Any other language, or none, must be marked not run.
 *
 * Markers are HTML comments, each alone on a line, right above the opening fence (invisible on GitHub):
 *
 *   <!-- not run: REASON -->             the block is not run (REASON: at least two words saying why)
 *   <!-- not run `PREFIX`: REASON -->    shell: commands starting with PREFIX are not run, the others are
 *   <!-- run: TERM, TERM… -->            how to run it; several `run:` markers run it several times. Terms:
 *        logged in | logged out          the world's accounts (default: logged in)
 *        with NAME.config.toml above     the nearest TOML block above whose first line names that file goes
 *                                        into CODEX_HOME, its localhost URLs pointed at the fake API
 *        keyring                         a throwaway Secret Service (test/support/keyring.ts)
 *        throws ERRORNAME                a script must end with that error instead of exit 0
 *   <!-- codex-cli: refuses -->          TOML: OpenAI's Codex refuses it (see test/docs-codex.test.ts)
 *
 * The test fails on a block it cannot run and that is not marked, on a marker without a reason or with an
 * unknown term, on a `not run `PREFIX`` that matches no command, and on a marker not followed by a block.
 * docs/cli.md is generated (src/cli-reference.ts): its markers come from there.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLI, cleanEnv, ROOT, run } from "./helpers.js";
import { type DocBlock, docBlocks, profileFileOf, strayMarkers } from "./support/doc-blocks.js";
import {
  DOC_KEY,
  type DocServers,
  foreignLookups,
  makeHome,
  removeHomes,
  runWatched,
  startDocServers,
  tempHome,
} from "./support/doc-world.js";
import { type Keyring, startKeyring } from "./support/keyring.js";

const SHELL = new Set(["sh", "bash", "shell", "console"]);
const SCRIPT: Record<string, "mts" | "mjs"> = {
  ts: "mts",
  typescript: "mts",
  js: "mjs",
  mjs: "mjs",
  javascript: "mjs",
};
/** Output samples: never run, no marker needed. */
const TEXT = new Set(["text"]);
const REFUSES = "codex-cli: refuses";

// --- markers ---------------------------------------------------------------------------------------------

interface RunSpec {
  label: string;
  loggedIn: boolean;
  keyring: boolean;
  /** Profile files taken from TOML blocks above (`with NAME.config.toml above`): file name → text. */
  files: Record<string, string>;
  throws: string | undefined;
}

interface Plan {
  block: DocBlock;
  /** What is wrong with the block's markers. */
  problems: string[];
  /** Why the whole block is not run. */
  notRun: string | undefined;
  skip: Array<{ prefix: string; reason: string }>;
  runs: RunSpec[];
}

const isReason = (text: string) => text.split(/\s+/).filter((w) => /[a-z]{2}/i.test(w)).length >= 2;

/** Localhost URLs in a profile file taken from the docs go to the fake API (Ollama, a local server). */
const toFakeApi = (text: string, servers: DocServers) =>
  text.replace(/"http:\/\/(?:localhost|127\.0\.0\.1):\d+\/v1"/g, JSON.stringify(servers.apiBaseUrl));

/** A `run:` marker's terms. */
function runSpec(terms: string, block: DocBlock, all: DocBlock[], problems: string[]): RunSpec {
  const spec: RunSpec = { label: terms, loggedIn: true, keyring: false, files: {}, throws: undefined };
  for (const term of terms.split(",").map((t) => t.trim())) {
    const throws = /^throws ([A-Za-z]+)$/.exec(term);
    const file = /^with ([A-Za-z0-9_-]+)\.config\.toml above$/.exec(term);
    if (term === "logged in" || term === "logged out") spec.loggedIn = term === "logged in";
    else if (term === "keyring") spec.keyring = true;
    else if (throws !== null) spec.throws = throws[1];
    else if (file !== null) {
      const name = file[1] as string;
      const source = all
        .filter((b) => b.file === block.file && b.line < block.line && b.lang === "toml")
        .findLast((b) => profileFileOf(b) === name);
      if (source === undefined) problems.push(`no TOML block above starts with # ~/.codex/${name}.config.toml`);
      else spec.files[`${name}.config.toml`] = source.text;
    } else problems.push(`unknown term \`${term}\` in: run: ${terms}`);
  }
  return spec;
}

function planOf(block: DocBlock, all: DocBlock[]): Plan {
  const plan: Plan = { block, problems: [], notRun: undefined, skip: [], runs: [] };
  const runs: RunSpec[] = [];
  for (const marker of block.markers) {
    const skip = /^not run `([^`]+)`:\s*(.*)$/.exec(marker);
    const notRun = /^not run:\s*(.*)$/.exec(marker);
    const runMarker = /^run:\s*(.*)$/.exec(marker);
    if (marker === REFUSES) {
      if (block.lang !== "toml") plan.problems.push(`\`${marker}\` is for TOML blocks`);
    } else if (skip !== null) {
      if (!SHELL.has(block.lang)) plan.problems.push(`\`not run \`PREFIX\`\` is for shell blocks: ${marker}`);
      if (!isReason(skip[2] as string)) plan.problems.push(`a marker without a reason: ${marker}`);
      plan.skip.push({ prefix: skip[1] as string, reason: skip[2] as string });
    } else if (notRun !== null) {
      if (!isReason(notRun[1] as string)) plan.problems.push(`a marker without a reason: ${marker}`);
      plan.notRun = notRun[1] as string;
    } else if (runMarker !== null) {
      runs.push(runSpec(runMarker[1] as string, block, all, plan.problems));
    } else {
      plan.problems.push(`unknown marker: <!-- ${marker} -->`);
    }
  }
  if (plan.notRun !== undefined && (runs.length > 0 || plan.skip.length > 0)) {
    plan.problems.push("a block marked `not run:` has other run markers");
  }
  plan.runs =
    runs.length > 0 ? runs : [{ label: "logged in", loggedIn: true, keyring: false, files: {}, throws: undefined }];
  const runnable = SHELL.has(block.lang) || block.lang in SCRIPT || block.lang === "toml" || TEXT.has(block.lang);
  if (!runnable && plan.notRun === undefined) {
    plan.problems.push(
      `a \`\`\`${block.lang || "(no language)"} block is not run by this test: mark it <!-- not run: REASON --> or use \`\`\`text for output`,
    );
  }
  if (SHELL.has(block.lang) && plan.notRun === undefined && commandsOf(block).length === 0) {
    plan.problems.push(
      "a console block without a `$ ` command: use ```text for output, or mark it <!-- not run: REASON -->",
    );
  }
  for (const { prefix } of plan.skip) {
    if (!commandsOf(block).some((c) => c.text.startsWith(prefix))) {
      plan.problems.push(`\`not run \`${prefix}\`\` matches no command of the block`);
    }
  }
  return plan;
}

// --- shell commands --------------------------------------------------------------------------------------

interface Command {
  text: string;
  /** A console block's output lines for this command. */
  sample: string[];
}

function commandsOf(block: DocBlock): Command[] {
  const lines = block.text.replace(/\n$/, "").split("\n");
  const commands: Command[] = [];
  const console = block.lang === "console";
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (console) {
      if (!line.startsWith("$ ")) {
        commands.at(-1)?.sample.push(line);
        continue;
      }
      line = line.slice(2);
    } else if (line.trim() === "" || line.trimStart().startsWith("#")) {
      continue;
    }
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line}\n${lines[++i] as string}`;
    commands.push({ text: line, sample: [] });
  }
  return commands;
}

type Token = { word: string } | { op: string };

/**
 * Shell words and operators of one command line (quotes, escapes; no expansion), and the line without its
 * comment.
 */
function scanShell(line: string): { tokens: Token[]; code: string } {
  const out: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) out.push({ word });
    word = undefined;
  };
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i] as string;
    const two = line.slice(i, i + 2);
    if (/\s/.test(c)) flush();
    else if (c === "#" && word === undefined) break;
    else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      word ??= "";
      for (i++; i < line.length && line[i] !== '"'; i++) word += line[i] === "\\" ? (line[++i] ?? "") : line[i];
    } else if (c === "\\") word = (word ?? "") + (line[++i] ?? "");
    else if (["&&", "||", ">>", "<(", "$(", "2>"].includes(two) && (two !== "2>" || word === undefined)) {
      flush();
      out.push({ op: two });
      i++;
    } else if ("|;&<>()".includes(c)) {
      flush();
      out.push({ op: c });
    } else word = (word ?? "") + c;
  }
  flush();
  return { tokens: out, code: line.slice(0, i) };
}

const tokens = (line: string) => scanShell(line).tokens;

/** The arguments of each `codex` (or `npx codex`, `codex-credentials`) a command runs. */
function invocations(command: string): string[][] {
  const toks = tokens(command);
  const found: string[][] = [];
  toks.forEach((t, i) => {
    if (!("word" in t) || (t.word !== "codex" && t.word !== "codex-credentials")) return;
    const before = toks.slice(0, i).findLast((p) => !("word" in p && /^[A-Z_][A-Z0-9_]*=/.test(p.word)));
    if (before !== undefined && !("op" in before) && !("word" in before && before.word === "npx")) return;
    const args: string[] = [];
    for (const next of toks.slice(i + 1)) {
      if (!("word" in next)) break;
      args.push(next.word);
    }
    found.push(args);
  });
  return found;
}

/** Files read with `<` (relative to HOME; `~/` is HOME). */
function inputFiles(command: string): string[] {
  const toks = tokens(command);
  return toks.flatMap((t, i) => {
    const next = toks[i + 1];
    if (!("op" in t) || t.op !== "<" || next === undefined || !("word" in next)) return [];
    const path = next.word.replace(/^~\//, "");
    return path.startsWith("/") || path.startsWith("$") ? [] : [path];
  });
}

const WORLD_VARS = new Set(["HOME", "PATH", "CODEX_HOME", "LANG", "NO_COLOR", "BROWSER", "OPENAI_BASE_URL"]);

/** Variables the block reads but does not set: a reader of the docs has them (an API key). */
function variablesRead(commands: Command[]): string[] {
  const text = commands.map((c) => scanShell(c.text).code).join("\n");
  const assigned = new Set([...text.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1] as string));
  const read = [...text.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g), ...text.matchAll(/\bprintenv\s+([A-Z_][A-Z0-9_]*)/g)].map(
    (m) => m[1] as string,
  );
  return [...new Set(read)].filter((v) => !assigned.has(v) && !WORLD_VARS.has(v));
}

function profilesNamed(commands: Command[]): string[] {
  const names = new Set<string>();
  for (const c of commands) {
    for (const args of invocations(c.text)) {
      args.forEach((a, i) => {
        if (a === "--profile" && args[i + 1] !== undefined) names.add(args[i + 1] as string);
        else if (a.startsWith("--profile=")) names.add(a.slice("--profile=".length));
      });
    }
  }
  return [...names];
}

/** `codex ARGS --help` for each codex command of what is not run: a removed command or flag fails it. */
async function dryRun(commands: Command[]): Promise<string[]> {
  const failures: string[] = [];
  const home = tempHome("codex-docs-dry-");
  for (const c of commands) {
    for (const args of invocations(c.text)) {
      const r = await run(process.execPath, [CLI, ...args, "--help"], { cwd: home, env: cleanEnv(home) });
      if (r.code !== 0) failures.push(`\`codex ${args.join(" ")} --help\` exits ${r.code}: ${r.stderr.trim()}`);
    }
  }
  return failures;
}

// --- the blocks ------------------------------------------------------------------------------------------

const BLOCKS = docBlocks();
const PLANS = BLOCKS.map((b) => planOf(b, BLOCKS));
const byLang = (pred: (lang: string) => boolean) => PLANS.filter((p) => pred(p.block.lang));
const named = (plans: Plan[]) => plans.map((p) => [p.block.where, p] as const);

let servers: DocServers;
let keyring: Keyring | undefined;
beforeAll(async () => {
  servers = await startDocServers();
});
afterAll(async () => {
  removeHomes();
  await servers?.close();
  await keyring?.close();
});

async function keyringEnv(spec: RunSpec): Promise<Record<string, string>> {
  if (!spec.keyring) return {};
  keyring ??= await startKeyring();
  return keyring.env;
}

describe("the docs' markers", () => {
  test("there are blocks of every kind", () => {
    for (const lang of ["toml", "sh", "console", "js", "ts"]) {
      expect(BLOCKS.filter((b) => b.lang === lang).length, lang).toBeGreaterThan(0);
    }
  });

  test("every block is run, or marked not run with a reason, and every marker is understood", () => {
    const problems = PLANS.flatMap((p) => p.problems.map((why) => `${p.block.where}: ${why}`));
    expect(problems).toEqual([]);
  });

  test("every marker is right above a block", () => {
    expect(strayMarkers()).toEqual([]);
  });
});

describe.concurrent("TOML blocks load in codex", () => {
  test.each(named(byLang((l) => l === "toml")))("%s", async (_, plan) => {
    const profile = profileFileOf(plan.block);
    const home = tempHome("codex-docs-toml-");
    const codexHome = join(home, ".codex");
    mkdirSync(codexHome, { mode: 0o700 });
    writeFileSync(join(codexHome, "config.toml"), profile === undefined ? plan.block.text : "", { mode: 0o600 });
    if (profile !== undefined) {
      writeFileSync(join(codexHome, `${profile}.config.toml`), plan.block.text, { mode: 0o600 });
    }
    const args = profile === undefined ? [] : ["--profile", profile];
    const env = cleanEnv(home);
    const status = await run(process.execPath, [CLI, "status", ...args], { cwd: home, env });
    const said = `codex status: exit ${status.code}\n${status.stdout}${status.stderr}`;
    // 0 logged in, 1 not (the examples' keyrings and auth_commands are not here); never a usage error.
    expect([0, 1], said).toContain(status.code);
    expect(status.stderr, said).not.toMatch(/config\.toml:\d+:\d+|must be|invalid/);
    const doctor = await run(process.execPath, [CLI, "doctor", "--offline", "--json", ...args], { cwd: home, env });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; message: string }> })
      .checks;
    const check = (id: string) => checks.find((c) => c.id === id);
    for (const id of ["config", "settings"]) {
      expect(check(id)?.status, `doctor's ${id} check: ${check(id)?.message}`).not.toBe("problem");
    }
    const codexCli = check("codex-cli");
    if (plan.block.markers.includes(REFUSES)) {
      expect(codexCli?.status, `marked as refused by OpenAI's Codex, but doctor says: ${codexCli?.message}`).not.toBe(
        "ok",
      );
    } else {
      expect(codexCli?.status, `doctor's codex-cli check: ${codexCli?.message}`).toBe("ok");
    }
  });
});

describe.concurrent("shell blocks run", () => {
  test.each(named(byLang((l) => SHELL.has(l))))("%s", { timeout: 60_000 }, async (_, plan) => {
    const commands = commandsOf(plan.block);
    if (plan.notRun !== undefined) {
      expect(await dryRun(commands), `(not run: ${plan.notRun})`).toEqual([]);
      return;
    }
    const skipped = commands.filter((c) => plan.skip.some((s) => c.text.startsWith(s.prefix)));
    const ran = commands.filter((c) => !skipped.includes(c));
    expect(await dryRun(skipped)).toEqual([]);
    const expected = ran.map((c) => (c.sample.some((l) => l.startsWith("error:")) ? "fails" : 0));
    // -u: a variable of another shell (zsh's $fpath) stops the script rather than naming a file in /.
    const script = ["set -u -o pipefail", ...ran.flatMap((c) => [c.text, `printf '%s\\n' "$?" >&3`])].join("\n");
    const variables = Object.fromEntries(variablesRead(ran).map((v) => [v, DOC_KEY]));
    for (const spec of plan.runs) {
      const home = await makeHome(servers, {
        loggedIn: spec.loggedIn,
        profiles: profilesNamed(ran),
        files: Object.fromEntries(Object.entries(spec.files).map(([f, t]) => [f, toFakeApi(t, servers)])),
        keyFiles: ran.flatMap((c) => inputFiles(c.text)),
        env: { ...variables, ...(await keyringEnv(spec)) },
        git: ran.some((c) => /(^|[|;&(]\s*)git\s/.test(c.text)),
      });
      const r = await runWatched("bash", ["--noprofile", "--norc", "-c", script], {
        cwd: home.home,
        env: home.env,
        servers,
        fd3: true,
        timeoutMs: 50_000,
      });
      const codes = r.fd3
        .split("\n")
        .filter((l) => l !== "")
        .map(Number);
      const got = codes.map((code, i) => (expected[i] === "fails" && code !== 0 ? "fails" : code));
      const report = ran
        .map(
          (c, i) =>
            `$ ${c.text}\n  exit ${codes[i] ?? "(never ran)"}, expected ${expected[i] === 0 ? "0" : "a failure"}`,
        )
        .join("\n");
      expect(
        got,
        `${spec.label}:\n${report}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n${r.signIns.join("\n")}`,
      ).toEqual(expected);
      expect(
        r.signIns.filter((s) => s.includes("failed")),
        "sign-ins",
      ).toEqual([]);
      expect(foreignLookups(home), "names looked up").toEqual([]);
    }
  });
});

// --- scripts ---------------------------------------------------------------------------------------------

const SCRIPTS = byLang((l) => l in SCRIPT);
const scriptFile = (plan: Plan) => `block${SCRIPTS.indexOf(plan)}.${SCRIPT[plan.block.lang]}`;

describe("TypeScript and JavaScript blocks compile and run", () => {
  let project: string;
  let diagnostics: string[] = [];
  beforeAll(async () => {
    project = tempHome("codex-docs-ts-");
    mkdirSync(join(project, "node_modules"));
    // The package as a project that installed it sees it: its exports, dist/index.js and dist/types.
    symlinkSync(ROOT, join(project, "node_modules", "codex-credentials"));
    symlinkSync(join(ROOT, "node_modules", "@types"), join(project, "node_modules", "@types"));
    writeFileSync(join(project, "package.json"), '{ "type": "module" }\n');
    for (const plan of SCRIPTS) writeFileSync(join(project, scriptFile(plan)), plan.block.text);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          allowJs: true,
          checkJs: true,
          types: ["node"],
          outDir: "out",
        },
        files: SCRIPTS.map(scriptFile),
      }),
    );
    const tsc = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", project], {
      cwd: project,
      env: { PATH: process.env.PATH, LANG: "C.UTF-8" },
      timeoutMs: 60_000,
    });
    // One diagnostic per entry: tsc indents the lines that continue one.
    diagnostics = tsc.stdout
      .split(/\n(?=\S)/)
      .map((d) => d.trim())
      .filter((d) => d !== "");
  }, 60_000);

  test("tsc has nothing to say about anything but the blocks (its options, the package's types)", () => {
    expect(diagnostics.filter((d) => !/^block\d+\.m[jt]s\(/.test(d))).toEqual([]);
  });

  test.each(named(SCRIPTS))("%s", { timeout: 60_000 }, async (_, plan) => {
    const file = scriptFile(plan);
    // tsc: `block0.mjs(12,7): error TS2345: …`, told as the doc's own line.
    const mine = diagnostics
      .filter((d) => d.startsWith(`${file}(`))
      .map((d) =>
        d.replace(/^[^(]+\((\d+),(\d+)\)/, (_m, l, c) => `${plan.block.file}:${plan.block.line + Number(l)}:${c}`),
      );
    expect(mine, "tsc").toEqual([]);
    expect(existsSync(join(project, "out", file.replace(/\.mts$/, ".mjs"))), "tsc emitted it").toBe(true);
    if (plan.notRun !== undefined) return;
    for (const spec of plan.runs) {
      const home = await makeHome(servers, {
        loggedIn: spec.loggedIn,
        files: Object.fromEntries(Object.entries(spec.files).map(([f, t]) => [f, toFakeApi(t, servers)])),
        env: await keyringEnv(spec),
      });
      const r = await runWatched(process.execPath, [join(project, "out", file.replace(/\.mts$/, ".mjs"))], {
        cwd: home.home,
        env: home.env,
        servers,
        timeoutMs: 50_000,
      });
      const said = `${spec.label}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n${r.signIns.join("\n")}`;
      if (spec.throws !== undefined) {
        expect(r.code, said).not.toBe(0);
        expect(r.stderr, said).toMatch(new RegExp(`^${spec.throws}: `, "m"));
      } else {
        expect(r.code, said).toBe(0);
      }
      expect(
        r.signIns.filter((s) => s.includes("failed")),
        "sign-ins",
      ).toEqual([]);
      expect(foreignLookups(home), "names looked up").toEqual([]);
    }
  });
});
