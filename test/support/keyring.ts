/**
 * A real Secret Service (gnome-keyring) on a private D-Bus session bus, for tests that check what the CLI
 * stores in the OS keyring, verified from outside with `secret-tool` (Debian packages gnome-keyring,
 * dbus-daemon, dbus-bin and libsecret-tools; scripts/install-test-deps.sh installs them).
 *
 *   const keyring = await startKeyring();                  // beforeAll; `await keyring.close()` in afterAll
 *   await runCli(["login", ...], { home, env: keyring.env });
 *   expect(await keyring.search({ service: "codex" })).toMatchObject([{ attributes: { username: "…" } }]);
 *
 * Each fixture is its own session: a bash script (its own process group) running a dbus-daemon that listens in a
 * temp dir, and `gnome-keyring-daemon --unlock --components=secrets` on it with a throwaway HOME / XDG_DATA_HOME /
 * XDG_RUNTIME_DIR: the "login" collection is created, unlocked and the default alias, and lives in the temp
 * dir. Nothing touches the machine's own session bus or keyring, and fixtures started in parallel are isolated.
 * The private bus has no D-Bus activation (no service directories): nothing is started behind the fixture's
 * back, and gnome-keyring's unlock prompt (activated on a desktop) is never shown — asking for it fails.
 *
 * Other situations:
 *   - `keyring.lock()`: the collection is locked. Reads fail fast: `secret-tool lookup` exits 1 with no output
 *     (the same as "not found"), `search` lists the items with `secret: null`.
 *   - `startHungBus()`: a socket that accepts connections and never answers (D-Bus clients hang in the
 *     authentication handshake).
 *   - `withoutBus(env)`: no session bus at all.
 *
 * Every fixture and hung bus still open when the test file ends is closed by an `afterAll` registered when this
 * module is imported. Should the test process die anyway, the session ends by itself: its script reads commands
 * from a pipe to this process and shuts the daemons down when that pipe closes.
 *
 * Linux only.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { run } from "../helpers.js";

/** The password of the fixture's "login" keyring (gnome-keyring cannot unlock with an empty one). */
export const KEYRING_PASSWORD = "codex-test-keyring";

const LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login";
const START_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 10_000;

export interface KeyringItem {
  label: string;
  /** null when secret-tool could not read the secret (the collection is locked). */
  secret: string | null;
  /** The item's attributes, without libsecret's `xdg:schema`. */
  attributes: Record<string, string>;
}

export interface Keyring {
  /** Merge into the env of a process that should use this keyring (its private session bus). */
  env: { DBUS_SESSION_BUS_ADDRESS: string };
  /**
   * The same bus at an address with no unix socket (TCP on the loopback), which codex reaches through its
   * keyring helper process and the native module, as on macOS and Windows: the helper's path, tested here.
   */
  helperEnv: { DBUS_SESSION_BUS_ADDRESS: string };
  /** The process group of the session (bash, dbus-daemon, gnome-keyring-daemon). */
  pgid: number;
  /** The session's temp dir (HOME, XDG dirs, the bus socket, gnome-keyring.log); removed by close(). */
  dir: string;
  /** Every item whose attributes include `attrs` (at least one: secret-tool cannot list all), with its secret. */
  search(attrs: Record<string, string>): Promise<KeyringItem[]>;
  /** The secret of the first item matching `attrs`, or null when none (or when the keyring is locked). */
  lookup(attrs: Record<string, string>): Promise<string | null>;
  /** Stores (or replaces) an item in the default collection. */
  store(attrs: Record<string, string>, secret: string, label?: string): Promise<void>;
  /** Removes every item matching `attrs` (none matching is fine). */
  clear(attrs: Record<string, string>): Promise<void>;
  /** Locks the "login" collection: reading a secret would then need an unlock prompt, which cannot be shown. */
  lock(): Promise<void>;
  /** Unlocks it again (restarts gnome-keyring-daemon with `--replace --unlock`; the items stay). */
  unlock(): Promise<void>;
  /** Whether the "login" collection is locked. */
  isLocked(): Promise<boolean>;
  /** Ends the session (every process of its group) and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

export interface CommandResult {
  /** The exit code, or null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects when it is still running after `timeoutMs` (and kills it). */
export async function runCommand(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const r = await run(command, args, { env: opts.env, input: opts.input, timeoutMs });
  if (r.code === null && r.signal === "SIGKILL") {
    throw new Error(`${command} ${args.join(" ")}: still running after ${timeoutMs} ms\n${r.stderr}`);
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

function attrArgs(attrs: Record<string, string>): string[] {
  return Object.entries(attrs).flat();
}

/**
 * Parses `secret-tool search` output. secret-tool 0.20 writes the item header, label, secret and dates to
 * stdout but the `attribute.NAME = VALUE` lines to stderr (both flushed line by line), so this expects the two
 * streams merged in one pipe, e.g.:
 *
 *   [/1]
 *   label = codex
 *   secret = s3cret
 *   created = 2026-01-01 10:00:00
 *   modified = 2026-01-01 10:00:00
 *   schema = org.freedesktop.Secret.Generic
 *   attribute.service = codex
 *   attribute.username = alice
 *
 * When a secret cannot be read, a "secret-tool: Cannot get secret of a locked object" line precedes the item
 * and there is no `secret =` line. A secret that spans lines continues the `secret =` value.
 */
export function parseSearchOutput(output: string): KeyringItem[] {
  const items: KeyringItem[] = [];
  let current: KeyringItem | undefined;
  let lastKey: string | undefined;
  for (const line of output.split("\n")) {
    if (/^\[.*\]$/.test(line)) {
      current = { label: "", secret: null, attributes: {} };
      items.push(current);
      lastKey = undefined;
      continue;
    }
    const m = /^(label|secret|created|modified|schema|attribute\.(.+?)) = (.*)$/.exec(line);
    if (current && m) {
      const [, key, attr, value = ""] = m;
      lastKey = key;
      if (key === "label") current.label = value;
      else if (key === "secret") current.secret = value;
      else if (attr !== undefined) current.attributes[attr] = value;
    } else if (current && lastKey === "secret" && !line.startsWith("secret-tool:")) {
      current.secret = `${current.secret}\n${line}`;
    }
  }
  return items;
}

/** Reads the members of a process group from /proc, zombies excluded. */
export function processGroupMembers(pgid: number): Array<{ pid: number; command: string }> {
  const members: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ... — comm may contain spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const [state, , pgrp] = stat.slice(close + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") {
      members.push({ pid: Number(entry), command: stat.slice(stat.indexOf("(") + 1, close) });
    }
  }
  return members;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** close() of every fixture and hung bus not closed yet. */
const open = new Set<() => Promise<void>>();
afterAll(async () => {
  await Promise.all([...open].map((close) => close()));
});

/**
 * The session's script. It starts dbus-daemon and gnome-keyring-daemon in the foreground, as its own children
 * (so they stay in the process group and are reaped here: dbus-run-session would leave its dbus-daemon to init,
 * and this machine's init reaps late), prints the bus address, and then runs commands read from stdin until
 * stdin is closed: "restart" starts a new keyring daemon with `--replace --unlock` (the old one hands over and
 * exits). At the end it stops the daemons and removes the temp dir, so the session cleans up after itself even
 * if the test process dies.
 */
const SESSION_SCRIPT = `
set -u
dbus-daemon --config-file="$FIXTURE_DIR/bus.conf" --nofork --print-address=3 3>"$FIXTURE_DIR/bus.address" &
bus=$!
until [ -s "$FIXTURE_DIR/bus.address" ]; do
  kill -0 $bus 2>/dev/null || exit 1
  sleep 0.01
done
read -r addresses <"$FIXTURE_DIR/bus.address"
# The bus listens on a unix socket and on TCP (see busConfig); the daemons and the tools use the socket.
DBUS_SESSION_BUS_ADDRESS=""
tcp_port=""
IFS=';'
for a in $addresses; do
  case "$a" in
    unix:*) DBUS_SESSION_BUS_ADDRESS="$a" ;;
    tcp:*) tcp_port="\${a##*port=}"; tcp_port="\${tcp_port%%,*}" ;;
  esac
done
unset IFS
export DBUS_SESSION_BUS_ADDRESS
daemons=""
start_daemon() {
  printf %s "$KEYRING_PASSWORD" |
    gnome-keyring-daemon --foreground --unlock --replace --components=secrets >>"$FIXTURE_DIR/gnome-keyring.log" 2>&1 &
  daemons="$daemons $!"
}
start_daemon
echo "BUS=$DBUS_SESSION_BUS_ADDRESS"
echo "TCP=$tcp_port"
while IFS= read -r cmd; do
  case "$cmd" in
    restart) start_daemon; echo "RESTARTED" ;;
  esac
done
kill $daemons 2>/dev/null
wait $daemons 2>/dev/null
kill $bus
wait
rm -rf "$FIXTURE_DIR"
`;

function busConfig(socketDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=${socketDir}</listen>
  <!-- The keyring helper's way in (Keyring.helperEnv): an address with no unix socket. Anonymous, on the
       loopback, for this throwaway session and its test secrets only. -->
  <listen>tcp:host=127.0.0.1,port=0</listen>
  <auth>EXTERNAL</auth>
  <auth>ANONYMOUS</auth>
  <allow_anonymous/>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** Starts a private session bus with an unlocked gnome-keyring Secret Service (see the top of this file). */
export async function startKeyring(): Promise<Keyring> {
  const dir = mkdtempSync(join(tmpdir(), "codex-keyring-"));
  const home = join(dir, "home");
  const runtime = join(dir, "run");
  for (const d of [home, runtime, join(dir, "data"), join(dir, "config"), join(dir, "cache")]) {
    mkdirSync(d, { mode: 0o700 });
  }
  const config = join(dir, "bus.conf");
  writeFileSync(config, busConfig(runtime));

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LANG: "C.UTF-8",
    HOME: home,
    XDG_DATA_HOME: join(dir, "data"),
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_CACHE_HOME: join(dir, "cache"),
    XDG_RUNTIME_DIR: runtime,
    FIXTURE_DIR: dir,
    KEYRING_PASSWORD,
  };
  // detached: the session gets its own process group, so close() can reach every process of it.
  const session: ChildProcessWithoutNullStreams = spawn("bash", ["-c", SESSION_SCRIPT], {
    env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const pgid = session.pid;
  let stdout = "";
  let stderr = "";
  let exited = false;
  const exit = new Promise<void>((resolveExit) => {
    session.on("exit", () => {
      exited = true;
      resolveExit();
    });
    session.on("error", (err) => {
      stderr += `${err}\n`;
      exited = true;
      resolveExit();
    });
  });
  const lineWaiters = new Set<() => void>();
  session.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const w of lineWaiters) w();
  });
  // dbus-daemon warns "Failed to set fd limit" when not allowed to raise it: harmless.
  session.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  session.stdin.on("error", () => {});

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    open.delete(close);
    closed ??= (async () => {
      // Closing stdin ends the script: it stops the daemons and exits. Whatever is still in the group after that
      // gets SIGTERM, then SIGKILL.
      session.stdin.end();
      const gone = async (ms: number) => {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
          if (exited && (pgid === undefined || processGroupMembers(pgid).length === 0)) return true;
          await sleep(20);
        }
        return false;
      };
      for (const signal of [undefined, "SIGTERM", "SIGKILL"] as const) {
        if (signal && pgid !== undefined) {
          try {
            process.kill(-pgid, signal);
          } catch {}
        }
        if (await gone(signal === "SIGKILL" ? 5_000 : 2_000)) break;
      }
      await exit;
      rmSync(dir, { recursive: true, force: true });
    })();
    return closed;
  };

  open.add(close);

  const fail = async (message: string): Promise<never> => {
    let log = "";
    try {
      log = readFileSync(join(dir, "gnome-keyring.log"), "utf8");
    } catch {}
    await close();
    throw new Error(`startKeyring: ${message}\n--- session stderr:\n${stderr}\n--- gnome-keyring log:\n${log}`);
  };

  const waitForOutput = async (pattern: RegExp, deadline: number): Promise<RegExpMatchArray | null> => {
    for (;;) {
      const m = pattern.exec(stdout);
      if (m) return m;
      if (exited || Date.now() >= deadline) return null;
      await new Promise<void>((r) => {
        const done = () => {
          lineWaiters.delete(done);
          clearTimeout(t);
          r();
        };
        const t = setTimeout(done, 50);
        lineWaiters.add(done);
      });
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  const busLine = await waitForOutput(/^BUS=(.+)$/m, deadline);
  if (!busLine?.[1]) return fail(exited ? "the session exited" : "no bus address after 10 s");
  const address = busLine[1];
  const tcpLine = await waitForOutput(/^TCP=(\d+)$/m, deadline);
  if (!tcpLine?.[1]) return fail("no TCP port for the bus");
  const tcpPort = tcpLine[1];
  const toolEnv: NodeJS.ProcessEnv = { PATH: env.PATH, LANG: "C.UTF-8", HOME: home, DBUS_SESSION_BUS_ADDRESS: address };

  const dbusSend = (objectPath: string, method: string, ...args: string[]) =>
    runCommand(
      "dbus-send",
      ["--session", "--print-reply", "--dest=org.freedesktop.secrets", objectPath, method, ...args],
      { env: toolEnv },
    );
  const readLocked = async (): Promise<boolean | undefined> => {
    const r = await dbusSend(
      LOGIN_COLLECTION,
      "org.freedesktop.DBus.Properties.Get",
      "string:org.freedesktop.Secret.Collection",
      "string:Locked",
    );
    if (r.code !== 0) return undefined;
    return /boolean true/.test(r.stdout);
  };
  /** Polls until the "login" collection is the default alias and has the wanted lock state. */
  const waitUntilReady = async (locked: boolean, until: number): Promise<string | null> => {
    let last = "";
    while (Date.now() < until && !exited) {
      const alias = await dbusSend(
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.ReadAlias",
        "string:default",
      );
      last = alias.stderr || alias.stdout;
      if (alias.code === 0 && alias.stdout.includes(`"${LOGIN_COLLECTION}"`) && (await readLocked()) === locked) {
        return null;
      }
      await sleep(50);
    }
    return exited ? "the session exited" : `the Secret Service is not ready after 10 s (last answer: ${last.trim()})`;
  };
  const notReady = await waitUntilReady(false, deadline);
  if (notReady) return fail(notReady);

  const secretTool = async (args: string[], input?: string): Promise<CommandResult> =>
    runCommand("secret-tool", args, { env: toolEnv, input });
  const check = (what: string, r: CommandResult): CommandResult => {
    if (r.code !== 0) throw new Error(`secret-tool ${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r;
  };

  return {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    helperEnv: { DBUS_SESSION_BUS_ADDRESS: `tcp:host=127.0.0.1,port=${tcpPort}` },
    pgid: pgid ?? -1,
    dir,
    async search(attrs) {
      if (Object.keys(attrs).length === 0) throw new Error("search: secret-tool needs at least one attribute");
      // secret-tool writes the attribute lines to stderr: merge the two streams to keep the order.
      const r = await runCommand(
        "sh",
        ["-c", 'exec "$0" "$@" 2>&1', "secret-tool", "search", "--all", "--unlock", ...attrArgs(attrs)],
        { env: toolEnv },
      );
      if (r.code !== 0) throw new Error(`secret-tool search failed (exit ${r.code}): ${r.stdout.trim()}`);
      return parseSearchOutput(r.stdout);
    },
    async lookup(attrs) {
      const r = await secretTool(["lookup", ...attrArgs(attrs)]);
      if (r.code === 1 && r.stdout === "" && r.stderr.trim() === "") return null;
      // Not a terminal: secret-tool prints the secret as is, without a newline.
      return check("lookup", r).stdout;
    },
    async store(attrs, secret, label = "codex test item") {
      check("store", await secretTool(["store", `--label=${label}`, ...attrArgs(attrs)], secret));
    },
    async clear(attrs) {
      const r = await secretTool(["clear", ...attrArgs(attrs)]);
      if (r.code === 1 && r.stderr.trim() === "") return; // nothing matched
      check("clear", r);
    },
    async lock() {
      // `secret-tool lock --collection=login` crashes (libsecret 0.20.5); ask the service directly.
      const r = await dbusSend(
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.Lock",
        `array:objpath:${LOGIN_COLLECTION}`,
      );
      if (r.code !== 0) throw new Error(`lock failed: ${r.stderr.trim()}`);
      if ((await readLocked()) !== true) throw new Error("lock: the collection is still unlocked");
    },
    async unlock() {
      // Unlocking over D-Bus needs a prompt; a new daemon started with --unlock opens the keyring instead.
      const before = stdout.split("RESTARTED").length;
      session.stdin.write("restart\n");
      const until = Date.now() + START_TIMEOUT_MS;
      while (stdout.split("RESTARTED").length === before && Date.now() < until && !exited) await sleep(20);
      const notUnlocked = await waitUntilReady(false, until);
      if (notUnlocked) throw new Error(`unlock: ${notUnlocked}`);
    },
    async isLocked() {
      const locked = await readLocked();
      if (locked === undefined) throw new Error("isLocked: no answer from the Secret Service");
      return locked;
    },
    close,
  };
}

/**
 * A D-Bus "bus" that accepts connections and never answers: `address` is `unix:path=…/bus.sock`. A client
 * given it (DBUS_SESSION_BUS_ADDRESS) connects, sends its authentication request and waits for a reply that
 * never comes — for testing that the CLI does not hang when D-Bus does not answer. The server runs in this
 * process's event loop: while a spawnSync blocks it, connections wait in the backlog (the client hangs all the
 * same, but `connections()` stays 0).
 */
export async function startHungBus(): Promise<{ address: string; connections(): number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "codex-hungbus-"));
  const path = join(dir, "bus.sock");
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("data", () => {}); // read and ignore
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolveListen());
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    open.delete(close);
    closed ??= new Promise<void>((resolveClose) => {
      for (const s of sockets) s.destroy();
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        resolveClose();
      });
    });
    return closed;
  };
  open.add(close);
  return { address: `unix:path=${path}`, connections: () => accepted, close };
}

/**
 * `env` with no session bus to find: DBUS_SESSION_BUS_ADDRESS removed, XDG_RUNTIME_DIR pointing at an empty
 * dir (D-Bus clients fall back to `$XDG_RUNTIME_DIR/bus`), DISPLAY and WAYLAND_DISPLAY removed (libdbus and
 * GLib would try X11 autolaunch). Removed keys are set to `undefined`, which both `spawn` and `cleanEnv`
 * (../helpers.ts) treat as "unset", so the result can be passed to either. On the CI machine /run/user/0 does
 * not exist and XDG_RUNTIME_DIR is unset, so an env without DBUS_SESSION_BUS_ADDRESS is bus-less anyway; on a
 * developer's desktop it is not. The empty dir is one fixed dir per user under the temp dir, kept (it is
 * empty), so no run leaves a new one behind.
 */
export function withoutBus(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const emptyRuntimeDir = join(tmpdir(), `codex-test-nobus-${process.getuid?.() ?? "user"}`);
  mkdirSync(emptyRuntimeDir, { recursive: true, mode: 0o700 });
  if (readdirSync(emptyRuntimeDir).length > 0) throw new Error(`withoutBus: ${emptyRuntimeDir} is not empty`);
  return {
    ...env,
    DBUS_SESSION_BUS_ADDRESS: undefined,
    XDG_RUNTIME_DIR: emptyRuntimeDir,
    DISPLAY: undefined,
    WAYLAND_DISPLAY: undefined,
  };
}
