/** What the network-fault suites (client-stream-faults, logout-revoke-faults) check of every run. */
import { performance } from "node:perf_hooks";
import { expect } from "vitest";
import { expectNoSecret, type RunResult } from "../helpers.js";

/** The key the fault suites store; no output may show it. */
export const KEY = "sk-netfault-0123456789abcdefKEY7";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` and returns its result with the wall-clock time it took, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

/** No stack trace, no crash report, and no secret on either stream. */
export function expectClean(r: RunResult, ...secrets: string[]): void {
  for (const stream of [r.stdout, r.stderr]) {
    expect(stream).not.toMatch(/^\s+at /m);
    expect(stream).not.toMatch(/SyntaxError|TypeError|Unexpected token|unexpected failure/);
  }
  expectNoSecret(r, KEY, ...secrets);
}

/** stderr is exactly one line starting with `prefix`; returns the rest of it. */
export function oneLine(r: RunResult, prefix: "error: " | "warning: "): string {
  expect(r.stderr, r.stderr).toMatch(/^[^\n]+\n$/);
  expect(r.stderr.startsWith(prefix), r.stderr).toBe(true);
  return r.stderr.slice(prefix.length, -1);
}
