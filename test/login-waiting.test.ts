/**
 * Waiting is visible (#19): while `codex login` waits for the browser or for a device code, it says so, how
 * long is left and how to cancel. On a terminal (a real pty) that is one line redrawn in place each second and
 * erased when the wait ends; piped, it is a plain line with the deadline and then at most one a minute. The
 * time left comes from the flow's own deadline: the browser's 10 minutes, the issuer's `expires_in` (at most
 * an hour) for a device code.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, test, vi } from "vitest";
import { createIO } from "../src/commands/io.js";
import { showWaiting } from "../src/commands/waiting.js";
import { freePort, runCliInPty, withConfig } from "./helpers.js";
import { approveDevice } from "./support/browser.js";
import { startCli } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";
import { type OpenAIFake, startOpenAIFake } from "./support/openai-fake.js";

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: CR and ESC are what a status line is made of
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ERASE = "\r\x1b[2K";
const CONTROL = /[\r\x1b]/;
const BROWSER_LINE = /\r\x1b\[2KWaiting for you to sign in in the browser… (\d+):(\d\d) left \(Ctrl-C to cancel\)/g;
const DEVICE_LINE = /\r\x1b\[2KWaiting for you to enter the code… (\d+):(\d\d) left \(Ctrl-C to cancel\)/g;

async function openaiConfig(fake: OpenAIFake): Promise<string> {
  return `[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\nredirect_port = ${await freePort()}\n`;
}

/** What the browser does with OpenAI's sign-in page: the fake approves at once and redirects to codex. */
async function completeInBrowser(url: string): Promise<void> {
  const page = await fetch(url, { redirect: "manual" });
  const callback = page.headers.get("location") as string;
  expect(callback).toContain("code=");
  const answer = await fetch(callback.replace("//localhost:", "//127.0.0.1:"));
  expect(answer.status).toBe(200);
  await answer.text();
}

async function until<T>(what: string, get: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Seconds shown by each redraw of the line, in order. */
function countdown(output: string, line: RegExp): number[] {
  return [...output.matchAll(line)].map((m) => Number(m[1]) * 60 + Number(m[2]));
}

/** Each redraw shows one second less than the one before (a redraw of the same second is allowed). */
function expectCountingDown(seconds: number[], from: number, atLeast: number): void {
  expect(seconds.length).toBeGreaterThanOrEqual(atLeast);
  expect(seconds[0]).toBeLessThanOrEqual(from);
  expect(seconds[0]).toBeGreaterThanOrEqual(from - 1);
  for (let i = 1; i < seconds.length; i++) {
    const step = (seconds[i - 1] as number) - (seconds[i] as number);
    expect(step === 0 || step === 1, `${seconds.join(",")}`).toBe(true);
  }
  expect((seconds[0] as number) - (seconds.at(-1) as number)).toBeGreaterThanOrEqual(atLeast - 1);
}

/** The local time of day `ms` from `start`, as codex prints a deadline. */
const hhmm = (at: number) => {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

describe("on a terminal", () => {
  test("browser: one line redrawn in place, counting down from 10:00 and saying Ctrl-C; erased once signed in", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = withConfig(await openaiConfig(fake));
    const opened = join(home, "opened-url");
    const script = join(home, "browser.cjs");
    writeFileSync(script, `require("fs").writeFileSync(${JSON.stringify(opened)}, process.argv[2]);\n`);
    // --port: the browser sign-in without the chooser a terminal would otherwise get.
    const running = runCliInPty(["login", "--port", String(await freePort())], {
      home,
      env: { BROWSER: `${process.execPath} ${script}` },
      timeoutMs: 15_000,
    });
    const url = await until("the browser to be opened", () => {
      try {
        // The stand-in browser creates the file before it writes the URL: empty is not yet.
        return readFileSync(opened, "utf8") || undefined;
      } catch {
        return undefined;
      }
    });
    await sleep(2_300);
    await completeInBrowser(url);
    const r = await running;
    expect(r.timedOut).toBe(false);
    expect(r.code, r.output).toBe(0);
    expectCountingDown(countdown(r.output, BROWSER_LINE), 600, 3);
    // The last redraw is erased before the result is written, so the result starts on a clean line.
    const last = r.output.lastIndexOf("Waiting for you");
    expect(r.output.slice(last)).toMatch(/^Waiting for you[^\r\n]*\r\x1b\[2K✅ Logged in using ChatGPT as /);
    // Only the status line uses \r: every other line is written whole.
    expect(r.output.replaceAll(BROWSER_LINE, "").replaceAll(ERASE, "").replaceAll("\r\n", "\n")).not.toContain("\r");
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });

  test("device: counts down from the issuer's expires_in; Ctrl-C erases the line, says cancelled, exit 1, nothing stored", async () => {
    const server = await startOAuthServer({ deviceExpiresIn: 300 });
    const { home, configFile } = withConfig(`[oauth]\nissuer = "${server.issuer}"\nclient_id = "${server.clientId}"\n`);
    const before = readFileSync(configFile);
    const r = await runCliInPty(["login", "--device-auth"], {
      home,
      steps: [{ wait: "4:58 left", send: "\x03" }],
      timeoutMs: 15_000,
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.code, r.output).toBe(1);
    expectCountingDown(countdown(r.output, DEVICE_LINE), 300, 3);
    // The terminal echoes ^C after the line; both go, and the error has a line of its own.
    expect(r.output).toMatch(
      /4:58 left \(Ctrl-C to cancel\)(\^C)?(\r\x1b\[2KWaiting for you[^\r\n]*)*\r\x1b\[2Kerror: sign-in cancelled; nothing was stored\r\n$/,
    );
    expect(readFileSync(configFile)).toEqual(before);
  });

  test("device with ChatGPT: the line is erased when the code is approved, before the result", async () => {
    const fake = await startOpenAIFake({ deviceInterval: "1" });
    const { home } = withConfig(await openaiConfig(fake));
    const running = runCliInPty(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    await until("the first poll", () => (fake.devicePolls.length > 0 ? true : undefined));
    await sleep(2_200);
    fake.approveDevice();
    const r = await running;
    expect(r.code, r.output).toBe(0);
    // OpenAI's code lasts Codex's 15 minutes.
    expectCountingDown(countdown(r.output, DEVICE_LINE), 900, 3);
    const last = r.output.lastIndexOf("Waiting for you");
    expect(r.output.slice(last)).toMatch(/^Waiting for you[^\r\n]*\r\x1b\[2K✅ Logged in using ChatGPT as /);
  });

  test("TERM=dumb (no cursor control): plain lines, as when piped", async () => {
    const fake = await startOpenAIFake();
    const { home } = withConfig(await openaiConfig(fake));
    const r = await runCliInPty(["login", "--device-auth"], {
      home,
      env: { TERM: "dumb" },
      steps: [{ wait: "Press Ctrl-C to cancel.", send: "\x03" }],
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain("Waiting for you to enter the code for up to 15 minutes (until ");
    expect(r.output).not.toContain("\x1b");
    expect(r.output.replaceAll("\r\n", "\n")).not.toContain("\r");
  });
});

describe("piped", () => {
  test("browser: one plain line with the wait and its deadline, nothing each second, no control characters", async () => {
    const fake = await startOpenAIFake();
    const { home } = withConfig(await openaiConfig(fake));
    const start = Date.now();
    const cli = startCli(["login", "--no-browser"], { home, timeoutMs: 20_000 });
    const [, url] = await cli.waitFor(/^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m);
    await sleep(1_500);
    await completeInBrowser(url as string);
    const r = await cli.result;
    const end = Date.now();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(CONTROL);
    const waiting = r.stderr.split("\n").filter((l) => l.includes("aiting"));
    expect(waiting).toHaveLength(1);
    const deadlines = new Set([hhmm(start + 600_000), hhmm(end + 600_000)]);
    const [, until] =
      /^Waiting for you to sign in in the browser for up to 10 minutes \(until (\d\d:\d\d)\)\. Press Ctrl-C to cancel\.$/.exec(
        waiting[0] as string,
      ) ?? [undefined, "no match"];
    expect([...deadlines], waiting[0]).toContain(until);
    expect(r.stderr.endsWith("Press Ctrl-C to cancel.\n")).toBe(true);
  });

  test.each([
    [300, "5 minutes"],
    // A lifetime past what a timer holds: codex waits an hour, and says so (it used to fail outright).
    [1e10, "60 minutes"],
  ])("device, expires_in %d: says it waits %s; Ctrl-C cancels, exit 1", async (expiresIn, shown) => {
    const server = await startOAuthServer({ deviceExpiresIn: expiresIn });
    const { home } = withConfig(`[oauth]\nissuer = "${server.issuer}"\nclient_id = "${server.clientId}"\n`);
    const cli = startCli(["login", "--device-auth"], { home, timeoutMs: 20_000 });
    await cli.waitFor(/Press Ctrl-C to cancel\.\n/);
    cli.kill("SIGINT");
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `\\nWaiting for you to enter the code for up to ${shown} \\(until \\d\\d:\\d\\d\\)\\. Press Ctrl-C to cancel\\.\\n\\nerror: sign-in cancelled; nothing was stored\\n$`,
      ),
    );
    expect(r.stderr).not.toMatch(CONTROL);
  });

  test('device, approved: one waiting line (expires_in 120 is "2 minutes"), the session is stored', async () => {
    const server = await startOAuthServer({ deviceExpiresIn: 120 });
    const { home, configFile } = withConfig(`[oauth]\nissuer = "${server.issuer}"\nclient_id = "${server.clientId}"\n`);
    const cli = startCli(["login", "--device-auth"], { home, timeoutMs: 30_000 });
    const [, verification] = await cli.waitFor(/open this page on any device:\n\n {2}(\S+)\n/);
    const [, code] = await cli.waitFor(/enter the code: (\S+)/);
    await cli.waitFor(/for up to 2 minutes \(until \d\d:\d\d\)/);
    await approveDevice(verification as string, code as string);
    const r = await cli.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.includes("aiting"))).toHaveLength(1);
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });
});

describe("the status line (io.ts) and the countdown (waiting.ts)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An IO whose stdout and stderr both write, in order, to one string (as on one terminal). */
  function capture(isTTY: boolean, columns?: number) {
    let written = "";
    const sink = () =>
      ({
        isTTY,
        columns,
        write(text: string) {
          written += text;
          return true;
        },
      }) as unknown as NodeJS.WritableStream;
    const io = createIO({}, { stdin: new PassThrough(), stdout: sink(), stderr: sink() });
    return { io, written: () => written };
  }

  test("piped: a line every second for 15 minutes writes 15 lines (the first, then one a minute)", () => {
    vi.useFakeTimers();
    const { io, written } = capture(false);
    const line = io.statusLine();
    expect(line.live).toBe(false);
    for (let s = 0; s < 15 * 60; s++) {
      line.show(`second ${s}\x1b[2J`);
      vi.advanceTimersByTime(1000);
    }
    line.end();
    const lines = written().split("\n").slice(0, -1);
    expect(lines).toEqual(Array.from({ length: 15 }, (_, m) => `second ${m * 60}`));
  });

  test("terminal: redrawn in place, cut to the width (room for ^C), erased before other output and by end", () => {
    const { io, written } = capture(true, 40);
    const line = io.statusLine();
    expect(line.live).toBe(true);
    line.show("a".repeat(60));
    line.show("short");
    io.err("other");
    line.show("again");
    io.out("result");
    line.show("last");
    line.end();
    line.show("after the end");
    expect(written()).toBe(
      `${ERASE}${"a".repeat(36)}…${ERASE}short${ERASE}other\n${ERASE}again${ERASE}result\n${ERASE}last${ERASE}`,
    );
  });

  test("the countdown, piped: the deadline, then one line a minute with the minutes left; no timer after the end", () => {
    vi.useFakeTimers({ now: new Date("2030-01-02T03:04:05.678Z") });
    const { io, written } = capture(false);
    const until = new Date(Date.now() + 600_000);
    const stop = showWaiting(io, () => new Date(), "you to sign in in the browser", until);
    vi.advanceTimersByTime(599_000);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(written().split("\n")).toEqual([
      `Waiting for you to sign in in the browser for up to 10 minutes (until ${hhmm(until.getTime())}). Press Ctrl-C to cancel.`,
      ...[9, 8, 7, 6, 5, 4, 3, 2].map((n) => `Still waiting for you to sign in in the browser: ${n} minutes left.`),
      "Still waiting for you to sign in in the browser: 1 minute left.",
      "",
    ]);
  });

  test("the countdown on a terminal: each second once, by the given clock, even when timers run late; stops at 0:00", () => {
    vi.useFakeTimers({ now: new Date("2030-01-02T03:04:05.678Z") });
    const { io, written } = capture(true, 80);
    // A clock 1% ahead of the timers, as timers that fire late: the countdown still shows every second once.
    const start = Date.now();
    const clock = () => new Date(start + (Date.now() - start) * 1.01);
    const stop = showWaiting(io, clock, "you to enter the code", new Date(start + 900_000));
    vi.advanceTimersByTime(3_100);
    const shown = (t: string) => `${ERASE}Waiting for you to enter the code… ${t} left (Ctrl-C to cancel)`;
    expect(written()).toBe(["15:00", "14:59", "14:58", "14:57"].map(shown).join(""));
    vi.advanceTimersByTime(900_000);
    expect(written().endsWith(`${shown("0:01")}${shown("0:00")}`)).toBe(true);
    expect(written().split(ERASE)).toHaveLength(902);
    // Nothing is left to tick once the time is up, whether or not the flow has ended it yet.
    expect(vi.getTimerCount()).toBe(0);
    stop();
    expect(written().endsWith(`${shown("0:00")}${ERASE}`)).toBe(true);
  });
});
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: end
