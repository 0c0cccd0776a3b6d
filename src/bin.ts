/**
 * The `codex` executable (bundled as dist/main.cjs): the process around cli.ts's `main`. It hands main the
 * process's arguments, environment and terminal (file descriptors 0–2, through commands/io.ts) and sets the
 * exit code main returns; main itself reads nothing of the process, so tests run it in process.
 */
import { main } from "./cli.js";
import { createIO } from "./commands/io.js";

/** codex run as this process runs (argv as process.argv: node, the script, then the arguments); the exit code. */
export function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return main(argv.slice(2), env, createIO(env));
}

run(process.argv, process.env).then((code) => {
  process.exitCode = code;
});
