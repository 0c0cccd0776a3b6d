/**
 * The system keyring on Linux, reached from JavaScript: the freedesktop Secret Service API
 * (org.freedesktop.secrets: gnome-keyring, KeePassXC, KWallet ≥ 5.97) over the D-Bus session bus
 * (dbus.ts). Being asynchronous, its time limit is a timer: no helper process, no native module. It reads
 * and writes exactly the items `@napi-rs/keyring` (keyring-rs's secret-service backend) does, so an entry
 * stored by either is the other's: attributes {service, username}, label `keyring:<username>@<service>`,
 * new items in the collection the `default` alias names, found by searching every collection.
 *
 * Secrets cross the bus in the "plain" session, not the "dh-ietf1024-sha256-aes128-cbc-pkcs7" one keyring-rs
 * asks for. The session bus is the user's own unix socket (in the 0700 runtime dir, SASL EXTERNAL checks the
 * uid), so the only processes that could watch it are the user's own and root, which can read the keyring
 * itself (`secret-tool lookup`): outside codex's threat model (docs/security.md), and the encryption would
 * protect nothing there. It costs: `codex status` with a keyring-stored credential took 2.35× `node -e 0`
 * with the DH session against 1.98× with plain on Node 20 (2.33× against 2.03× on Node 24; 60 alternating
 * pairs, one run): node:crypto's load, a DH key pair, and gnome-keyring's own DH (2.7 to 5 ms against 0.3 ms
 * for a plain session, measured over the bus). libsecret also uses plain when DH is not offered.
 *
 * Failure policy: as keyring.ts says for every keyring (each call within the time limit, a timeout breaks
 * the keyring for the rest of the command), plus: a locked item or collection is never unlocked with a
 * prompt. Unlocking that needs one (a password dialog) is a KeyringUnavailableError saying so; a CLI that
 * waits at most 3 s, often without a desktop, must not pop up a dialog it then abandons.
 */
import { KeyringUnavailableError } from "../errors.js";
import { BusConnection, type BusSocket, DBusError, type Variant } from "./dbus.js";
import type { Keyring } from "./keyring.js";

const DEST = "org.freedesktop.secrets";
const SERVICE_PATH = "/org/freedesktop/secrets";
const SERVICE = "org.freedesktop.Secret.Service";
const ITEM = "org.freedesktop.Secret.Item";
const COLLECTION = "org.freedesktop.Secret.Collection";
const PROPERTIES = "org.freedesktop.DBus.Properties";
const ALGORITHM = "plain";
/** What keyring-rs sends with every secret it stores. */
const CONTENT_TYPE = "application/octet-stream";
/** "No prompt needed" in a reply that may carry one (Unlock, CreateItem, Delete). */
const NO_PROMPT = "/";

/** A secret as the Secret Service sends it: (session, parameters, value, content type). */
type Secret = [string, Buffer, Buffer, string];

interface Session {
  path: string;
}

/** The item is locked and only a prompt (which codex does not show) would unlock it. */
class LockedError extends Error {}

export interface SecretServiceOptions {
  /** For messages: "system keyring (Secret Service)". */
  name: string;
  /** The `service` attribute of codex's items. */
  service: string;
  timeoutMs: number;
  /** The process's uid, for SASL EXTERNAL. */
  uid: number;
}

export class SecretServiceKeyring implements Keyring {
  readonly name: string;
  readonly #sockets: BusSocket[];
  readonly #o: SecretServiceOptions;
  #connection: Promise<BusConnection> | undefined;
  #session: Promise<Session> | undefined;
  #broken: KeyringUnavailableError | undefined;
  /** Calls run one at a time (a `set` is a search, then a write), in the order they were made. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(sockets: BusSocket[], options: SecretServiceOptions) {
    this.#sockets = sockets;
    this.#o = options;
    this.name = options.name;
  }

  get(account: string): Promise<string | null> {
    return this.#run(async (bus) => {
      // Asked together: one round trip, not two (the session is needed whenever there is an item).
      const [item] = await Promise.all([this.#find(bus, account), this.#openSession(bus)]);
      if (item === undefined) return null;
      return this.#inSession(bus, async (session) => {
        const [secret] = (await bus.call(method(item, ITEM, "GetSecret", "o", [session.path]))) as [Secret];
        return fromSecret(secret).toString("utf8");
      });
    });
  }

  set(account: string, secret: string): Promise<void> {
    return this.#run(async (bus) => {
      const [item] = await Promise.all([this.#find(bus, account), this.#openSession(bus)]);
      const plain = Buffer.from(secret, "utf8");
      if (item !== undefined) {
        await this.#inSession(bus, (session) =>
          bus.call(method(item, ITEM, "SetSecret", "(oayays)", [toSecret(session, plain)])),
        );
        return;
      }
      const [collection] = (await bus.call(method(SERVICE_PATH, SERVICE, "ReadAlias", "s", ["default"]))) as [string];
      if (collection === NO_PROMPT) throw new DBusError("codex.NoCollection", "there is no default collection");
      const [locked] = (await bus.call(method(collection, PROPERTIES, "Get", "ss", [COLLECTION, "Locked"]))) as [
        Variant,
      ];
      if (locked.value === true) await this.#unlock(bus, [collection]);
      const properties: Array<[string, Variant]> = [
        [`${ITEM}.Label`, { signature: "s", value: `keyring:${account}@${this.#o.service}` }],
        [`${ITEM}.Attributes`, { signature: "a{ss}", value: Object.entries(this.#attributes(account)) }],
      ];
      const [, prompt] = (await this.#inSession(bus, (session) =>
        bus.call(
          method(collection, COLLECTION, "CreateItem", "a{sv}(oayays)b", [properties, toSecret(session, plain), true]),
        ),
      )) as [string, string];
      if (prompt !== NO_PROMPT) throw new LockedError();
    });
  }

  delete(account: string): Promise<boolean> {
    return this.#run(async (bus) => {
      const item = await this.#find(bus, account);
      if (item === undefined) return false;
      const [prompt] = (await bus.call(method(item, ITEM, "Delete"))) as [string];
      if (prompt !== NO_PROMPT) throw new LockedError();
      return true;
    });
  }

  list(): Promise<string[]> {
    return this.#run(async (bus) => {
      const [unlocked, locked] = await this.#search(bus, { service: this.#o.service });
      await this.#unlock(bus, locked);
      const accounts: string[] = [];
      for (const item of [...locked, ...unlocked]) {
        const [attributes] = (await bus.call(method(item, PROPERTIES, "Get", "ss", [ITEM, "Attributes"]))) as [Variant];
        const username = (attributes.value as Array<[string, string]>).find(([k]) => k === "username")?.[1];
        if (username !== undefined) accounts.push(username);
      }
      return accounts;
    });
  }

  #attributes(account: string): Record<string, string> {
    return { service: this.#o.service, username: account };
  }

  #search(bus: BusConnection, attributes: Record<string, string>): Promise<[string[], string[]]> {
    return bus.call(method(SERVICE_PATH, SERVICE, "SearchItems", "a{ss}", [Object.entries(attributes)])) as Promise<
      [string[], string[]]
    >;
  }

  /**
   * The account's item, unlocked, or undefined when there is none. Every collection is searched, as
   * keyring-rs does; more than one match is refused as it refuses it ("ambiguous"), not guessed between.
   */
  async #find(bus: BusConnection, account: string): Promise<string | undefined> {
    const [unlocked, locked] = await this.#search(bus, this.#attributes(account));
    const found = [...unlocked, ...locked];
    if (found.length > 1) {
      throw new DBusError(
        "codex.Ambiguous",
        `the entry ${account} is matched by ${found.length} items (${found.join(", ")}), so codex cannot tell which is its own; remove the others`,
      );
    }
    if (locked.length > 0) await this.#unlock(bus, locked);
    return found[0];
  }

  /** Asks the service to unlock without a prompt; it does when no password is needed (else LockedError). */
  async #unlock(bus: BusConnection, paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    const [unlocked, prompt] = (await bus.call(method(SERVICE_PATH, SERVICE, "Unlock", "ao", [paths]))) as [
      string[],
      string,
    ];
    if (prompt !== NO_PROMPT || paths.some((p) => !unlocked.includes(p))) throw new LockedError();
  }

  /** The session secrets travel in (spec: "Transfer of Secrets"); see the top of this file for why plain. */
  #openSession(bus: BusConnection): Promise<Session> {
    this.#session ??= bus
      .call(method(SERVICE_PATH, SERVICE, "OpenSession", "sv", [ALGORITHM, { signature: "s", value: "" }]))
      .then(([, path]) => ({ path: path as string }));
    return this.#session;
  }

  /**
   * A call that needs the session, made again in a new one if the service no longer knows it (the daemon was
   * restarted since): the native module opened a session per call, so a long-lived library user never saw that.
   */
  async #inSession<T>(bus: BusConnection, call: (session: Session) => Promise<T>): Promise<T> {
    try {
      return await call(await this.#openSession(bus));
    } catch (err) {
      if (!(err instanceof DBusError && err.name === "org.freedesktop.Secret.Error.NoSession")) throw err;
      this.#session = undefined;
      return call(await this.#openSession(bus));
    }
  }

  /** The connection, opened again after the bus closed it or could not be reached (as the native module would). */
  async #connect(): Promise<BusConnection> {
    this.#connection ??= BusConnection.open(this.#sockets, this.#o.uid);
    let bus: BusConnection;
    try {
      bus = await this.#connection;
    } catch (err) {
      this.#connection = undefined;
      throw err;
    }
    if (!bus.closed) return bus;
    this.#session = undefined;
    this.#connection = undefined;
    return this.#connect();
  }

  #unavailable(reason: string): KeyringUnavailableError {
    return new KeyringUnavailableError(`the ${this.name} is not available: ${reason}`);
  }

  #run<T>(op: (bus: BusConnection) => Promise<T>): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    const result = this.#queue.then(async () => {
      if (this.#broken) throw this.#broken;
      return op(await this.#connect());
    });
    this.#queue = result.catch(() => {});
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#broken ??= this.#unavailable(
          `it did not answer within ${this.#o.timeoutMs / 1000} s (is it locked, or waiting for a password prompt?)`,
        );
        reject(this.#broken);
        // Closing the connection ends whatever is still waiting on it, so codex can exit.
        this.#connection?.then(
          (bus) => bus.close(),
          () => {},
        );
      }, this.#o.timeoutMs);
      result.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(this.#reason(err));
        },
      );
    });
  }

  #reason(err: unknown): Error {
    if (err instanceof KeyringUnavailableError) return err;
    if (err instanceof LockedError) {
      return this.#unavailable("it is locked, and codex does not show an unlock prompt; unlock it and try again");
    }
    if (err instanceof DBusError) return this.#unavailable(err.message.split("\n")[0]?.slice(0, 300) || err.name);
    return err as Error;
  }
}

function method(path: string, iface: string, member: string, signature?: string, body?: unknown[]) {
  return { destination: DEST, path, interface: iface, member, signature, body };
}

/** A secret in the plain session: no parameters, the value as is. */
function toSecret(session: Session, plain: Buffer): Secret {
  return [session.path, Buffer.alloc(0), plain, CONTENT_TYPE];
}

function fromSecret(secret: Secret): Buffer {
  return secret[2];
}
