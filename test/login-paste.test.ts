/**
 * Paste-back sign-in (#21): a browser on another machine (SSH, a container, WSL) cannot reach codex's loopback
 * listener and ends on a page that cannot connect. On a terminal, `codex login` also takes that page's address,
 * pasted, while the listener waits; whichever comes first wins. The test plays the browser elsewhere: it follows
 * the authorization URL, approves, and takes the final redirect without calling the loopback, then types it into
 * a real pty. Against the standard test server (oidc-provider, through Chromium) and OpenAI's fake.
 *
 * A pasted address is judged as the listener judges a request: another sign-in's state is refused (nothing is
 * exchanged or stored, and the wait goes on: the listener still takes the real one); a code alone, text that is
 * not the callback, and an over-long line get one warning each; none of them is echoed. Ctrl-C and Esc cancel.
 */
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { describe, expect, test, vi } from "vitest";
import {
  Config,
  loginWithBrowser,
  MAX_PASTE_CHARS,
  oauthSettings,
  type PasteBack,
  type PasteRefusal,
} from "codex-credentials";
import { createIO } from "../src/commands/io.js";
import { freePort, type PtySession, startCliInPty, withConfig } from "./helpers.js";
import { signInWithBrowser } from "./support/browser.js";
import { oauthConfig } from "./support/oauth-cli.js";
import { startOAuthServer } from "./support/oauth-server.js";
import { type OpenAIFake, startOpenAIFake } from "./support/openai-fake.js";

const AUTH_URL = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\r?$/m;
/** Shown once the terminal is taken over (raw mode is set before the URL is shown). */
const WAITING = /Waiting for you to sign in in the browser…/;
const BOTH_WAYS =
  "After you approve, a browser on this machine returns to codex by itself. A browser elsewhere ends on a page that cannot connect: paste that page's address here and press Enter.";
const FOREIGN =
  "warning: that address is from another sign-in (its state is not this one's); paste the address of the sign-in started here, or press Ctrl-C and run `codex login` again; nothing was stored";

/** The terminal's text without the status line's redraws and CRs: what a reader sees, line by line. */
const plain = (output: string) =>
  output
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the status line is drawn with CR and ESC
    .replace(/\r\x1b\[2K(?:(?:Waiting for|Pasted \d+)[^\r\n]*?\(Ctrl-C to cancel\))?/g, "")
    .replaceAll("\r\n", "\n");

async function openaiHome(fake: OpenAIFake) {
  return withConfig(`[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\nredirect_port = ${await freePort()}\n`);
}

/** OpenAI's sign-in page in a browser elsewhere: the fake approves at once; the redirect is not followed. */
async function approveElsewhere(url: string): Promise<string> {
  const page = await fetch(url, { redirect: "manual" });
  const callback = page.headers.get("location") as string;
  expect(callback).toMatch(/^http:\/\/localhost:\d+\/auth\/callback\?/);
  return callback;
}

async function started(cli: PtySession): Promise<string> {
  const [, url] = await cli.waitFor(AUTH_URL);
  await cli.waitFor(WAITING);
  return url as string;
}

describe("the address pasted signs in", () => {
  test("standard issuer: the whole address, from a browser that could not reach the loopback", async () => {
    const server = await startOAuthServer();
    const { home, configFile } = withConfig(await oauthConfig(server));
    const cli = startCliInPty(["login", "--no-browser"], { home });
    const url = await started(cli);
    expect(plain(cli.output())).toContain(BOTH_WAYS);
    const browser = await signInWithBrowser(url, { login: "alice", elsewhere: true });
    expect(browser.text).toMatch(/^navigation failed/);
    const callback = new URL(browser.url);
    expect(callback.pathname).toBe("/auth/callback");
    const code = callback.searchParams.get("code") as string;
    expect(code.length).toBeGreaterThan(10);
    cli.send(`${browser.url}\r`);
    const r = await cli.result;
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).toMatch(/✅ Logged in as alice@example\.com with 127\.0\.0\.1:\d+ \(OAuth\), stored in /);
    expect(r.output).not.toContain(code);
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
    expect(server.counts().codeExchanges).toBe(1);
  });

  test("OpenAI's sign-in: the query alone (code=…&state=…), with spaces around it", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const cli = startCliInPty(["login", "--no-browser"], { home });
    const callback = new URL(await approveElsewhere(await started(cli)));
    cli.send(`  ${callback.search.slice(1)} \r`);
    const r = await cli.result;
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).toContain("✅ Logged in using ChatGPT as ");
    expect(r.output).not.toContain(callback.searchParams.get("code") as string);
    expect(fake.tokenRequests).toHaveLength(1);
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });

  test("after the chooser (a terminal, no flag, BROWSER=none): the browser chosen, the address pasted", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const cli = startCliInPty(["login"], { home, env: { BROWSER: "none" } });
    await cli.waitFor(/How do you want to sign in\?/);
    cli.send("\r");
    const callback = await approveElsewhere(await started(cli));
    expect(plain(cli.output())).toContain(BOTH_WAYS);
    cli.send(`${callback}\r`);
    const r = await cli.result;
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).toContain("✅ Logged in using ChatGPT as ");
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });

  test("an error redirect pasted is reported as the listener reports it; nothing is stored", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const before = readFileSync(configFile, "utf8");
    fake.denyNextAuthorize();
    const cli = startCliInPty(["login", "--no-browser"], { home });
    const callback = await approveElsewhere(await started(cli));
    expect(callback).toContain("error=access_denied");
    cli.send(`${callback}\r`);
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(plain(r.output)).toMatch(/\nerror: the sign-in was denied in the browser; nothing was stored\n$/);
    expect(fake.tokenRequests).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe(before);
  });
});

describe("what is refused", () => {
  test("another sign-in's state: a warning, nothing exchanged or stored; the listener still takes the real one", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const before = readFileSync(configFile, "utf8");
    const cli = startCliInPty(["login", "--no-browser"], { home });
    const callback = new URL(await approveElsewhere(await started(cli)));
    const code = callback.searchParams.get("code") as string;
    const forged = new URL(callback);
    forged.searchParams.set("state", "someone-elses-state-0123456789");
    cli.send(`${forged.href}\r`);
    await cli.waitFor(/that address is from another sign-in[^\n]*\n/);
    expect(plain(cli.output())).toContain(`${FOREIGN}\n`);
    expect(fake.tokenRequests).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe(before);
    // The loopback, meanwhile, still answers and finishes the sign-in.
    const answer = await fetch(callback.href.replace("//localhost:", "//127.0.0.1:"));
    expect(answer.status).toBe(200);
    await answer.text();
    const r = await cli.result;
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain(code);
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });

  test("a code alone, garbage, another page's address and an over-long line: a warning each, never echoed; Ctrl-C cancels", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const before = readFileSync(configFile, "utf8");
    const cli = startCliInPty(["login", "--no-browser"], { home, timeoutMs: 20_000 });
    const url = await started(cli);
    const port = /redirect_uri=http%3A%2F%2Flocalhost%3A(\d+)/.exec(url)?.[1];
    const callback = new URL(await approveElsewhere(url));
    const code = callback.searchParams.get("code") as string;

    cli.send(`${code}\r`);
    await cli.waitFor(/that looks like a code alone/);
    cli.send(`code=${code}\r`);
    await cli.waitFor(/that has no state/);
    // Escape sequences and control characters never reach the line: this is plain garbage.
    cli.send("hello \x1b[31mworld\x1b]0;title\x07 \x07\r");
    await cli.waitFor(/that is not the address of codex's sign-in callback/);
    cli.send(`${url}\r`);
    await cli.waitFor(/that is not the address[^\n]*\n[^\n]*that is not the address/);
    cli.send(`http://localhost:${port}/auth/callback?state=${"x".repeat(20_000)}\r`);
    await cli.waitFor(/the pasted line is over 8192 characters/, 15_000);
    cli.send("\x03");
    const r = await cli.result;
    expect(r.code).toBe(1);
    const shown = plain(r.output);
    const paste = `paste the whole address the browser ended on (http://localhost:${port}/auth/callback?code=…&state=…) and press Enter`;
    expect(shown).toContain(
      `warning: that looks like a code alone, which carries nothing to show it is from this sign-in, so it was not used; ${paste}\n`,
    );
    expect(shown).toContain(
      `warning: that has no state, which would show it is from this sign-in, so it was not used; ${paste}\n`,
    );
    expect(shown).toContain(
      `warning: that is not the address of codex's sign-in callback; ${paste}\n`,
    );
    expect(shown).toContain(
      `warning: the pasted line is over 8192 characters, longer than any sign-in address; ${paste}\n`,
    );
    expect(shown).toMatch(/\nerror: sign-in cancelled; nothing was stored\n$/);
    // Nothing typed was echoed: not the code, not the garbage, not the escape sequences.
    expect(r.output).not.toContain(code);
    expect(r.output).not.toContain("hello");
    expect(r.output).not.toContain("\x1b]0;");
    expect(r.output).not.toContain("xxxxxxxx");
    expect(fake.tokenRequests).toEqual([]);
    expect(readFileSync(configFile, "utf8")).toBe(before);
  });

  test("Esc cancels; a half-typed address is shown only as its length", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const before = readFileSync(configFile, "utf8");
    const cli = startCliInPty(["login", "--no-browser"], { home });
    await started(cli);
    cli.send("http://localhost");
    await cli.waitFor(/Pasted 16 characters: press Enter to use them… \d+:\d\d left \(Ctrl-C to cancel\)/);
    cli.send("\x1b");
    const r = await cli.result;
    expect(r.code).toBe(1);
    expect(plain(r.output)).toMatch(/\nerror: sign-in cancelled; nothing was stored\n$/);
    expect(r.output).not.toContain("http://localhost\r");
    expect(readFileSync(configFile, "utf8")).toBe(before);
  });
});

describe("the loopback first, while a paste is offered", () => {
  test("the browser on this machine reaches the listener: signed in, the terminal let go (the process exits)", async () => {
    const fake = await startOpenAIFake();
    const { home, configFile } = await openaiHome(fake);
    const cli = startCliInPty(["login", "--no-browser"], { home });
    const callback = await approveElsewhere(await started(cli));
    cli.send("http://local");
    await cli.waitFor(/Pasted 12 characters/);
    const answer = await fetch(callback.replace("//localhost:", "//127.0.0.1:"));
    expect(answer.status).toBe(200);
    await answer.text();
    const r = await cli.result;
    expect(r.timedOut).toBe(false);
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).toContain("✅ Logged in using ChatGPT as ");
    expect(readFileSync(configFile, "utf8")).toContain("[oauth_session]");
  });
});

describe("the library's side (loginWithBrowser with a PasteBack, from the built package)", () => {
  test("the paste wins: the listener is closed and the reading stopped, once; a refusal names no part of the line", async () => {
    const fake = await startOpenAIFake();
    const port = await freePort();
    const { codexHome } = withConfig(`[oauth]\nissuer = "${fake.issuer}"\nprotocol = "openai"\nredirect_port = ${port}\n`);
    const settings = oauthSettings(await Config.load({ codexHome }));
    let offer: ((line: string) => PasteRefusal | undefined) | undefined;
    let stopped = 0;
    const paste: PasteBack = {
      start(o, maxChars) {
        expect(maxChars).toBe(MAX_PASTE_CHARS);
        offer = o;
        return () => stopped++;
      },
    };
    let url = "";
    const signingIn = loginWithBrowser({
      settings,
      paste,
      onUrl: (u) => {
        url = u;
      },
    });
    await vi.waitFor(() => expect(url).not.toBe(""));
    const callback = await approveElsewhere(url);
    const code = new URL(callback).searchParams.get("code") as string;
    const refusal = offer?.(code);
    expect(refusal).toEqual({
      why: "code-alone",
      callback: `http://localhost:${port}/auth/callback`,
      maxChars: MAX_PASTE_CHARS,
    });
    expect(JSON.stringify(refusal)).not.toContain(code);
    expect(offer?.(callback)).toBeUndefined();
    const session = await signingIn;
    expect(session.oauth?.protocol).toBe("openai");
    expect(stopped).toBe(1);
    // Nothing listens any more, on either address.
    await expect(fetch(`http://127.0.0.1:${port}/auth/callback`)).rejects.toThrow();
    // A line entered late does nothing.
    expect(offer?.(callback)).toBeUndefined();
    expect(fake.tokenRequests).toHaveLength(1);
  });
});

describe("the terminal's side (io.readLines)", () => {
  /** A terminal's input, recording its raw mode. */
  function terminal() {
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      isRaw: false,
      modes: [] as boolean[],
      setRawMode(raw: boolean) {
        stdin.isRaw = raw;
        stdin.modes.push(raw);
        return stdin;
      },
    });
    const sink = new PassThrough();
    return { stdin, io: createIO({}, { stdin, stdout: sink, stderr: sink }) };
  }

  test("raw mode while reading, restored when stopped; lines edited, bounded, without control characters", async () => {
    const { stdin, io } = terminal();
    const lines: string[] = [];
    let cancelled = 0;
    const stop = io.readLines({ maxChars: 10, onLine: (l) => lines.push(l), onCancel: () => cancelled++ });
    expect(stdin.isRaw).toBe(true);
    const type = async (text: string) => {
      stdin.write(text);
      await new Promise((r) => setImmediate(r));
    };
    await type("abc\x7fd\r\n\r");
    await type("wrong\x15right\x1b[Ax\x1bOBy\r");
    await type(`${"z".repeat(50)}\r`);
    await type("\x1b");
    await type("q\x03");
    expect(lines).toEqual(["abd", "rightxy", "z".repeat(11)]);
    expect(cancelled).toBe(2);
    stop();
    expect(stdin.modes).toEqual([true, false]);
    await type("late\r");
    expect(lines).toHaveLength(3);
  });
});
