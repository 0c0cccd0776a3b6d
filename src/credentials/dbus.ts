/**
 * A minimal D-Bus client: one connection to the session bus over its unix socket, SASL EXTERNAL
 * authentication, method calls and their replies. Just what the Secret Service client (secret-service.ts)
 * needs: no signals, no object export, no file descriptors, little-endian messages out.
 *
 * Hand-written because the D-Bus libraries are costly to load (both work on Node 20 and 24): bundled, minified
 * and compiled from a V8 code cache as codex's own code is, dbus-next 0.10.2 (192 KB) takes 10.5 ms to load
 * on Node 20 (13 ms on Node 24) and @homebridge/dbus-native 0.7.9 (155 KB, with xml2js and event-stream)
 * 9.3 ms (10.3 ms), against 0.2 ms for this file and secret-service.ts together (13 KB): medians of 40 fresh
 * processes each, measured in process. That is about 0.2× `node -e 0` each, against a budget of 1.5× for all
 * of `codex status` with a keyring-stored credential. The wire format is the D-Bus specification's "Message
 * Protocol" section; only what the Secret Service calls need is here.
 *
 * Failure policy: nothing here waits on its own; the caller puts a time limit on each call and closes the
 * connection when it runs out. A connection that fails or closes rejects every pending call with a DBusError.
 */
import { createConnection, type Socket } from "node:net";

/** The D-Bus specification's maximum message length. */
const MAX_MESSAGE = 2 ** 27;
/** More than any bus's `OK <guid>` line. */
const MAX_AUTH_LINE = 1024;

/** An error reply from the bus or a service (`name` is the D-Bus error name), or a transport failure. */
export class DBusError extends Error {
  override readonly name: string;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A variant: its signature and value. */
export interface Variant {
  signature: string;
  value: unknown;
}

/** A unix socket to connect to: a path, or a Linux abstract-namespace name. */
export interface BusSocket {
  path: string;
  abstract: boolean;
}

/**
 * The unix sockets of a D-Bus address list (`unix:path=/run/user/1000/bus;tcp:…`), in order; other
 * transports are skipped. Values are unescaped (`%2f` → `/`).
 */
export function unixSockets(address: string): BusSocket[] {
  const sockets: BusSocket[] = [];
  for (const entry of address.split(";")) {
    const colon = entry.indexOf(":");
    if (colon < 0 || entry.slice(0, colon) !== "unix") continue;
    const params = new Map<string, string>();
    for (const pair of entry.slice(colon + 1).split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0) params.set(pair.slice(0, eq), unescapeValue(pair.slice(eq + 1)));
    }
    const path = params.get("path");
    const abstract = params.get("abstract");
    if (path !== undefined) sockets.push({ path, abstract: false });
    else if (abstract !== undefined) sockets.push({ path: abstract, abstract: true });
  }
  return sockets;
}

function unescapeValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// Message types (spec: "Message Format").
const METHOD_CALL = 1;
const METHOD_RETURN = 2;
const ERROR = 3;

// Header field codes (spec: "Header Fields").
const PATH = 1;
const INTERFACE = 2;
const MEMBER = 3;
const ERROR_NAME = 4;
const REPLY_SERIAL = 5;
const DESTINATION = 6;
const SIGNATURE = 8;

/** The length of the first complete type at `sig[i]`. */
function typeLength(sig: string, i: number): number {
  const c = sig[i];
  if (c === "a") return 1 + typeLength(sig, i + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new DBusError("codex.InvalidSignature", `bad signature ${sig}`);
      j += typeLength(sig, j);
    }
    return j + 1 - i;
  }
  if (c === undefined) throw new DBusError("codex.InvalidSignature", `bad signature ${sig}`);
  return 1;
}

/** The complete types of a signature: "sa{ss}" → ["s", "a{ss}"]. */
function splitTypes(sig: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const n = typeLength(sig, i);
    types.push(sig.slice(i, i + n));
    i += n;
  }
  return types;
}

function alignment(type: string): number {
  switch (type[0]) {
    case "y":
    case "g":
    case "v":
      return 1;
    case "n":
    case "q":
      return 2;
    case "x":
    case "t":
    case "d":
    case "(":
    case "{":
      return 8;
    default:
      return 4;
  }
}

/**
 * Marshals values by signature. Values: numbers (y n q i u), booleans (b), strings (s o g), Buffers (ay),
 * arrays (a…, and the members of a struct), [key, value] pairs (dict entries), Variants (v).
 */
class Writer {
  #buf = Buffer.alloc(256);
  length = 0;

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.#buf.length * 2, this.length + n));
    this.#buf.copy(bigger, 0, 0, this.length);
    this.#buf = bigger;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.#reserve(pad);
    this.#buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  #u32(v: number): void {
    this.align(4);
    this.#reserve(4);
    this.#buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  write(type: string, value: unknown): void {
    switch (type[0]) {
      case "y":
        this.bytes(Uint8Array.of(value as number));
        return;
      case "b":
        this.#u32(value ? 1 : 0);
        return;
      case "u":
      case "i":
        this.align(4);
        this.#reserve(4);
        if (type === "u") this.#buf.writeUInt32LE(value as number, this.length);
        else this.#buf.writeInt32LE(value as number, this.length);
        this.length += 4;
        return;
      case "s":
      case "o": {
        const s = Buffer.from(value as string, "utf8");
        this.#u32(s.length);
        this.bytes(s);
        this.bytes(Uint8Array.of(0));
        return;
      }
      case "g": {
        const s = Buffer.from(value as string, "utf8");
        this.bytes(Uint8Array.of(s.length));
        this.bytes(s);
        this.bytes(Uint8Array.of(0));
        return;
      }
      case "v": {
        const v = value as Variant;
        this.write("g", v.signature);
        this.write(v.signature, v.value);
        return;
      }
      case "a": {
        const element = type.slice(1);
        this.#u32(0);
        const lengthAt = this.length - 4;
        this.align(alignment(element));
        const start = this.length;
        if (element === "y") this.bytes(value as Uint8Array);
        else for (const item of value as unknown[]) this.write(element, item);
        this.#buf.writeUInt32LE(this.length - start, lengthAt);
        return;
      }
      case "(":
      case "{": {
        this.align(8);
        const members = splitTypes(type.slice(1, -1));
        for (const [i, t] of members.entries()) this.write(t, (value as unknown[])[i]);
        return;
      }
      default:
        throw new DBusError("codex.InvalidSignature", `cannot send type ${type}`);
    }
  }

  result(): Buffer {
    return this.#buf.subarray(0, this.length);
  }
}

/** Unmarshals by signature: the inverse of Writer (ay → Buffer, a{..} → [key, value] pairs, v → Variant). */
class Reader {
  readonly #buf: Buffer;
  readonly #le: boolean;
  offset: number;

  constructor(buf: Buffer, littleEndian: boolean, offset = 0) {
    this.#buf = buf;
    this.#le = littleEndian;
    this.offset = offset;
  }

  align(n: number): void {
    this.offset += (n - (this.offset % n)) % n;
  }

  #need(n: number): void {
    if (this.offset + n > this.#buf.length) throw new DBusError("codex.InvalidMessage", "truncated D-Bus message");
  }

  #u32(): number {
    this.align(4);
    this.#need(4);
    const v = this.#le ? this.#buf.readUInt32LE(this.offset) : this.#buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  read(type: string): unknown {
    switch (type[0]) {
      case "y":
        this.#need(1);
        return this.#buf[this.offset++];
      case "b":
        return this.#u32() !== 0;
      case "u":
        return this.#u32();
      case "i": {
        const v = this.#u32();
        return v | 0;
      }
      case "n":
      case "q": {
        this.align(2);
        this.#need(2);
        const v = this.#le ? this.#buf.readUInt16LE(this.offset) : this.#buf.readUInt16BE(this.offset);
        this.offset += 2;
        return type === "n" ? (v << 16) >> 16 : v;
      }
      case "x":
      case "t":
      case "d": {
        this.align(8);
        this.#need(8);
        const b = this.#buf;
        const o = this.offset;
        this.offset += 8;
        if (type === "d") return this.#le ? b.readDoubleLE(o) : b.readDoubleBE(o);
        if (type === "x") return this.#le ? b.readBigInt64LE(o) : b.readBigInt64BE(o);
        return this.#le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
      }
      case "s":
      case "o": {
        const n = this.#u32();
        this.#need(n + 1);
        const s = this.#buf.toString("utf8", this.offset, this.offset + n);
        this.offset += n + 1;
        return s;
      }
      case "g": {
        this.#need(1);
        const n = this.#buf[this.offset++] as number;
        this.#need(n + 1);
        const s = this.#buf.toString("latin1", this.offset, this.offset + n);
        this.offset += n + 1;
        return s;
      }
      case "h":
        return this.#u32();
      case "v": {
        const signature = this.read("g") as string;
        return { signature, value: this.read(signature) } satisfies Variant;
      }
      case "a": {
        const element = type.slice(1);
        const n = this.#u32();
        this.align(alignment(element));
        const end = this.offset + n;
        this.#need(n);
        if (element === "y") {
          const bytes = Buffer.from(this.#buf.subarray(this.offset, end));
          this.offset = end;
          return bytes;
        }
        const items: unknown[] = [];
        while (this.offset < end) items.push(this.read(element));
        return items;
      }
      case "(":
      case "{": {
        this.align(8);
        return splitTypes(type.slice(1, -1)).map((t) => this.read(t));
      }
      default:
        throw new DBusError("codex.InvalidSignature", `cannot read type ${type}`);
    }
  }
}

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

interface Pending {
  resolve(body: unknown[]): void;
  reject(err: Error): void;
}

/** Why a connect failed, in words rather than errno names. */
const CONNECT_ERRORS: Record<string, string> = {
  ENOENT: "no such file or directory",
  ECONNREFUSED: "connection refused",
  EACCES: "permission denied",
  ENOTDIR: "not a directory",
  ENOTSOCK: "not a socket",
};

/**
 * One authenticated connection to a bus. `call` sends a method call and resolves with the reply's body
 * (or rejects with the error reply); `close` ends it. Idle, it does not keep the process alive (`unref`):
 * a pending call does.
 */
export class BusConnection {
  readonly #socket: Socket;
  #serial = 0;
  readonly #pending = new Map<number, Pending>();
  #failed: DBusError | undefined;
  #buffered: Buffer = Buffer.alloc(0);
  #authenticated = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /**
   * Connects to the first socket that accepts. Authentication and Hello (required before any other call)
   * are sent at once and not waited for: calls made right away follow them in the same stream, so a `get`
   * costs two round trips to the service after the connect, not five. Should the bus refuse, every call
   * fails with the reason.
   */
  static async open(sockets: BusSocket[], uid: number): Promise<BusConnection> {
    let lastError: DBusError | undefined;
    for (const target of sockets) {
      let socket: Socket;
      try {
        socket = await connectTo(target);
      } catch (err) {
        lastError = err as DBusError;
        continue;
      }
      const conn = new BusConnection(socket);
      socket.on("data", (data: Buffer) => conn.#receive(data));
      socket.on("close", () => conn.#fail(new DBusError("codex.Disconnected", "the bus closed the connection")));
      socket.on("error", () => {});
      // SASL EXTERNAL (spec: "Authentication Protocol"): the kernel vouches for our uid, no secret is sent.
      // BEGIN follows at once, as sd-bus sends it: a bus that answers anything but OK closes the connection.
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid)).toString("hex")}\r\nBEGIN\r\n`);
      conn
        .call({
          destination: "org.freedesktop.DBus",
          path: "/org/freedesktop/DBus",
          interface: "org.freedesktop.DBus",
          member: "Hello",
        })
        .catch(() => {}); // a refused Hello fails every later call too
      return conn;
    }
    throw lastError ?? new DBusError("codex.NoAddress", "the bus address names no unix socket");
  }

  /** Whether the connection has failed or been closed: every call on it would fail. */
  get closed(): boolean {
    return this.#failed !== undefined;
  }

  call(message: MethodCall): Promise<unknown[]> {
    if (this.#failed) return Promise.reject(this.#failed);
    const serial = ++this.#serial;
    const signature = message.signature ?? "";
    const body = new Writer();
    for (const [i, t] of splitTypes(signature).entries()) body.write(t, message.body?.[i]);
    const fields: Array<[number, Variant]> = [
      [PATH, { signature: "o", value: message.path }],
      [INTERFACE, { signature: "s", value: message.interface }],
      [MEMBER, { signature: "s", value: message.member }],
      [DESTINATION, { signature: "s", value: message.destination }],
    ];
    if (signature !== "") fields.push([SIGNATURE, { signature: "g", value: signature }]);
    const header = new Writer();
    header.bytes(Uint8Array.of("l".charCodeAt(0), METHOD_CALL, 0, 1));
    header.write("u", body.length);
    header.write("u", serial);
    header.write("a(yv)", fields);
    header.align(8);
    this.#socket.ref();
    this.#socket.write(Buffer.concat([header.result(), body.result()]));
    return new Promise((resolve, reject) => this.#pending.set(serial, { resolve, reject }));
  }

  #receive(data: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? data : Buffer.concat([this.#buffered, data]);
    if (!this.#authenticated) {
      const end = this.#buffered.indexOf("\r\n");
      if (end < 0) {
        // The bus's answer to authentication is one short line: a longer one is not a bus talking.
        if (this.#buffered.length > MAX_AUTH_LINE) {
          this.#fail(new DBusError("codex.AuthFailed", "the bus sent no answer to authentication"));
        }
        return;
      }
      const line = this.#buffered.toString("latin1", 0, end);
      if (!line.startsWith("OK ")) {
        this.#fail(new DBusError("codex.AuthFailed", `the bus refused authentication (${line.slice(0, 80)})`));
        return;
      }
      this.#authenticated = true;
      this.#buffered = this.#buffered.subarray(end + 2);
    }
    for (;;) {
      const buf = this.#buffered;
      if (buf.length < 16) return;
      const le = buf[0] === 0x6c; // 'l'; 'B' is big-endian
      const bodyLength = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
      const fieldsLength = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
      const headerLength = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8);
      const total = headerLength + bodyLength;
      // The specification's limit on a message (2^27 bytes): a bigger one is not buffered.
      if (total > MAX_MESSAGE) {
        this.#fail(new DBusError("codex.InvalidMessage", "the bus sent a message larger than D-Bus allows"));
        return;
      }
      if (buf.length < total) return;
      this.#buffered = buf.subarray(total);
      try {
        this.#dispatch(buf.subarray(0, total), le, headerLength);
      } catch (err) {
        this.#fail(
          err instanceof DBusError
            ? err
            : new DBusError("codex.InvalidMessage", `the bus sent a malformed message (${(err as Error).message})`),
        );
        return;
      }
    }
  }

  #dispatch(message: Buffer, le: boolean, headerLength: number): void {
    const type = message[1];
    if (type !== METHOD_RETURN && type !== ERROR) return; // signals and calls to us: not for this client
    const reader = new Reader(message, le, 12);
    const fields = new Map<number, unknown>();
    for (const [code, variant] of reader.read("a(yv)") as Array<[number, Variant]>) fields.set(code, variant.value);
    const pending = this.#pending.get(fields.get(REPLY_SERIAL) as number);
    if (pending === undefined) return;
    this.#pending.delete(fields.get(REPLY_SERIAL) as number);
    const signature = (fields.get(SIGNATURE) as string | undefined) ?? "";
    const body = new Reader(message, le, headerLength);
    const values = splitTypes(signature).map((t) => body.read(t));
    if (type === ERROR) {
      const text = typeof values[0] === "string" ? values[0] : "";
      pending.reject(new DBusError(String(fields.get(ERROR_NAME) ?? "org.freedesktop.DBus.Error.Failed"), text));
    } else {
      pending.resolve(values);
    }
    if (this.#pending.size === 0) this.#socket.unref();
  }

  #fail(err: DBusError): void {
    this.#failed ??= err;
    for (const [serial, p] of this.#pending) {
      this.#pending.delete(serial);
      p.reject(err);
    }
    this.#socket.destroy();
  }

  close(): void {
    this.#fail(new DBusError("codex.Closed", "the connection was closed"));
  }
}

function connectTo(target: BusSocket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // A leading NUL puts the name in Linux's abstract socket namespace (where `unix:abstract=` lives).
    const socket = createConnection({ path: target.abstract ? `\0${target.path}` : target.path });
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      const why = CONNECT_ERRORS[err.code ?? ""] ?? err.message;
      reject(new DBusError("codex.ConnectFailed", `cannot connect to the bus at ${target.path}: ${why}`));
    };
    socket.once("error", onError);
  });
}
