/**
 * codex 0.1.0 kept a profile's credential under `[profiles.NAME]` in config.toml, which OpenAI's Codex CLI
 * refuses beside `--profile NAME`; it now lives at the top of the profile's own file (file-store.ts still
 * reads the old table). This module finishes the move. It is no store: login, logout and renewal call it
 * after whatever store they wrote, because the table may hold the keyring's note as well as the file's keys.
 */
import { type Account, CODEX_WRITTEN_KEYS, DEFAULT_ACCOUNT } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import { readAt } from "./file-store.js";
import type { StoredCredential } from "./store.js";

/** codex's own keys in a legacy `[profiles.NAME]` table: what it moves out of config.toml. */
const OURS = CODEX_WRITTEN_KEYS;

/**
 * Finishes moving a profile's credential out of codex 0.1.0's `[profiles.NAME]` table in config.toml:
 * removes codex's own keys from it (the user's, such as an `auth_command`, stay, and `codex doctor` names
 * them), and the table when that leaves it bare. Called after the profile's own file was written (or emptied,
 * at logout), each step atomic: a kill in between leaves the credential readable in the new file, and the
 * next login, logout or renewal completes the move. Returns what the table held, for revocation, or
 * undefined when it held nothing of codex's.
 */
export async function dropLegacyCredential(
  config: Config,
  acct: Account,
  options: { keepNote?: boolean } = {},
): Promise<StoredCredential | undefined> {
  if (acct.name === DEFAULT_ACCOUNT) return undefined;
  const table = ["profiles", acct.name];
  // The keyring note stays while the entry it points to could not be removed: a later logout retries.
  const keys = options.keepNote ? OURS.filter((k) => k !== "auth_storage") : OURS;
  const base = config.base;
  if (!keys.some((k) => base.get([...table, k]) !== undefined)) return undefined;
  return base.update((fresh) => {
    const held = readAt(fresh, table);
    for (const k of keys) if (fresh.get([...table, k]) !== undefined) fresh.delete([...table, k]);
    // A table left with nothing in it goes; one with the user's comments in it stays (Config.prune). `profiles`
    // itself is never pruned: codex never wrote a `[profiles]` header, so one in the file is the user's.
    fresh.prune(table);
    return held;
  });
}
