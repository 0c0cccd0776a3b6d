/** The explicit inputs every command runs with: the same code serves the CLI and tests. */
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import type { IO } from "./io.js";

export interface CommandContext {
  io: IO;
  env: Env;
  config: Config;
  clock: () => Date;
}
