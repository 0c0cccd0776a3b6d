/**
 * Running `codex login` against the test authorization server (./oauth-server.ts) with a real browser
 * (./browser.ts): start the CLI, read the URL it prints, sign in, wait for it to exit.
 *
 *   const server = await startOAuthServer();
 *   const { home } = withConfig(oauthConfig(server));
 *   const login = await browserLogin(home);           // exit 0, session stored
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { CLI, cleanEnv, codexHomeOf, freePort, type RunResult, waitForMatch } from "../helpers.js";
import { signInWithBrowser } from "./browser.js";
import type { OAuthServer } from "./oauth-server.js";

/** config.toml text pointing `[oauth]` at the test server, with a free redirect port. */
export async function oauthConfig(server: OAuthServer, extra = ""): Promise<string> {
  return `[oauth]\nissuer = "${server.issuer}"\nclient_id = "${server.clientId}"\nredirect_port = ${await freePort()}\n${extra}`;
}

export interface RunningCli {
  /** Resolves with the first match of `pattern` in stderr (waiting for more output as needed). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
  result: Promise<RunResult>;
}

/** Starts the built CLI in the background, stdin closed (no terminal), with a clean environment. */
export function startCli(
  args: string[],
  opts: { home: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(opts.home, opts.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of waiters) w();
  });
  child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const result = new Promise<RunResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    result,
    kill: (signal) => child.kill(signal),
    waitFor: (pattern, timeoutMs = 15_000) =>
      waitForMatch({
        child,
        waiters,
        text: () => stderr,
        pattern,
        timeoutMs,
        shown: "printing",
        so: "stderr",
        more: () => `\n${stdout}`,
      }),
  };
}

/** The sign-in URL `codex login` prints. */
export const AUTH_URL = /^\s+(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m;

/** Runs `codex login --no-browser` and signs in through the real browser; returns the CLI's result. */
export async function browserLogin(
  home: string,
  options: { login?: string; args?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  const cli = startCli(["login", "--no-browser", ...(options.args ?? [])], { home, env: options.env });
  const [, url] = await cli.waitFor(AUTH_URL);
  await signInWithBrowser(url as string, { login: options.login ?? "alice" });
  return cli.result;
}

/** `browserLogin`, expected to succeed; returns the tokens it stored. */
export async function signedIn(
  home: string,
  options: { login?: string } = {},
): Promise<{ accessToken: string; refreshToken: string; config: string }> {
  const r = await browserLogin(home, options);
  expect(r.code, r.stderr).toBe(0);
  const config = readFileSync(join(codexHomeOf(home), "config.toml"), "utf8");
  const accessToken = /^auth_token = "([^"]+)"$/m.exec(config)?.[1] ?? "";
  const refreshToken = /^refresh_token = "([^"]+)"$/m.exec(config)?.[1] ?? "";
  expect(accessToken).not.toBe("");
  return { accessToken, refreshToken, config };
}
