/**
 * Test helpers: every behaviour test spawns the built CLI (dist/cli.js, built by `npm install` /
 * `npm run build`) as a child process, in a throwaway CODEX_HOME, with a clean environment.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");
export const CLI = join(ROOT, "dist", "cli.cjs");

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
  opts: RunOptions & { env?: NodeJS.ProcessEnv | Record<string, string | undefined> } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
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
    child.stdin.end(opts.input ?? "");
  });
}

/** The CODEX_HOME that `cleanEnv(home)` points the CLI at. */
export function codexHomeOf(home: string): string {
  return join(home, ".codex");
}

/** A throwaway HOME whose CODEX_HOME holds config.toml with exactly these bytes; returns paths to both. */
export function homeWithConfig(content: string | Buffer | undefined, prefix = "codex-test-"): {
  home: string;
  codexHome: string;
  configFile: string;
} {
  const home = tempDir(prefix);
  const codexHome = codexHomeOf(home);
  mkdirSync(codexHome, { recursive: true, mode: 0o700 });
  const configFile = join(codexHome, "config.toml");
  if (content !== undefined) writeFileSync(configFile, content);
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
