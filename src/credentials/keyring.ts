/**
 * The system keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
 *
 * On Linux (and FreeBSD) with a session bus on a unix socket, the Secret Service is spoken to from
 * JavaScript over D-Bus (secret-service.ts): asynchronous, so its time limit is a timer. Everywhere else
 * (macOS, Windows, a bus address with no unix socket) it goes through `@napi-rs/keyring` in a helper
 * process (see keyring-helper.ts for why a process), which starts on the first call, serves every call of
 * the command and exits when codex does. `codex status` with the credential in gnome-keyring took 4.2×
 * `node -e 0` through the helper (a second Node start-up) and 1.9× over D-Bus from JavaScript, in one run
 * (Node 20; the keyring row of scripts/bench.mjs measures the latter).
 *
 * Failure policy: every call has a 3 s limit. A call that fails or runs out of time is a
 * KeyringUnavailableError naming the reason; after a timeout the helper is killed (or the bus connection
 * closed) and the keyring counts as unavailable for the rest of the command, so one hung keyring costs 3 s,
 * not 3 s per call.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../config/paths.js";
import { KeyringUnavailableError } from "../errors.js";
import { type BusSocket, unixSockets } from "./dbus.js";
import { SecretServiceKeyring } from "./secret-service.js";

/** The keyring service codex's entries are filed under; the account is `<profile>@<CODEX_HOME>`. */
export const KEYRING_SERVICE = "codex";

export const KEYRING_TIMEOUT_MS = 3_000;
/** Starting the helper (Node, then the native module) is not the keyring's time; on a busy machine it is slow. */
const START_TIMEOUT_MS = 15_000;

export function keyringName(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "macOS Keychain";
  if (platform === "win32") return "Windows Credential Manager";
  return "system keyring (Secret Service)";
}

export interface Keyring {
  /** For messages: "system keyring (Secret Service)". */
  readonly name: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** false when there was nothing to delete. */
  delete(account: string): Promise<boolean>;
  /** The accounts with an entry under KEYRING_SERVICE. */
  list(): Promise<string[]>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

class HelperKeyring implements Keyring {
  readonly name = keyringName();
  readonly #env: Env;
  #child: ChildProcess | undefined;
  #ready: Promise<void> | undefined;
  #broken: KeyringUnavailableError | undefined;
  #next = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(env: Env) {
    this.#env = env;
  }

  get(account: string): Promise<string | null> {
    return this.#call("get", { account }) as Promise<string | null>;
  }

  async set(account: string, secret: string): Promise<void> {
    await this.#call("set", { account, secret });
  }

  delete(account: string): Promise<boolean> {
    return this.#call("delete", { account }) as Promise<boolean>;
  }

  list(): Promise<string[]> {
    return this.#call("list", {}) as Promise<string[]>;
  }

  #unavailable(reason: string): KeyringUnavailableError {
    return new KeyringUnavailableError(`the ${this.name} is not available: ${reason}`);
  }

  async #call(op: string, args: { account?: string; secret?: string }): Promise<unknown> {
    if (this.#broken) throw this.#broken;
    const noBus = missingBus(this.#env);
    if (noBus !== undefined) {
      this.#broken = this.#unavailable(noBus);
      throw this.#broken;
    }
    await this.#start();
    const child = this.#child as ChildProcess;
    const id = this.#next++;
    child.ref();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          this.#unavailable(
            `it did not answer within ${KEYRING_TIMEOUT_MS / 1000} s (is it locked, or waiting for a password prompt?)`,
          ),
        );
      }, KEYRING_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      child.stdin?.write(`${JSON.stringify({ id, op, service: KEYRING_SERVICE, ...args })}\n`);
    });
  }

  #start(): Promise<void> {
    this.#ready ??= import("./keyring-spawn.js").then(({ spawnHelper }) => this.#spawn(spawnHelper));
    return this.#ready;
  }

  #spawn(spawnHelper: (env: Env) => ChildProcess): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const child = spawnHelper(this.#env);
      this.#child = child;
      const startTimer = setTimeout(
        () => fail(this.#unavailable("its helper process did not start")),
        START_TIMEOUT_MS,
      );
      const fail = (err: KeyringUnavailableError) => {
        clearTimeout(startTimer);
        this.#fail(err);
        reject(err);
      };
      child.on("error", (err) => fail(this.#unavailable(`its helper process could not run (${err.message})`)));
      child.on("exit", () => this.#fail(this.#unavailable("its helper process stopped")));
      let buffered = "";
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf("\n");
          let msg: { ready?: boolean; id?: number; ok?: boolean; value?: unknown; message?: string };
          try {
            msg = JSON.parse(line);
          } catch {
            continue;
          }
          if (msg.ready !== undefined) {
            clearTimeout(startTimer);
            if (msg.ready) resolve();
            else fail(this.#unavailable(msg.message ?? "its module does not load"));
            continue;
          }
          const pending = this.#pending.get(msg.id as number);
          if (pending === undefined) continue;
          this.#pending.delete(msg.id as number);
          clearTimeout(pending.timer);
          if (msg.ok) pending.resolve(msg.value);
          else pending.reject(this.#unavailable(msg.message ?? "unknown error"));
          if (this.#pending.size === 0) this.#idle();
        }
      });
    });
  }

  /** Lets codex exit while the helper idles: the helper exits when its stdin closes. */
  #idle(): void {
    const child = this.#child;
    if (child === undefined) return;
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  }

  #fail(err: KeyringUnavailableError): void {
    this.#broken ??= err;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(err);
    }
    if (this.#child !== undefined && this.#child.exitCode === null) this.#child.kill("SIGKILL");
    this.#idle();
  }
}

/**
 * Why there can be no Secret Service, decided without starting anything: on Linux it is reached over the
 * D-Bus session bus, and with no address to find the bus at there is none to ask.
 */
function missingBus(env: Env): string | undefined {
  if (process.platform !== "linux" && process.platform !== "freebsd") return undefined;
  if ((env.DBUS_SESSION_BUS_ADDRESS ?? "") !== "") return undefined;
  const runtime = env.XDG_RUNTIME_DIR ?? "";
  if (runtime !== "" && existsSync(join(runtime, "bus"))) return undefined;
  return "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service cannot be reached";
}

/**
 * The unix sockets the session bus can be reached at, as libdbus finds it: DBUS_SESSION_BUS_ADDRESS, else
 * `$XDG_RUNTIME_DIR/bus`. Empty off Linux/FreeBSD, without a bus, or when the address names only other
 * transports (tcp:, launchd:, autolaunch:), which the native module's libdbus knows and this client does not.
 */
function busSockets(env: Env): BusSocket[] {
  if (process.platform !== "linux" && process.platform !== "freebsd") return [];
  const address = env.DBUS_SESSION_BUS_ADDRESS ?? "";
  if (address !== "") return unixSockets(address);
  const runtime = env.XDG_RUNTIME_DIR ?? "";
  const path = join(runtime, "bus");
  return runtime !== "" && existsSync(path) ? [{ path, abstract: false }] : [];
}

/**
 * The keyrings made for each environment object, by bus address. A run of codex has one environment object
 * (the executable's is process.env; cli.ts's `main`, run in process, gets its own each time), so a keyring
 * that failed or timed out in one run, or a helper started with another run's environment, never carries
 * over into the next run.
 */
const keyrings = new WeakMap<Env, Map<string, Keyring>>();

/** The keyring for this environment: one bus connection (or helper) per environment object and bus address. */
export function systemKeyring(env: Env = process.env): Keyring {
  const key = `${env.DBUS_SESSION_BUS_ADDRESS ?? ""}\0${env.XDG_RUNTIME_DIR ?? ""}`;
  let byBus = keyrings.get(env);
  if (byBus === undefined) {
    byBus = new Map();
    keyrings.set(env, byBus);
  }
  let keyring = byBus.get(key);
  if (keyring === undefined) {
    const sockets = busSockets(env);
    keyring =
      sockets.length > 0
        ? new SecretServiceKeyring(sockets, {
            name: keyringName(),
            service: KEYRING_SERVICE,
            timeoutMs: KEYRING_TIMEOUT_MS,
            uid: process.getuid?.() ?? 0,
          })
        : new HelperKeyring(env);
    byBus.set(key, keyring);
  }
  return keyring;
}
