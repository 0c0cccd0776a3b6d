/**
 * What every `codex doctor` report must hold, whatever the home: its checks tell one story. A check that
 * gives a ✓ must not contradict one that reports a problem ("✗ not logged in" then "✓ no credential
 * stored"), and one cause is one problem (the same fix is never asked for twice).
 */
import { expect } from "vitest";

export interface StoryCheck {
  id: string;
  status: string;
  message: string;
  fix?: string | undefined;
}

/** The checks that speak of the credential in use: where it is stored, which variable supplies it, … */
const ABOUT_THE_CREDENTIAL = ["places", "environment", "session", "provider"];

/** Absolute paths in a message, without the punctuation around them. */
function pathsIn(text: string): string[] {
  return text.match(/\/[^\s:,;()`'"]+/g) ?? [];
}

export function expectOneStory(checks: StoryCheck[]): void {
  const dump = JSON.stringify(checks, null, 1);
  // No credential in use (none, unreadable, or one codex will not use): nothing else gives a ✓ about it.
  const credential = checks.find((c) => c.id === "credential");
  if (credential !== undefined && credential.status !== "ok") {
    for (const c of checks.filter((c) => ABOUT_THE_CREDENTIAL.includes(c.id))) {
      expect(c.status, `"${c.message}" is a ✓ beside "${credential.message}"\n${dump}`).not.toBe("ok");
    }
  }
  // A file the config check could not load (or what stands in its place) gets no ✓ from another check.
  for (const broken of checks.filter((c) => c.id === "config" && c.status === "problem")) {
    for (const path of pathsIn(broken.message)) {
      for (const c of checks.filter((c) => c.status === "ok")) {
        expect(
          pathsIn(c.message),
          `"${c.message}" is a ✓ about ${path}, which "${broken.message}"\n${dump}`,
        ).not.toContain(path);
      }
    }
  }
  // One cause, one problem.
  const fixes = checks.filter((c) => c.status === "problem").map((c) => c.fix);
  expect(
    fixes.filter((f, i) => fixes.indexOf(f) !== i),
    `a fix given twice\n${dump}`,
  ).toEqual([]);
}
