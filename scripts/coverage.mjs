// `npm run coverage [-- vitest arguments]`: line and branch coverage of src/ by the test suite, counting both
// the code the test workers run (vitest's v8 provider; the library tests import dist/index.js, mapped back
// through its source map) and the code run in the CLIs the tests spawn (NODE_V8_COVERAGE, mapped back to
// src/ through the source maps of a coverage build). Prints a table per layer, writes
// coverage/coverage-summary.json and an HTML report in coverage/html/. Slower than `npm test` and not part
// of it. Test failures are reported but do not stop the report (its exit code is vitest's).
//
// The spawned CLIs' coverage is converted by the converter vitest uses (ast-v8-to-istanbul), so a statement
// or branch seen both in a worker and in a child has the same location and the two merge into one.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mergeProcessCovs } from "@bcoe/v8-coverage";
import convert from "ast-v8-to-istanbul";
import libCoverage from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import reports from "istanbul-reports";
import { parseAstAsync } from "vitest/node";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
const OUT = join(ROOT, "coverage");
// The coverage build's bundles and source maps, kept beside the coverage they produced: `--report` maps
// the stored coverage again, after dist/ has been rebuilt.
const BUILD = join(OUT, "build");
const RAW = join(OUT, "raw");
const SPAWNED_V8 = join(OUT, "spawned-v8.json");

// Our bundles, as the spawned processes name them, with the length of the wrapper they are compiled in:
// dist/cli.cjs compiles main.cjs as `(function (exports, require, module, __filename, __dirname) {…\n})`
// (scripts/build.mjs), so V8's offsets run 61 characters ahead of the file's. Node's own loader compiles
// the others without a wrapper. The library's source map is inline. The vendor bundles are other people's
// code.
const BUNDLES = new Map(
  [
    ["main.cjs", 61, "main.cjs.map"],
    ["keyring-helper.cjs", 0, "keyring-helper.cjs.map"],
    ["index.js", 0],
  ].map(([name, wrapperLength, map]) => [pathToFileURL(join(ROOT, "dist", name)).href, { name, wrapperLength, map }]),
);

const reportOnly = process.argv[2] === "--report";
const testCode = reportOnly ? JSON.parse(readFileSync(SPAWNED_V8, "utf8")).testExitCode : await runSuite();
const { processes, unreadable, result } = JSON.parse(readFileSync(SPAWNED_V8, "utf8"));

/** Builds with source maps, runs vitest with coverage, and stores what the spawned processes covered. */
async function runSuite() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(RAW, { recursive: true });
  await exited(
    spawn(process.execPath, ["scripts/build.mjs"], {
      cwd: ROOT,
      env: { ...process.env, CODEX_BUILD_SOURCEMAPS: BUILD },
      stdio: "inherit",
    }),
    "the coverage build",
  );
  for (const { name } of BUNDLES.values()) copyFileSync(join(ROOT, "dist", name), join(BUILD, name));

  // Each spawned process writes a file of a few hundred kB, mostly Node's own modules, and a whole run
  // spawns thousands. So while the suite runs, the files that parse (one still being written does not) are
  // cut down to our bundles, merged into one, and removed.
  let spawned = { result: [] };
  let processes = 0;
  const collect = () => {
    const batch = [];
    for (const name of readdirSync(RAW)) {
      const file = join(RAW, name);
      let cov;
      try {
        cov = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        continue;
      }
      batch.push({ result: cov.result.filter((script) => BUNDLES.has(script.url)) });
      unlinkSync(file);
    }
    if (batch.length === 0) return;
    processes += batch.length;
    spawned = mergeProcessCovs([spawned, ...batch]);
  };
  const timer = setInterval(collect, 5_000);
  const testCode = await exited(
    spawn(
      process.execPath,
      [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--coverage", ...process.argv.slice(2)],
      {
        cwd: ROOT,
        env: { ...process.env, CODEX_CHILD_COVERAGE: RAW },
        stdio: "inherit",
      },
    ),
  );
  clearInterval(timer);
  collect();
  const unreadable = readdirSync(RAW).length;
  writeFileSync(SPAWNED_V8, JSON.stringify({ testExitCode: testCode, processes, unreadable, result: spawned.result }));
  return testCode;
}

const spawned = libCoverage.createCoverageMap({});
for (const script of result) {
  const { name, wrapperLength, map: mapFile } = BUNDLES.get(script.url);
  const code = readFileSync(join(BUILD, name), "utf8");
  const converted = await convert({
    code,
    wrapperLength,
    // Its sources are named relative to dist/, where the bundle ran (script.url).
    sourceMap: mapFile && JSON.parse(readFileSync(join(BUILD, mapFile), "utf8")),
    ast: parseAstAsync(code),
    coverage: script,
    ignoreNode: (node, type) => type === "statement" && bundlerStatement(node),
  });
  // The bundle also holds the dependencies it bundles (node_modules/…).
  for (const [file, data] of Object.entries(converted)) if (file.startsWith(SRC + sep)) spawned.merge({ [file]: data });
}
// Through JSON, as vitest's report comes: a location's open end is Infinity in memory and null in JSON, and
// the merge matches statements and branches by their location.
mkdirSync(join(OUT, "spawned"), { recursive: true });
writeFileSync(join(OUT, "spawned/coverage-final.json"), JSON.stringify(spawned));
const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(join(OUT, "workers/coverage-final.json"), "utf8")));
map.merge(JSON.parse(readFileSync(join(OUT, "spawned/coverage-final.json"), "utf8")));

const GROUPS = ["src/config", "src/credentials", "src/auth", "src/api", "src/commands", "src (root)"];
const groupOf = (file) => {
  const rel = relative(ROOT, file).split(sep).join("/");
  const dir = rel.slice(0, rel.lastIndexOf("/"));
  return dir === "src" ? "src (root)" : GROUPS.find((g) => dir === g || dir.startsWith(`${g}/`));
};
const summaries = Object.fromEntries(GROUPS.map((g) => [g, libCoverage.createCoverageSummary()]));
const total = libCoverage.createCoverageSummary();
const files = {};
for (const file of map.files()) {
  const summary = map.fileCoverageFor(file).toSummary();
  files[relative(ROOT, file).split(sep).join("/")] = summary.toJSON();
  summaries[groupOf(file)]?.merge(summary);
  total.merge(summary);
}

const pct = (m) => `${m.pct.toFixed(1).padStart(5)}% ${`${m.covered}/${m.total}`.padStart(11)}`;
const rows = [...GROUPS.map((g) => [g, summaries[g]]), ["total", total]];
console.log(`\n${"".padEnd(16)} ${"lines".padEnd(18)} branches`);
for (const [name, s] of rows) console.log(`${name.padEnd(16)} ${pct(s.lines)}  ${pct(s.branches)}`);
console.log(
  `\n${processes} spawned processes counted${unreadable ? `, ${unreadable} coverage files unreadable` : ""}; tests exited with ${testCode}`,
);

writeFileSync(
  join(OUT, "coverage-summary.json"),
  `${JSON.stringify(
    {
      total: total.toJSON(),
      ...Object.fromEntries(GROUPS.map((g) => [g, summaries[g].toJSON()])),
      files,
      spawnedProcesses: processes,
      testExitCode: testCode,
    },
    null,
    2,
  )}\n`,
);
reports
  .create("html", {})
  .execute(libReport.createContext({ dir: join(OUT, "html"), coverageMap: map, defaultSummarizer: "nested" }));
console.log(`coverage/coverage-summary.json, coverage/html/index.html`);
process.exitCode = testCode;

/**
 * Statements the bundler writes where our source has an import or a function declaration, which vitest
 * (whose own ignoreNode drops Vite's import statements) does not count: a module's `init_x()` and
 * `import_x = require(…)`, and keepNames' `__name(f, "f")`.
 */
function bundlerStatement(node) {
  const call = (e) => (e.type === "CallExpression" && e.callee.type === "Identifier" ? e.callee.name : undefined);
  if (node.type === "ExpressionStatement") {
    const e = node.expression;
    const callee = call(e);
    if (callee === "__name" || callee?.startsWith("init_")) return true;
    return e.type === "AssignmentExpression" && e.left.type === "Identifier" && e.left.name.startsWith("import_");
  }
  return false;
}

/** Resolves to the child's exit code; with `what`, a failure ends this script. */
function exited(child, what) {
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      if (what && code !== 0) {
        console.error(`${what} failed (${signal ?? code})`);
        process.exit(1);
      }
      resolve(code ?? 1);
    }),
  );
}
