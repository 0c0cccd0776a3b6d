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
  /**
   * How commands reach the network. The CLI passes networkFetch (config/network.ts: node:http with the
   * proxy and CA rules of `env`), loaded on the first request; tests may pass any other.
   */
  fetch: Fetch;
  /** `--profile NAME`: the account to act on (otherwise CODEX_PROFILE, then `profile` in config.toml). */
  profile?: string | undefined;
}
