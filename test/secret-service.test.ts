/**
 * The D-Bus Secret Service client (src/credentials/secret-service.ts, dbus.ts), in process, against a real
 * gnome-keyring (./support/keyring.ts) and against the native module it replaces on Linux: an entry written by
 * either is the other's (same attributes, label and collection, both directions), a locked keyring is refused
 * without a prompt, an ambiguous entry is refused as the native module refuses it, and a bus that is absent,
 * serviceless or hung fails with the reason, within the limit.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BusConnection, unixSockets } from "../src/credentials/dbus.js";
import { KEYRING_SERVICE, systemKeyring } from "../src/credentials/keyring.js";
import { SecretServiceKeyring } from "../src/credentials/secret-service.js";
import { KeyringUnavailableError } from "../src/errors.js";
import { type Keyring, runCommand, startHungBus, startKeyring } from "./support/keyring.js";

const NAPI_KEYRING = createRequire(import.meta.url).resolve("@napi-rs/keyring");
const NAME = "system keyring (Secret Service)";
const uid = process.getuid?.() ?? 0;

/** A client of its own (not the per-process one systemKeyring keeps) on `address`. */
const client = (address: string, timeoutMs = 3_000) =>
  new SecretServiceKeyring(unixSockets(address), { name: NAME, service: KEYRING_SERVICE, timeoutMs, uid });

/**
 * One call through @napi-rs/keyring, as the keyring helper makes it, in a child process (its constructor connects
 * to D-Bus synchronously, from process.env): the value, or `{ error }` with the innermost message.
 */
async function native(keyring: Keyring, op: "get" | "set" | "delete" | "list", account = "", secret = "") {
  const script = `
    const k = require(process.argv[1]);
    const [op, account, secret] = process.argv.slice(2);
    const entry = () => new k.Entry(${JSON.stringify(KEYRING_SERVICE)}, account, { linux: { store: "secret-service" } });
    let value;
    try {
      if (op === "get") value = entry().getPassword();
      if (op === "set") value = entry().setPassword(secret);
      if (op === "delete") value = entry().deleteCredential();
      if (op === "list") value = k.findCredentials(${JSON.stringify(KEYRING_SERVICE)}).map((c) => c.account).sort();
      process.stdout.write(JSON.stringify({ value: value ?? null }));
    } catch (err) {
      let e = err;
      while (e instanceof Error && e.cause instanceof Error) e = e.cause;
      process.stdout.write(JSON.stringify({ error: String(e.message ?? e).split("\\n")[0] }));
    }`;
  const r = await runCommand(process.execPath, ["-e", script, NAPI_KEYRING, op, account, secret], {
    env: { PATH: process.env.PATH, LANG: "C.UTF-8", ...keyring.env },
  });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { value?: unknown; error?: string };
  return "error" in out ? { error: out.error } : out.value;
}

/** The error a call rejected with (fails the test if it resolved). */
async function failure(p: Promise<unknown>): Promise<KeyringUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyringUnavailableError);
  return err as KeyringUnavailableError;
}

describe("unixSockets", () => {
  test("reads the unix sockets of an address list in order, unescaped; other transports are skipped", () => {
    expect(unixSockets("unix:path=/run/user/1000/bus")).toEqual([{ path: "/run/user/1000/bus", abstract: false }]);
    expect(
      unixSockets("tcp:host=localhost,port=1;unix:abstract=/tmp/dbus-x,guid=0f;unix:path=/tmp/a%20b%2fbus,guid=1"),
    ).toEqual([
      { path: "/tmp/dbus-x", abstract: true },
      { path: "/tmp/a b/bus", abstract: false },
    ]);
    expect(unixSockets("tcp:host=127.0.0.1,port=9")).toEqual([]);
    expect(unixSockets("garbage")).toEqual([]);
    expect(unixSockets("unix:tmpdir=/tmp")).toEqual([]);
  });
});

describe("against gnome-keyring and @napi-rs/keyring", () => {
  let keyring: Keyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(() => keyring.close());

  test("an entry stored by either is the other's: read, listed, replaced and deleted, in both directions", async () => {
    const js = systemKeyring(keyring.env);
    expect(js).toBeInstanceOf(SecretServiceKeyring);
    const byNative = "native@/home/a/.codex";
    const byJs = "js@/home/a/.codex";
    const nativeSecret = '{"token":"sk-native-ünïcödé ✓"}\nsecond line';
    const jsSecret = '{"token":"sk-js-0123456789 ✓"}';

    // native → JS
    expect(await native(keyring, "set", byNative, nativeSecret)).toBeNull();
    expect(await js.get(byNative)).toBe(nativeSecret);
    // JS → native
    await js.set(byJs, jsSecret);
    expect(await native(keyring, "get", byJs)).toBe(jsSecret);
    // The same item either way: attributes, label (secret-tool reads the default collection's items).
    const items = (await keyring.search({ service: KEYRING_SERVICE })).sort((a, b) => a.label.localeCompare(b.label));
    expect(items).toEqual([
      { label: `keyring:${byJs}@codex`, secret: jsSecret, attributes: { service: "codex", username: byJs } },
      {
        label: `keyring:${byNative}@codex`,
        secret: nativeSecret,
        attributes: { service: "codex", username: byNative },
      },
    ]);
    expect((await js.list()).sort()).toEqual([byJs, byNative]);
    expect(await native(keyring, "list")).toEqual([byJs, byNative]);

    // Each replaces the other's item rather than adding a second one.
    await js.set(byNative, "replaced by js");
    expect(await native(keyring, "set", byJs, "")).toBeNull();
    expect(await native(keyring, "get", byNative)).toBe("replaced by js");
    expect(await js.get(byJs)).toBe("");
    expect(await keyring.search({ service: KEYRING_SERVICE })).toHaveLength(2);

    // And removes it.
    expect(await js.delete(byJs)).toBe(true);
    expect(await native(keyring, "get", byJs)).toBeNull();
    expect(await native(keyring, "delete", byNative)).toBe(true);
    expect(await js.get(byNative)).toBeNull();
    expect(await js.delete(byNative)).toBe(false);
    expect(await js.list()).toEqual([]);
  });

  test("a locked keyring: refused without an unlock prompt (none is asked for on the bus), as the native module refuses it; a missing entry is still null", async () => {
    const js = client(keyring.env.DBUS_SESSION_BUS_ADDRESS);
    await js.set("locked@/home/b/.codex", "kept");
    // Watches the bus for a prompt being shown (Prompt.Prompt): the native module asks for one, codex must not.
    const monitor = spawn("dbus-monitor", ["--address", keyring.env.DBUS_SESSION_BUS_ADDRESS], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let seen = "";
    monitor.stdout.setEncoding("utf8").on("data", (d: string) => {
      seen += d;
    });
    await new Promise((r) => setTimeout(r, 300));
    await keyring.lock();
    try {
      const locked = new KeyringUnavailableError(
        `the ${NAME} is not available: it is locked, and codex does not show an unlock prompt; unlock it and try again`,
      );
      const started = Date.now();
      expect(await failure(js.get("locked@/home/b/.codex"))).toEqual(locked);
      expect(await failure(js.set("locked@/home/b/.codex", "new"))).toEqual(locked);
      expect(await failure(js.set("new@/home/b/.codex", "new"))).toEqual(locked);
      expect(await failure(js.delete("locked@/home/b/.codex"))).toEqual(locked);
      expect(await failure(js.list())).toEqual(locked);
      expect(await js.get("missing@/home/b/.codex")).toBeNull();
      expect(await js.delete("missing@/home/b/.codex")).toBe(false);
      expect(Date.now() - started).toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toContain("member=Unlock");
      expect(seen).not.toContain("member=Prompt");
      // The native module fails too (after asking for a prompt that no one can answer here).
      expect(await native(keyring, "get", "locked@/home/b/.codex")).toEqual({ error: expect.stringMatching(/unlock/) });
    } finally {
      monitor.kill();
      await keyring.unlock();
    }
    expect(await js.get("locked@/home/b/.codex")).toBe("kept");
    expect(await js.delete("locked@/home/b/.codex")).toBe(true);
  });

  test("an entry matched by two items (another collection holds the same attributes) is refused, not guessed, as the native module refuses it", async () => {
    const js = client(keyring.env.DBUS_SESSION_BUS_ADDRESS);
    const account = "twice@/home/c/.codex";
    await js.set(account, "in login");
    // The same attributes in gnome-keyring's "session" collection (plain session: this is the test writing).
    const bus = await BusConnection.open(unixSockets(keyring.env.DBUS_SESSION_BUS_ADDRESS), uid);
    const call = (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
      bus.call({ destination: "org.freedesktop.secrets", path, interface: iface, member, signature, body });
    const [, session] = (await call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession", "sv", [
      "plain",
      { signature: "s", value: "" },
    ])) as [unknown, string];
    const [copy] = (await call(
      "/org/freedesktop/secrets/collection/session",
      "org.freedesktop.Secret.Collection",
      "CreateItem",
      "a{sv}(oayays)b",
      [
        [
          ["org.freedesktop.Secret.Item.Label", { signature: "s", value: "a copy" }],
          [
            "org.freedesktop.Secret.Item.Attributes",
            {
              signature: "a{ss}",
              value: [
                ["service", "codex"],
                ["username", account],
              ],
            },
          ],
        ],
        [session, Buffer.alloc(0), Buffer.from("in session"), "text/plain"],
        true,
      ],
    )) as [string];
    try {
      const message = (await failure(js.get(account))).message;
      expect(message).toMatch(
        new RegExp(
          `^the ${NAME.replace(/[()]/g, "\\$&")} is not available: the entry ${account} is matched by 2 items \\(`,
        ),
      );
      expect(message).toContain(copy);
      await failure(js.set(account, "which?"));
      await failure(js.delete(account));
      expect(await native(keyring, "get", account)).toEqual({
        error: expect.stringMatching(/matched by 2 credentials/),
      });
    } finally {
      await call(copy, "org.freedesktop.Secret.Item", "Delete", "", []);
      bus.close();
    }
    expect(await js.get(account)).toBe("in login");
    expect(await js.delete(account)).toBe(true);
  });

  test("an abstract socket, after an address that does not answer, reaches the same service", async () => {
    const real = unixSockets(keyring.env.DBUS_SESSION_BUS_ADDRESS)[0]?.path as string;
    const name = `codex-test-${process.pid}-${Date.now()}`;
    const relayed = new Set<Socket>();
    const relay = createServer((c) => {
      const u = connect(real);
      relayed.add(c).add(u);
      c.pipe(u).pipe(c);
      c.on("error", () => u.destroy());
      u.on("error", () => c.destroy());
    });
    await new Promise<void>((r) => relay.listen(`\0${name}`, () => r()));
    try {
      const js = client(`unix:path=/nonexistent/codex-bus;unix:abstract=${name},guid=00`);
      await js.set("abstract@/home/d/.codex", "via the abstract namespace");
      expect(await keyring.lookup({ service: "codex", username: "abstract@/home/d/.codex" })).toBe(
        "via the abstract namespace",
      );
      expect(await js.delete("abstract@/home/d/.codex")).toBe(true);
    } finally {
      for (const sock of relayed) sock.destroy(); // the client's connection stays open, idle
      await new Promise((r) => relay.close(r));
    }
  });
});

describe("a bus that cannot help", () => {
  test("no socket at the address: why the connect failed", async () => {
    const err = await failure(client("unix:path=/nonexistent/codex-bus").get("a"));
    expect(err.message).toBe(
      `the ${NAME} is not available: cannot connect to the bus at /nonexistent/codex-bus: no such file or directory`,
    );
  });

  test("a bus with no Secret Service on it: the bus's answer, as the native module reports it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codex-emptybus-"));
    const socket = join(dir, "bus");
    writeFileSync(
      join(dir, "bus.conf"),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
    );
    const daemon = spawn("dbus-daemon", ["--config-file", join(dir, "bus.conf"), "--nofork", "--print-address"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await new Promise((r) => daemon.stdout.once("data", r));
      const message = `the ${NAME} is not available: The name org.freedesktop.secrets was not provided by any .service files`;
      const js = client(`unix:path=${socket}`);
      expect((await failure(js.get("a"))).message).toBe(message);
      expect((await failure(js.list())).message).toBe(message);
      const fake = { env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}` } } as Keyring;
      expect(await native(fake, "get", "a")).toEqual({
        error: "The name org.freedesktop.secrets was not provided by any .service files",
      });
    } finally {
      daemon.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a bus that never answers: the call fails at the limit, and every later call at once with the same reason", async () => {
    const bus = await startHungBus();
    try {
      const js = client(bus.address, 300);
      const started = Date.now();
      const err = await failure(js.get("a"));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(err.message).toBe(
        `the ${NAME} is not available: it did not answer within 0.3 s (is it locked, or waiting for a password prompt?)`,
      );
      const again = Date.now();
      expect(await failure(js.list())).toBe(err);
      expect(Date.now() - again).toBeLessThan(100);
      expect(bus.connections()).toBe(1);
    } finally {
      await bus.close();
    }
  });

  /** A bus that answers the first bytes a client sends with `answer`, then keeps the connection open. */
  async function lyingBus(answer: Buffer): Promise<{ address: string; close(): void }> {
    const dir = mkdtempSync(join(tmpdir(), "codex-lyingbus-"));
    const path = join(dir, "bus.sock");
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once("data", () => socket.write(answer));
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return {
      address: `unix:path=${path}`,
      close: () => {
        for (const s of sockets) s.destroy();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  test("a bus whose answer to authentication is not a line: refused at once, not buffered until the limit", async () => {
    const bus = await lyingBus(Buffer.alloc(64 * 1024, "A"));
    try {
      const started = Date.now();
      const err = await failure(client(bus.address, 5_000).get("a"));
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(err.message).toContain("the bus sent no answer to authentication");
    } finally {
      bus.close();
    }
  });

  test("a message longer than D-Bus allows (2^27 bytes) is refused when its header arrives, not buffered", async () => {
    const header = Buffer.alloc(16);
    header.write("l", 0); // little-endian
    header[1] = 2; // a method return
    header[3] = 1;
    header.writeUInt32LE(2 ** 28, 4); // body length
    header.writeUInt32LE(1, 8); // serial
    header.writeUInt32LE(0, 12); // no header fields
    const bus = await lyingBus(Buffer.concat([Buffer.from("OK 0123456789abcdef0123456789abcdef\r\n"), header]));
    try {
      const started = Date.now();
      const err = await failure(client(bus.address, 5_000).get("a"));
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(err.message).toContain("the bus sent a message larger than D-Bus allows");
    } finally {
      bus.close();
    }
  });
});
