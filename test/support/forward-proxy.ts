/**
 * Real network parts for the proxy and CA tests, all on 127.0.0.1:
 *
 * - `makeCertificates`: a throwaway CA and one server certificate for some host names, made with openssl
 *   in a temp dir (nothing is trusted system-wide);
 * - `startTinyproxy`: a real forward proxy (the Debian package tinyproxy, scripts/install-test-deps.sh)
 *   with its own config on a free port, optionally with Basic authentication. It runs under `unshare
 *   --mount` with a private /etc/hosts bind-mounted over the real one, so the host names given resolve to
 *   127.0.0.1 for the proxy and for nothing else on the machine: a request to such a name that succeeds
 *   went through the proxy. Needs root (CI runs as root); `proxyFakesUsable()` says whether it works here.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "../helpers.js";

export interface Certificates {
  /** The CA's certificate (PEM file), what CODEX_CA_CERTIFICATE points at. */
  caFile: string;
  ca: string;
  key: string;
  cert: string;
}

/** A CA and a certificate signed by it for `hosts` (DNS names, or IPv4 addresses), both valid for a day. */
export function makeCertificates(dir: string, hosts: string[]): Certificates {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const words = (text: string) => text.split(" ");
  openssl(
    ...words("req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=codex-test-CA"),
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ...["-keyout", at("ca.key"), "-out", at("ca.pem")],
  );
  openssl(
    ...words(`req -newkey rsa:2048 -nodes -subj /CN=${hosts[0]}`),
    ...["-keyout", at("server.key"), "-out", at("server.csr")],
  );
  writeFileSync(
    at("server.ext"),
    `subjectAltName=${hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",")}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    ...["x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial"],
    ...["-days", "1", "-extfile", at("server.ext"), "-out", at("server.pem")],
  );
  return {
    caFile: at("ca.pem"),
    ca: readFileSync(at("ca.pem"), "utf8"),
    key: readFileSync(at("server.key"), "utf8"),
    cert: readFileSync(at("server.pem"), "utf8"),
  };
}

/** Whether tinyproxy is installed and a private mount namespace can be made (root, unshare). */
export function proxyFakesUsable(): boolean {
  if (process.getuid?.() !== 0) return false;
  // As root (CI), `npm test`'s pretest has installed tinyproxy: a missing one fails the suite, never skips it.
  const tinyproxy = spawnSync("sh", ["-c", "command -v tinyproxy"], { encoding: "utf8" });
  if (tinyproxy.status !== 0) throw new Error("tinyproxy is not installed: run scripts/install-test-deps.sh");
  if (spawnSync("unshare", ["--mount", "true"]).status !== 0) throw new Error("unshare --mount does not work here");
  return true;
}

export interface Tinyproxy {
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** What tinyproxy logged so far (its CONNECT lines show which host each request went to). */
  log(): string;
  close(): Promise<void>;
}

/**
 * Starts tinyproxy on a free port of 127.0.0.1, for which each of `hosts` is 127.0.0.1. `basicAuth`:
 * it asks for this user name and password (407 otherwise).
 */
export async function startTinyproxy(
  dir: string,
  hosts: string[],
  basicAuth?: { user: string; password: string },
  /** Lines added to its config (`ConnectPort 443`: CONNECT to any other port is refused with 403). */
  extra: string[] = [],
): Promise<Tinyproxy> {
  const port = await freePort();
  const name = `tinyproxy-${port}`;
  const hostsFile = join(dir, `${name}.hosts`);
  writeFileSync(hostsFile, `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${hosts.join(" ")}\n`);
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Allow 127.0.0.1",
      "Timeout 20",
      "MaxClients 50",
      "LogLevel Connect",
      ...(basicAuth ? [`BasicAuth ${basicAuth.user} ${basicAuth.password}`] : []),
      ...extra,
      "",
    ].join("\n"),
  );
  let log = "";
  // unshare execs sh, which execs tinyproxy: the child's pid is tinyproxy's own.
  const child: ChildProcess = spawn(
    "unshare",
    ["--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec tinyproxy -d -c "$1"', hostsFile, conf],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    log += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    log += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`tinyproxy did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    close: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
