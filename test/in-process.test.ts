/**
 * What running codex in process (src/cli.ts's `main`, test/support/in-process.ts) promises the tests that
 * use it: the same result as the built CLI in its own process, nothing read from this process (its env,
 * argv, stdio), nothing left behind in it (exit code, listeners), and no state from one run in the next.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { main } from "../src/cli.js";
import { systemKeyring } from "../src/credentials/keyring.js";
import { cleanEnv, codexHomeOf, runCli, testHome } from "./helpers.js";
import { needsProcess, runCliInProcess, testIO } from "./support/in-process.js";

const KEY = "sk-inproc-0123456789abcdefKEY1";

describe("the same result as the built CLI", () => {
  test.each([
    ["--version", ["--version"], undefined],
    ["help", ["--help"], undefined],
    ["status, logged out", ["status", "--json"], undefined],
    ["a usage error", ["stauts"], undefined],
    ["auth required", ["run", "hi"], undefined],
    ["login, from stdin", ["login", "--with-api-key"], `${KEY}\n`],
  ] as const)("%s", async (_name, args, input) => {
    const [spawned, inProcess] = await Promise.all(
      [runCli, runCliInProcess].map(async (runner) => {
        const home = testHome();
        const r = await runner([...args], { home, input });
        return { ...r, stdout: r.stdout.replaceAll(home, "HOME") };
      }),
    );
    expect(inProcess).toEqual(spawned);
  });

  test("login, status, logout in a row: the same outputs and the same file", async () => {
    const homes = [testHome(), testHome()];
    const steps = [["login", "--with-api-key"], ["status"], ["logout"], ["status"]];
    const results: unknown[][] = [[], []];
    for (const [i, runner] of [runCli, runCliInProcess].entries()) {
      const home = homes[i] as string;
      for (const args of steps) {
        const r = await runner(args, { home, input: `${KEY}\n` });
        results[i]?.push({ ...r, stdout: r.stdout.replaceAll(home, "HOME") });
        if (args[0] === "login") {
          const config = readFileSync(join(codexHomeOf(home), "config.toml"), "utf8");
          results[i]?.push(config);
        }
      }
    }
    expect(results[1]).toEqual(results[0]);
  });
});

describe("nothing read from this process, nothing left in it", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    process.exitCode = undefined;
  });

  test("the env given, not process.env; the exit code returned, process.exitCode untouched", async () => {
    process.env.OPENAI_API_KEY = KEY;
    process.env.CODEX_HOME = "/nonexistent";
    const listeners = process.listenerCount("SIGINT");
    const env = cleanEnv(testHome());
    const t = testIO(env);
    const code = await main(["status"], env, t.io);
    expect(code).toBe(1);
    expect(t.stdout()).toBe("Not logged in. Run `codex login` to sign in.\n");
    expect(t.stderr()).toBe("");
    expect(process.exitCode).toBeUndefined();
    expect(process.listenerCount("SIGINT")).toBe(listeners);
  });

  test("standard input is the io's: a key piped to one run is not seen by the next", async () => {
    const login = await runCliInProcess(["login", "--with-api-key"], { home: testHome(), input: `${KEY}\n` });
    expect(login.code).toBe(0);
    const home = testHome();
    const again = await runCliInProcess(["login", "--with-api-key"], { home });
    expect(again).toEqual(await runCli(["login", "--with-api-key"], { home }));
    expect(again.code).not.toBe(0);
  });
});

describe("no state from one run in the next", () => {
  test("the keyring (and its helper process) is per run: each run's env has its own", () => {
    const bus = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" };
    const one = { ...cleanEnv(testHome()), ...bus };
    const two = { ...cleanEnv(testHome()), ...bus };
    expect(systemKeyring(one)).toBe(systemKeyring(one));
    expect(systemKeyring(two)).not.toBe(systemKeyring(one));
  });
});

describe("what needs a process gets one", () => {
  test.each([
    [{ NODE_OPTIONS: "--require x" }, undefined, "NODE_OPTIONS"],
    [{ NODE_EXTRA_CA_CERTS: "/x.pem" }, undefined, "NODE_EXTRA_CA_CERTS"],
    [{ DBUS_SESSION_BUS_ADDRESS: "tcp:host=127.0.0.1,port=9" }, undefined, "the keyring's helper"],
    [{ DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" }, undefined, undefined],
    [{}, "/", "a cwd"],
    [{}, undefined, undefined],
  ])("%o, cwd %s: %s", (extra, cwd, why) => {
    expect(needsProcess(cleanEnv("/h", extra), cwd)).toBe(why);
  });
});
