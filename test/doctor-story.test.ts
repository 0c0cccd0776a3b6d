/**
 * `codex doctor` tells one story (issue #19, item 3). For each thing a newcomer's CODEX_HOME can hold in the
 * wrong place (a directory where config.toml should be, a file where CODEX_HOME should be, a link to
 * nothing, a file they may not read, a profile's file that is a directory), doctor names the real cause and
 * its fix, exactly, and no other check contradicts it (test/support/doctor-story.ts): not logged in is never
 * followed by a ✓ about the credential, a path that could not be read gets no ✓, and one cause is one
 * problem (an untrusted auth_command is reported once). `codex status`, `codex login` and `codex logout`
 * say the same of the same paths. The login hint names the selected provider's own variable.
 *
 * Everything runs with --offline (nothing is sent anywhere) and without a session bus.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  asRoot,
  codexHomeOf,
  expectNoSecret,
  homeWithConfig,
  NOBODY,
  type RunResult,
  removeAfterTest,
  runCliAs,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { expectOneStory } from "./support/doctor-story.js";
import { withoutBus } from "./support/keyring.js";

const KEY = "sk-story-test-0123456789abcdefKEY1";

interface Check {
  id: string;
  status: "ok" | "problem" | "warning" | "skipped";
  message: string;
  fix?: string;
}
type Id =
  | "config"
  | "settings"
  | "codex-cli"
  | "permissions"
  | "credential"
  | "places"
  | "environment"
  | "session"
  | "keyring"
  | "lock"
  | "proxy"
  | "ca"
  | "reach"
  | "provider";
interface Doctor {
  code: number | null;
  text: string;
  checks: Check[];
  /** The checks by id (the last, when an id has several). */
  by: Record<Id, Check>;
  /** The ids of the problems, in order. */
  problems: string[];
}

/** `codex doctor --offline` and `--json --offline` on the same home: the same checks, telling one story. */
async function doctor(
  home: string,
  opts: { args?: string[]; env?: Record<string, string | undefined>; user?: typeof NOBODY } = {},
): Promise<Doctor> {
  const env = withoutBus(opts.env);
  const args = ["doctor", "--offline", ...(opts.args ?? [])];
  const json = ["doctor", "--json", "--offline", ...(opts.args ?? [])];
  const run = (a: string[]): Promise<RunResult> =>
    opts.user === undefined ? runCliInProcess(a, { home, env }) : runCliAs(opts.user, a, { home, env });
  const [text, report] = [await run(args), await run(json)];
  for (const r of [text, report]) {
    expect(r.stderr, r.stderr).toBe("");
    expectNoSecret(r, KEY);
  }
  const checks = (JSON.parse(report.stdout) as { checks: Check[] }).checks;
  expect(text.code).toBe(report.code);
  expect(text.stdout).toBe(render(checks));
  expectOneStory(checks);
  return {
    code: report.code,
    text: text.stdout,
    checks,
    by: Object.fromEntries(checks.map((c) => [c.id, c])) as Record<Id, Check>,
    problems: checks.filter((c) => c.status === "problem").map((c) => c.id),
  };
}

function render(checks: Check[]): string {
  const marks = { ok: "✓", problem: "✗", warning: "!", skipped: "-" };
  const lines = checks.flatMap((c) => [`${marks[c.status]} ${c.message}`, ...(c.fix ? [`    fix: ${c.fix}`] : [])]);
  const n = checks.filter((c) => c.status === "problem").length;
  return `${[...lines, "", n === 0 ? "No problems found." : `${n} ${n === 1 ? "problem" : "problems"} found.`].join("\n")}\n`;
}

/** The problem line and its fix line, as the text shows them. */
function expectProblemLines(d: Doctor, message: string, fix: string): void {
  expect(d.text).toContain(`✗ ${message}\n    fix: ${fix}\n`);
}

/** A home whose CODEX_HOME (0700) holds nothing yet; removed after the test. */
function emptyCodexHome() {
  const made = homeWithConfig(undefined);
  removeAfterTest(made.home);
  return made;
}

describe("not logged in: one story", () => {
  test("no CODEX_HOME at all (a newcomer): not logged in is the one problem; nothing about the credential gets a ✓", async () => {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    const d = await doctor(home);
    expect(d.problems).toEqual(["credential"]);
    expect(d.code).toBe(1);
    expectProblemLines(d, "not logged in", "run `codex login` (or set OPENAI_API_KEY)");
    // Said neutrally right after: nothing stored, no variable set; not "✓ no credential stored".
    expect(d.text).toContain("\n- no credential stored\n- no API key variable set (CODEX_API_KEY or OPENAI_API_KEY)\n");
    expect(d.by.config).toEqual({
      id: "config",
      status: "ok",
      message: `no ${join(codexHome, "config.toml")} yet: codex uses its defaults`,
    });
    expect(d.by.permissions.message).toBe(`no ${codexHome} yet: codex creates it private to you (0700)`);
    expect(d.by.provider.status).toBe("skipped");
    expect(existsSync(codexHome)).toBe(false);
  });

  test("a config.toml without a credential: the same story", async () => {
    const { home } = withConfig('model = "o3"\n');
    const d = await doctor(home);
    expect(d.problems).toEqual(["credential"]);
    expect(d.by.places).toEqual({ id: "places", status: "skipped", message: "no credential stored" });
    expect(d.by.environment.status).toBe("skipped");
  });
});

describe("something in the wrong place: the real cause and its fix; no other check judges that path", () => {
  test("config.toml is a directory: remove or rename it (not 'make it readable'), and its mode is not judged", async () => {
    const { home, codexHome, configFile } = emptyCodexHome();
    mkdirSync(configFile, { mode: 0o755 });
    const d = await doctor(home);
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(d, `${configFile} is a directory, not a file`, `remove or rename ${configFile}`);
    expect(d.by.permissions).toEqual({
      id: "permissions",
      status: "ok",
      message: `${codexHome} and the files in it are private to you`,
    });
    expect(d.by.settings.message).toBe("settings not checked: config.toml did not load");
    expect(d.by.credential.message).toBe("credential not checked: config.toml did not load");
    expect(d.text).not.toMatch(/readable by you|can be read by/);
  });

  test("CODEX_HOME is a file: named as CODEX_HOME, and no check calls it private or looks for a lock in it", async () => {
    const home = testHome();
    const codexHome = codexHomeOf(home);
    writeFileSync(codexHome, "notes\n", { mode: 0o600 });
    const d = await doctor(home);
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `CODEX_HOME ${codexHome} is a file, not a directory`,
      `rename or remove ${codexHome} (codex creates the directory when you sign in), or set CODEX_HOME to a directory`,
    );
    expect(d.by.permissions).toEqual({
      id: "permissions",
      status: "skipped",
      message: `permissions not checked: ${codexHome} is not a directory`,
    });
    expect(d.by.lock).toEqual({
      id: "lock",
      status: "skipped",
      message: `lock not checked: ${codexHome} is not a directory`,
    });
    expect(d.text).not.toMatch(/private|readable by you/);
    expect(readFileSync(codexHome, "utf8")).toBe("notes\n");
  });

  test("CODEX_HOME below a file: the file in the way is named, and the fix is another CODEX_HOME", async () => {
    const home = testHome();
    const file = join(home, "notes");
    writeFileSync(file, "notes\n");
    const codexHome = join(file, "codex");
    const d = await doctor(home, { env: { CODEX_HOME: codexHome } });
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `CODEX_HOME ${codexHome} cannot be a directory: ${file} is a file, not a directory`,
      "set CODEX_HOME to a directory",
    );
    // Not "codex creates it private to you": it cannot.
    expect(d.by.permissions.status).toBe("skipped");
  });

  test("config.toml a symbolic link to a missing file: create the target, or remove the link", async () => {
    const { home, configFile } = emptyCodexHome();
    symlinkSync("../dotfiles/codex.toml", configFile);
    const d = await doctor(home);
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `${configFile} is a symbolic link to ../dotfiles/codex.toml, which does not exist`,
      `create ${join(home, "dotfiles", "codex.toml")} (an empty file will do), or remove the link ${configFile}`,
    );
  });

  test("config.toml a symbolic link to itself: replace the link", async () => {
    const { home, configFile } = emptyCodexHome();
    symlinkSync("config.toml", configFile);
    const d = await doctor(home);
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `${configFile} is a symbolic link that leads back to itself (too many symbolic links)`,
      `replace the link ${configFile} with a file, or with a link to one`,
    );
  });

  describe("a profile's file (work.config.toml) that is a directory", () => {
    function plant() {
      const made = withConfig(`auth_token = "${KEY}"\n`);
      const workFile = join(made.codexHome, "work.config.toml");
      mkdirSync(workFile, { mode: 0o755 });
      return { ...made, workFile };
    }

    test("--profile work: remove or rename it; the checks that need it say which file did not load", async () => {
      const { home, workFile } = plant();
      const d = await doctor(home, { args: ["--profile", "work"] });
      expect(d.problems).toEqual(["config"]);
      expectProblemLines(d, `${workFile} is a directory, not a file`, `remove or rename ${workFile}`);
      expect(d.by.settings.message).toBe("settings not checked: work.config.toml did not load");
      expect(d.by.credential.message).toBe("credential not checked: work.config.toml did not load");
    });

    test("without --profile: config.toml is fine, and the profile's file is reported with what it stops", async () => {
      const { home, configFile, workFile } = plant();
      const d = await doctor(home);
      expect(d.problems).toEqual(["config"]);
      expect(d.checks.filter((c) => c.id === "config")).toEqual([
        { id: "config", status: "ok", message: `${configFile} parses` },
        {
          id: "config",
          status: "problem",
          message: `${workFile} is a directory, not a file (\`codex --profile work\`, \`codex status --all\` and \`codex logout --all\` stop at it)`,
          fix: `remove or rename ${workFile}`,
        },
      ]);
      // Not counted as a profile file.
      expect(d.by["codex-cli"].message).toBe("nothing here that OpenAI's Codex CLI refuses");
      expect(d.by.credential.status).toBe("ok");
    });

    test.each([
      ["status", "--profile", "work"],
      ["status", "--all"],
      ["login", "--with-api-key", "--profile", "work"],
      ["logout", "--profile", "work"],
      ["logout", "--all"],
    ])("codex %s %s …: the same cause and fix, one line, exit 1", async (...args) => {
      const { home, workFile } = plant();
      const r = await runCliInProcess(args, { home, input: `${KEY}\n`, env: withoutBus() });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`error: ${workFile} is a directory, not a file; remove or rename it\n`);
      expectNoSecret(r, KEY);
    });
  });
});

describe.skipIf(!asRoot)("a config.toml the user may not read (run as nobody)", () => {
  /** CODEX_HOME owned by nobody (0700), in a HOME nobody can enter, holding a config.toml with a key. */
  function plant(owner: number, mode: number) {
    const made = withConfig(`auth_token = "${KEY}"\n`);
    chmodSync(made.home, 0o755);
    chownSync(made.codexHome, NOBODY.uid, NOBODY.gid);
    chownSync(made.configFile, owner, owner);
    chmodSync(made.configFile, mode);
    return made;
  }

  test("another user's (0600): the fix is to take it back, not to 'make it readable'; its owner is not reported twice", async () => {
    const { home, codexHome, configFile } = plant(0, 0o600);
    const d = await doctor(home, { user: NOBODY });
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `cannot read ${configFile}: permission denied`,
      `sudo chown nobody ${configFile} (it belongs to uid 0), or use a CODEX_HOME of your own`,
    );
    expect(d.by.permissions.message).toBe(`${codexHome} and the files in it are private to you`);
  });

  test("the user's own, mode 0000: chmod 600", async () => {
    const { home, configFile } = plant(NOBODY.uid, 0o000);
    const d = await doctor(home, { user: NOBODY });
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(d, `cannot read ${configFile}: permission denied`, `chmod 600 ${configFile}`);
  });

  test("behind a directory the user may not enter: that directory is named; no check says codex creates CODEX_HOME or looks for a lock in it", async () => {
    const home = testHome();
    chmodSync(home, 0o755);
    const locked = join(home, "locked");
    const codexHome = join(locked, "codex");
    mkdirSync(codexHome, { recursive: true, mode: 0o700 });
    chmodSync(locked, 0o700);
    chownSync(codexHome, NOBODY.uid, NOBODY.gid);
    const configFile = join(codexHome, "config.toml");
    const d = await doctor(home, { user: NOBODY, env: { CODEX_HOME: codexHome } });
    expect(d.problems).toEqual(["config"]);
    expectProblemLines(
      d,
      `cannot read ${configFile}: permission denied`,
      `use a CODEX_HOME of your own: you may not enter ${locked} (owner uid 0, mode 0700)`,
    );
    expect(d.by.permissions).toEqual({
      id: "permissions",
      status: "skipped",
      message: `permissions not checked: ${codexHome} cannot be reached`,
    });
    expect(d.by.lock).toEqual({
      id: "lock",
      status: "skipped",
      message: `lock not checked: ${codexHome} cannot be reached`,
    });
  });

  test("readable but another user's, with an auth_command: its owner reported once (the trust problem), its mode once", async () => {
    const { home, configFile } = plant(4242, 0o644);
    writeFileSync(configFile, 'auth_command = ["pass", "show", "openai"]\n');
    const d = await doctor(home, { user: NOBODY });
    expect(d.problems).toEqual(["permissions", "permissions"]);
    expect(d.checks.filter((c) => c.status === "problem")).toEqual([
      {
        id: "permissions",
        status: "problem",
        message: `${configFile} is owned by another user (uid 4242): codex will not run an auth_command it names or let it decide where your credential goes`,
        fix: `sudo chown nobody ${configFile}`,
      },
      {
        id: "permissions",
        status: "problem",
        message: `${configFile} can be read by other users (mode 0644, should be 0600)`,
        fix: `chmod 600 ${configFile} (codex also does this on its next write)`,
      },
    ]);
    expect(d.by.credential.status).toBe("skipped");
  });
});

describe("an auth_command in a config.toml others can write: reported once, where it belongs", () => {
  function plant() {
    const made = withConfig('auth_command = ["pass", "show", "openai"]\n');
    chmodSync(made.configFile, 0o666);
    return made;
  }

  test("doctor: one permissions problem whose one chmod fixes both who may write and who may read; the credential check points there", async () => {
    const { home, configFile } = plant();
    const d = await doctor(home);
    expect(d.problems).toEqual(["permissions"]);
    expectProblemLines(
      d,
      `${configFile} is writable by its group and others (mode 0666): codex will not run an auth_command it names or let it decide where your credential goes`,
      `chmod 600 ${configFile} (codex also does this on its next write)`,
    );
    expect(d.by.credential).toEqual({
      id: "credential",
      status: "skipped",
      message:
        "credential not read: codex does not run an auth_command named by a file others can change (see the permissions check)",
    });
    expect(d.text.match(/writable by/g)).toHaveLength(1);
  });

  test("status: said once, as why there is no credential (not also as a warning)", async () => {
    const { home, configFile } = plant();
    const r = await runCliInProcess(["status"], { home, env: withoutBus() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      `Not logged in: ${configFile} is writable by its group and others (mode 0666): codex will not run an auth_command it names; run \`chmod go-w ${configFile}\`\n`,
    );
    const json = JSON.parse((await runCliInProcess(["status", "--json"], { home, env: withoutBus() })).stdout) as {
      credential_error: string;
      warnings: string[];
    };
    expect(json.credential_error).toMatch(/is writable by its group and others/);
    expect(json.warnings).toEqual([]);
  });
});

describe("the login hint names the selected provider's own variable", () => {
  const provider = (extra: string) =>
    `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "http://127.0.0.1:9/v1"\n${extra}`;

  test("a provider with env_key: its variable, in the credential check's fix only; OPENAI_API_KEY not named", async () => {
    const { home } = withConfig(provider('env_key = "LOCAL_API_KEY"\n'));
    const d = await doctor(home);
    expect(d.problems).toEqual(["credential"]);
    expectProblemLines(
      d,
      "the provider `x` reads its key only from LOCAL_API_KEY, which is not set; no other credential is sent to it",
      "set LOCAL_API_KEY (`export LOCAL_API_KEY=…`), or choose another provider with model_provider in config.toml",
    );
    expect(d.by.environment).toEqual({
      id: "environment",
      status: "skipped",
      message: "LOCAL_API_KEY is not set (see the credential check)",
    });
    expect(d.text).not.toMatch(/OPENAI_API_KEY|CODEX_API_KEY/);
  });

  test("a provider that takes no key from the environment: `codex login`, no variable; OPENAI_API_KEY said not to be sent to it", async () => {
    const { home } = withConfig(provider(""));
    const d = await doctor(home, { env: { OPENAI_API_KEY: KEY } });
    expect(d.problems).toEqual(["credential"]);
    expectProblemLines(d, "not logged in", "run `codex login`");
    expect(d.by.environment).toEqual({
      id: "environment",
      status: "skipped",
      message:
        "provider `x` takes no key from the environment; OPENAI_API_KEY is set but not sent to it (OpenAI's keys go only to providers with requires_openai_auth = true)",
    });
  });

  test("a provider setting that names no provider: no variable is named, since the provider's own is unknown", async () => {
    const { home } = withConfig('model_provider = "nope"\n');
    const d = await doctor(home);
    expect(d.problems).toEqual(["settings", "credential"]);
    expectProblemLines(d, "not logged in", "run `codex login`");
    expect(d.by.environment).toEqual({ id: "environment", status: "skipped", message: "no API key variable set" });
  });
});
