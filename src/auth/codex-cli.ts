/**
 * What OpenAI's Codex CLI (0.134 and later), which shares CODEX_HOME, refuses of what codex 0.1.0 wrote or
 * documented: config.toml's top-level `profile = "…"` (it loads no config.toml with one, and codex no longer
 * selects an account with it), and a `[profiles.NAME]` table (it refuses `--profile NAME` beside one). In
 * one set of words for `status`, `login`, `run`, `chat` and `doctor`: what is wrong, and the fix.
 */
import { legacyOwnKeys, legacySelector, legacyTable } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { profilePath } from "../config/paths.js";
import { oneLine } from "../safe-text.js";

export interface Refusal {
  problem: string;
  fix: string;
}

/** As one line: the problem, then the fix. */
export const refusalLine = (r: Refusal): string => `${r.problem}; ${r.fix}`;

/** config.toml's `profile = "…"`, when it has one. */
export function selectorRefusal(config: Config): Refusal | undefined {
  const selector = legacySelector(config);
  if (selector === undefined) return undefined;
  const name = selector.name;
  return {
    problem: `${config.base.path} has ${selector.shown}, which no longer selects an account, and OpenAI's Codex CLI refuses to load a config.toml with it ("legacy \`profile\` config is no longer supported")`,
    fix:
      name === undefined
        ? "remove it; select a profile with --profile NAME (or CODEX_PROFILE), which reads NAME.config.toml"
        : `remove it, and use \`--profile ${name}\` (or CODEX_PROFILE=${name}) with ${name}.config.toml instead`,
  };
}

/**
 * The selector's refusal when no --profile or CODEX_PROFILE chose the account: the default account is then
 * used, not the one it names, which `run` and `chat` say before sending anything.
 */
export function fallbackSelectorRefusal(config: Config, env: Env, profile: string | undefined): Refusal | undefined {
  if (profile !== undefined || (env.CODEX_PROFILE ?? "") !== "") return undefined;
  return selectorRefusal(config);
}

/**
 * config.toml's `[profiles.NAME]`, when it has one: codex's own keys in it move at that profile's next login
 * or logout; any other key is the user's to move.
 */
export function legacyTableRefusal(config: Config, name: string): Refusal | undefined {
  const table = legacyTable(config, name);
  if (table === undefined) return undefined;
  const ours = legacyOwnKeys(config, name);
  const theirs = Object.keys(table)
    .filter((k) => !ours.includes(k))
    .map((k) => `\`${oneLine(k, 64)}\``);
  const file = profilePath(config.base.home, name);
  return {
    problem: `${config.base.path} has a legacy [profiles.${name}] table, which OpenAI's Codex CLI refuses beside \`--profile ${name}\` ("move those settings into ${name}.config.toml")`,
    fix:
      theirs.length === 0
        ? `\`codex login --profile ${name}\` (or \`codex logout --profile ${name}\`) moves codex's keys into ${file} and removes the table`
        : `move ${theirs.join(", ")} into ${file} and remove the table${ours.length > 0 ? ` (\`codex login --profile ${name}\` moves codex's own keys)` : ""}`,
  };
}
