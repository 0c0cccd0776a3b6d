/**
 * Files others control, or put in codex's way (issue #18, items 5, 6, 7, 10 and 11), through the CLI:
 *
 * - a config.toml (or CODEX_HOME) that someone else can change is never used to run an auth_command or to
 *   decide where a credential goes: status reports a stored key with a warning, everything that would run
 *   or send refuses with the path, the mode or owner, and the fix (run as `nobody`, so the owner and mode
 *   checks are real);
 * - only regular files are read or written: a FIFO does not hang status, /dev/zero does not eat memory, a
 *   link to a device is never replaced by a file holding the key;
 * - config files over 16 MiB are refused before reading, and a key just under that logs out (no recursion
 *   per character in the editor);
 * - two homes whose config.toml link to one file share one lock;
 * - logout says what it cannot remove: other hard links of config.toml, auth.json linked to a file that is
 *   not the user's, and removes auth.json's target when it is.
 *
 * The `nobody` cases and the device node need root (CI runs as root).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Config, refreshSession } from "../src/index.js";
import {
  asRoot,
  cleanEnv,
  CLI,
  codexHomeOf,
  expectNoSecret,
  NOBODY,
  pathState,
  run,
  runCli,
  runCliAs,
  testHome,
  withConfig,
} from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { startProvider } from "./support/provider.js";

const KEY = "sk-files-0123456789abcdefFILE";
/** A user that is neither nobody nor root (Debian's `daemon`). */
const OTHER_UID = 1;
const MiB = 1024 * 1024;

/**
 * A HOME whose CODEX_HOME belongs to nobody (mode `dir`), holding config.toml with `content`, owned by
 * `owner` with mode `mode`. HOME itself is root's and searchable, as /home is.
 */
function nobodysHome(content: string, file: { owner: number; mode: number }, dir = 0o700) {
  const home = testHome("codex-files-");
  chmodSync(home, 0o755);
  const codexHome = codexHomeOf(home);
  mkdirSync(codexHome);
  chownSync(codexHome, NOBODY.uid, NOBODY.gid);
  chmodSync(codexHome, dir);
  const configFile = join(codexHome, "config.toml");
  writeFileSync(configFile, content);
  chownSync(configFile, file.owner, file.owner);
  chmodSync(configFile, file.mode);
  return { home, codexHome, configFile };
}

/**
 * A HOME (root's, 0755) whose CODEX_HOME is HOME/.config/codex: .config is nobody's with mode `middle`,
 * codex nobody's 0700. config.toml is not made.
 */
function nestedHome(middle: number) {
  const home = testHome("codex-files-");
  chmodSync(home, 0o755);
  const config = join(home, ".config");
  const codexHome = join(config, "codex");
  mkdirSync(codexHome, { recursive: true });
  for (const dir of [config, codexHome]) chownSync(dir, NOBODY.uid, NOBODY.gid);
  chmodSync(config, middle);
  chmodSync(codexHome, 0o700);
  return { home, codexHome, configFile: join(codexHome, "config.toml") };
}

/** An auth_command that leaves a mark when it runs, and prints the key. */
function markingCommand(codexHome: string): { toml: string; mark: string } {
  const mark = join(codexHome, "ran");
  return { toml: `auth_command = ["/bin/sh", "-c", "touch ${mark}; echo ${KEY}"]\n`, mark };
}

const refusal = (path: string, is: string, refused: string, fix: string) =>
  `${path} ${is}: codex will not ${refused}; run \`${fix}\``;
const COMMAND = "run an auth_command it names";
const CREDENTIAL = "let it decide where your credential goes";
const EITHER = "run an auth_command it names or let it decide where your credential goes";

describe.skipIf(!asRoot)("a config.toml others can change is not trusted (run as nobody)", () => {
  test("status does not run an auth_command from a config.toml writable by others (0666): names path, mode, fix; exit 1", async () => {
    const { home, codexHome, configFile } = nobodysHome("", { owner: NOBODY.uid, mode: 0o666 });
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(configFile, toml);
    const r = await runCliAs(NOBODY, ["status"], { home });
    const is = "is writable by its group and others (mode 0666)";
    expect(r.stdout).toBe(`Not logged in: ${refusal(configFile, is, COMMAND, `chmod go-w ${configFile}`)}\n`);
    // Said once, as why there is no credential: not again as a warning.
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(existsSync(mark)).toBe(false);
    expectNoSecret(r, KEY);
  });

  test("run sends nothing to the base_url of a group-writable (0620) config.toml: exit 1, nothing sent", async () => {
    const server = await startProvider();
    const { home, configFile } = nobodysHome(
      `auth_token = "${KEY}"\nmodel_provider = "local"\n\n[model_providers.local]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
      { owner: NOBODY.uid, mode: 0o620 },
    );
    const r = await runCliAs(NOBODY, ["run", "hi"], { home });
    expect(r.stderr).toBe(
      `error: ${refusal(configFile, "is writable by its group (mode 0620)", CREDENTIAL, `chmod go-w ${configFile}`)}\n`,
    );
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
    expectNoSecret(r, KEY);
  });

  test("a config.toml owned by another user (not root): run refuses; status reports the key with a warning, exit 0", async () => {
    const server = await startProvider();
    const { home, configFile } = nobodysHome(
      `auth_token = "${KEY}"\nmodel_provider = "local"\n\n[model_providers.local]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
      { owner: OTHER_UID, mode: 0o644 },
    );
    const is = `is owned by another user (uid ${OTHER_UID})`;
    const fix = `sudo chown nobody ${configFile}`;
    const r = await runCliAs(NOBODY, ["run", "hi"], { home });
    expect(r.stderr).toBe(`error: ${refusal(configFile, is, CREDENTIAL, fix)}\n`);
    expect(r.code).toBe(1);
    expect(server.requests).toEqual([]);
    const status = await runCliAs(NOBODY, ["status"], { home });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("Logged in using an API key: sk-…FILE\n");
    expect(status.stderr.split("\n")[0]).toBe(`warning: ${refusal(configFile, is, EITHER, fix)}`);
    expectNoSecret(r, KEY);
    expectNoSecret(status, KEY);
  });

  test("a CODEX_HOME writable by others (0777) around a private config.toml: the auth_command is not run", async () => {
    const { home, codexHome, configFile } = nobodysHome("", { owner: NOBODY.uid, mode: 0o600 }, 0o777);
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(configFile, toml);
    const r = await runCliAs(NOBODY, ["status"], { home });
    const why = `${codexHome}, the directory holding config.toml, is writable by its group and others (mode 0777), so others can replace config.toml`;
    expect(r.stdout).toBe(`Not logged in: ${why}: codex will not ${COMMAND}; run \`chmod go-w ${codexHome}\`\n`);
    expect(r.code).toBe(1);
    expect(existsSync(mark)).toBe(false);
  });

  test("root's config.toml (0644) in nobody's private CODEX_HOME is trusted, as ssh trusts root: the command runs", async () => {
    const { home, codexHome, configFile } = nobodysHome("", { owner: 0, mode: 0o644 });
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(configFile, toml);
    const r = await runCliAs(NOBODY, ["status"], { home });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(mark)).toBe(true);
  });

  test("logout of a session in a config.toml writable by others: removed here, not revoked (nothing sent), says so, exit 1", async () => {
    const issuer = await startProvider();
    const origin = new URL(issuer.baseUrl).origin;
    const { home, configFile } = nobodysHome(
      `auth_token = "${KEY}"\n\n[oauth_session]\nissuer = "${origin}"\nclient_id = "app_files"\nrefresh_token = "rt-files-0123456789abcdef"\n`,
      { owner: NOBODY.uid, mode: 0o646 },
    );
    const r = await runCliAs(NOBODY, ["logout"], { home });
    expect(r.stdout).toBe(`Logged out, but not from every place:\n  Removed from ${configFile}\n`);
    expect(r.stderr).toBe(
      `error: the OAuth session was removed from this machine but not revoked at ${new URL(origin).host}: ${configFile} is writable by others (mode 0646), and codex does not send tokens where such a file says; they stay valid there until they expire; run \`chmod go-w ${configFile}\` so that codex trusts it again\n`,
    );
    expect(r.code).toBe(1);
    expect(issuer.requests).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe("\n");
    expectNoSecret(r, KEY, "rt-files-0123456789abcdef");
  });

  test("an OAuth sign-in with the [oauth] issuer of a config.toml writable by others: refused before anything is sent", async () => {
    const issuer = await startProvider();
    const { home, configFile } = nobodysHome(`[oauth]\nissuer = "${new URL(issuer.baseUrl).origin}"\n`, {
      owner: NOBODY.uid,
      mode: 0o666,
    });
    const r = await runCliAs(NOBODY, ["login", "--device-auth"], { home });
    const is = "is writable by its group and others (mode 0666)";
    expect(r.stderr).toBe(`error: ${refusal(configFile, is, CREDENTIAL, `chmod go-w ${configFile}`)}\n`);
    expect(r.code).toBe(1);
    expect(issuer.requests).toEqual([]);
  });

  test("doctor flags it as one permissions problem, whose chmod 600 also stops the group reading it, and does not contact the provider", async () => {
    const server = await startProvider();
    const { home, configFile } = nobodysHome(
      `auth_token = "${KEY}"\nmodel_provider = "local"\n\n[model_providers.local]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
      { owner: NOBODY.uid, mode: 0o660 },
    );
    const r = await runCliAs(NOBODY, ["doctor", "--json"], { home });
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout).checks as { id: string; status: string; message: string; fix?: string }[];
    expect(checks.filter((c) => c.status === "problem")).toEqual([
      {
        id: "permissions",
        status: "problem",
        message: `${configFile} is writable by its group (mode 0660): codex will not ${EITHER}`,
        fix: `chmod 600 ${configFile} (codex also does this on its next write)`,
      },
    ]);
    expect(checks.find((c) => c.id === "provider")?.status).toBe("skipped");
    expect(server.requests).toEqual([]);
    expectNoSecret(r, KEY);
  });

  test("login --with-api-key into a config.toml writable by others: saved 0600, with a warning to check its settings", async () => {
    const { home, configFile } = nobodysHome('model = "o3"\n', { owner: NOBODY.uid, mode: 0o666 });
    const r = await runCliAs(NOBODY, ["login", "--with-api-key"], { home, input: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `warning: before this sign-in, ${configFile} is writable by its group and others (mode 0666): someone else may have changed its settings; check base_url, auth_command and [oauth] in ${configFile} before you use codex, and keep it writable only by you\n`,
    );
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(configFile, "utf8")).toBe(`model = "o3"\nauth_token = "${KEY}"\n`);
    expectNoSecret(r, KEY);
  });

  // As ssh's safe_path(): whoever can write a directory on the way to config.toml can put another file there.
  test("a HOME writable by others (0777) around a private CODEX_HOME: the auth_command is not run, names HOME", async () => {
    const { home, codexHome, configFile } = nobodysHome("", { owner: NOBODY.uid, mode: 0o600 });
    chmodSync(home, 0o777);
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(configFile, toml);
    const r = await runCliAs(NOBODY, ["status"], { home });
    const why = `${home}, a directory above config.toml, is writable by its group and others (mode 0777), so others can replace config.toml`;
    expect(r.stdout).toBe(`Not logged in: ${why}: codex will not ${COMMAND}; run \`chmod go-w ${home}\`\n`);
    expect(r.code).toBe(1);
    expect(existsSync(mark)).toBe(false);
  });

  test("CODEX_HOME two levels down (HOME/.config/codex) with a group-writable HOME/.config: refused, names it", async () => {
    const { home, codexHome, configFile } = nestedHome(0o775);
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(configFile, toml);
    const r = await runCliAs(NOBODY, ["status"], { home, env: { CODEX_HOME: codexHome } });
    const middle = join(home, ".config");
    const why = `${middle}, a directory above config.toml, is writable by its group (mode 0775), so others can replace config.toml`;
    expect(r.stdout).toBe(`Not logged in: ${why}: codex will not ${COMMAND}; run \`chmod go-w ${middle}\`\n`);
    expect(r.code).toBe(1);
    expect(existsSync(mark)).toBe(false);
  });

  test("config.toml linked to a private file in a world-writable directory (1777: the sticky bit does not help): refused", async () => {
    const { home, codexHome, configFile } = nobodysHome("", { owner: NOBODY.uid, mode: 0o600 });
    const dots = join(home, "dots");
    mkdirSync(dots);
    chmodSync(dots, 0o1777);
    const target = join(dots, "config.toml");
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(target, toml);
    chownSync(target, NOBODY.uid, NOBODY.gid);
    chmodSync(target, 0o600);
    spawnSync("rm", [configFile]);
    symlinkSync(target, configFile);
    const r = await runCliAs(NOBODY, ["status"], { home });
    const why = `${dots}, the directory holding config.toml's target ${target}, is writable by its group and others (mode 1777), so others can replace config.toml`;
    expect(r.stdout).toBe(`Not logged in: ${why}: codex will not ${COMMAND}; run \`chmod go-w ${dots}\`\n`);
    expect(r.code).toBe(1);
    expect(existsSync(mark)).toBe(false);
  });

  // The control: nothing above HOME, nor above a link target outside HOME, is looked at (/tmp, holding
  // both here, is 1777).
  test("a private chain (HOME/.config/codex, config.toml linked to a private directory outside HOME): the command runs", async () => {
    const { home, codexHome, configFile } = nestedHome(0o755);
    const outside = testHome("codex-files-dots-");
    chownSync(outside, NOBODY.uid, NOBODY.gid);
    const target = join(outside, "config.toml");
    const { toml, mark } = markingCommand(codexHome);
    writeFileSync(target, toml);
    chownSync(target, NOBODY.uid, NOBODY.gid);
    chmodSync(target, 0o600);
    symlinkSync(target, configFile);
    expect(statSync(join(outside, "..")).mode & 0o7777).toBe(0o1777);
    const r = await runCliAs(NOBODY, ["status"], { home, env: { CODEX_HOME: codexHome } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(mark)).toBe(true);
  });
});

// The mode check needs no second user, so this one runs in-process, as whoever runs the tests.
test("the library: refreshSession() on a session in a config.toml writable by others sends nothing", async () => {
  const issuer = await startProvider();
  const { codexHome, configFile } = withConfig(
    `auth_token = "${KEY}"\n\n[oauth_session]\nissuer = "${new URL(issuer.baseUrl).origin}"\nclient_id = "app_files"\nrefresh_token = "rt-files-0123456789abcdef"\nexpires_at = 2001-01-01T00:00:00Z\n`,
  );
  chmodSync(configFile, 0o666);
  const config = await Config.load({ codexHome });
  await expect(refreshSession(config, { clock: () => new Date(), isStale: () => true })).rejects.toMatchObject({
    code: "UNTRUSTED_CONFIG",
    path: configFile,
  });
  expect(issuer.requests).toEqual([]);
  expect(readFileSync(configFile, "utf8")).toContain("rt-files-0123456789abcdef");
});

describe("only regular files", () => {
  test("a FIFO as config.toml: status does not wait for a writer; exit 1 naming it", async () => {
    const { home, configFile } = withConfig("");
    spawnSync("rm", [configFile]);
    expect(spawnSync("mkfifo", [configFile]).status).toBe(0);
    const r = await runCliInProcess(["status"], { home, timeoutMs: 5_000 });
    expect(r.signal).toBe(null);
    expect(r.stderr).toBe(
      `error: ${configFile} is a FIFO (named pipe), not a regular file; codex reads and writes config files only as regular files\n`,
    );
    expect(r.code).toBe(1);
  });

  test("a FIFO as OpenAI Codex's auth.json: status and logout --all do not wait for it, and leave it", async () => {
    const { home, codexHome } = withConfig(`auth_token = "${KEY}"\n`);
    const fifo = join(codexHome, "auth.json");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const status = await runCliInProcess(["status"], { home, timeoutMs: 5_000 });
    expect(status.signal).toBe(null);
    expect(status.code).toBe(0);
    expect(status.stderr).toBe("");
    const logout = await runCliInProcess(["logout", "--all"], { home, timeoutMs: 5_000 });
    expect(logout.code).toBe(0);
    expect(pathState(fifo).kind).toBe("other");
  });

  test("config.toml linked to /dev/zero: refused at once, no memory eaten (run under a 1.5 GB address-space limit)", async () => {
    const { home, configFile } = withConfig("");
    spawnSync("rm", [configFile]);
    symlinkSync("/dev/zero", configFile);
    const r = await run("prlimit", ["--as=1500000000", process.execPath, CLI, "status"], {
      env: cleanEnv(home),
      timeoutMs: 10_000,
    });
    expect(r.stderr).toBe(
      `error: ${configFile} is a symbolic link to /dev/zero, a character device, not a regular file; codex reads and writes config files only as regular files\n`,
    );
    expect(r.code).toBe(1);
  });

  // A device node of our own (the null device's numbers), never the system's /dev/null: the defect would
  // replace it with a file.
  test.skipIf(!asRoot)(
    "config.toml linked to a device: login --with-api-key refuses, the device stays a device, no key written",
    async () => {
      const { home, codexHome, configFile } = withConfig("");
      const devices = join(home, "dev");
      mkdirSync(devices);
      const node = join(devices, "null");
      expect(spawnSync("mknod", [node, "c", "1", "3"]).status).toBe(0);
      spawnSync("rm", [configFile]);
      symlinkSync(node, configFile);
      const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n` });
      expect(r.stderr).toBe(
        `error: ${configFile} is a symbolic link to ${node}, a character device, not a regular file; codex reads and writes config files only as regular files\n`,
      );
      expect(r.code).toBe(1);
      expect(statSync(node).isCharacterDevice()).toBe(true);
      expect(readdirSync(devices)).toEqual(["null"]);
      expect(readdirSync(codexHome)).toEqual(["config.toml"]);
      expectNoSecret(r, KEY);
    },
  );

  test("config.toml linked to a FIFO: login --with-api-key refuses at once and writes nothing", async () => {
    const { home, configFile } = withConfig("");
    const fifo = join(home, "pipe");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    spawnSync("rm", [configFile]);
    symlinkSync(fifo, configFile);
    const r = await runCliInProcess(["login", "--with-api-key"], { home, input: `${KEY}\n`, timeoutMs: 5_000 });
    expect(r.signal).toBe(null);
    expect(r.stderr).toContain(`error: ${configFile} is a symbolic link to ${fifo}, a FIFO (named pipe)`);
    expect(r.code).toBe(1);
    expect(pathState(fifo).kind).toBe("other");
  });
});

describe("size limits", () => {
  test("a config.toml over 16 MiB is refused before reading: exit 1, its size and the limit", async () => {
    const size = 16 * MiB + 1;
    const { home, configFile } = withConfig(`${"#".repeat(size - 1)}\n`);
    const r = await runCliInProcess(["status"], { home });
    expect(r.stderr).toBe(
      `error: ${configFile} is 16 MiB (${size} bytes); codex reads config files of up to 16 MiB, so it did not read it\n`,
    );
    expect(r.code).toBe(1);
  });

  // procfs says 0 bytes for a file that never ends: reading stops at the limit (under an address-space
  // limit, so that the defect shows as a crash rather than by eating the machine's memory).
  test.skipIf(!existsSync("/proc/self/pagemap"))(
    "config.toml linked to a file whose size lies (/proc/self/pagemap): reading stops past 16 MiB, exit 1",
    async () => {
      const { home, configFile } = withConfig("");
      spawnSync("rm", [configFile]);
      symlinkSync("/proc/self/pagemap", configFile);
      const r = await run("prlimit", ["--as=1500000000", process.execPath, CLI, "status"], {
        env: cleanEnv(home),
        timeoutMs: 10_000,
      });
      expect(r.stderr).toBe(
        `error: ${configFile} is over 16 MiB; codex reads config files of up to 16 MiB, so it did not read it\n`,
      );
      expect(r.code).toBe(1);
    },
  );

  // Each once overflowed V8's regular-expression backtracking stack in the editor's scanner
  // ("Maximum call stack size exceeded" on every logout).
  test.each([
    ["a key just under the limit", (n: number) => `auth_token = "${"k".repeat(n)}"\nmodel = "o3"\n`],
    ["a million comment lines", (n: number) => `auth_token = "${KEY}"\n${"#\n".repeat(n / 2)}model = "o3"\n`],
    [
      "escapes between plain characters",
      (n: number) => `auth_token = "${KEY}"\nx = "${"\\\\n".repeat(n / 3)}"\nmodel = "o3"\n`,
    ],
  ])("logout with %s (16 MiB less 64 bytes): exit 0, the credential gone", async (_, make) => {
    const text = make(16 * MiB - 64 - 60);
    expect(text.length).toBeLessThan(16 * MiB - 32);
    const { home, configFile } = withConfig(text);
    const r = await runCliInProcess(["logout"], { home, timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = readFileSync(configFile, "utf8");
    expect(after).not.toContain("auth_token");
    expect(after.endsWith('model = "o3"\n')).toBe(true);
  });

  // Its speed (once 9 s, from a backward search per line) is measured by `npm run bench`, not here.
  test("logout on a 1 MB config of 80,000 keys: exit 0, only the credential's line gone", async () => {
    const lines = [`auth_token = "${KEY}"`];
    for (let i = 0; lines.length < 80_000; i++) lines.push(`key_${i} = ${i}`);
    const { home, configFile } = withConfig(`${lines.join("\n")}\n`);
    const r = await runCliInProcess(["logout"], { home, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(readFileSync(configFile, "utf8")).toBe(`${lines.slice(1).join("\n")}\n`);
  });
});

describe("one lock per file", () => {
  test("two CODEX_HOMEs whose config.toml link to one file: concurrent writes to it lose no update (12 rounds)", async () => {
    const root = testHome("codex-files-");
    const shared = join(root, "shared.toml");
    const homes = ["a", "b"].map((name) => {
      const home = join(root, name);
      mkdirSync(codexHomeOf(home), { recursive: true, mode: 0o700 });
      symlinkSync(shared, join(codexHomeOf(home), "config.toml"));
      return home;
    });
    const lost: number[] = [];
    for (let round = 0; round < 12; round++) {
      // codex 0.1.0's profile tables, each with its key: each logout removes its key from the shared file.
      const names = [0, 1].flatMap((h) => [0, 1].map((i) => `p${round}_${h}_${i}`));
      writeFileSync(
        shared,
        `model = "o3"\n${names.map((n) => `\n[profiles.${n}]\nmodel = "o3"\nauth_token = "${KEY}"\n`).join("")}`,
        { mode: 0o600 },
      );
      const logouts = homes.flatMap((home, h) =>
        // Spawned: the lock is between processes.
        [0, 1].map((i) => runCli(["logout", "--profile", `p${round}_${h}_${i}`], { home })),
      );
      const results = await Promise.all(logouts);
      for (const r of results) expect(r.code).toBe(0);
      const text = readFileSync(shared, "utf8");
      // A lost update puts back a key another process had removed.
      if (text.includes(KEY) || names.some((n) => !text.includes(`[profiles.${n}]`))) lost.push(round);
    }
    expect(lost).toEqual([]);
  }, 60_000);
});

describe("logout says what it cannot remove", () => {
  test("config.toml with another hard link: the copy is named with how to find it; exit 1", async () => {
    const { home, configFile } = withConfig(`model = "o3"\nauth_token = "${KEY}"\n`);
    const copy = join(home, "backup.toml");
    linkSync(configFile, copy);
    const ino = statSync(configFile).ino;
    const r = await runCliInProcess(["logout"], { home });
    expect(r.stdout).toBe(`Logged out, but not from every place:\n  Removed from ${configFile}\n`);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: ${configFile} had 1 other hard link, which still holds the old file with the credential \\(codex replaced only this name\\); find it with \`find /\\S* -xdev -inum ${ino}\` and delete it\\n$`,
      ),
    );
    expect(r.code).toBe(1);
    expect(readFileSync(configFile, "utf8")).toBe('model = "o3"\n');
    expect(readFileSync(copy, "utf8")).toContain(KEY);
    expectNoSecret(r, KEY);
  });

  test("auth.json linked to a file of the user's own: logout --all deletes the file and the link", async () => {
    const { home, codexHome } = withConfig("");
    const target = join(home, "codex-auth.json");
    writeFileSync(target, JSON.stringify({ OPENAI_API_KEY: KEY }), { mode: 0o600 });
    const link = join(codexHome, "auth.json");
    symlinkSync(target, link);
    const r = await runCliInProcess(["logout", "--all"], { home });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      `✅ Logged out successfully\n  Removed ${link} (OpenAI's Codex CLI's sign-in)\n  Removed ${target}, the file it was a symbolic link to\n`,
    );
    expect(r.code).toBe(0);
    expect(pathState(target)).toEqual({ kind: "missing" });
    expect(pathState(link)).toEqual({ kind: "missing" });
  });

  test.skipIf(!asRoot)(
    "auth.json linked to another user's file: logout --all deletes neither, names the target; exit 1",
    async () => {
      const { home, codexHome } = withConfig("");
      const target = join(home, "theirs.json");
      writeFileSync(target, JSON.stringify({ OPENAI_API_KEY: KEY }), { mode: 0o600 });
      chownSync(target, NOBODY.uid, NOBODY.gid);
      const link = join(codexHome, "auth.json");
      symlinkSync(target, link);
      const r = await runCliInProcess(["logout", "--all"], { home });
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `error: ${link} is a symbolic link to ${target}, owned by another user (uid ${NOBODY.uid}): codex did not follow it to delete that file, so the credential in it remains; delete it yourself if it is yours to delete\n`,
      );
      expect(r.code).toBe(1);
      expect(readFileSync(target, "utf8")).toContain(KEY);
      expect(pathState(link).kind).toBe("symlink");
    },
  );
});
