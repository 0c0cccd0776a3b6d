/**
 * The keyring helper process (dist/keyring-helper.cjs): the only code that loads the native keyring
 * module. codex talks to it over stdin/stdout, one JSON object per line:
 *
 *   → {"id":1,"op":"get","account":"default@/home/me/.codex"}
 *   ← {"id":1,"ok":true,"value":"…"}            or {"id":1,"ok":false,"message":"…"}
 *
 * It is a separate process because the native module's calls block, and some block forever: on Linux,
 * opening a Secret Service entry connects to D-Bus synchronously, and a bus that accepts the connection but
 * never answers hangs it (measured: still hung after 8 s, in a worker thread too, and `process.exit()`
 * then waits for the worker). Only a process can be killed at the 3 s limit. Ops run one at a time.
 *
 * On Linux codex now reaches the Secret Service over D-Bus itself (secret-service.ts: asynchronous, so a
 * timer is its limit, and a second Node start-up is saved); the helper serves macOS, Windows, and a Linux
 * bus address with no unix socket (tcp:, which libdbus supports and codex's D-Bus client does not).
 */
import { createInterface } from "node:readline";

interface Request {
  id: number;
  op: "get" | "set" | "delete" | "list";
  service: string;
  account?: string;
  secret?: string;
}

type Keyring = typeof import("@napi-rs/keyring");

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

let keyring: Keyring | undefined;
try {
  keyring = require("@napi-rs/keyring") as Keyring;
  send({ ready: true });
} catch (err) {
  // Said, then the process ends on its own once the message is written (no process.exit, which could
  // cut off a write to a pipe on platforms where those are asynchronous).
  send({
    ready: false,
    message: `the keyring module (@napi-rs/keyring) is not installed or does not load here: ${(err as Error).message.split("\n")[0]}`,
  });
}

// Pinned to the Secret Service on Linux: the module would otherwise fall back to the kernel keyring, which
// forgets everything at reboot; a credential must not quietly land somewhere it won't survive.
const OPTIONS = { linux: { store: "secret-service" as const } };

function run(k: Keyring, req: Request): unknown {
  switch (req.op) {
    case "get":
      return new k.Entry(req.service, req.account as string, OPTIONS).getPassword();
    case "set":
      new k.Entry(req.service, req.account as string, OPTIONS).setPassword(req.secret as string);
      return null;
    case "delete":
      return new k.Entry(req.service, req.account as string, OPTIONS).deleteCredential();
    case "list":
      return k.findCredentials(req.service).map((c) => c.account);
  }
}

if (keyring !== undefined) {
  const k = keyring;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    let req: Request;
    try {
      req = JSON.parse(line) as Request;
    } catch {
      return;
    }
    try {
      send({ id: req.id, ok: true, value: run(k, req) ?? null });
    } catch (err) {
      // The module's messages name the platform's failure (D-Bus, locked collection); never the secret.
      send({ id: req.id, ok: false, message: cleanMessage(err) });
    }
  });
  lines.on("close", () => process.exit(0));
}

function cleanMessage(err: unknown): string {
  let e: unknown = err;
  // The innermost cause says what actually went wrong ("…set your DBUS_SESSION_BUS_ADDRESS instead").
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0]?.slice(0, 300) ?? "unknown error";
}
