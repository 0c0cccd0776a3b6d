/**
 * Set up by vitest.config.ts only under `npm run coverage` (scripts/coverage.mjs): the CLIs the tests spawn
 * write their V8 coverage to the directory the script names. The variable is set here, in the test worker,
 * rather than in the worker's environment: a process started with NODE_V8_COVERAGE writes its own coverage
 * too, and the workers' coverage is vitest's (taken and reset after each file, so it would be wrong twice).
 */
const dir = process.env.CODEX_CHILD_COVERAGE;
if (dir) process.env.NODE_V8_COVERAGE = dir;
