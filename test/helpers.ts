/**
 * Test helpers: `runCli` spawns the built CLI (dist/cli.cjs, built by `npm install` / `npm run build`) as a
 * child process, in a throwaway CODEX_HOME, with a clean environment. Most behaviour tests run it in
 * process instead (`runCliInProcess`, ./support/in-process.ts, same options and result); the ones that
 * spawn test what a process adds: its exit, signals, terminals, locks between processes, start-up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  type Stats,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished } from "vitest";

export const ROOT = resolve(import.meta.dirname, "..");
export const CLI = join(ROOT, "dist", "cli.cjs");
/** The first line of a config.toml codex creates (src/config/config.ts's CONFIG_HEADER). */
export const CREATED = "# Created by codex-credentials; its logout deletes this file when nothing else is in it.\n";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Default: stdin closed and empty. */
  input?: string | Buffer;
  /** Extra environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Leave standard input open and silent for the whole run (a pipe nobody writes to), instead of closing
   * it: a command that reads it before refusing would hang until the time limit.
   */
  silentStdin?: boolean;
}

/** A fresh temp directory (realpath'd, so paths in messages compare equal). */
export function tempDir(prefix = "codex-test-"): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** An environment with nothing from the developer's machine that could leak a credential in. */
export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    CODEX_HOME: join(home, ".codex"),
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    ...(process.env.NODE_V8_COVERAGE && { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE }), // npm run coverage
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: RunOptions & { home: string }): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { ...opts, env: cleanEnv(opts.home, opts.env) });
}

export function run(
  command: string,
  args: string[],
  opts: RunOptions & {
    env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
    user?: { uid: number; gid: number };
  } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
      ...opts.user,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    if (opts.silentStdin) child.on("close", () => child.stdin.destroy());
    else child.stdin.end(opts.input ?? "");
  });
}

/** The CODEX_HOME that `cleanEnv(home)` points the CLI at. */
export function codexHomeOf(home: string): string {
  return join(home, ".codex");
}

/** A throwaway HOME whose CODEX_HOME holds config.toml with exactly these bytes; returns paths to both. */
export function homeWithConfig(
  content: string | Buffer | undefined,
  prefix = "codex-test-",
): {
  home: string;
  codexHome: string;
  configFile: string;
} {
  const home = tempDir(prefix);
  const codexHome = codexHomeOf(home);
  mkdirSync(codexHome, { recursive: true, mode: 0o700 });
  const configFile = join(codexHome, "config.toml");
  // 0600, as codex writes it: `codex status` warns about a credential in a file others can read.
  if (content !== undefined) writeFileSync(configFile, content, { mode: 0o600 });
  return { home, codexHome, configFile };
}

/** Splits text into lines, each keeping its own line ending ("\n" or "\r\n"; the last may have none). */
export function linesWithEndings(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Runs a module-type script with `node --input-type=module -e` from the repo root (so `import "codex"` works). */
export function runNodeScript(
  script: string,
  opts: { env?: NodeJS.ProcessEnv | Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    env: opts.env ?? { PATH: process.env.PATH, LANG: "C.UTF-8" },
    timeoutMs: opts.timeoutMs,
  });
}

/** Removes `dir` (recursively) when the current test finishes, whatever its outcome; returns it. */
export function removeAfterTest(dir: string): string {
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp HOME (as `tempDir`) removed when the current test finishes. */
export function testHome(prefix = "codex-test-"): string {
  return removeAfterTest(tempDir(prefix));
}

/** Asserts that none of the secrets occurs, whole, in either output stream. */
export function expectNoSecret(result: RunResult, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
}

/** What a write to `path` could change, without following a final symlink: kind, bytes, mode, inode, mtime. */
export interface PathState {
  kind: "missing" | "file" | "dir" | "symlink" | "other";
  mode?: number;
  ino?: number;
  mtimeMs?: number;
  bytes?: Buffer;
  linkTarget?: string;
}

export function pathState(path: string): PathState {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return { kind: "missing" };
  }
  const base = { mode: st.mode & 0o7777, ino: st.ino, mtimeMs: st.mtimeMs };
  if (st.isSymbolicLink()) return { kind: "symlink", ...base, linkTarget: readlinkSync(path) };
  if (st.isDirectory()) return { kind: "dir", ...base };
  if (st.isFile()) return { kind: "file", ...base, bytes: readFileSync(path) };
  return { kind: "other", ...base };
}

/** The unprivileged user the permission tests run codex as (Debian's `nobody`). */
export const NOBODY = { uid: 65534, gid: 65534 };
/** Whether this process may run codex as another user (CI runs as root; tests that need it skip otherwise). */
export const asRoot = process.getuid?.() === 0;

/** `runCli` as another user (the tests run as root, which no permission check stops). */
export function runCliAs(
  user: { uid: number; gid: number },
  args: string[],
  opts: RunOptions & { home: string },
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], {
    ...opts,
    cwd: opts.cwd ?? "/",
    env: cleanEnv(opts.home, opts.env),
    user,
  });
}

/** `homeWithConfig`, removed when the test ends. */
export function withConfig(content: string | Buffer): ReturnType<typeof homeWithConfig> {
  const made = homeWithConfig(content);
  removeAfterTest(made.home);
  return made;
}

/** Pins a path's mtime far in the past, so any rewrite (even within the same second) shows. */
export function agePath(path: string): void {
  const past = new Date("2001-02-03T04:05:06Z");
  utimesSync(path, past, past);
}

export interface PtyStep {
  /** Text to wait for in the terminal output (everything written since the start). */
  wait: string;
  /** Keystrokes to type once it appears ("\r" is Enter, "\x03" is Ctrl-C). */
  send: string;
}

export interface PtyResult {
  code: number | null;
  signal: number | null;
  /** Everything the program wrote to the terminal (stdout and stderr both go there), raw. */
  output: string;
  timedOut: boolean;
  /** Steps whose `wait` text never appeared. */
  pending: number;
}

/** `runCli` on a real terminal, driven by python3's pty module. */
export function runCliInPty(
  args: string[],
  opts: {
    home: string;
    env?: Record<string, string | undefined>;
    steps?: PtyStep[];
    timeoutMs?: number;
    columns?: number;
  },
): Promise<PtyResult> {
  return runInPty([process.execPath, CLI, ...args], { ...opts, env: cleanEnv(opts.home, opts.env), cwd: opts.home });
}

/**
 * Any program (argv[0] an absolute path) on a real terminal, with exactly this environment, typing each step's
 * keys only once its prompt is on screen: typing earlier would reach the line discipline while it still echoes,
 * before the program switched the terminal to raw mode.
 */
export async function runInPty(
  argv: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; steps?: PtyStep[]; timeoutMs?: number; columns?: number },
): Promise<PtyResult> {
  const steps = [...(opts.steps ?? [])];
  const session = startInPty(argv, { ...opts, timeoutMs: opts.timeoutMs ?? 10_000 }, (output) => {
    while (steps.length > 0 && output.includes((steps[0] as PtyStep).wait)) {
      session.send((steps.shift() as PtyStep).send);
    }
  });
  const r = await session.result;
  return { ...r, pending: steps.length };
}

/** A program running on a pseudo-terminal that the test reads and types into as it goes (see startCliInPty). */
export interface PtySession {
  /** Everything written to the terminal so far, raw. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (waiting for more as needed). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Types `text` on the terminal ("\r" is Enter, "\x03" Ctrl-C). */
  send(text: string): void;
  result: Promise<PtyResult>;
}

// A relay between this process and a pty: the pty's output to stdout as it comes, stdin to the pty. When the program
// exits, its status goes to stderr as JSON.
const PTY_RELAY = `
import fcntl, json, os, pty, select, signal, struct, sys, termios, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
size = struct.pack("HHHH", 24, spec["columns"], 0, 0)
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, size)
    os.chdir(spec["cwd"])
    os.execve(spec["argv"][0], spec["argv"], spec["env"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
deadline = time.time() + spec["timeout"]
alive = True
typing = True
while alive and time.time() < deadline:
    ready, _, _ = select.select([fd] + ([0] if typing else []), [], [], 0.05)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            alive = False
        else:
            os.write(1, data)
    if typing and 0 in ready:
        data = os.read(0, 65536)
        if not data:
            typing = False
        else:
            os.write(fd, data)
if alive:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stderr.write(json.dumps({
    "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    "timedOut": alive,
}))
`;

/** The built CLI on a real terminal, driven as it runs: read what it shows, type what it asks for. */
export function startCliInPty(
  args: string[],
  opts: { home: string; env?: Record<string, string | undefined>; timeoutMs?: number; columns?: number },
): PtySession {
  return startInPty([process.execPath, CLI, ...args], {
    env: cleanEnv(opts.home, opts.env),
    cwd: opts.home,
    timeoutMs: opts.timeoutMs ?? 15_000,
    columns: opts.columns,
  });
}

function startInPty(
  argv: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number; columns?: number | undefined },
  onOutput?: (output: string) => void,
): PtySession {
  const spec = { argv, columns: opts.columns ?? 80, env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs / 1000 };
  const child = spawn("python3", ["-c", PTY_RELAY, JSON.stringify(spec)], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let status = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
    onOutput?.(output);
    for (const w of waiters) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    status += d;
  });
  const result = new Promise<PtyResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", () => {
      for (const w of waiters) w();
      try {
        resolve({ ...(JSON.parse(status) as Omit<PtyResult, "output" | "pending">), output, pending: 0 });
      } catch {
        reject(new Error(`pty relay failed: ${status}`));
      }
    });
  });
  return {
    output: () => output,
    send: (text) => void child.stdin.write(text),
    result,
    waitFor: (pattern, timeoutMs = 10_000) =>
      waitForMatch({ child, waiters, text: () => output, pattern, timeoutMs, shown: "showing", so: "output" }),
  };
}

/**
 * The first match of `pattern` in a running program's `text()`, checked now and whenever `waiters` are
 * called (on new output); rejects, with what was seen, when the program exits first or time runs out.
 */
export function waitForMatch(o: {
  child: ChildProcess;
  waiters: Set<() => void>;
  text: () => string;
  pattern: RegExp;
  timeoutMs: number;
  /** For the messages: "showing" / "printing", and what `text` is ("output", "stderr"). */
  shown: string;
  so: string;
  more?: () => string;
}): Promise<RegExpMatchArray> {
  const { child, waiters, pattern } = o;
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = o.text().match(pattern);
      if (m) {
        done();
        resolve(m);
      } else if (child.exitCode !== null || child.signalCode !== null) {
        done();
        reject(
          new Error(
            `the program exited (${child.exitCode}) before ${o.shown} ${pattern}:\n${o.text()}${o.more?.() ?? ""}`,
          ),
        );
      }
    };
    const t = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${pattern}; ${o.so} so far:\n${o.text()}`));
    }, o.timeoutMs);
    const done = () => {
      clearTimeout(t);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });
}

/** A port nothing listens on right now (the OS picks it; it is free again once this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A process that sleeps for the whole test file, started before its tests and killed after them: a live
 * lock holder (or temp file writer) on this host that is not the CLI. Call at the top level of a file.
 */
export function sleeperProcess(): { readonly pid: number } {
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
    await new Promise((r) => child?.on("spawn", r));
  });
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  });
  return {
    get pid() {
      return child?.pid as number;
    },
  };
}

/** The pid of a process that has exited and been reaped (a lock holder or temp file writer that died). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid as number;
  await new Promise((r) => child.on("close", r));
  // Vanishingly unlikely, but a recycled pid would make a test meaningless: make sure it is gone.
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

/** Whether a TCP connection to host:port is accepted. */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * `codex <args>` with a child writing `first`, then `chunk` over and over, to its standard input until codex
 * exits (the writer is then killed); resolves with codex's result and how long it ran.
 */
export function runWithEndlessInput(
  args: string[],
  opts: { home: string; env?: Record<string, string | undefined>; chunk: string; first?: string },
): Promise<RunResult & { ms: number }> {
  const writer = spawn(process.execPath, [
    "-e",
    `process.stdout.on("error", () => process.exit(0));
     process.stdout.write(${JSON.stringify(opts.first ?? "")});
     const b = Buffer.from(${JSON.stringify(opts.chunk)}.repeat(4096)); const w = () => process.stdout.write(b, w); w();`,
  ]);
  const cli = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(opts.home, opts.env),
    stdio: [writer.stdout, "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  cli.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  cli.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const start = performance.now();
  const timer = setTimeout(() => cli.kill("SIGKILL"), 20_000);
  return new Promise((resolve) => {
    cli.on("close", (code, signal) => {
      clearTimeout(timer);
      writer.kill("SIGKILL");
      resolve({ code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** GET `url` (node:http); resolves with the status code and body. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

/** What config.toml holds of an OAuth session: its text, and each value as written (TOML datetimes raw). */
export function storedSession(configFile: string) {
  const text = readFileSync(configFile, "utf8");
  const value = (key: string) => new RegExp(`^${key} = ([^\\r\\n]*)`, "m").exec(text)?.[1];
  const quoted = (key: string) => new RegExp(`^${key} = "([^"]+)"`, "m").exec(text)?.[1];
  return {
    text,
    access: quoted("auth_token"),
    refresh: quoted("refresh_token"),
    expiresAt: value("expires_at"),
    refreshedAt: value("refreshed_at"),
    endedAt: value("ended_at"),
  };
}
