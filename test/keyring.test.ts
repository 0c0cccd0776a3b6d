/**
 * The system-keyring store, end to end: the built CLI against a real Secret Service (gnome-keyring on a private
 * D-Bus, ./support/keyring.ts), checked from outside with secret-tool. Where `cli_auth_credentials_store` puts a
 * credential and what config.toml keeps beside it, profiles and CODEX_HOMEs each with their own entry, moving a
 * credential between the file and the keyring, logout (--all) leaving nothing behind, OAuth sessions renewed and
 * revoked in the keyring, and a keyring that is locked, absent or hung: every command answers within the 3 s
 * limit with a clear message, and nothing is saved where the user did not ask. No secret ever appears in any
 * output, in any process's argv, or in any file of CODEX_HOME once logged out.
 */
import { cpSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CLI,
  cleanEnv,
  expectNoSecret,
  type RunResult,
  removeAfterTest,
  run,
  runCli,
  tempDir,
  withConfig,
} from "./helpers.js";
import { approveDevice } from "./support/browser.js";
import { type Keyring, type KeyringItem, startHungBus, startKeyring, withoutBus } from "./support/keyring.js";
import { browserLogin, oauthConfig, startCli } from "./support/oauth-cli.js";
import { type OAuthServer, startOAuthServer } from "./support/oauth-server.js";
import { type FakeProvider, responsesEvents, type Script, sse, startProvider } from "./support/provider.js";

const KEYRING = "system keyring (Secret Service)";
/** The keyring helper of the build under test (the watch sees every process on the machine, other builds' too). */
const HELPER = join(dirname(CLI), "keyring-helper.cjs");
const LIMIT = "it did not answer within 3 s (is it locked, or waiting for a password prompt?)";
const NO_BUS =
  "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service cannot be reached";
const NOTHING_SAVED =
  'nothing was stored (cli_auth_credentials_store is "keyring"; set it to "auto" or "file" to use config.toml instead)';

/** Every API key used here: none may appear in any output (checked on every run by `cli`). */
const KEYS = {
  main: "sk-kr-main-0123456789abcdefMAIN",
  auto: "sk-kr-auto-0123456789abcdefAUTO",
  s1: "sk-kr-switch-0123456789abcdefSW01",
  s2: "sk-kr-switch-0123456789abcdefSW02",
  s3: "sk-kr-switch-0123456789abcdefSW03",
  w1: "sk-kr-switchw-0123456789abcdefWS01",
  w2: "sk-kr-switchw-0123456789abcdefWS02",
  w3: "sk-kr-switchw-0123456789abcdefWS03",
  pDefault: "sk-kr-prof-0123456789abcdefPDEF",
  pWork: "sk-kr-prof-0123456789abcdefPWRK",
  aDefault: "sk-kr-alla-0123456789abcdefADEF",
  aWork: "sk-kr-alla-0123456789abcdefAWRK",
  aPersonal: "sk-kr-alla-0123456789abcdefAPRS",
  aLegacy: "sk-kr-alla-0123456789abcdefALEG",
  bDefault: "sk-kr-allb-0123456789abcdefBDEF",
  bWork: "sk-kr-allb-0123456789abcdefBWRK",
  twoA: "sk-kr-twoa-0123456789abcdefTWOA",
  twoB: "sk-kr-twob-0123456789abcdefTWOB",
  twoAW: "sk-kr-twoa-0123456789abcdefTAWK",
  twoBW: "sk-kr-twob-0123456789abcdefTBWK",
  locked1: "sk-kr-lock-0123456789abcdefLCK1",
  locked2: "sk-kr-lock-0123456789abcdefLCK2",
  locked3: "sk-kr-lock-0123456789abcdefLCK3",
  lockedAuto: "sk-kr-lock-0123456789abcdefLAUT",
  noBus: "sk-kr-nobus-0123456789abcdefNOBS",
  hung: "sk-kr-hung-0123456789abcdefHUNG",
  hungAuto: "sk-kr-hung-0123456789abcdefHAUT",
  hungStored: "sk-kr-hung-0123456789abcdefHSTO",
  hungLogout: "sk-kr-hung-0123456789abcdefHLGO",
  hungAllD: "sk-kr-hung-0123456789abcdefHALD",
  hungAllW: "sk-kr-hung-0123456789abcdefHALW",
  edgeGone: "sk-kr-edge-0123456789abcdefGONE",
  edgeLink: "sk-kr-edge-0123456789abcdefLINK",
  edgeModule: "sk-kr-edge-0123456789abcdefNMOD",
  legacyOld: "sk-kr-legacy-0123456789abcdefLOLD",
  legacyNew: "sk-kr-legacy-0123456789abcdefLNEW",
};
const ALL_KEYS = Object.values(KEYS);
/** OAuth tokens seen during the run (added as they are read from the keyring). */
const seenTokens = new Set<string>();
/** Every result of `cli`, to check again once more tokens are known. */
const allResults: RunResult[] = [];

/** `codex …` with a clean env plus `env`; every result is checked for secrets and stack traces at once. */
async function cli(
  args: string[],
  opts: { home: string; env?: Record<string, string | undefined>; input?: string },
): Promise<RunResult & { ms: number }> {
  const started = Date.now();
  const r = await runCli(args, { ...opts, timeoutMs: 15_000 });
  const ms = Date.now() - started;
  allResults.push(r);
  expectNoSecret(r, ...ALL_KEYS, ...seenTokens);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected failure/);
  expect(r.signal).toBeNull();
  return { ...r, ms };
}

const login = (home: string, key: string, env: Record<string, string | undefined>, profile?: string) =>
  cli(["login", "--with-api-key", ...(profile === undefined ? [] : ["--profile", profile])], {
    home,
    env,
    input: key,
  });

const loggedIn = (key: string, where: string, profile?: string) =>
  `✅ Logged in using an API key (sk-…${key.slice(-4)}), stored in ${where}${profile === undefined ? "" : ` (profile ${profile})`}\n`;

/** The first line of a profile file codex creates. */
const header = (name: string) =>
  `# Created by codex-credentials for \`--profile ${name}\`; its logout deletes this file when nothing else is in it.\n`;

/** What a profile's file holds when its secret is in the keyring. */
const keyringNote = (name: string) => `${header(name)}auth_storage = "keyring"\n`;

/** The attributes of a profile's entry for a CODEX_HOME. */
const entryOf = (codexHome: string, profile = "default") => ({ service: "codex", username: `${profile}@${codexHome}` });

/** The one item secret-tool finds for that entry, exactly as codex writes it. */
function item(codexHome: string, profile: string, secret: string): KeyringItem {
  const username = `${profile}@${codexHome}`;
  return { label: `keyring:${username}@codex`, secret, attributes: { service: "codex", username } };
}

/** Every codex entry (service "codex") of this CODEX_HOME, sorted by account. */
async function entriesOf(keyring: Keyring, codexHome: string): Promise<KeyringItem[]> {
  return (await keyring.search({ service: "codex" }))
    .filter((i) => i.attributes.username?.endsWith(`@${codexHome}`))
    .sort((a, b) => (a.attributes.username ?? "").localeCompare(b.attributes.username ?? ""));
}

const apiKeyItem = (codexHome: string, profile: string, key: string) =>
  item(codexHome, profile, JSON.stringify({ token: key }));

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** None of `secrets` occurs in any file under `dir`. */
function expectNoSecretInFiles(dir: string, secrets: string[]): void {
  const files = filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const s of secrets) expect(text, `${file} holds a secret`).not.toContain(s);
  }
}

/** Processes running now: pid → argv (joined by spaces) and, when asked, the raw environ. */
function processes(withEnviron = false): Map<number, { argv: string; environ: string }> {
  const found = new Map<number, { argv: string; environ: string }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      let environ = "";
      if (withEnviron) {
        try {
          environ = readFileSync(`/proc/${name}/environ`, "utf8");
        } catch {}
      }
      found.set(Number(name), { argv, environ });
    } catch {}
  }
  return found;
}

/** Polls /proc every few ms until stopped; returns every argv seen (the helper's included, it lives ~100 ms). */
function watchArgv(intervalMs = 2): { stop(): string[] } {
  const seen = new Set<string>();
  const poll = () => {
    for (const { argv } of processes().values()) seen.add(argv);
  };
  const timer = setInterval(poll, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
      return [...seen];
    },
  };
}

/** Keyring helper processes still running with this bus address: none should outlive its codex. */
async function helpersLeft(busAddress: string): Promise<number[]> {
  const find = () =>
    [...processes(true)]
      .filter(([, p]) => p.argv.includes("keyring-helper.cjs") && p.environ.includes(busAddress))
      .map(([pid]) => pid);
  for (let i = 0; i < 40 && find().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return find();
}

/** The bearer token the i-th API request carried. */
const bearer = (api: FakeProvider, i: number): string =>
  String(api.requests[i]?.headers.authorization ?? "").replace(/^Bearer /, "");

/** config.toml selecting provider `x` at the fake API. */
const providerToml = (api: FakeProvider) =>
  `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${api.baseUrl}"\n`;

describe("a keyring that answers", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  test("login stores the key in the Secret Service and only a note in config.toml; status, run and logout use the entry; no secret in any argv", async () => {
    const api = await startProvider();
    const original = `cli_auth_credentials_store = "keyring"\n${providerToml(api)}`;
    const { home, codexHome, configFile } = withConfig(original);
    const env = keyring.env;
    const watch = watchArgv();
    let argv: string[];
    try {
      const r = await login(home, KEYS.main, env);
      expect(r).toMatchObject({ code: 0, stdout: loggedIn(KEYS.main, KEYRING), stderr: "" });
      expect(readFileSync(configFile, "utf8")).toBe(
        `cli_auth_credentials_store = "keyring"\nmodel_provider = "x"\nauth_storage = "keyring"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${api.baseUrl}"\n`,
      );
      expect(statSync(configFile).mode & 0o777).toBe(0o600);
      expect(await keyring.search(entryOf(codexHome))).toEqual([apiKeyItem(codexHome, "default", KEYS.main)]);

      const st = await cli(["status"], { home, env });
      expect(st).toMatchObject({
        code: 0,
        stdout: `Logged in using an API key: sk-…MAIN\n  Source: ${KEYRING}\n  Provider: Local (${api.baseUrl}, responses API)\n`,
        stderr: "",
      });
      const json = await cli(["status", "--json"], { home, env });
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        account: "default",
        authenticated: true,
        method: "api_key",
        source: KEYRING,
        source_type: "keyring",
        hint: "sk-…MAIN",
        credential_error: null,
        warnings: [],
      });

      api.reply(sse(responsesEvents(["from the keyring"])));
      const run = await cli(["run", "hi"], { home, env });
      expect(run).toMatchObject({ code: 0, stdout: "from the keyring\n", stderr: "" });
      expect(bearer(api, 0)).toBe(KEYS.main);

      const out = await cli(["logout"], { home, env });
      expect(out).toMatchObject({
        code: 0,
        stdout: `✅ Logged out successfully\n  Removed from ${KEYRING}\n`,
        stderr: "",
      });
    } finally {
      argv = watch.stop();
    }
    // On Linux the Secret Service is asked over D-Bus from codex's own process: no helper ran, so no command line
    // but codex's could have carried a key (and the watch saw those).
    expect(argv.filter((a) => a.includes(HELPER))).toEqual([]);
    expect(argv.filter((a) => a.includes(CLI)).length).toBeGreaterThan(0);
    for (const a of argv) for (const key of ALL_KEYS) expect(a).not.toContain(key);

    expect(readFileSync(configFile, "utf8")).toBe(original);
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
    const again = await cli(["logout"], { home, env });
    expect(again).toMatchObject({ code: 0, stdout: "No credential stored by codex; nothing to remove.\n", stderr: "" });
    const st = await cli(["status"], { home, env });
    expect(st).toMatchObject({ code: 1, stdout: "Not logged in. Run `codex login` to sign in.\n" });
    expect(await helpersLeft(env.DBUS_SESSION_BUS_ADDRESS)).toEqual([]);
  });

  test("through the helper process (a bus address with no unix socket, as on macOS and Windows): the same entries as in process, no secret in any argv, no helper left", async () => {
    const api = await startProvider();
    const original = `cli_auth_credentials_store = "keyring"\n${providerToml(api)}`;
    const { home, codexHome, configFile } = withConfig(original);
    const viaHelper = keyring.helperEnv;
    const watch = watchArgv();
    let argv: string[];
    try {
      const r = await login(home, KEYS.main, viaHelper);
      expect(r).toMatchObject({ code: 0, stdout: loggedIn(KEYS.main, KEYRING), stderr: "" });
      expect(await keyring.search(entryOf(codexHome))).toEqual([apiKeyItem(codexHome, "default", KEYS.main)]);
      // Written by the native module, read in process over the unix socket, and the other way round.
      const st = await cli(["status"], { home, env: keyring.env });
      expect(st).toMatchObject({ code: 0, stderr: "" });
      expect(st.stdout).toContain(`Logged in using an API key: sk-…MAIN\n  Source: ${KEYRING}\n`);
      api.reply(sse(responsesEvents(["through the helper"])));
      const run = await cli(["run", "hi"], { home, env: viaHelper });
      expect(run).toMatchObject({ code: 0, stdout: "through the helper\n", stderr: "" });
      expect(bearer(api, 0)).toBe(KEYS.main);
      const out = await cli(["logout"], { home, env: viaHelper });
      expect(out).toMatchObject({
        code: 0,
        stdout: `✅ Logged out successfully\n  Removed from ${KEYRING}\n`,
        stderr: "",
      });
      // --all lists this CODEX_HOME's entries through the helper: none left.
      const all = await cli(["logout", "--all"], { home, env: viaHelper });
      expect(all).toMatchObject({ code: 0, stdout: "No credential stored by codex; nothing to remove.\n", stderr: "" });
    } finally {
      argv = watch.stop();
    }
    expect(argv.filter((a) => a.includes(HELPER)).length).toBeGreaterThan(0);
    for (const a of argv) for (const key of ALL_KEYS) expect(a).not.toContain(key);
    expect(readFileSync(configFile, "utf8")).toBe(original);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
    expect(await helpersLeft(viaHelper.DBUS_SESSION_BUS_ADDRESS)).toEqual([]);
  });

  test('"auto" stores in the keyring when it answers, without a warning', async () => {
    const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "auto"\n');
    const r = await login(home, KEYS.auto, keyring.env);
    expect(r).toMatchObject({ code: 0, stdout: loggedIn(KEYS.auto, KEYRING), stderr: "" });
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "auto"\nauth_storage = "keyring"\n');
    expect(await entriesOf(keyring, codexHome)).toEqual([apiKeyItem(codexHome, "default", KEYS.auto)]);
    const st = await cli(["status", "--json"], { home, env: keyring.env });
    expect(JSON.parse(st.stdout)).toMatchObject({ authenticated: true, source_type: "keyring", hint: "sk-…AUTO" });
    expect((await cli(["logout"], { home, env: keyring.env })).code).toBe(0);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
  });

  test("switching the store and logging in again moves the credential: no copy is left in the old place", async () => {
    const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "keyring"\n');
    const env = keyring.env;
    const setStore = (to: string) =>
      writeFileSync(
        configFile,
        readFileSync(configFile, "utf8").replace(
          /^cli_auth_credentials_store = "\w+"/,
          `cli_auth_credentials_store = "${to}"`,
        ),
      );
    expect((await login(home, KEYS.s1, env)).code).toBe(0);
    expect((await login(home, KEYS.w1, env, "work")).code).toBe(0);
    expect(await entriesOf(keyring, codexHome)).toEqual([
      apiKeyItem(codexHome, "default", KEYS.s1),
      apiKeyItem(codexHome, "work", KEYS.w1),
    ]);

    // keyring → file
    setStore("file");
    const toFile = await login(home, KEYS.s2, env);
    expect(toFile).toMatchObject({ code: 0, stdout: loggedIn(KEYS.s2, configFile), stderr: "" });
    const workFile = join(codexHome, "work.config.toml");
    expect(readFileSync(configFile, "utf8")).toBe(`cli_auth_credentials_store = "file"\nauth_token = "${KEYS.s2}"\n`);
    expect(readFileSync(workFile, "utf8")).toBe(keyringNote("work"));
    // Only the default account moved; the work profile's entry is another account's.
    expect(await entriesOf(keyring, codexHome)).toEqual([apiKeyItem(codexHome, "work", KEYS.w1)]);
    const workToFile = await login(home, KEYS.w2, env, "work");
    expect(workToFile).toMatchObject({ code: 0, stdout: loggedIn(KEYS.w2, workFile, "work"), stderr: "" });
    expect(readFileSync(workFile, "utf8")).toBe(`${header("work")}auth_token = "${KEYS.w2}"\n`);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
    const st = await cli(["status"], { home, env });
    expect(st.stdout).toBe(`Logged in using an API key: sk-…SW02\n  Source: ${configFile}\n`);

    // file → keyring
    setStore("keyring");
    const toKeyring = await login(home, KEYS.s3, env);
    expect(toKeyring).toMatchObject({ code: 0, stdout: loggedIn(KEYS.s3, KEYRING), stderr: "" });
    const workToKeyring = await login(home, KEYS.w3, env, "work");
    expect(workToKeyring).toMatchObject({ code: 0, stdout: loggedIn(KEYS.w3, KEYRING, "work"), stderr: "" });
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\nauth_storage = "keyring"\n');
    expect(readFileSync(workFile, "utf8")).toBe(keyringNote("work"));
    expect(await entriesOf(keyring, codexHome)).toEqual([
      apiKeyItem(codexHome, "default", KEYS.s3),
      apiKeyItem(codexHome, "work", KEYS.w3),
    ]);
    expectNoSecretInFiles(home, ALL_KEYS);
    const all = await cli(["status", "--all"], { home, env });
    expect(all).toMatchObject({
      code: 0,
      stdout: `* default  API key sk-…SW03 (${KEYRING})\n  work     API key sk-…WS03 (${KEYRING})\n`,
      stderr: "",
    });
    expect((await cli(["logout", "--all"], { home, env })).code).toBe(0);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
  });

  test("profiles: each has its own entry and its own key on the wire; logout --profile removes only its entry", async () => {
    const api = await startProvider();
    const original = `cli_auth_credentials_store = "keyring"\n${providerToml(api)}`;
    const { home, codexHome, configFile } = withConfig(original);
    const env = keyring.env;
    const work = await login(home, KEYS.pWork, env, "work");
    expect(work).toMatchObject({ code: 0, stdout: loggedIn(KEYS.pWork, KEYRING, "work"), stderr: "" });
    const def = await login(home, KEYS.pDefault, env);
    expect(def).toMatchObject({ code: 0, stdout: loggedIn(KEYS.pDefault, KEYRING), stderr: "" });
    expect(readFileSync(configFile, "utf8")).toBe(
      `cli_auth_credentials_store = "keyring"\nmodel_provider = "x"\nauth_storage = "keyring"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${api.baseUrl}"\n`,
    );
    expect(readFileSync(join(codexHome, "work.config.toml"), "utf8")).toBe(keyringNote("work"));
    expect(await entriesOf(keyring, codexHome)).toEqual([
      apiKeyItem(codexHome, "default", KEYS.pDefault),
      apiKeyItem(codexHome, "work", KEYS.pWork),
    ]);

    const runs: Array<{ args: string[]; env?: Record<string, string>; key: string }> = [
      { args: ["run", "--profile", "work", "hi"], key: KEYS.pWork },
      { args: ["run", "hi"], key: KEYS.pDefault },
      { args: ["run", "hi"], env: { CODEX_PROFILE: "work" }, key: KEYS.pWork },
      { args: ["run", "--profile", "default", "hi"], env: { CODEX_PROFILE: "work" }, key: KEYS.pDefault },
    ];
    for (const [i, { args, env: extra, key }] of runs.entries()) {
      api.reply(sse(responsesEvents([`reply ${i}`])));
      const r = await cli(args, { home, env: { ...env, ...extra } });
      expect(r).toMatchObject({ code: 0, stdout: `reply ${i}\n`, stderr: "" });
      expect(bearer(api, i)).toBe(key);
    }

    const st = await cli(["status", "--profile", "work"], { home, env });
    expect(st).toMatchObject({
      code: 0,
      stdout: `Logged in using an API key: sk-…PWRK\n  Source: ${KEYRING}\n  Profile: work (selected by --profile)\n  Provider: Local (${api.baseUrl}, responses API)\n`,
      stderr: "",
    });

    const out = await cli(["logout", "--profile", "work"], { home, env });
    expect(out).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  work: Removed from ${KEYRING}\n`,
      stderr: "",
    });
    expect(await entriesOf(keyring, codexHome)).toEqual([apiKeyItem(codexHome, "default", KEYS.pDefault)]);
    expect(readFileSync(configFile, "utf8")).toBe(
      `cli_auth_credentials_store = "keyring"\nmodel_provider = "x"\nauth_storage = "keyring"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${api.baseUrl}"\n`,
    );
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    api.reply(sse(responsesEvents(["still default"])));
    const r = await cli(["run", "hi"], { home, env });
    expect(r).toMatchObject({ code: 0, stdout: "still default\n" });
    expect(bearer(api, runs.length)).toBe(KEYS.pDefault);
    expect((await cli(["logout"], { home, env })).code).toBe(0);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
  });

  test("codex 0.1.0's [profiles.work] keyring note: status reads the entry; login moves the note to work.config.toml, logout removes both", async () => {
    const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "keyring"\n');
    const env = keyring.env;
    // What codex 0.1.0 left: the entry, and its note in a table of config.toml.
    await keyring.store(entryOf(codexHome, "work"), JSON.stringify({ token: KEYS.legacyOld }));
    writeFileSync(configFile, 'cli_auth_credentials_store = "keyring"\n\n[profiles.work]\nauth_storage = "keyring"\n');
    const st = await cli(["status", "--profile", "work"], { home, env });
    expect(st.code).toBe(0);
    expect(st.stdout).toBe(
      `Logged in using an API key: sk-…LOLD\n  Source: ${KEYRING}\n  Profile: work (selected by --profile)\n`,
    );

    expect((await login(home, KEYS.legacyNew, env, "work")).code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(readFileSync(join(codexHome, "work.config.toml"), "utf8")).toBe(keyringNote("work"));
    expect((await entriesOf(keyring, codexHome)).map((e) => e.secret)).toEqual([
      JSON.stringify({ token: KEYS.legacyNew }),
    ]);

    // And logging out of one that was never moved removes the entry and the table's note.
    writeFileSync(configFile, 'cli_auth_credentials_store = "keyring"\n\n[profiles.work]\nauth_storage = "keyring"\n');
    rmSync(join(codexHome, "work.config.toml"));
    const out = await cli(["logout", "--profile", "work"], { home, env });
    expect(out).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  work: Removed from ${KEYRING}\n`,
      stderr: "",
    });
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(readdirSync(codexHome)).toEqual(["config.toml"]);
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
  });

  test("logout --all removes every entry of this CODEX_HOME (one whose note was deleted by hand too) and no other", async () => {
    const a = withConfig('cli_auth_credentials_store = "keyring"\n');
    const b = withConfig('cli_auth_credentials_store = "keyring"\n');
    const env = keyring.env;
    for (const [home, key, profile] of [
      [a.home, KEYS.aDefault, undefined],
      [a.home, KEYS.aWork, "work"],
      [a.home, KEYS.aPersonal, "personal"],
      [b.home, KEYS.bDefault, undefined],
      [b.home, KEYS.bWork, "work"],
    ] as const) {
      expect((await login(home, key, env, profile)).code).toBe(0);
    }
    // The personal profile's file deleted by hand; a profile codex 0.1.0 kept in config.toml; an unrelated item.
    const personalFile = join(a.codexHome, "personal.config.toml");
    expect(readFileSync(personalFile, "utf8")).toBe(keyringNote("personal"));
    rmSync(personalFile);
    writeFileSync(
      a.configFile,
      `${readFileSync(a.configFile, "utf8")}\n[profiles.legacy]\nauth_token = "${KEYS.aLegacy}"\n`,
    );
    await keyring.store({ service: "not-codex", username: `default@${a.codexHome}` }, "unrelated");
    expect(await entriesOf(keyring, a.codexHome)).toHaveLength(3);

    const out = await cli(["logout", "--all"], { home: a.home, env });
    expect(out).toMatchObject({
      code: 0,
      stdout: [
        "✅ Logged out successfully",
        `  default: Removed from ${KEYRING}`,
        `  work: Removed from ${KEYRING}`,
        `  legacy: Removed from ${a.configFile}`,
        `  personal: Removed from ${KEYRING}`,
        "",
      ].join("\n"),
      stderr: "",
    });
    expect(readFileSync(a.configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(readdirSync(a.codexHome)).toEqual(["config.toml"]);
    expect(await entriesOf(keyring, a.codexHome)).toEqual([]);
    expectNoSecretInFiles(a.home, ALL_KEYS);
    // The other CODEX_HOME's entries and the other service's item are untouched.
    expect(await entriesOf(keyring, b.codexHome)).toEqual([
      apiKeyItem(b.codexHome, "default", KEYS.bDefault),
      apiKeyItem(b.codexHome, "work", KEYS.bWork),
    ]);
    expect(await keyring.lookup({ service: "not-codex", username: `default@${a.codexHome}` })).toBe("unrelated");
    const st = await cli(["status", "--all"], { home: b.home, env });
    expect(st.stdout).toBe(`* default  API key sk-…BDEF (${KEYRING})\n  work     API key sk-…BWRK (${KEYRING})\n`);

    const again = await cli(["logout", "--all"], { home: a.home, env });
    expect(again).toMatchObject({ code: 0, stdout: "No credential stored by codex; nothing to remove.\n", stderr: "" });
    expect((await cli(["logout", "--all"], { home: b.home, env })).code).toBe(0);
    expect(await entriesOf(keyring, b.codexHome)).toEqual([]);
    await keyring.clear({ service: "not-codex" });
  });

  test("two CODEX_HOMEs logging in at the same time never share or clobber an entry", async () => {
    const a = withConfig('cli_auth_credentials_store = "keyring"\n');
    const b = withConfig('cli_auth_credentials_store = "keyring"\n');
    const env = keyring.env;
    const both = await Promise.all([
      login(a.home, KEYS.twoA, env).then(async (r) => [r, await login(a.home, KEYS.twoAW, env, "work")]),
      login(b.home, KEYS.twoB, env).then(async (r) => [r, await login(b.home, KEYS.twoBW, env, "work")]),
    ]);
    for (const r of both.flat()) expect(r.code, r.stderr).toBe(0);
    expect(await entriesOf(keyring, a.codexHome)).toEqual([
      apiKeyItem(a.codexHome, "default", KEYS.twoA),
      apiKeyItem(a.codexHome, "work", KEYS.twoAW),
    ]);
    expect(await entriesOf(keyring, b.codexHome)).toEqual([
      apiKeyItem(b.codexHome, "default", KEYS.twoB),
      apiKeyItem(b.codexHome, "work", KEYS.twoBW),
    ]);
    const [sa, sb] = await Promise.all([
      cli(["status", "--all"], { home: a.home, env }),
      cli(["status", "--all"], { home: b.home, env }),
    ]);
    expect(sa.stdout).toBe(`* default  API key sk-…TWOA (${KEYRING})\n  work     API key sk-…TAWK (${KEYRING})\n`);
    expect(sb.stdout).toBe(`* default  API key sk-…TWOB (${KEYRING})\n  work     API key sk-…TBWK (${KEYRING})\n`);
    const out = await cli(["logout"], { home: a.home, env });
    expect(out.stdout).toBe(`✅ Logged out successfully\n  Removed from ${KEYRING}\n`);
    expect(await entriesOf(keyring, a.codexHome)).toEqual([apiKeyItem(a.codexHome, "work", KEYS.twoAW)]);
    expect(await entriesOf(keyring, b.codexHome)).toHaveLength(2);
    await Promise.all([
      cli(["logout", "--all"], { home: a.home, env }),
      cli(["logout", "--all"], { home: b.home, env }),
    ]);
    expect(await entriesOf(keyring, a.codexHome)).toEqual([]);
    expect(await entriesOf(keyring, b.codexHome)).toEqual([]);
  });

  describe("OAuth", () => {
    const DEVICE_URL = /open this page on any device:\n\n {2}(\S+)\n/;
    const USER_CODE = /enter the code: (\S+)/;

    /** An API reply that asks the authorization server about the bearer token first: 401 when it is not active. */
    const checked =
      (oauth: OAuthServer, text: string): Script =>
      async (req, res) => {
        const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
        if (!(await oauth.introspect(token)).active) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "invalid token" } }));
          return;
        }
        await sse(responsesEvents([text]))(req, res);
      };

    interface Session {
      token: string;
      oauth: { issuer: string; clientId: string; refreshToken: string; expiresAt: string; account: string };
    }

    /** The session in the profile's entry (its tokens remembered as secrets). */
    async function sessionIn(keyring: Keyring, codexHome: string, profile: string): Promise<Session> {
      const items = await keyring.search(entryOf(codexHome, profile));
      expect(items).toHaveLength(1);
      const [found] = items as [KeyringItem];
      expect(found.label).toBe(`keyring:${profile}@${codexHome}@codex`);
      const session = JSON.parse(found.secret as string) as Session;
      seenTokens.add(session.token);
      seenTokens.add(session.oauth.refreshToken);
      return session;
    }

    test("browser and device sign-in store the session in the keyring; renewal rewrites the entry; logout revokes and removes it", async () => {
      // A 30 s access token: every run renews it first (codex renews within a minute of expiry).
      const server = await startOAuthServer({ accessTokenTtl: 30 });
      const api = await startProvider();
      const original = `cli_auth_credentials_store = "keyring"\nmodel = "o3"\n\n${await oauthConfig(server)}`;
      const { home, codexHome, configFile } = withConfig(original);
      const env = { ...keyring.env, OPENAI_BASE_URL: api.baseUrl };
      const host = new URL(server.issuer).host;
      const outputs: RunResult[] = [];

      const signIn = await browserLogin(home, { env, login: "alice" });
      outputs.push(signIn);
      expect(signIn.code, signIn.stderr).toBe(0);
      expect(signIn.stdout).toMatch(
        new RegExp(
          `^✅ Logged in as alice@example\\.com with ${host} \\(OAuth\\), stored in system keyring \\(Secret Service\\)\\n  The access token expires in \\d+ s; codex renews it automatically\\.\\n$`,
        ),
      );
      const afterLogin = original.replace('model = "o3"\n', 'model = "o3"\nauth_storage = "keyring"\n');
      expect(readFileSync(configFile, "utf8")).toBe(afterLogin);
      const first = await sessionIn(keyring, codexHome, "default");
      expect(first).toEqual({
        token: expect.stringMatching(/^\S{20,}$/),
        oauth: {
          issuer: server.issuer,
          clientId: server.clientId,
          refreshToken: expect.stringMatching(/^\S{20,}$/),
          expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          account: "alice@example.com",
          subject: "alice",
        },
      });
      expect(Math.abs(Date.parse(first.oauth.expiresAt) - (Date.now() + 30_000))).toBeLessThan(5_000);
      expect((await server.introspect(first.token)).active).toBe(true);

      // The device flow, for a profile.
      const device = startCli(["login", "--device-auth", "--profile", "work"], { home, env });
      const [, verification] = await device.waitFor(DEVICE_URL);
      const [, code] = await device.waitFor(USER_CODE);
      await approveDevice(verification as string, code as string, { login: "dana" });
      const deviceResult = await device.result;
      outputs.push(deviceResult);
      expect(deviceResult.code, deviceResult.stderr).toBe(0);
      expect(deviceResult.stdout).toMatch(
        new RegExp(
          `^✅ Logged in as dana@example\\.com with ${host} \\(OAuth\\), stored in system keyring \\(Secret Service\\) \\(profile work\\)\\n`,
        ),
      );
      const work = await sessionIn(keyring, codexHome, "work");
      expect(work.oauth).toMatchObject({ issuer: server.issuer, account: "dana@example.com" });
      expect(readFileSync(configFile, "utf8")).toBe(afterLogin);
      const workFile = join(codexHome, "work.config.toml");
      expect(readFileSync(workFile, "utf8")).toBe(keyringNote("work"));
      const afterBoth = readFileSync(configFile, "utf8");

      // From here on the tokens go to and from the keyring: never on a command line.
      const watch = watchArgv(5);
      let argv: string[] = [];
      let renewed = first;
      let workRenewed = work;
      try {
        // A run renews the default session first: the entry gets both new tokens, the file is not touched.
        api.reply(checked(server, "renewed"));
        const run = await cli(["run", "hi"], { home, env });
        expect(run).toMatchObject({ code: 0, stdout: "renewed\n", stderr: "" });
        expect(server.counts()).toMatchObject({ refresh: 1, refreshFailed: 0 });
        renewed = await sessionIn(keyring, codexHome, "default");
        expect(renewed.token).not.toBe(first.token);
        expect(renewed.oauth.refreshToken).not.toBe(first.oauth.refreshToken);
        expect(renewed.oauth).toMatchObject({ issuer: server.issuer, account: "alice@example.com" });
        expect(bearer(api, 0)).toBe(renewed.token);
        expect(readFileSync(configFile, "utf8")).toBe(afterBoth);
        // The work profile's entry was not touched by the default account's renewal.
        expect(await sessionIn(keyring, codexHome, "work")).toEqual(work);
        expect(readFileSync(workFile, "utf8")).toBe(keyringNote("work"));

        api.reply(checked(server, "work renewed"));
        const runWork = await cli(["run", "--profile", "work", "hi"], { home, env });
        expect(runWork).toMatchObject({ code: 0, stdout: "work renewed\n", stderr: "" });
        workRenewed = await sessionIn(keyring, codexHome, "work");
        expect(workRenewed.token).not.toBe(work.token);
        expect(bearer(api, 1)).toBe(workRenewed.token);

        const st = await cli(["status"], { home, env });
        expect(st.code).toBe(0);
        expect(st.stdout).toMatch(
          new RegExp(
            `^Logged in with OAuth as alice@example\\.com: …${renewed.token.slice(-4)}\\n  Issuer: ${server.issuer}\\n  Access token: expires in \\d+ s \\(renewed automatically\\)\\n  Source: system keyring \\(Secret Service\\)\\n`,
          ),
        );

        const out = await cli(["logout"], { home, env });
        expect(out).toMatchObject({
          code: 0,
          stdout: `✅ Logged out successfully\n  Removed from ${KEYRING}\n  Session revoked at ${server.issuer}\n`,
          stderr: "",
        });
        const outWork = await cli(["logout", "--profile", "work"], { home, env });
        expect(outWork).toMatchObject({
          code: 0,
          stdout: `✅ Logged out successfully\n  work: Removed from ${KEYRING}\n  work: Session revoked at ${server.issuer}\n`,
          stderr: "",
        });
      } finally {
        argv = watch.stop();
      }
      expect(argv.filter((a) => a.includes(HELPER))).toEqual([]);
      for (const a of argv) for (const t of seenTokens) expect(a).not.toContain(t);
      expect(await entriesOf(keyring, codexHome)).toEqual([]);
      expect(readFileSync(configFile, "utf8")).toBe(original);
      expect(readdirSync(codexHome)).toEqual(["config.toml"]);
      for (const token of [renewed.token, workRenewed.token]) {
        expect((await server.introspect(token)).active).toBe(false);
      }
      for (const refresh of [renewed.oauth.refreshToken, workRenewed.oauth.refreshToken]) {
        expect((await server.tryRefresh(refresh)).body.error).toBe("invalid_grant");
      }
      for (const r of [...outputs, ...allResults]) expectNoSecret(r, ...seenTokens);
      expectNoSecretInFiles(home, [...seenTokens]);
    });
  });
});

describe("a locked keyring", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  test("reads and writes fail at once with the reason; login saves nothing, logout keeps the note; all works again once unlocked", async () => {
    const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "keyring"\n');
    const auto = withConfig('cli_auth_credentials_store = "auto"\n');
    const env = keyring.env;
    expect((await login(home, KEYS.locked1, env)).code).toBe(0);
    expect((await login(auto.home, KEYS.lockedAuto, env)).code).toBe(0);
    const stored = readFileSync(configFile, "utf8");
    expect(stored).toBe('cli_auth_credentials_store = "keyring"\nauth_storage = "keyring"\n');
    await keyring.lock();
    try {
      const why = /the system keyring \(Secret Service\) is not available: [^\n]*unlock[^\n]*/;
      const st = await cli(["status"], { home, env });
      expect(st.code).toBe(1);
      expect(st.stdout).toMatch(new RegExp(`^Not logged in: ${why.source}\\n$`));
      expect(st.stderr).toBe("");
      expect(st.ms).toBeLessThan(2_500);
      const reason = (st.stdout.match(why) as RegExpMatchArray)[0];
      // Through the helper process (the native module), as on macOS and Windows: refused too, in its words.
      const viaHelper = await cli(["status"], { home, env: keyring.helperEnv });
      expect(viaHelper.code).toBe(1);
      expect(viaHelper.stdout).toMatch(
        /^Not logged in: the system keyring \(Secret Service\) is not available: [^\n]+\n$/,
      );
      expect(viaHelper.stderr).toBe("");

      const run = await cli(["run", "hi"], { home, env });
      expect(run).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}\n` });

      const again = await login(home, KEYS.locked2, env);
      expect(again).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}; ${NOTHING_SAVED}\n` });
      expect(again.ms).toBeLessThan(2_500);
      expect(readFileSync(configFile, "utf8")).toBe(stored);

      const out = await cli(["logout"], { home, env });
      expect(out).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `error: the keyring entry default@${codexHome} was not removed: ${reason}\n`,
      });
      expect(readFileSync(configFile, "utf8")).toBe(stored);

      // "auto": the new key goes to the file, with a warning for the keyring and one for the entry left there.
      const fallback = await login(auto.home, KEYS.locked3, env);
      expect(fallback).toMatchObject({
        code: 0,
        stdout: loggedIn(KEYS.locked3, auto.configFile),
        stderr: `warning: ${reason}; storing the credential in ${auto.configFile} instead\nwarning: the credential stored in the keyring before may remain there (entry default@${realpathSync(auto.codexHome)}); \`codex logout\` removes it once the keyring answers\n`,
      });
      expect(readFileSync(auto.configFile, "utf8")).toBe(
        `cli_auth_credentials_store = "auto"\nauth_storage = "keyring"\nauth_token = "${KEYS.locked3}"\n`,
      );
      expect(await keyring.isLocked()).toBe(true);
    } finally {
      await keyring.unlock();
    }
    // Nothing changed in the keyring while it was locked.
    expect(await entriesOf(keyring, codexHome)).toEqual([apiKeyItem(codexHome, "default", KEYS.locked1)]);
    expect(await entriesOf(keyring, auto.codexHome)).toEqual([apiKeyItem(auto.codexHome, "default", KEYS.lockedAuto)]);
    const st = await cli(["status"], { home, env });
    expect(st).toMatchObject({ code: 0, stdout: `Logged in using an API key: sk-…LCK1\n  Source: ${KEYRING}\n` });
    // The notes kept made the next logouts find and remove what was left.
    const out = await cli(["logout"], { home, env });
    expect(out).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  Removed from ${KEYRING}\n`,
      stderr: "",
    });
    const outAuto = await cli(["logout"], { home: auto.home, env });
    expect(outAuto).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  Removed from ${auto.configFile}\n  Removed from ${KEYRING}\n`,
      stderr: "",
    });
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(readFileSync(auto.configFile, "utf8")).toBe('cli_auth_credentials_store = "auto"\n');
    expect(await entriesOf(keyring, codexHome)).toEqual([]);
    expect(await entriesOf(keyring, auto.codexHome)).toEqual([]);
  });
});

describe("no D-Bus session bus", () => {
  test("nothing waits: keyring login fails and saves nothing, auto falls back with one warning, a keyring account's status/run/logout say why", async () => {
    const env = withoutBus();
    const reason = `the system keyring (Secret Service) is not available: ${NO_BUS}`;
    const k = withConfig('cli_auth_credentials_store = "keyring"\n');
    const a = withConfig('cli_auth_credentials_store = "auto"\n');
    // An account stored in the keyring (as a login there leaves config.toml).
    const stored = 'cli_auth_credentials_store = "keyring"\nauth_storage = "keyring"\n';
    const s = withConfig(stored);
    const [loginK, loginA, st, run, out, outAll] = await Promise.all([
      login(k.home, KEYS.noBus, env),
      login(a.home, KEYS.noBus, env),
      cli(["status"], { home: s.home, env }),
      cli(["run", "hi"], { home: s.home, env }),
      cli(["logout"], { home: s.home, env }),
      cli(["status", "--all"], { home: s.home, env }),
    ]);
    expect(loginK).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}; ${NOTHING_SAVED}\n` });
    expect(readFileSync(k.configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(loginA).toMatchObject({
      code: 0,
      stdout: loggedIn(KEYS.noBus, a.configFile),
      stderr: `warning: ${reason}; storing the credential in ${a.configFile} instead\n`,
    });
    expect(readFileSync(a.configFile, "utf8")).toBe(
      `cli_auth_credentials_store = "auto"\nauth_token = "${KEYS.noBus}"\n`,
    );
    expect(st).toMatchObject({ code: 1, stdout: `Not logged in: ${reason}\n`, stderr: "" });
    expect(run).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}\n` });
    expect(out).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `error: the keyring entry default@${s.codexHome} was not removed: ${reason}\n`,
    });
    expect(outAll).toMatchObject({ code: 1, stdout: `* default  not available: ${reason}\n`, stderr: "" });
    // The note stays, so a logout with the keyring back retries.
    expect(readFileSync(s.configFile, "utf8")).toBe(stored);
    for (const r of [loginK, loginA, st, run, out, outAll]) expect(r.ms).toBeLessThan(2_000);
    const fileStatus = await cli(["status"], { home: a.home, env });
    expect(fileStatus).toMatchObject({
      code: 0,
      stdout: `Logged in using an API key: sk-…NOBS\n  Source: ${a.configFile}\n`,
    });
  });
});

describe("a bus that never answers", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  test("every command gives up after the 3 s limit, once per command, with a clear message; the notes let a later logout finish", async () => {
    const env = keyring.env;
    const k = withConfig('cli_auth_credentials_store = "keyring"\n');
    const a = withConfig('cli_auth_credentials_store = "auto"\n');
    const s = withConfig('cli_auth_credentials_store = "keyring"\n');
    const l = withConfig('cli_auth_credentials_store = "keyring"\n');
    const all = withConfig('cli_auth_credentials_store = "keyring"\n');
    // Accounts stored in the real keyring first.
    for (const [home, key, profile] of [
      [s.home, KEYS.hungStored, undefined],
      [l.home, KEYS.hungLogout, undefined],
      [all.home, KEYS.hungAllD, undefined],
      [all.home, KEYS.hungAllW, "work"],
    ] as const) {
      expect((await login(home, key, env, profile)).code).toBe(0);
    }
    const noted = 'cli_auth_credentials_store = "keyring"\nauth_storage = "keyring"\n';
    const allWork = join(all.codexHome, "work.config.toml");
    expect(readFileSync(all.configFile, "utf8")).toBe(noted);
    expect(readFileSync(allWork, "utf8")).toBe(keyringNote("work"));

    const bus = await startHungBus();
    const hung = { DBUS_SESSION_BUS_ADDRESS: bus.address };
    // The same silence at an address with no unix socket: the helper process (the native module) waits there.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const hungTcp = { DBUS_SESSION_BUS_ADDRESS: `tcp:host=127.0.0.1,port=${(silent.address() as AddressInfo).port}` };
    const reason = `the system keyring (Secret Service) is not available: ${LIMIT}`;
    let results: Array<RunResult & { ms: number }>;
    try {
      results = await Promise.all([
        login(k.home, KEYS.hung, hung),
        login(a.home, KEYS.hungAuto, hung),
        cli(["status"], { home: s.home, env: hung }),
        cli(["run", "hi"], { home: s.home, env: hung }),
        cli(["logout"], { home: l.home, env: hung }),
        cli(["logout", "--all"], { home: all.home, env: hung }),
        cli(["status", "--all"], { home: all.home, env: hung }),
        cli(["status"], { home: s.home, env: hungTcp }),
      ]);
      // Each command reached the bus (and hung there) rather than failing some other way.
      expect(bus.connections()).toBeGreaterThanOrEqual(results.length - 1);
      expect(await helpersLeft(bus.address)).toEqual([]);
    } finally {
      await bus.close();
      silent.close();
    }
    const [loginK, loginA, st, run, out, outAll, stAll, stHelper] = results;
    expect(stHelper).toMatchObject({ code: 1, stdout: `Not logged in: ${reason}\n`, stderr: "" });
    expect(await helpersLeft(hungTcp.DBUS_SESSION_BUS_ADDRESS)).toEqual([]);
    for (const r of results) {
      expect(r.ms).toBeGreaterThan(2_500);
      expect(r.ms).toBeLessThan(6_000);
    }
    expect(loginK).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}; ${NOTHING_SAVED}\n` });
    expect(readFileSync(k.configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    expect(loginA).toMatchObject({
      code: 0,
      stdout: loggedIn(KEYS.hungAuto, a.configFile),
      stderr: `warning: ${reason}; storing the credential in ${a.configFile} instead\n`,
    });
    expect(readFileSync(a.configFile, "utf8")).toBe(
      `cli_auth_credentials_store = "auto"\nauth_token = "${KEYS.hungAuto}"\n`,
    );
    expect(st).toMatchObject({ code: 1, stdout: `Not logged in: ${reason}\n`, stderr: "" });
    expect(run).toMatchObject({ code: 1, stdout: "", stderr: `error: ${reason}\n` });
    expect(out).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `error: the keyring entry default@${l.codexHome} was not removed: ${reason}\n`,
    });
    expect(readFileSync(l.configFile, "utf8")).toBe(noted);
    // --all: one 3 s wait for the whole command, then each account named.
    expect(outAll?.code).toBe(1);
    expect(outAll?.stdout).toBe("");
    const lines = (outAll?.stderr ?? "").split("\n");
    expect(lines.at(-1)).toBe("");
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^error: .*did not answer within 3 s/);
    expect(outAll?.stderr).toContain(`error: the keyring entry default@${all.codexHome} was not removed: ${reason}\n`);
    expect(outAll?.stderr).toContain(
      `error: profile work: the keyring entry work@${all.codexHome} was not removed: ${reason}\n`,
    );
    expect(readFileSync(all.configFile, "utf8")).toBe(noted);
    expect(readFileSync(allWork, "utf8")).toBe(keyringNote("work"));
    expect(stAll).toMatchObject({
      code: 1,
      stdout: `* default  not available: ${reason}\n  work     not available: ${reason}\n`,
      stderr: "",
    });
    // No lock or temp file left behind by a command that waited on the keyring with the config locked.
    for (const x of [k, a, s, l]) expect(readdirSync(x.codexHome)).toEqual(["config.toml"]);
    expect(readdirSync(all.codexHome).sort()).toEqual(["config.toml", "work.config.toml"]);

    // Nothing was lost: the entries are still there, and logouts with the keyring back remove them.
    expect(await entriesOf(keyring, k.codexHome)).toEqual([]);
    expect(await entriesOf(keyring, a.codexHome)).toEqual([]);
    expect(await entriesOf(keyring, l.codexHome)).toEqual([apiKeyItem(l.codexHome, "default", KEYS.hungLogout)]);
    const retry = await cli(["logout"], { home: l.home, env });
    expect(retry).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  Removed from ${KEYRING}\n`,
      stderr: "",
    });
    const retryAll = await cli(["logout", "--all"], { home: all.home, env });
    expect(retryAll).toMatchObject({
      code: 0,
      stdout: `✅ Logged out successfully\n  default: Removed from ${KEYRING}\n  work: Removed from ${KEYRING}\n`,
      stderr: "",
    });
    expect(await cli(["logout"], { home: s.home, env })).toMatchObject({ code: 0 });
    for (const x of [l, all, s]) {
      expect(readFileSync(x.configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
      expect(readdirSync(x.codexHome)).toEqual(["config.toml"]);
      expect(await entriesOf(keyring, x.codexHome)).toEqual([]);
    }
  });
});

describe("edge cases", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(() => keyring.close());

  test("auth_storage says keyring but the entry is gone: status says so (exit 1), run exits 4, logout removes the note", async () => {
    const { home, codexHome, configFile } = withConfig('cli_auth_credentials_store = "keyring"\n');
    expect((await login(home, KEYS.edgeGone, keyring.env)).code).toBe(0);
    await keyring.clear(entryOf(realpathSync(codexHome)));
    const st = await cli(["status"], { home, env: keyring.env });
    expect(st.stdout).toBe(
      `Not logged in: config.toml says this account's credential is in the system keyring (auth_storage = "keyring"), but its entry default@${realpathSync(codexHome)} is missing or unreadable\n`,
    );
    expect(st.code).toBe(1);
    const run = await cli(["run", "hi"], { home, env: keyring.env });
    expect(run.code).toBe(4);
    const out = await cli(["logout"], { home, env: keyring.env });
    expect(out.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
  });

  test("a CODEX_HOME reached through a symlink is one entry, whichever path is used", async () => {
    const { home, codexHome } = withConfig('cli_auth_credentials_store = "keyring"\n');
    const link = join(home, "link-to-codex");
    symlinkSync(codexHome, link);
    const viaLink = { ...keyring.env, CODEX_HOME: link };
    expect((await login(home, KEYS.edgeLink, viaLink)).code).toBe(0);
    expect(await entriesOf(keyring, realpathSync(codexHome))).toEqual([
      apiKeyItem(realpathSync(codexHome), "default", KEYS.edgeLink),
    ]);
    const st = await cli(["status"], { home, env: keyring.env });
    expect(st.stdout).toBe(`Logged in using an API key: sk-…${KEYS.edgeLink.slice(-4)}\n  Source: ${KEYRING}\n`);
    const out = await cli(["logout"], { home, env: viaLink });
    expect(out.stdout).toBe(`✅ Logged out successfully\n  Removed from ${KEYRING}\n`);
    expect(await entriesOf(keyring, realpathSync(codexHome))).toEqual([]);
  });

  test("without the native keyring module (an install where it has no prebuilt binary): the Secret Service still answers on a unix socket; where the helper is needed, keyring errors and auto falls back", async () => {
    // The package as installed, minus node_modules: the keyring helper cannot load @napi-rs/keyring.
    const pkg = removeAfterTest(tempDir("codex-nomodule-"));
    cpSync(dirname(CLI), join(pkg, "dist"), { recursive: true });
    const cliPath = join(pkg, "dist", "cli.cjs");
    // The fixture's bus is a unix socket: codex speaks D-Bus itself and needs no native module.
    const direct = withConfig('cli_auth_credentials_store = "keyring"\n');
    const d = await run(process.execPath, [cliPath, "login", "--with-api-key"], {
      env: cleanEnv(direct.home, keyring.env),
      input: KEYS.edgeModule,
    });
    expect(d).toMatchObject({ code: 0, stdout: loggedIn(KEYS.edgeModule, KEYRING), stderr: "" });
    expect(await entriesOf(keyring, direct.codexHome)).toEqual([
      apiKeyItem(direct.codexHome, "default", KEYS.edgeModule),
    ]);
    expect((await run(process.execPath, [cliPath, "logout"], { env: cleanEnv(direct.home, keyring.env) })).code).toBe(
      0,
    );
    // An address with no unix socket (as on macOS and Windows, where there is no D-Bus) goes through the helper.
    const viaHelper = { DBUS_SESSION_BUS_ADDRESS: "tcp:host=127.0.0.1,port=9" };
    const reason =
      "the system keyring (Secret Service) is not available: the keyring module (@napi-rs/keyring) is not installed or does not load here: Cannot find module '@napi-rs/keyring'";
    const strict = withConfig('cli_auth_credentials_store = "keyring"\n');
    const r = await run(process.execPath, [cliPath, "login", "--with-api-key"], {
      env: cleanEnv(strict.home, viaHelper),
      input: KEYS.edgeModule,
    });
    expect(r.stderr).toBe(`error: ${reason}; ${NOTHING_SAVED}\n`);
    expect(r.code).toBe(1);
    expect(readFileSync(strict.configFile, "utf8")).toBe('cli_auth_credentials_store = "keyring"\n');
    const auto = withConfig('cli_auth_credentials_store = "auto"\n');
    const a = await run(process.execPath, [cliPath, "login", "--with-api-key"], {
      env: cleanEnv(auto.home, viaHelper),
      input: KEYS.edgeModule,
    });
    expect(a.stderr).toBe(`warning: ${reason}; storing the credential in ${auto.configFile} instead\n`);
    expect(a.code).toBe(0);
    expectNoSecret(d, KEYS.edgeModule);
    expectNoSecret(r, KEYS.edgeModule);
    expectNoSecret(a, KEYS.edgeModule);
  });
});
