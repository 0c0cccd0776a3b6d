/**
 * Nothing we recommend makes OpenAI's Codex CLI refuse the config: every ```toml example in README.md and
 * docs/*.md is loaded by the real Codex (0.169.0, test/support/real-codex.ts, offline), as config.toml with
 * `codex login status`, and with `codex -p NAME debug prompt-input hi` for each profile it names.
 *
 * Conventions the examples follow:
 * - A block whose first line is `# ~/.codex/NAME.config.toml` is that profile's file: it is laid over an
 *   empty config.toml with `-p NAME`.
 * - A block marked `<!-- codex-cli: refuses -->` (on a line right above its fence: test/support/doc-blocks.ts)
 *   shows something the real Codex refuses (for a server that speaks only Chat Completions,
 *   `wire_api = "chat"`): the test checks that it still does, so the text around it stays true.
 *
 * Needs root (the network namespace); skipped otherwise, saying why.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunResult, withConfig } from "./helpers.js";
import { docBlocks, profileFileOf } from "./support/doc-blocks.js";
import { type Keyring, startKeyring } from "./support/keyring.js";
import {
  CODEX_REFUSALS,
  codexLoginStatus,
  codexProfileLoads,
  expectProfileLoads,
  expectStatusLoads,
  realCodexSkip,
} from "./support/real-codex.js";

const REFUSES = "codex-cli: refuses";

interface Example {
  /** `README.md:87`: where the block starts. */
  where: string;
  text: string;
  refuses: boolean;
  /** The profile whose file this block is, when its first line says so. */
  profileFile: string | undefined;
}

function examples(): Example[] {
  return docBlocks()
    .filter((b) => b.lang === "toml")
    .map((b) => ({
      where: b.where,
      text: b.text,
      refuses: b.markers.includes(REFUSES),
      profileFile: profileFileOf(b),
    }));
}

const EXAMPLES = examples();

/** `[profiles.NAME]` headers: Codex refuses such a table only under `-p NAME`, so each is tried that way. */
const profileTables = (text: string) =>
  [...text.matchAll(/^\s*\[profiles\.([A-Za-z0-9_-]+)[.\]]/gm)].map((m) => m[1] as string);

describe.skipIf(realCodexSkip !== undefined)("the real Codex CLI loads every TOML example in the docs", () => {
  // Examples with cli_auth_credentials_store = "keyring" have Codex read its keyring: give it a real one.
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(() => keyring?.close());

  test("there are examples to check", () => {
    expect(EXAMPLES.length).toBeGreaterThan(5);
  });

  test.each(EXAMPLES.map((e) => [e.where, e] as const))("%s", async (_, example) => {
    const { home, codexHome } = withConfig(example.profileFile === undefined ? example.text : "");
    const runs: RunResult[] = [];
    if (example.profileFile !== undefined) {
      writeFileSync(join(codexHome, `${example.profileFile}.config.toml`), example.text, { mode: 0o600 });
      runs.push(await codexProfileLoads(home, example.profileFile, { env: keyring.env }));
    } else {
      runs.push(await codexLoginStatus(home, { env: keyring.env }));
      for (const name of new Set(profileTables(example.text))) {
        runs.push(await codexProfileLoads(home, name, { env: keyring.env }));
      }
    }
    if (example.refuses) {
      const said = runs.map((r) => r.stdout + r.stderr).join("\n");
      expect(
        CODEX_REFUSALS.some((refusal) => said.includes(refusal)),
        `${example.where} loads, but says Codex refuses it`,
      ).toBe(true);
      return;
    }
    const [first, ...others] = runs as [RunResult, ...RunResult[]];
    if (example.profileFile === undefined) expectStatusLoads(first);
    else expectProfileLoads(first);
    for (const r of others) expectProfileLoads(r);
  });
});
