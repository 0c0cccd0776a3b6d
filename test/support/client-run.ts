/**
 * `codex run` against a real local provider (./provider.ts): the keys, the config.toml and the checks that
 * run.test.ts and the client-*.test.ts files (one per part of src/api/client.ts) share.
 */
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { expect } from "vitest";
import { expectNoSecret, type RunResult, withConfig } from "../helpers.js";
import { runCliInProcess } from "./in-process.js";
import { type FakeProvider, type Script, sseEvent } from "./provider.js";

export const KEY = "sk-run-test-0123456789abcdefKEY1";
export const CODEX_KEY = "sk-run-test-0123456789abcdefKEY2";
export const STORED_KEY = "sk-run-test-0123456789abcdefKEY3";
export const PROVIDER_KEY = "sk-run-test-0123456789abcdefKEY4";
export const ALL_KEYS = [KEY, CODEX_KEY, STORED_KEY, PROVIDER_KEY];

/** The environment for the built-in provider pointed at the local server, with OPENAI_API_KEY. */
export function envFor(server: FakeProvider, extra: Record<string, string | undefined> = {}) {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl, ...extra };
}

/**
 * config.toml selecting provider `x` at the local server. `top` goes above the table (top-level keys),
 * `provider` inside `[model_providers.x]`. The provider takes OpenAI's credentials (`requires_openai_auth`),
 * so OPENAI_API_KEY reaches it; other providers never receive it (test/security-routing.test.ts).
 */
export function providerToml(server: FakeProvider, provider = "", top = ""): string {
  return `${top}
model_provider = "x"

[model_providers.x]
name = "Local"
base_url = "${server.baseUrl}"
requires_openai_auth = true
${provider}
`;
}

/** A home whose config.toml selects provider `x` at the local server. */
export function providerHome(server: FakeProvider, provider = "", top = "") {
  return withConfig(providerToml(server, provider, top));
}

/** Runs `codex run …` with the config of `providerHome`, OPENAI_API_KEY set, and returns the result. */
export async function runWithProvider(
  server: FakeProvider,
  args: string[],
  opts: { provider?: string; top?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<RunResult> {
  const { home } = providerHome(server, opts.provider, opts.top);
  return runCliInProcess(["run", ...args], { home, env: { OPENAI_API_KEY: KEY, ...opts.env }, input: opts.input });
}

/** No stack trace, no "unexpected failure", and no key on either stream. */
export function expectClean(r: RunResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain("unexpected failure");
  expect(r.stderr).not.toContain("--debug");
  expectNoSecret(r, ...ALL_KEYS);
}

/** A reply that broke: exit 1, what arrived stays on stdout, one error line containing every part. */
export function expectBroken(r: RunResult, printed: string, ...parts: string[]): string {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe(printed);
  return expectOneError(r, parts);
}

export function expectOneError(r: RunResult, parts: string[]): string {
  const msg = oneError(r);
  for (const part of parts) expect(msg).toContain(part);
  return msg;
}

/** Exit 0, `stdout` exactly, nothing on stderr. */
export function expectReply(r: RunResult, stdout: string): void {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(stdout);
}

/** The first event of a Responses stream. */
export const CREATED = sseEvent(
  { type: "response.created", response: { id: "r", model: "gpt-test", status: "in_progress" } },
  "response.created",
);

/** Drops the connection without answering. */
export const reset: Script = (_req, res) => {
  res.socket?.destroy();
};

/** Exit `code`, nothing on stdout, one error line containing every part; returns the message. */
export function expectFailed(r: RunResult, code: number, ...parts: string[]): string {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe("");
  return expectOneError(r, parts);
}

/** stderr is exactly one `error: …` line; returns the message. */
export function oneError(r: RunResult): string {
  const lines = r.stderr.split("\n");
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[1]).toBe("");
  expect(lines[0]).toMatch(/^error: /);
  return (lines[0] as string).slice("error: ".length);
}

/** Wraps a script so the time each request arrived is recorded. */
export function stamped(times: number[], script: Script): Script {
  return (req, res) => {
    times.push(performance.now());
    return script(req, res);
  };
}

/**
 * Response headers that make the server close the connection after answering. The messages tests for
 * 401 and non-stream answers use them so that they do not depend on how the CLI releases a body it does not
 * read; "the process exits promptly" tests that separately.
 */
export const CLOSE = { connection: "close" };

/** The UTF-8 byte length of a string. */
export const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** A port on 127.0.0.1 where nothing listens (it was bound, then closed). */
export async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return address.port;
}
