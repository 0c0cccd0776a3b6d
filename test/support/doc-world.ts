/**
 * Where test/docs-run.test.ts runs the documentation's examples: a throwaway HOME (and CODEX_HOME in it) in
 * which OpenAI is played by servers on 127.0.0.1, so that `codex login`, `codex run` and the library examples
 * run as written and nothing leaves the machine.
 *
 *   const servers = await startDocServers();            // beforeAll; servers.close() in afterAll
 *   const home = await makeHome(servers, { loggedIn: true, profiles: ["work"] });
 *   const r = await runWatched("bash", ["-c", script], { cwd: home.home, env: home.env, servers });
 *
 * - The API (`OPENAI_BASE_URL`): any bearer token is accepted; `/models` lists models, `/responses` and
 *   `/chat/completions` stream REPLY.
 * - The sign-in (`[oauth] issuer` in config.toml, OpenAI's protocol): test/support/openai-fake.ts. The runner
 *   plays the user: an authorization URL the process prints is visited (the fake approves at once and
 *   redirects to codex's loopback listener), and a device code it prints is approved. `BROWSER=none`, so
 *   nothing is ever opened.
 * - PATH starts with a bin directory where `codex` and `codex-credentials` are this repository's dist/cli.cjs,
 *   `npx codex …` and `npx codex-credentials …` run it too (as in a clone), and any other `npx` or `npm` fails
 *   (so an unmarked example can never install anything).
 * - Every node process gets test/support/test-dns.cjs: host names other than localhost (and *.test) do not
 *   resolve, and each name looked up is logged, so a test can show that an example reached nothing else.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, isIP, type Socket } from "node:net";
import { join } from "node:path";
import { CLI, freePort, ROOT, type RunResult, tempDir } from "../helpers.js";
import { type OpenAIFake, startOpenAIFake } from "./openai-fake.js";
import { chatEvents, responsesEvents } from "./provider.js";

/** The API key an example's world is logged in with, and what a `< FILE` or `$VARIABLE` it reads holds. */
export const DOC_KEY = "sk-docs-0123456789abcdefWXYZ";
/** What every model says. */
export const REPLY = "Hello from the docs test.";

const MODELS = ["gpt-5", "gpt-5-mini", "o3", "llama3.2"];
const MAX_BODY = 1024 * 1024;
/** What one example may print (stdout and stderr together); none prints more than a few KiB. */
const MAX_OUTPUT = 4 * 1024 * 1024;
const TEST_DNS = join(ROOT, "test", "support", "test-dns.cjs");

export interface DocServers {
  /** `http://127.0.0.1:PORT/v1`, the API every example's OpenAI (and every loopback provider) is. */
  apiBaseUrl: string;
  openai: OpenAIFake;
  /** The bin directory described above. */
  bin: string;
  close(): Promise<void>;
}

function api(): Promise<{ server: Server; baseUrl: string; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return void res.destroy();
    }
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? "")) {
      return send(401, JSON.stringify({ error: { message: "Missing bearer authentication", code: null } }));
    }
    const route = `${req.method} ${path}`;
    if (route === "GET /v1/models") {
      return send(200, JSON.stringify({ object: "list", data: MODELS.map((id) => ({ id, object: "model" })) }));
    }
    if (route === "POST /v1/responses") return send(200, responsesEvents([REPLY]), "text/event-stream");
    if (route === "POST /v1/chat/completions") return send(200, chatEvents([REPLY]), "text/event-stream");
    return send(404, JSON.stringify({ error: { message: `no ${route} here` } }));
  });
  server.requestTimeout = 10_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, sockets, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }),
    ),
  );
}

const shim = (path: string, text: string) => {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
};

export async function startDocServers(): Promise<DocServers> {
  const [{ server, sockets, baseUrl }, openai] = await Promise.all([api(), startOpenAIFake()]);
  const bin = tempHome("codex-docs-bin-");
  const node = JSON.stringify(process.execPath);
  const cli = JSON.stringify(CLI);
  shim(join(bin, "codex"), `#!/bin/sh\nexec ${node} ${cli} "$@"\n`);
  shim(join(bin, "codex-credentials"), `#!/bin/sh\nexec ${node} ${cli} "$@"\n`);
  shim(
    join(bin, "npx"),
    `#!/bin/sh\ncase "$1" in codex|codex-credentials) shift; exec ${node} ${cli} "$@";; esac\n` +
      `echo "npx $1: the docs test runs only npx codex and npx codex-credentials; mark the example <!-- not run: … -->" >&2\nexit 127\n`,
  );
  shim(
    join(bin, "npm"),
    `#!/bin/sh\necho "npm $1: the docs test never runs npm; mark the example <!-- not run: … -->" >&2\nexit 127\n`,
  );
  return {
    apiBaseUrl: baseUrl,
    openai,
    bin,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => server.close(r)), openai.close()]);
    },
  };
}

export interface HomeOptions {
  /** The default account, and each of `profiles`, has DOC_KEY stored in its file. */
  loggedIn: boolean;
  profiles?: string[];
  /** Files to put in CODEX_HOME (`work.config.toml`: text), written before the logins above. */
  files?: Record<string, string>;
  /** Files outside CODEX_HOME, relative to HOME, holding DOC_KEY (what `< ~/openai.key` reads). */
  keyFiles?: string[];
  /** Variables to set, besides the world's own. */
  env?: Record<string, string>;
  /** HOME is a git repository with an uncommitted change (for `git diff | codex run -`). */
  git?: boolean;
}

export interface Home {
  home: string;
  codexHome: string;
  env: Record<string, string>;
  /** The names node processes looked up (test-dns.cjs), one per line. */
  dnsLog: string;
}

const PROFILE_KEY_LINE = `auth_token = "${DOC_KEY}"\n`;

const homes: string[] = [];

/**
 * Removes every home made so far. Concurrent tests cannot use vitest's onTestFinished (it belongs to whichever
 * test started last), so the test file calls this in afterAll.
 */
export function removeHomes(): void {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A temp directory, removed by removeHomes. */
export function tempHome(prefix: string): string {
  const dir = tempDir(prefix);
  homes.push(dir);
  return dir;
}

/** A fresh HOME (see removeHomes). */
export async function makeHome(servers: DocServers, options: HomeOptions): Promise<Home> {
  const home = tempHome("codex-docs-");
  const codexHome = join(home, ".codex");
  mkdirSync(codexHome, { mode: 0o700 });
  const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600 });
  // The sign-in server is the fake OpenAI; its loopback port is a free one, as a busy 1455 would fail a login.
  write(
    join(codexHome, "config.toml"),
    `${options.loggedIn ? PROFILE_KEY_LINE : ""}\n[oauth]\nissuer = "${servers.openai.issuer}"\nprotocol = "openai"\nredirect_port = ${await freePort()}\n`,
  );
  for (const [name, text] of Object.entries(options.files ?? {})) write(join(codexHome, name), text);
  if (options.loggedIn) {
    for (const profile of options.profiles ?? []) {
      const file = `${profile}.config.toml`;
      if (options.files?.[file] === undefined) write(join(codexHome, file), PROFILE_KEY_LINE);
    }
  }
  for (const f of options.keyFiles ?? []) {
    const path = join(home, f);
    mkdirSync(join(path, ".."), { recursive: true });
    write(path, `${DOC_KEY}\n`);
  }
  const dnsLog = join(home, ".dns-log");
  writeFileSync(dnsLog, "");
  const env: Record<string, string> = {
    PATH: `${servers.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: home,
    CODEX_HOME: codexHome,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    BROWSER: "none",
    OPENAI_BASE_URL: servers.apiBaseUrl,
    NODE_OPTIONS: `--require ${TEST_DNS}`,
    TEST_DNS_LOG: dnsLog,
    ...options.env,
  };
  if (options.git) {
    const git = ["-c", "user.name=Docs", "-c", "user.email=docs@example.com"];
    writeFileSync(join(home, "notes.txt"), "first line\n");
    for (const args of [
      ["init", "-q"],
      ["add", "notes.txt"],
      [...git, "commit", "-q", "-m", "notes"],
    ]) {
      const r = await runWatched("git", args, { cwd: home, env });
      if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    }
    writeFileSync(join(home, "notes.txt"), "first line\nsecond line\n");
  }
  return { home, codexHome, env, dnsLog };
}

/** Names other than loopback ones that processes of this home looked up. */
export function foreignLookups(home: Home): string[] {
  return readFileSync(home.dnsLog, "utf8")
    .split("\n")
    .filter((n) => n !== "" && n !== "localhost" && !/\.test\.?$/i.test(n) && isIP(n) === 0);
}

export interface WatchedOptions {
  cwd: string;
  env: Record<string, string>;
  /** The servers whose sign-in to complete when the process asks for it. */
  servers?: DocServers;
  timeoutMs?: number;
  /** Give the process a pipe as fd 3 and return what it wrote there. */
  fd3?: boolean;
}

// Each up to the end of its line, so that a URL or code split between two reads is not taken half.
const AUTHORIZE = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?[^\s"'<>]+)\s/g;
const USER_CODE = /enter the code: ([A-Z0-9-]+)\s/g;

/** Runs a process, stdin closed, playing the user of any sign-in it starts (see the top of this file). */
export function runWatched(
  command: string,
  args: string[],
  opts: WatchedOptions,
): Promise<RunResult & { fd3: string; signIns: string[] }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so that the time limit ends whatever it started too (a codex waiting to sign in).
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe", ...(opts.fd3 ? (["pipe"] as const) : [])],
    });
    const out = { stdout: "", stderr: "" };
    /** Where each stream's next scan starts: a line not yet ended is scanned again with the rest of it. */
    const scanned = { stdout: 0, stderr: 0 };
    let fd3 = "";
    let total = 0;
    const seen = new Set<string>();
    const signIns: string[] = [];
    const servers = opts.servers;
    const kill = () => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {}
    };
    const watch = (stream: "stdout" | "stderr") => {
      const from = scanned[stream];
      const text = out[stream];
      scanned[stream] = Math.max(from, text.lastIndexOf("\n") + 1);
      if (servers === undefined) return;
      const fresh = text.slice(from);
      for (const [, url] of fresh.matchAll(AUTHORIZE)) {
        const u = url as string;
        if (!u.startsWith(`${servers.openai.issuer}/`) || seen.has(u)) continue;
        seen.add(u);
        signIns.push("browser");
        // The fake approves at once and redirects to codex's listener on localhost: the browser's part.
        fetch(u, { signal: AbortSignal.timeout(10_000) })
          .then((r) => r.arrayBuffer())
          .catch((err) => signIns.push(`browser failed: ${(err as Error).message}`));
      }
      for (const [, code] of fresh.matchAll(USER_CODE)) {
        const c = code as string;
        if (seen.has(c)) continue;
        seen.add(c);
        signIns.push("device");
        try {
          servers.openai.approveDevice(c);
        } catch (err) {
          signIns.push(`device failed: ${(err as Error).message}`);
        }
      }
    };
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream]?.setEncoding("utf8").on("data", (d: string) => {
        total += d.length;
        // An example that prints without end is stopped, not kept in memory.
        if (total > MAX_OUTPUT) return kill();
        out[stream] += d;
        watch(stream);
      });
    }
    child.stdio[3]?.on("data", (d: Buffer) => {
      fd3 += d.toString("utf8");
    });
    const timer = setTimeout(kill, opts.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, fd3, signIns });
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end();
  });
}
