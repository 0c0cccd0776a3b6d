/**
 * The store factory (src/credentials/stores.ts), in process: which stores an account has, in precedence order,
 * where `cli_auth_credentials_store` sends a new credential, and that the keyring's and the auth_command's
 * code load only for accounts that use them. The keyring here is an in-memory one in place of keyring.ts
 * (test/keyring.test.ts runs the real one); nothing is spawned.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { account, DEFAULT_ACCOUNT } from "../src/config/accounts.js";
import { Config } from "../src/config/config.js";
import type { Keyring } from "../src/credentials/keyring.js";
import type { CredentialReader } from "../src/credentials/store.js";
import { accountReaders, accountStores, storeFor } from "../src/credentials/stores.js";
import { homeWithConfig, removeAfterTest, runCli, testHome } from "./helpers.js";

/** Modules loaded (once each, as imports are cached: the laziness tests come first), and keyrings asked for. */
const loaded = vi.hoisted(() => ({ keyring: 0, command: 0, keyrings: 0 }));
const entries = vi.hoisted(() => new Map<string, string>());
const answers = vi.hoisted(() => ({ keyring: true }));

vi.mock("../src/credentials/keyring.js", async () => {
  loaded.keyring++;
  const { KeyringUnavailableError } = await import("../src/errors.js");
  /** Runs `f` as the keyring would: not at all when it does not answer. */
  const answer = async <T>(f: () => T): Promise<T> => {
    if (!answers.keyring) throw new KeyringUnavailableError("the keyring did not answer (test)");
    return f();
  };
  const keyring: Keyring = {
    name: "test keyring",
    get: (a) => answer(() => entries.get(a) ?? null),
    set: (a, secret) => answer(() => void entries.set(a, secret)),
    delete: (a) => answer(() => entries.delete(a)),
    list: () => answer(() => [...entries.keys()]),
  };
  return {
    systemKeyring: () => {
      loaded.keyrings++;
      return keyring;
    },
  };
});

vi.mock("../src/credentials/command-store.js", async (load) => {
  loaded.command++;
  return load();
});

const KEY = "sk-stores-test-0123456789";
const DEFAULT = account(DEFAULT_ACCOUNT);

function homeWith(toml: string): { dir: string; file: string } {
  const dir = testHome();
  const file = join(dir, "config.toml");
  writeFileSync(file, toml, { mode: 0o600 });
  return { dir, file };
}

const kinds = (readers: readonly CredentialReader[]) => readers.map((r) => r.source().type);

beforeEach(() => {
  loaded.keyrings = 0;
  entries.clear();
  answers.keyring = true;
});

describe("no keyring or command code for an account that uses neither", () => {
  test("a file-stored account: one reader, the file; targets the file", async () => {
    const { dir, file } = homeWith(`auth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    expect(kinds(await accountReaders(config, DEFAULT))).toEqual(["file"]);
    expect((await storeFor(config, DEFAULT))?.describe()).toBe(file);
    const { stores, targets } = await accountStores(config, DEFAULT);
    expect(kinds(stores)).toEqual(["file"]);
    expect(kinds(targets())).toEqual(["file"]);
    expect(loaded).toEqual({ keyring: 0, command: 0, keyrings: 0 });
  });

  test("logged out: no reader records anything, and nothing is loaded", async () => {
    const { dir } = homeWith("");
    expect(await storeFor(await Config.load({ codexHome: dir }), DEFAULT)).toBeUndefined();
    expect(loaded).toEqual({ keyring: 0, command: 0, keyrings: 0 });
  });
});

describe("precedence: the auth_command, the file, the keyring", () => {
  test("an auth_command comes first, and is read only (no write, no remove)", async () => {
    const { dir } = homeWith(`auth_command = ["pass", "show", "openai"]\nauth_token = "${KEY}"\n`);
    const config = await Config.load({ codexHome: dir });
    const readers = await accountReaders(config, DEFAULT);
    expect(kinds(readers)).toEqual(["command", "file"]);
    expect(readers[0]?.describe()).toBe("command `pass`");
    expect("write" in (readers[0] as object)).toBe(false);
    expect((await storeFor(config, DEFAULT))?.source()).toEqual({
      type: "command",
      command: "pass",
      path: join(dir, "config.toml"),
    });
    // Login and logout never get it: codex does not write what another tool owns.
    expect(kinds((await accountStores(config, DEFAULT)).stores)).toEqual(["file"]);
    expect(loaded).toEqual({ keyring: 0, command: 1, keyrings: 0 });
  });

  test("the keyring is a reader only where config.toml notes it; the file's credential wins over it", async () => {
    const { dir } = homeWith(`auth_storage = "keyring"\n`);
    let config = await Config.load({ codexHome: dir });
    expect(kinds(await accountReaders(config, DEFAULT))).toEqual(["file", "keyring"]);
    expect((await storeFor(config, DEFAULT))?.source()).toEqual({ type: "keyring", name: "test keyring" });
    writeFileSync(join(dir, "config.toml"), `auth_storage = "keyring"\nauth_token = "${KEY}"\n`, { mode: 0o600 });
    config = await Config.load({ codexHome: dir });
    expect((await storeFor(config, DEFAULT))?.source().type).toBe("file");
  });
});

describe("targets by cli_auth_credentials_store", () => {
  test.each([
    ["file", ["file"], ["file"]],
    ["keyring", ["file", "keyring"], ["keyring"]],
    ["auto", ["file", "keyring"], ["keyring", "file"]],
  ])("%s: stores %j, targets %j", async (setting, stores, targets) => {
    const { dir } = homeWith(`cli_auth_credentials_store = "${setting}"\n`);
    const found = await accountStores(await Config.load({ codexHome: dir }), DEFAULT);
    expect(kinds(found.stores)).toEqual(stores);
    expect(kinds(found.targets())).toEqual(targets);
    expect(loaded.keyrings).toBe(setting === "file" ? 0 : 1);
  });

  test("every: the keyring too, where nothing points at it (logout --all, doctor)", async () => {
    const { dir } = homeWith("");
    const found = await accountStores(await Config.load({ codexHome: dir }), DEFAULT, {}, { every: true });
    expect(kinds(found.stores)).toEqual(["file", "keyring"]);
  });

  test("an invalid setting is a ConfigValueError, except for every store", async () => {
    const { dir } = homeWith(`cli_auth_credentials_store = "cloud"\n`);
    const config = await Config.load({ codexHome: dir });
    await expect(accountStores(config, DEFAULT)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(kinds((await accountStores(config, DEFAULT, {}, { every: true })).stores)).toEqual(["file", "keyring"]);
  });
});

describe("the seam: writes and removals in one Config.update", () => {
  test("into the keyring and out of the file, then out of the keyring: the file as it was", async () => {
    const original = `# mine\nauth_token = "${KEY}"\n`;
    const { dir, file } = homeWith(original);
    const config = await Config.load({ codexHome: dir });
    const { stores } = await accountStores(config, DEFAULT, {}, { every: true });
    const keyring = stores.find((s) => s.source().type === "keyring");
    await config.update(async (fresh) => {
      await keyring?.write(fresh, { token: "sk-new-0123456789abcdef" });
      for (const s of stores) if (s !== keyring) await s.remove(fresh);
    });
    expect(readFileSync(file, "utf8")).toBe('# mine\nauth_storage = "keyring"\n');
    expect([...entries.values()]).toEqual(['{"token":"sk-new-0123456789abcdef"}']);
    const readers = await accountReaders(config, DEFAULT);
    expect(await readers.find((r) => r.recorded() !== undefined)?.get()).toEqual({
      token: "sk-new-0123456789abcdef",
    });
    const removals = await config.update(async (fresh) => Promise.all(stores.map((s) => s.remove(fresh))));
    expect(removals.map((r) => r.removed)).toEqual([false, true]);
    expect(readFileSync(file, "utf8")).toBe("# mine\n");
    expect(entries.size).toBe(0);
  });

  test("a keyring that does not answer where config.toml notes it: the note stays, and says what is left", async () => {
    const { dir, file } = homeWith(`auth_storage = "keyring"\n`);
    const config = await Config.load({ codexHome: dir });
    answers.keyring = false;
    const { stores } = await accountStores(config, DEFAULT);
    const [removal] = await config.update(async (fresh) => Promise.all(stores.slice(1).map((s) => s.remove(fresh))));
    expect(removal?.removed).toBe(false);
    expect(removal?.left).toMatchObject({ medium: "keyring", reason: "the keyring did not answer (test)" });
    expect(readFileSync(file, "utf8")).toBe(`auth_storage = "keyring"\n`);
  });
});

describe("one answer to where a credential is", () => {
  // Doctor and status once each decided for themselves: for a profile's key still in config.toml's legacy
  // [profiles.NAME] table, they named NAME.config.toml, a file that did not exist. Now the store says.
  test("a profile's key in the legacy table is in config.toml, for doctor and for status's note", async () => {
    const { home, configFile } = homeWithConfig(`[profiles.work]\nauth_token = "${KEY}"\n`);
    removeAfterTest(home);
    const env = { OPENAI_API_KEY: "sk-from-the-environment-0123", DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" };
    const doctor = await runCli(["doctor", "--offline", "--profile", "work"], { home, env });
    expect(doctor.stdout).toContain(`credential found in one place: ${configFile}\n`);
    expect(doctor.stdout).toContain(`not the credential stored in ${configFile} (sk-…6789)`);
    const status = await runCli(["status", "--profile", "work", "--json"], { home, env });
    expect(JSON.parse(status.stdout).shadowed).toEqual({ path: configFile, hint: "sk-…6789" });
  });
});
