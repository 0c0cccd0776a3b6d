import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

// CI (.ci/run) sets CODEX_TEST_REPORT to collect a JSON report for its "N passed, N failed" line.
const report = process.env.CODEX_TEST_REPORT;
// `npm run coverage` (scripts/coverage.mjs) runs the suite with --coverage and names, in CODEX_CHILD_COVERAGE,
// the directory where the CLIs the tests spawn write theirs.
const childCoverage = process.env.CODEX_CHILD_COVERAGE;

export default defineConfig({
  // What scripts/build.mjs defines for the bundles, for tests that run src/cli.ts in process.
  define: { __VERSION__: JSON.stringify(pkg.version), __CACHED_AS__: JSON.stringify(`${pkg.name}/dist/`) },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most tests run codex in process; the slow files mostly wait (timeouts, drips, a browser, a keyring), so a
    // third worker on two cores fills that time. Measured on the 12 slowest files on a busy machine: 177 s
    // with 2 workers, 159 s with 3, 161 s with 4.
    pool: "forks",
    maxWorkers: 3,
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    setupFiles: childCoverage ? ["test/support/child-coverage.ts"] : [],
    // Code run in the test workers. The library tests import dist/index.js, whose inline source map (in the
    // coverage build) leads back to src/.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts", "dist/index.js"],
      reporter: [["json", { file: "coverage-final.json" }]],
      reportsDirectory: "coverage/workers",
      reportOnFailure: true,
    },
  },
});
