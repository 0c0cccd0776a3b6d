import { defineConfig } from "vitest/config";

// CI (.ci/run) sets CODEX_TEST_REPORT to collect a JSON report for its "N passed, N failed" line.
const report = process.env.CODEX_TEST_REPORT;
// `npm run coverage` (scripts/coverage.mjs) runs the suite with --coverage and names, in CODEX_CHILD_COVERAGE,
// the directory where the CLIs the tests spawn write theirs.
const childCoverage = process.env.CODEX_CHILD_COVERAGE;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn the built CLI; two cores, so keep process fan-out modest.
    pool: "forks",
    maxWorkers: 2,
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
