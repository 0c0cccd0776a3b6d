import { defineConfig } from "vitest/config";

// CI (.ci/run) sets CODEX_TEST_REPORT to collect a JSON report for its "N passed, N failed" line.
const report = process.env.CODEX_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn the built CLI; two cores, so keep process fan-out modest.
    pool: "forks",
    maxWorkers: 2,
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
  },
});
