/**
 * Self-test of the Secret Service fixture (./support/keyring.ts): a real gnome-keyring on a private session bus,
 * read and written with secret-tool and with the native @napi-rs/keyring module the CLI uses.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type Keyring,
  processGroupMembers,
  runCommand,
  startHungBus,
  startKeyring,
  withoutBus,
} from "./support/keyring.js";

const NAPI_KEYRING = createRequire(import.meta.url).resolve("@napi-rs/keyring");

/** Environment for a tool or child process: nothing from this machine's session but PATH. */
function toolEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LANG: "C.UTF-8", ...extra };
}

describe("startKeyring", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(() => keyring?.close());

  test("listens on a private bus in its temp dir, unlocked", async () => {
    expect(keyring.env.DBUS_SESSION_BUS_ADDRESS).toContain(`unix:path=${keyring.dir}/`);
    expect(await keyring.isLocked()).toBe(false);
  });

  test("store, then search and lookup find the secret with its attributes", async () => {
    await keyring.store({ service: "codex-selftest", username: "alice" }, "s3cret value", "Codex self-test");
    await keyring.store({ service: "codex-selftest", username: "bob" }, "line 1\nline 2");

    const items = await keyring.search({ service: "codex-selftest" });
    expect(items.sort((a, b) => a.label.localeCompare(b.label))).toEqual([
      {
        label: "Codex self-test",
        secret: "s3cret value",
        attributes: { service: "codex-selftest", username: "alice" },
      },
      {
        label: "codex test item",
        secret: "line 1\nline 2",
        attributes: { service: "codex-selftest", username: "bob" },
      },
    ]);
    expect(await keyring.lookup({ service: "codex-selftest", username: "alice" })).toBe("s3cret value");
    expect(await keyring.lookup({ service: "codex-selftest", username: "nobody" })).toBeNull();
  });

  test("clear removes the matching items", async () => {
    await keyring.store({ service: "codex-clear", username: "a" }, "x");
    await keyring.store({ service: "codex-clear", username: "b" }, "y");
    await keyring.clear({ service: "codex-clear", username: "a" });
    expect((await keyring.search({ service: "codex-clear" })).map((i) => i.attributes.username)).toEqual(["b"]);
    await keyring.clear({ service: "codex-clear" });
    expect(await keyring.search({ service: "codex-clear" })).toEqual([]);
    expect(await keyring.lookup({ service: "codex-clear" })).toBeNull();
    await keyring.clear({ service: "codex-clear" }); // nothing left to clear: no error
  });

  test("lock: reads fail fast without the secret; unlock brings it back", async () => {
    await keyring.store({ service: "codex-lock" }, "locked away");
    await keyring.lock();
    try {
      expect(await keyring.isLocked()).toBe(true);
      const started = Date.now();
      // A locked item looks like a missing one to `secret-tool lookup`: exit 1, no output.
      expect(await keyring.lookup({ service: "codex-lock" })).toBeNull();
      expect(await keyring.search({ service: "codex-lock" })).toEqual([
        { label: "codex test item", secret: null, attributes: { service: "codex-lock" } },
      ]);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await keyring.unlock();
    }
    expect(await keyring.isLocked()).toBe(false);
    expect(await keyring.lookup({ service: "codex-lock" })).toBe("locked away");
  });

  test("@napi-rs/keyring stores in it (child process with the fixture's env)", async () => {
    // The constructor connects to D-Bus synchronously, from process.env: run it in its own process.
    const script = `
      const { AsyncEntry } = require(process.argv[1]);
      (async () => {
        const entry = new AsyncEntry("codex-fixture", "user", { linux: { store: "secret-service" } });
        await entry.setPassword("from napi");
        process.stdout.write(String(await entry.getPassword()));
      })().catch((err) => { console.error(String(err)); process.exit(1); });`;
    const r = await runCommand(process.execPath, ["-e", script, NAPI_KEYRING], { env: toolEnv(keyring.env) });
    expect(r).toMatchObject({ code: 0, stdout: "from napi" });
    const items = await keyring.search({ service: "codex-fixture" });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ secret: "from napi", attributes: { service: "codex-fixture", username: "user" } });
  });
});

describe("two fixtures", () => {
  test("started in parallel are isolated, and close() leaves no process or file behind", async () => {
    const [a, b] = await Promise.all([startKeyring(), startKeyring()]);
    try {
      expect(a.env.DBUS_SESSION_BUS_ADDRESS).not.toBe(b.env.DBUS_SESSION_BUS_ADDRESS);
      await Promise.all([a.store({ service: "codex-iso" }, "in a"), b.store({ service: "codex-iso" }, "in b")]);
      await a.store({ service: "codex-only-a" }, "only a");
      expect(await a.lookup({ service: "codex-iso" })).toBe("in a");
      expect(await b.lookup({ service: "codex-iso" })).toBe("in b");
      expect(await b.lookup({ service: "codex-only-a" })).toBeNull();
    } finally {
      const members = processGroupMembers(a.pgid);
      // /proc truncates command names to 15 characters.
      expect(members.map((p) => p.command).sort()).toEqual(["bash", "dbus-daemon", "gnome-keyring-d"]);
      await Promise.all([a.close(), b.close()]);
      for (const k of [a, b]) {
        expect(processGroupMembers(k.pgid)).toEqual([]);
        expect(existsSync(k.dir)).toBe(false);
      }
      for (const { pid } of members) expect(isRunning(pid)).toBe(false);
    }
  });
});

/** Whether `pid` is a live process (a zombie is not). */
function isRunning(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("startHungBus", () => {
  test("secret-tool hangs on it", async () => {
    const bus = await startHungBus();
    const child = spawn("secret-tool", ["lookup", "service", "codex"], {
      env: toolEnv({ DBUS_SESSION_BUS_ADDRESS: bus.address }),
      stdio: "ignore",
    });
    const exited = new Promise((r) => child.on("exit", r));
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
      expect(bus.connections()).toBe(1);
    } finally {
      child.kill("SIGKILL");
      await exited;
      await bus.close();
    }
  });
});

describe("withoutBus", () => {
  test("secret-tool finds no bus and fails fast", async () => {
    const env = withoutBus(toolEnv({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent", DISPLAY: ":0" }));
    expect(env.DBUS_SESSION_BUS_ADDRESS).toBeUndefined();
    expect(env.DISPLAY).toBeUndefined();
    expect(existsSync(`${env.XDG_RUNTIME_DIR}/bus`)).toBe(false);
    const r = await runCommand("secret-tool", ["lookup", "service", "codex"], {
      env: env as NodeJS.ProcessEnv,
      timeoutMs: 5_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/D-Bus|DBus/);
  });
});
