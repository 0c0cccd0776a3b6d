import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn the built CLI; two cores, so keep process fan-out modest.
    pool: "forks",
    maxWorkers: 2,
  },
});
