/** The explicit inputs every command runs with: the same code serves the CLI and tests. */
import type { Fetch } from "../config/http.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import type { IO } from "./io.js";

export interface CommandContext {
  io: IO;
  env: Env;
  config: Config;
  clock: () => Date;
  /** How commands reach the network (global fetch in the CLI). */
  fetch: Fetch;
  /** `--profile NAME`: the account to act on (otherwise CODEX_PROFILE, then `profile` in config.toml). */
  profile?: string | undefined;
}
