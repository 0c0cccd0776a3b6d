// `npm run coverage [-- vitest arguments]`: line and branch coverage of src/ by the test suite, counting both
// the code the test workers run (vitest's v8 provider; the library tests import dist/index.js, mapped back
// through its source map) and the code run in the CLIs the tests spawn (NODE_V8_COVERAGE, mapped back to
// src/ through the source maps of a coverage build). Prints a table per layer, writes
// coverage/coverage-summary.json and an HTML report in coverage/html/. Slower than `npm test` and not part
// of it. Test failures are reported but do not stop the report (its exit code is vitest's).
// `npm run coverage -- --report` reports again from the coverage stored by the last run.
//
// The spawned CLIs' coverage is converted by the converter vitest uses (ast-v8-to-istanbul); how the two
// views of a file are merged is said where it is done. Not counted: a CLI killed before it exits (its
// coverage is written at exit), one run from a copy of the package (not dist/), and one whose test gives
// it an environment of its own rather than cleanEnv's or the worker's.
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
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
// dist/cli.cjs compiles main.cjs and full.cjs as `(function (exports, require, module, __filename, __dirname) {…\n})`
// (scripts/build.mjs), so V8's offsets run 61 characters ahead of the file's. Node's own loader compiles
// the others without a wrapper. The library's source map is inline. The vendor bundles are other people's
// code.
const BUNDLES = new Map(
  [
    ["main.cjs", 61, "main.cjs.map"],
    ["full.cjs", 61, "full.cjs.map"],
    // lazy.cjs's wrapper has one parameter more: `, __core`.
    ["lazy.cjs", 69, "lazy.cjs.map"],
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
  // Some tests run the CLI as another user (nobody); a process that cannot write its coverage says so on
  // stderr, which those tests read. So the directory is writable by all, as /tmp is (sticky).
  chmodSync(RAW, 0o1777);
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
  // A file cut short stays: its process was killed while writing it, or stopped by a file-size limit
  // (test/faults.test.ts).
  const unreadable = readdirSync(RAW).length;
  rmSync(RAW, { recursive: true, force: true });
  // dist/ as `npm run build` leaves it: minified, with the code cache in use (the coverage build, in BUILD).
  await exited(spawn(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" }), "the build");
  writeFileSync(SPAWNED_V8, JSON.stringify({ testExitCode: testCode, processes, unreadable, result: spawned.result }));
  return testCode;
}

// Each bundle converted on its own (a bundle no process ran counts as never run): every src/ file it holds,
// with the statements, branches and functions the converter finds in the bundle.
const bundles = new Map();
for (const [url, { name, wrapperLength, map: mapFile }] of BUNDLES) {
  const code = readFileSync(join(BUILD, name), "utf8");
  // esbuild's `__esm({ "src/x.ts"() { … } })`: the function that runs a module's top level when first needed.
  const initFunction = (node) => node.type === "Property" && /^src\//.test(node.key.value);
  const converted = await convert({
    code,
    wrapperLength,
    // Its sources are named relative to dist/, where the bundle ran (script.url).
    sourceMap: mapFile && JSON.parse(readFileSync(join(BUILD, mapFile), "utf8")),
    ast: parseAstAsync(code),
    coverage: result.find((script) => script.url === url) ?? { url, functions: [] },
    ignoreNode: (node, type) =>
      type === "function" ? initFunction(node) : type === "statement" && bundlerStatement(node),
  });
  // Through JSON, as vitest's report comes: a location's open end is Infinity in memory, null in JSON.
  bundles.set(
    name,
    JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(converted).filter(([file]) => file.startsWith(SRC + sep)))),
    ),
  );
}
mkdirSync(join(OUT, "spawned"), { recursive: true });
for (const [name, data] of bundles) writeFileSync(join(OUT, "spawned", `${name}.json`), JSON.stringify(data));

// One file's coverage, seen by two converters, is not two sets of the same locations: Vite's transform and
// esbuild's bundle put a statement's start on another column now and then, and each adds statements of its
// own where the source has an import or an export. Merged by location (istanbul's merge), the same
// statement would count twice and those imports and exports once each. So every file is counted on one
// structure, the bundles' (the same before and after tests move into the workers: main.cjs's, with what
// only the library's or the keyring helper's bundle holds added), and the other views' counts are carried
// onto it line by line: statements starting on the same line, in column order (when both views have as
// many there, else each of the line's statements gets the line's highest count), branches of the same
// type starting on the same line, in column order (else at the same column), functions likewise. What
// lands nowhere is counted, and printed: on the whole suite, 520 lines, all but about a dozen of them
// imports, exports and function declarations, and 40 branches (of 4,685).
const workers = JSON.parse(readFileSync(join(OUT, "workers/coverage-final.json"), "utf8"));
const dropped = { lines: 0, coveredLines: 0, branches: 0 };
/** The merged coverage map, counting the spawned CLIs, the workers, or both. */
function mergeViews({ spawned, workers: inWorkers }) {
  const merged = {};
  const counted = (data, yes) => (yes ? data : zeroed(data));
  for (const file of new Set([...Object.keys(workers), ...[...bundles.values()].flatMap((d) => Object.keys(d))])) {
    const [structure, ...others] = [...bundles.values()]
      .map((d) => d[file] && counted(d[file], spawned))
      .filter(Boolean);
    if (!structure) {
      merged[file] = counted(workers[file], inWorkers);
      continue;
    }
    const into = structuredClone(structure);
    for (const other of others) carry(other, into, true);
    if (workers[file]) carry(counted(workers[file], inWorkers), into, false);
    merged[file] = into;
  }
  return libCoverage.createCoverageMap(merged);
}
const map = mergeViews({ spawned: true, workers: true });
const carriedNowhere = { ...dropped };

// A table per layer, of all the tests and of each view alone: before tests move into the workers nearly
// everything is covered through spawned CLIs, after it most of it in the workers, and the first column
// should not fall.
const GROUPS = ["src/config", "src/credentials", "src/auth", "src/api", "src/commands", "src (root)"];
const groupOf = (file) => {
  const rel = relative(ROOT, file).split(sep).join("/");
  const dir = rel.slice(0, rel.lastIndexOf("/"));
  return dir === "src" ? "src (root)" : GROUPS.find((g) => dir === g || dir.startsWith(`${g}/`));
};
const summarize = (coverageMap) => {
  const groups = Object.fromEntries([...GROUPS, "total"].map((g) => [g, libCoverage.createCoverageSummary()]));
  const files = {};
  for (const file of coverageMap.files()) {
    const summary = coverageMap.fileCoverageFor(file).toSummary();
    files[relative(ROOT, file).split(sep).join("/")] = summary.toJSON();
    groups[groupOf(file)]?.merge(summary);
    groups.total.merge(summary);
  }
  return { groups, files };
};
const all = summarize(map);
const spawnedOnly = summarize(mergeViews({ spawned: true, workers: false })).groups;
const workersOnly = summarize(mergeViews({ spawned: false, workers: true })).groups;

const pct = (m) => `${m.pct.toFixed(1)}%`.padStart(6);
const both = (m) => `${pct(m)} ${`${m.covered}/${m.total}`.padStart(9)}`;
console.log(`\n${"".padEnd(15)} ${"lines".padEnd(34)} branches`);
console.log(`${"".padEnd(15)} ${"all".padEnd(16)} CLIs  workers    ${"all".padEnd(16)} CLIs  workers`);
for (const g of [...GROUPS, "total"]) {
  const [a, c, w] = [all.groups[g], spawnedOnly[g], workersOnly[g]];
  console.log(
    `${g.padEnd(15)} ${both(a.lines)} ${pct(c.lines)} ${pct(w.lines)}    ${both(a.branches)} ${pct(c.branches)} ${pct(w.branches)}`,
  );
}
console.log(
  `\n${processes} spawned processes counted${unreadable ? `, ${unreadable} coverage files cut short` : ""}; tests exited with ${testCode}`,
);
console.log(
  `workers' counts carried to no statement: ${carriedNowhere.lines} lines (${carriedNowhere.coveredLines} of them covered, mostly imports and exports); to no branch: ${carriedNowhere.branches} branches`,
);

const json = (groups) => Object.fromEntries(Object.entries(groups).map(([g, s]) => [g, s.toJSON()]));
writeFileSync(
  join(OUT, "coverage-summary.json"),
  `${JSON.stringify(
    {
      ...json(all.groups),
      spawnedOnly: json(spawnedOnly),
      workersOnly: json(workersOnly),
      files: all.files,
      spawnedProcesses: processes,
      cutShort: unreadable,
      carriedNowhere,
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

/** A copy of one file's coverage with every count 0. */
function zeroed(data) {
  const copy = structuredClone(data);
  for (const id in copy.s) copy.s[id] = 0;
  for (const id in copy.f) copy.f[id] = 0;
  for (const id in copy.b) copy.b[id] = copy.b[id].map(() => 0);
  return copy;
}

/**
 * Adds `from`'s counts to `into`'s statements, branches and functions on the same lines (see above). With
 * `add`, what lands nowhere joins `into` (another bundle's view: a function the CLI's bundle leaves out
 * is in the library's); without, it is counted in `dropped`.
 */
function carry(from, into, add) {
  const byLine = (items, loc) => {
    const lines = new Map();
    for (const [id, item] of Object.entries(items)) {
      const at = loc(item).start;
      const key = `${item.type ?? ""} ${at.line}`;
      if (!lines.has(key)) lines.set(key, []);
      lines.get(key).push({ id, column: at.column ?? 0 });
    }
    for (const list of lines.values()) list.sort((a, b) => a.column - b.column);
    return lines;
  };
  const adder = (items, counts) => {
    let next = Math.max(-1, ...Object.keys(items).map(Number)) + 1;
    return (item, count) => {
      items[next] = item;
      counts[next++] = structuredClone(count);
    };
  };
  // Statements.
  const target = byLine(into.statementMap, (l) => l);
  const addStatement = adder(into.statementMap, into.s);
  for (const [key, list] of byLine(from.statementMap, (l) => l)) {
    const onto = target.get(key);
    const counts = list.map(({ id }) => from.s[id]);
    if (onto?.length === list.length) for (const [i, { id }] of onto.entries()) into.s[id] += counts[i];
    else if (onto) for (const { id } of onto) into.s[id] += Math.max(...counts);
    else if (add) for (const { id } of list) addStatement(from.statementMap[id], from.s[id]);
    else {
      dropped.lines++;
      if (counts.some((n) => n > 0)) dropped.coveredLines++;
    }
  }
  // Branches and functions, paired in column order.
  const pairs = (fromMap, intoMap, loc) => {
    const result = [];
    const target = byLine(intoMap, loc);
    for (const [key, list] of byLine(fromMap, loc)) {
      const onto = target.get(key);
      // The pair's second: the id it lands on (in column order if the line has as many, else at the same
      // column), null for none on a line that has some, undefined for a line that has none.
      const atColumn = new Map(onto?.map(({ id, column }) => [column, id]));
      for (const [i, { id, column }] of list.entries())
        result.push([id, onto?.length === list.length ? onto[i].id : onto && (atColumn.get(column) ?? null)]);
    }
    return result;
  };
  const addBranch = adder(into.branchMap, into.b);
  for (const [id, onto] of pairs(from.branchMap, into.branchMap, (b) => b.loc ?? b.locations[0])) {
    if (onto && from.b[id].length === into.b[onto].length)
      for (const [i, n] of from.b[id].entries()) into.b[onto][i] += n;
    else if (onto === undefined && add) addBranch(from.branchMap[id], from.b[id]);
    else dropped.branches++;
  }
  const addFunction = adder(into.fnMap, into.f);
  for (const [id, onto] of pairs(from.fnMap, into.fnMap, (f) => f.loc)) {
    if (onto) into.f[onto] += from.f[id];
    else if (onto === undefined && add) addFunction(from.fnMap[id], from.f[id]);
  }
}

/**
 * Statements the bundler writes where our source has an import, a function declaration or nothing: a
 * module's `init_x()`, `import_x = require(…)` and "use strict", and keepNames' `__name(f, "f")`.
 */
function bundlerStatement(node) {
  if (node.directive) return true;
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
