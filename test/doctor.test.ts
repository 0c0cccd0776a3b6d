/**
 * `codex doctor`, end to end with the CLI: a healthy home says "No problems found." (exit 0), and a
 * home with one of the problems the command exists for planted — a config.toml that does not parse, modes
 * too open, a credential in two places, an environment variable hiding the stored one, an OAuth session
 * that has ended or is about to, a keyring that is needed and does not answer, a lock left by a dead
 * process, a provider that is down or rejects the key — gets exactly that check marked as a problem, with
 * its fix, in the text and in --json (exit 1). Not logged in at all is a problem with `codex login` as the
 * fix. doctor changes nothing in CODEX_HOME and never prints a secret.
 *
 * Everything is on 127.0.0.1: a local provider (./support/provider.ts) answering GET /v1/models, and for the
 * keyring cases a real gnome-keyring on a private D-Bus (./support/keyring.ts).
 */
import { chmodSync, lstatSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  deadPid,
  expectNoSecret,
  freePort,
  type PathState,
  pathState,
  sleeperProcess,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { expectOneStory } from "./support/doctor-story.js";
import { type Keyring, startKeyring, withoutBus } from "./support/keyring.js";
import { type FakeProvider, type Script, startProvider, status } from "./support/provider.js";

const KEY = "sk-doctor-test-0123456789abcdefKEY1";
const OTHER_KEY = "sk-doctor-test-0123456789abcdefKEY2";
const ENV_KEY = "sk-doctor-test-0123456789abcdefENV1";
const ACCESS = "doctor-oauth-access-0123456789abcdefACC1";
const REFRESH = "doctor-oauth-refresh-0123456789abcdefREF1";
const SECRETS = [KEY, OTHER_KEY, ENV_KEY, ACCESS, REFRESH];

/** Every check, in the order doctor runs them. */
const IDS = [
  "config",
  "settings",
  "codex-cli",
  "permissions",
  "credential",
  "places",
  "environment",
  "session",
  "keyring",
  "lock",
  "proxy",
  "ca",
  "reach",
  "provider",
] as const;
type Id = (typeof IDS)[number];

interface Check {
  id: Id;
  status: "ok" | "problem" | "skipped";
  message: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  problems: number;
  checks: Check[];
}
interface Doctor {
  code: number | null;
  /** The text output (standard output of `codex doctor`). */
  text: string;
  report: Report;
  /** The checks of the --json run, by id. */
  by: Record<Id, Check>;
}

/** A live process on this host that is not the CLI: a lock holder still at work. */
const sleeper = sleeperProcess();

/** GET /v1/models answered as OpenAI does. */
const models: Script = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ object: "list", data: [] }));
};

/** A local provider answering every request (up to a dozen) with the models list. */
async function healthyProvider(): Promise<FakeProvider> {
  const server = await startProvider();
  server.reply(...Array<Script>(12).fill(models));
  return server;
}

/**
 * Provider `x` at `baseUrl`. It takes OpenAI's credentials (`requires_openai_auth`), so OPENAI_API_KEY and
 * CODEX_API_KEY reach it as they reach OpenAI; other providers never get them (security-routing.test.ts).
 */
const providerToml = (baseUrl: string, extra = "") =>
  `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${baseUrl}"\nrequires_openai_auth = true\n${extra}`;

/** The healthy home: KEY stored in config.toml (0600, in a 0700 CODEX_HOME), provider `x` at `baseUrl`. */
function healthyConfig(baseUrl: string, opts: { top?: string; provider?: string } = {}): string {
  return `${opts.top ?? ""}auth_token = "${KEY}"\n${providerToml(baseUrl, opts.provider)}`;
}

const OAUTH = (fields: string) =>
  `\n[oauth_session]\nissuer = "http://127.0.0.1:9"\nclient_id = "app_doctor"\n${fields}`;

/** An OAuth session stored in config.toml (in the [oauth_session] table, as sign-in writes it). */
function oauthConfig(baseUrl: string, sessionFields: string): string {
  return `auth_token = "${ACCESS}"\n${providerToml(baseUrl)}${OAUTH(sessionFields)}`;
}

/** Runs `codex doctor ARGS` and `codex doctor --json ARGS` on the same home, checking what every run must hold. */
async function doctor(
  home: string,
  opts: { args?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<Doctor> {
  // No session bus unless a test gives one: a developer's own keyring must not answer.
  const env = { ...withoutBus(), ...opts.env };
  const args = opts.args ?? [];
  const text = await runCliInProcess(["doctor", ...args], { home, env });
  const json = await runCliInProcess(["doctor", "--json", ...args], { home, env });
  for (const r of [text, json]) {
    expectNoSecret(r, ...SECRETS);
    expect(r.stderr, r.stderr).toBe("");
    expect(r.signal).toBeNull();
  }
  const report = JSON.parse(json.stdout) as Report;
  expect(report.checks.map((c) => c.id)).toEqual(IDS);
  expect(text.code).toBe(json.code);
  expect(json.code).toBe(report.ok ? 0 : 1);
  expect(report.problems).toBe(report.checks.filter((c) => c.status === "problem").length);
  expect(report.ok).toBe(report.problems === 0);
  for (const c of report.checks) {
    expect(["ok", "problem", "skipped"]).toContain(c.status);
    expect(c.message).not.toBe("");
    // A fix for every problem, and only for problems.
    if (c.status === "problem") expect(c.fix).toMatch(/\S/);
    else expect(c.fix).toBeUndefined();
  }
  // The text is the same checks, one line each (✓ ok, ✗ problem, - skipped), each problem followed by its fix.
  // (Ages and times in the messages may tick between the two runs, so numbers are not compared here.)
  expect(digitless(text.stdout)).toBe(digitless(render(report)));
  // And the checks tell one story (no ✓ about a credential that is not in use, no fix asked for twice).
  expectOneStory(report.checks);
  const by = Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<Id, Check>;
  return { code: json.code, text: text.stdout, report, by };
}

/** Every run of digits as "N". */
const digitless = (text: string) => text.replace(/\d+/g, "N");

function render(report: Report): string {
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${c.status === "ok" ? "✓" : c.status === "problem" ? "✗" : "-"} ${c.message}`);
    if (c.fix !== undefined) lines.push(`    fix: ${c.fix}`);
  }
  const n = report.problems;
  lines.push("", n === 0 ? "No problems found." : `${n} ${n === 1 ? "problem" : "problems"} found.`);
  return `${lines.join("\n")}\n`;
}

/** Exit 1, and exactly these checks are problems (each marked ✗ with its fix in the text). */
function expectProblems(d: Doctor, ids: Id[]): void {
  const problems = d.report.checks.filter((c) => c.status === "problem").map((c) => c.id);
  expect(problems, JSON.stringify(d.report.checks, null, 1)).toEqual(ids);
  expect(d.code).toBe(1);
  expect(d.report.ok).toBe(false);
  expect(d.report.problems).toBe(ids.length);
  for (const id of ids) {
    const c = d.by[id];
    expect(digitless(d.text)).toContain(digitless(`✗ ${c.message}\n    fix: ${c.fix}\n`));
  }
}

/** Exit 0, "No problems found.", every check ok or skipped. */
function expectHealthy(d: Doctor): void {
  expect(
    d.report.checks.filter((c) => c.status === "problem"),
    d.text,
  ).toEqual([]);
  expect(d.code).toBe(0);
  expect(d.report).toMatchObject({ ok: true, problems: 0 });
  expect(d.text).toMatch(/\n\nNo problems found\.\n$/);
}

/** A home as a test planted it. */
interface Planted {
  home: string;
  codexHome: string;
  configFile: string;
  server: FakeProvider;
  env?: Record<string, string | undefined>;
  args?: string[];
}

/** The healthy home, from `healthyConfig`, with a provider that accepts KEY. */
async function healthy(opts: { top?: string; provider?: string } = {}): Promise<Planted> {
  const server = await healthyProvider();
  return { ...withConfig(healthyConfig(server.baseUrl, opts)), server };
}

describe("a healthy home", () => {
  test("logged in with `codex login --with-api-key` (key on stdin): exit 0, 'No problems found.', --json ok with every check ok or skipped", async () => {
    const server = await healthyProvider();
    const { home, codexHome, configFile } = withConfig(providerToml(server.baseUrl));
    const login = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n`, env: withoutBus() });
    expect(login.code, login.stderr).toBe(0);
    expectNoSecret(login, KEY);

    const d = await doctor(home);
    expectHealthy(d);
    expect(d.report.checks.map((c) => [c.id, c.status])).toEqual([
      ["config", "ok"],
      ["settings", "ok"],
      ["codex-cli", "ok"],
      ["permissions", "ok"],
      ["credential", "ok"],
      ["places", "ok"],
      ["environment", "ok"],
      ["session", "skipped"], // no OAuth session
      ["keyring", "skipped"], // no keyring here, and nothing needs it
      ["lock", "ok"],
      ["proxy", "ok"], // no proxy variable
      ["ca", "ok"], // no CA variable
      ["reach", "skipped"], // the provider is on this machine: the provider check asks it
      ["provider", "ok"],
    ]);
    expect(d.by.config.message).toBe(`${configFile} parses`);
    expect(d.by.permissions.message).toBe(`${codexHome} and the files in it are private to you`);
    expect(d.by.credential.message).toBe(`an API key (sk-…KEY1) from ${configFile}`);
    expect(d.by.places.message).toBe(`credential found in one place: ${configFile}`);
    expect(d.by.provider.message).toBe(`127.0.0.1:${server.port} accepts the credential (/v1/models)`);
    // One GET /v1/models per run, with the stored key.
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
      `GET /v1/models Bearer ${KEY}`,
      `GET /v1/models Bearer ${KEY}`,
    ]);
  });

  test("--offline: the provider is not contacted (skipped), still exit 0", async () => {
    const p = await healthy();
    const d = await doctor(p.home, { args: ["--offline"] });
    expectHealthy(d);
    expect(d.by.provider).toEqual({ id: "provider", status: "skipped", message: "provider not contacted (--offline)" });
    expect(p.server.requests).toEqual([]);
  });
});

/** One problem planted in a healthy home. */
interface Case {
  name: string;
  plant(): Promise<Planted>;
  /** The checks that must be problems, in order. */
  problems: Id[];
  check(d: Doctor, p: Planted): void;
}

const CASES: Case[] = [
  {
    name: "config.toml does not parse",
    async plant() {
      const p = await healthy();
      // Line 3, column 7: the second `=`. The key is on line 1, and must not be quoted.
      writeFileSync(p.configFile, `auth_token = "${KEY}"\nmodel = "gpt-5"\nname = = "broken"\n`);
      return p;
    },
    problems: ["config"],
    check(d, p) {
      expect(d.by.config.message).toMatch(new RegExp(`^${reEscape(p.configFile)}:3:8: `));
      expect(d.by.config.fix).toBe(
        `correct ${p.configFile} at that line (codex will not change a file it cannot parse)`,
      );
      // What needs the file's contents is skipped, not crashed; what does not is still checked.
      expect(statuses(d)).toEqual({
        config: "problem",
        settings: "skipped",
        "codex-cli": "skipped",
        permissions: "ok",
        credential: "skipped",
        places: "skipped",
        // Still looked at, but no ✓: with no credential known to be in use, "codex uses what is stored" is
        // not known to be true.
        environment: "skipped",
        session: "skipped",
        keyring: "skipped",
        lock: "ok",
        // From the environment, not the file: still checked.
        proxy: "ok",
        ca: "ok",
        reach: "skipped",
        provider: "skipped",
      });
      expect(p.server.requests).toEqual([]);
    },
  },
  {
    name: "config.toml readable by other users (0644)",
    async plant() {
      const p = await healthy();
      chmodSync(p.configFile, 0o644);
      return p;
    },
    problems: ["permissions"],
    check(d, p) {
      expect(d.by.permissions.message).toBe(`${p.configFile} can be read by other users (mode 0644, should be 0600)`);
      expect(d.by.permissions.fix).toBe(`chmod 600 ${p.configFile} (codex also does this on its next write)`);
    },
  },
  {
    name: "config.toml readable by its group (0640)",
    async plant() {
      const p = await healthy();
      chmodSync(p.configFile, 0o640);
      return p;
    },
    problems: ["permissions"],
    check(d, p) {
      expect(d.by.permissions.message).toBe(`${p.configFile} can be read by its group (mode 0640, should be 0600)`);
    },
  },
  {
    name: "CODEX_HOME listable by other users (0755)",
    async plant() {
      const p = await healthy();
      chmodSync(p.codexHome, 0o755);
      return p;
    },
    problems: ["permissions"],
    check(d, p) {
      expect(d.by.permissions.message).toBe(`${p.codexHome} can be listed by other users (mode 0755, should be 0700)`);
      expect(d.by.permissions.fix).toBe(`chmod 700 ${p.codexHome}`);
    },
  },
  {
    name: "model_provider naming a provider config.toml does not define",
    async plant() {
      const p = await healthy();
      writeFileSync(p.configFile, `auth_token = "${KEY}"\nmodel_provider = "nope"\n`);
      return p;
    },
    problems: ["settings"],
    check(d, p) {
      expect(d.by.settings.message).toBe(
        `${p.configFile}: model_provider must be the id of a provider defined in the file: there is no [model_providers.nope] table`,
      );
      expect(d.by.settings.fix).toMatch(/^correct the setting/);
      // The credential is still found; without a provider there is nothing to ask.
      expect(d.by.credential.status).toBe("ok");
      expect(d.by.provider.message).toBe("provider not checked: its settings are broken");
      expect(p.server.requests).toEqual([]);
    },
  },
  {
    name: "a different key also in Codex's auth.json",
    async plant() {
      const p = await healthy();
      writeFileSync(join(p.codexHome, "auth.json"), JSON.stringify({ OPENAI_API_KEY: OTHER_KEY }), { mode: 0o600 });
      return p;
    },
    problems: ["places"],
    check(d, p) {
      const authJson = join(p.codexHome, "auth.json");
      expect(d.by.places.message).toBe(
        `a credential is found in 2 places: ${p.configFile}, ${authJson} (OpenAI's Codex CLI); codex uses ${p.configFile}`,
      );
      expect(d.by.places.fix).toMatch(/`codex logout --all` also auth\.json/);
      // The one it names is the one it uses.
      expect(p.server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    },
  },
  {
    name: "Codex's auth.json holding OAuth tokens beside the key",
    async plant() {
      const p = await healthy();
      const tokens = { access_token: ACCESS, refresh_token: REFRESH, id_token: null };
      writeFileSync(join(p.codexHome, "auth.json"), JSON.stringify({ OPENAI_API_KEY: null, tokens }), {
        mode: 0o600,
      });
      return p;
    },
    problems: ["places"],
    check(d, p) {
      expect(d.by.places.message).toMatch(/^a credential is found in 2 places: .*auth\.json \(OpenAI's Codex CLI\)/);
      expect(d.by.places.message).toMatch(new RegExp(`; codex uses ${reEscape(p.configFile)}$`));
    },
  },
  ...(["OPENAI_API_KEY", "CODEX_API_KEY"] as const).map(
    (variable): Case => ({
      name: `${variable} set while a key is stored`,
      async plant() {
        return { ...(await healthy()), env: { [variable]: ENV_KEY } };
      },
      problems: ["environment"],
      check(d, p) {
        expect(d.by.environment.message).toBe(
          `${variable} is set, so codex uses it and not the credential stored in ${p.configFile} (sk-…KEY1)`,
        );
        expect(d.by.environment.fix).toBe(
          `unset ${variable} to use the credential stored in ${p.configFile} (sk-…KEY1), or \`codex logout\` to remove what is stored`,
        );
        expect(d.by.credential.message).toBe(`an API key (sk-…ENV1) from the environment variable ${variable}`);
        // It is indeed the variable's key that goes to the provider.
        expect(p.server.requests[0]?.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
      },
    }),
  ),
  {
    name: "an OAuth access token that expired, with no refresh token",
    async plant() {
      const server = await healthyProvider();
      return { ...withConfig(oauthConfig(server.baseUrl, "expires_at = 2020-01-01T00:00:00.000Z\n")), server };
    },
    // One cause, one problem: the provider check is skipped (codex sends nothing with a token it knows
    // has expired), not reported a second time.
    problems: ["session"],
    check(d, p) {
      expect(d.by.session.message).toMatch(
        /^the OAuth access token expired \d+ days ago and there is no refresh token to renew it$/,
      );
      expect(d.by.session.fix).toBe("run `codex login` to sign in again");
      expect(d.by.provider).toMatchObject({ status: "skipped", message: /the OAuth session has ended$/ });
      expect(p.server.requests).toEqual([]);
    },
  },
  {
    name: "an OAuth session the server ended",
    async plant() {
      const server = await healthyProvider();
      const fields = `refresh_token = "${REFRESH}"\nended_at = 2025-01-01T00:00:00.000Z\n`;
      return { ...withConfig(oauthConfig(server.baseUrl, fields)), server };
    },
    // As above: the provider check is skipped, and the server is not contacted.
    problems: ["session"],
    check(d, p) {
      expect(d.by.session.message).toBe(
        "the OAuth session at http://127.0.0.1:9 has ended (the server no longer accepts it)",
      );
      expect(d.by.session.fix).toBe("run `codex login` to sign in again");
      expect(p.server.requests).toEqual([]);
    },
  },
  {
    name: "an OAuth access token expiring within 24 h, with no refresh token",
    async plant() {
      const server = await healthyProvider();
      const soon = new Date(Date.now() + 2.5 * 3_600_000).toISOString();
      return { ...withConfig(oauthConfig(server.baseUrl, `expires_at = ${soon}\n`)), server };
    },
    problems: ["session"],
    check(d, p) {
      expect(d.by.session.message).toMatch(
        /^the OAuth access token expires in 2 h (29|30) min and cannot be renewed \(no refresh token\)$/,
      );
      expect(d.by.session.fix).toBe("run `codex login` before then");
      // Still valid now: the provider accepts it.
      expect(d.by.provider.status).toBe("ok");
      expect(p.server.requests[0]?.headers.authorization).toBe(`Bearer ${ACCESS}`);
    },
  },
  {
    name: 'the keyring unreachable, and cli_auth_credentials_store = "keyring"',
    async plant() {
      const p = await healthy({ top: 'cli_auth_credentials_store = "keyring"\n' });
      return { ...p, env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(p.home, "no-such-bus")}` } };
    },
    // The key is in config.toml (stored before the setting changed), so the credential itself is fine.
    problems: ["keyring"],
    check(d) {
      expect(d.by.keyring.message).toMatch(
        /^the system keyring \(Secret Service\) is not available: .* \(and config\.toml says cli_auth_credentials_store = "keyring"\)$/,
      );
      expect(d.by.keyring.fix).toMatch(/start or unlock the keyring/);
      expect(d.by.credential.status).toBe("ok");
    },
  },
  {
    name: "the keyring unreachable, and the credential stored there",
    async plant() {
      const server = await healthyProvider();
      const made = withConfig(`auth_storage = "keyring"\n${providerToml(server.baseUrl)}`);
      return { ...made, server, env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(made.home, "no-such-bus")}` } };
    },
    // Two checks, one cause: the credential cannot be read because the keyring does not answer; the
    // credential check points at the keyring check, which says what to do.
    problems: ["credential", "keyring"],
    check(d, p) {
      expect(d.by.credential.message).toMatch(
        /^the credential could not be read: the system keyring \(Secret Service\) is not available: /,
      );
      expect(d.by.credential.fix).toMatch(/see the keyring check/);
      expect(d.by.keyring.message).toMatch(/\(and the credential is stored there\)$/);
      // Not "no credential stored": config.toml records it in the keyring, which cannot be looked in. And no
      // ✓ beside a credential that could not be read: said neutrally.
      expect(d.by.places).toEqual({
        id: "places",
        status: "skipped",
        message: "credential found in one place: the system keyring (as config.toml records; it does not answer)",
      });
      expect(d.by.provider.status).toBe("skipped");
      expect(p.server.requests).toEqual([]);
    },
  },
  {
    name: "a lock file left by a process that no longer runs",
    async plant() {
      const p = await healthy();
      // As codex makes it: a symbolic link whose target is the holder.
      const holder = { pid: await deadPid(), host: hostname(), id: "doctor-dead", since: Date.now() };
      symlinkSync(JSON.stringify(holder), `${p.configFile}.lock`);
      return p;
    },
    problems: ["lock"],
    check(d, p) {
      const lock = `${p.configFile}.lock`;
      expect(d.by.lock.message).toMatch(
        new RegExp(`^${reEscape(lock)} was left by process \\d+, which is no longer running$`),
      );
      expect(d.by.lock.fix).toBe(
        `nothing is blocked (the next codex takes it over), but you can remove it: rm ${lock}`,
      );
    },
  },
  {
    name: "a lock file ten minutes old, from another host",
    async plant() {
      const p = await healthy();
      const lock = `${p.configFile}.lock`;
      writeFileSync(lock, JSON.stringify({ pid: 4242, host: "elsewhere", id: "doctor-old", since: 0 }));
      const past = new Date(Date.now() - 600_000);
      utimesSync(lock, past, past);
      return p;
    },
    problems: ["lock"],
    check(d, p) {
      expect(d.by.lock.message).toMatch(
        new RegExp(`^${reEscape(p.configFile)}\\.lock was left by process 4242 on elsewhere, 60\\d s ago$`),
      );
    },
  },
  {
    name: "the provider unreachable (nothing listening)",
    async plant() {
      const port = await freePort();
      const p = await healthy();
      writeFileSync(p.configFile, healthyConfig(`http://127.0.0.1:${port}/v1`), { mode: 0o600 });
      return { ...p, args: [] };
    },
    problems: ["provider"],
    check(d) {
      const url = /base_url \((http:\/\/127\.0\.0\.1:(\d+)\/v1)\)/.exec(d.by.provider.fix ?? "");
      expect(url).not.toBeNull();
      expect(d.by.provider.message).toMatch(
        new RegExp(`^could not connect to 127\\.0\\.0\\.1:${url?.[2]}: connection refused`),
      );
      expect(d.by.provider.fix).toBe(`check your network and base_url (${url?.[1]})`);
      expect(d.by.provider.message).not.toMatch(/reject|invalid/i);
    },
  },
  {
    name: "the provider rejects the key (HTTP 401)",
    async plant() {
      const server = await startProvider();
      // OpenAI's 401 quotes the key it got; doctor must not print it whole.
      const reject = status(401, { error: { message: `Incorrect API key provided: ${KEY}.` } });
      server.reply(reject, reject);
      return { ...withConfig(healthyConfig(server.baseUrl)), server };
    },
    problems: ["provider"],
    check(d, p) {
      expect(d.by.provider.message).toMatch(new RegExp(`rejected by 127\\.0\\.0\\.1:${p.server.port} \\(HTTP 401`));
      expect(d.by.provider.fix).toBe("sign in again with `codex login`, or put a valid key where codex takes it from");
      expect(p.server.requests).toHaveLength(2);
    },
  },
];

function statuses(d: Doctor): Record<string, string> {
  return Object.fromEntries(d.report.checks.map((c) => [c.id, c.status]));
}

function reEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("one problem planted in a healthy home: doctor names it, exit 1", () => {
  test.each(CASES)("$name", async (c) => {
    const p = await c.plant();
    const d = await doctor(p.home, { env: p.env, args: p.args });
    expectProblems(d, c.problems);
    c.check(d, p);
  });
});

describe("not problems", () => {
  test("a lock held by a live process: reported as in use, not a problem", async () => {
    const p = await healthy();
    const lock = `${p.configFile}.lock`;
    symlinkSync(JSON.stringify({ pid: sleeper.pid, host: hostname(), id: "doctor-live", since: Date.now() }), lock);
    const d = await doctor(p.home);
    expectHealthy(d);
    expect(d.by.lock).toEqual({
      id: "lock",
      status: "ok",
      message: `${lock} is held by process ${sleeper.pid}, a codex updating config.toml now`,
    });
  });

  test("the provider down, with --offline: the provider is not asked, exit 0", async () => {
    const port = await freePort();
    const { home } = withConfig(healthyConfig(`http://127.0.0.1:${port}/v1`));
    const d = await doctor(home, { args: ["--offline"] });
    expectHealthy(d);
    expect(d.by.provider.status).toBe("skipped");
  });

  test("an OAuth session with a refresh token renews itself: ok", async () => {
    const server = await healthyProvider();
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const { home } = withConfig(oauthConfig(server.baseUrl, `refresh_token = "${REFRESH}"\nexpires_at = ${later}\n`));
    const d = await doctor(home);
    expectHealthy(d);
    expect(d.by.session.status).toBe("ok");
    expect(d.by.session.message).toMatch(/^the OAuth session at http:\/\/127\.0\.0\.1:9 renews itself/);
  });

  test("the provider's env_key set while a key is stored: the variable is its only credential, nothing hidden", async () => {
    // The stored key is never this provider's: unsetting the variable would not bring it into use.
    const p = await healthy({ provider: 'env_key = "LOCAL_API_KEY"\n' });
    const d = await doctor(p.home, { env: { LOCAL_API_KEY: ENV_KEY } });
    expectHealthy(d);
    expect(d.by.environment.message).toBe("LOCAL_API_KEY is set: provider `x` uses it, and no other credential");
    expect(p.server.requests[0]?.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
  });

  test("OPENAI_API_KEY set and nothing stored: the variable is the credential, nothing hidden", async () => {
    const server = await healthyProvider();
    const { home } = withConfig(providerToml(server.baseUrl));
    const d = await doctor(home, { env: { OPENAI_API_KEY: ENV_KEY } });
    expectHealthy(d);
    expect(d.by.environment.message).toBe("OPENAI_API_KEY is set: codex uses it");
  });
});

describe("not logged in", () => {
  test("no CODEX_HOME at all: a credential problem whose fix is `codex login`, exit 1; nothing else wrong", async () => {
    const home = testHome();
    const d = await doctor(home);
    expectProblems(d, ["credential"]);
    expect(d.by.credential).toEqual({
      id: "credential",
      status: "problem",
      message: "not logged in",
      fix: "run `codex login` (or set OPENAI_API_KEY)",
    });
    // Nothing to send to the provider (and so no request leaves this machine).
    expect(d.by.provider.message).toMatch(/not checked: no credential to check$/);
    expect(d.by.permissions.message).toMatch(/codex creates it private to you \(0700\)$/);
    expect(d.by.config.message).toMatch(/codex uses its defaults$/);
  });

  test("a config.toml without a credential; and --profile work names that profile in the fix", async () => {
    const server = await healthyProvider();
    const { home, codexHome } = withConfig(providerToml(server.baseUrl));
    writeFileSync(join(codexHome, "work.config.toml"), 'model = "gpt-5"\n', { mode: 0o600 });
    const d = await doctor(home);
    expectProblems(d, ["credential"]);
    expect(d.by.credential.fix).toBe("run `codex login` (or set OPENAI_API_KEY)");
    const w = await doctor(home, { args: ["--profile", "work"] });
    expectProblems(w, ["credential"]);
    expect(w.by.credential.fix).toBe("run `codex login --profile work` (or set OPENAI_API_KEY)");
    expect(server.requests).toEqual([]);
  });
});

describe("no secret is printed", () => {
  // doctor() checks every run of every test for all the secrets; these homes put them where a careless
  // message would quote them.
  test("a key in config.toml, another in auth.json, a third in OPENAI_API_KEY, and a 401 quoting the key sent", async () => {
    const server = await startProvider();
    const reject: Script = (req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }));
    };
    server.reply(reject, reject);
    const { home, codexHome } = withConfig(healthyConfig(server.baseUrl));
    writeFileSync(join(codexHome, "auth.json"), JSON.stringify({ OPENAI_API_KEY: OTHER_KEY }), { mode: 0o600 });
    const d = await doctor(home, { env: { OPENAI_API_KEY: ENV_KEY } });
    expectProblems(d, ["places", "environment", "provider"]);
    // Masked hints only.
    expect(d.by.credential.message).toContain("sk-…ENV1");
    expect(d.by.environment.message).toContain("sk-…KEY1");
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${ENV_KEY}`, `Bearer ${ENV_KEY}`]);
  });

  test("a config.toml that breaks on the line holding the key: the error names the place, not the text", async () => {
    const { home, configFile } = withConfig(`model = "gpt-5"\nauth_token = "${KEY}\nmodel_provider = "x"\n`);
    const d = await doctor(home);
    expectProblems(d, ["config"]);
    expect(d.by.config.message).toMatch(new RegExp(`^${reEscape(configFile)}:2:\\d+: `));
    expect(d.by.config.message).not.toContain("sk-doctor");
  });
});

/** Every path under `dir` (itself included, as "."), with its kind, mode, inode, mtime and bytes. */
function snapshot(dir: string): Record<string, PathState> {
  const out: Record<string, PathState> = {};
  const walk = (path: string, rel: string) => {
    out[rel] = pathState(path);
    if (lstatSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name), rel === "." ? name : `${rel}/${name}`);
    }
  };
  walk(dir, ".");
  return out;
}

describe("doctor changes nothing", () => {
  const homes: Array<{ name: string; plant(): Promise<Planted> }> = [
    { name: "a healthy home", plant: () => healthy() },
    ...CASES.filter((c) =>
      [
        "config.toml does not parse",
        "config.toml readable by other users (0644)",
        "CODEX_HOME listable by other users (0755)",
        "a different key also in Codex's auth.json",
        "an OAuth access token that expired, with no refresh token",
        "a lock file left by a process that no longer runs",
        "a lock file ten minutes old, from another host",
      ].includes(c.name),
    ),
  ];

  test.each(homes)("$name: every file and directory in CODEX_HOME as it was (bytes, mode, inode, mtime)", async (c) => {
    const p = await c.plant();
    // Old mtimes, so a rewrite within the same second would show.
    const past = new Date("2001-02-03T04:05:06Z");
    // (Not the lock, a symbolic link: its age is what the lock check judges. A rewrite would show in its inode.)
    for (const name of readdirSync(p.codexHome)) {
      const path = join(p.codexHome, name);
      if (!lstatSync(path).isSymbolicLink()) utimesSync(path, past, past);
    }
    utimesSync(p.codexHome, past, past);
    const before = snapshot(p.codexHome);
    await doctor(p.home, { env: p.env, args: p.args });
    await doctor(p.home, { env: p.env, args: [...(p.args ?? []), "--offline"] });
    const after = snapshot(p.codexHome);
    if (pathState(`${p.configFile}.lock`).kind !== "missing") {
      // With a lock file present, the lock check judges its age by the filesystem's clock, which it reads
      // off a probe file created beside the lock and removed at once (src/config/lock.ts, inspectLock):
      // CODEX_HOME's own mtime moves, while every entry in it stays as it was.
      expect(Object.keys(after)).toEqual(Object.keys(before));
      delete (before["."] as PathState).mtimeMs;
      delete (after["."] as PathState).mtimeMs;
    }
    expect(after).toEqual(before);
  });
});

describe("with a keyring that answers (gnome-keyring on a private D-Bus)", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  test("logged in to the keyring: healthy, the keyring answers; a copy also in config.toml is a places problem naming the one codex uses", async () => {
    const server = await healthyProvider();
    const { home, codexHome, configFile } = withConfig(
      `cli_auth_credentials_store = "keyring"\n${providerToml(server.baseUrl)}`,
    );
    const env = keyring.env;
    const login = await runCliInProcess(["login", "--with-api-key"], { home, env, input: `${OTHER_KEY}\n` });
    expect(login.code, login.stderr).toBe(0);
    expectNoSecret(login, OTHER_KEY);
    expect(await keyring.lookup({ service: "codex", username: `default@${codexHome}` })).toBe(
      JSON.stringify({ token: OTHER_KEY }),
    );

    const d = await doctor(home, { env });
    expectHealthy(d);
    expect(d.by.keyring).toEqual({
      id: "keyring",
      status: "ok",
      message: "the system keyring (Secret Service) answers",
    });
    expect(d.by.credential.message).toBe("an API key (sk-…KEY2) from the system keyring (Secret Service)");
    expect(d.by.places.message).toBe("credential found in one place: system keyring (Secret Service)");

    // A key left in config.toml too (say, written by hand): two places, and codex uses the file's.
    writeFileSync(configFile, `auth_token = "${KEY}"\n${readFileSync(configFile, "utf8")}`, { mode: 0o600 });
    const two = await doctor(home, { env });
    expectProblems(two, ["places"]);
    expect(two.by.places.message).toBe(
      `a credential is found in 2 places: ${configFile}, system keyring (Secret Service); codex uses ${configFile}`,
    );
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});
