/**
 * Piped `codex chat` reads one message per line, each at most 4 MiB (as `codex run -`'s prompt): a line that
 * never ends (`yes | tr -d '\n' | codex chat`) stops the run at once with exit 1, nothing of it sent, the
 * replies before it still printed. Lines up to the limit, and line ends as readline splits them, work as
 * before.
 */
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { inputLines, LINE_TOO_LONG, MAX_PROMPT_BYTES } from "../src/commands/input-lines.js";
import { runWithEndlessInput, testHome } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, responsesEvents, sse, startProvider } from "./support/provider.js";

const KEY = "sk-chat-input-0123456789abcdefKEY";
const OVER = "error: a message on standard input is over 4 MiB; nothing more was sent\n";

function envFor(server: FakeProvider): Record<string, string> {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl };
}

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

describe("codex chat: a message line on standard input is at most 4 MiB", () => {
  test.each([
    ["text without a line end (`yes | tr -d '\\n'`)", "y"],
    ["NUL bytes (`head -c 1G /dev/zero`)", "\0"],
  ])(
    "an endless line of %s: exit 1 at once, one line, nothing of it sent, the earlier reply stays",
    async (_n, chunk) => {
      const server = await startProvider();
      server.reply(sse(responsesEvents(["first reply"])), sse(responsesEvents(["never"])));
      const r = await runWithEndlessInput(["chat"], { home: testHome(), env: envFor(server), chunk, first: "q1\n" });
      expect(r.stderr).toBe(OVER);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("first reply\n");
      expect(r.ms).toBeLessThan(5_000);
      expect(server.requests.map((q) => q.body?.input)).toEqual([[user("q1")]]);
    },
  );

  test("a line of exactly 4 MiB is sent whole; one byte more is refused and ends the run", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["got it"])), sse(responsesEvents(["and this"])), sse(responsesEvents(["never"])));
    const big = "x".repeat(MAX_PROMPT_BYTES);
    const home = testHome();
    const ok = await runCliInProcess(["chat"], { home, env: envFor(server), input: `${big}\r\nshort\n` });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("got it\nand this\n");
    expect(server.requests.map((q) => q.body?.input)).toEqual([
      [user(big)],
      [user(big), assistant("got it"), user("short")],
    ]);

    // Counted in bytes: 4 MiB less one byte, then a two-byte character.
    const over = await runCliInProcess(["chat"], {
      home,
      env: envFor(server),
      input: `${"x".repeat(MAX_PROMPT_BYTES - 1)}é\nnext\n`,
    });
    expect(over.stderr).toBe(OVER);
    expect(over.code).toBe(1);
    expect(over.stdout).toBe("");
    expect(server.requests).toHaveLength(2);
  });

  test("several normal lines: one request each, the history resent with every turn", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["A1"])), sse(responsesEvents(["A2"])), sse(responsesEvents(["A3"])));
    const r = await runCliInProcess(["chat"], { home: testHome(), env: envFor(server), input: "q1\nq2 ünï\r\nq3" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("A1\nA2\nA3\n");
    expect(server.requests.map((q) => q.body?.input)).toEqual([
      [user("q1")],
      [user("q1"), assistant("A1"), user("q2 ünï")],
      [user("q1"), assistant("A1"), user("q2 ünï"), assistant("A2"), user("q3")],
    ]);
  });
});

describe("inputLines", () => {
  /** What readline (as `codex chat` used it before) makes of these chunks. */
  async function readlineLines(chunks: Buffer[]): Promise<string[]> {
    const rl = createInterface({ input: Readable.from(chunks), terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    const lines: string[] = [];
    for await (const line of rl) lines.push(line);
    return lines;
  }

  async function ours(chunks: Buffer[], max = MAX_PROMPT_BYTES): Promise<Array<string | typeof LINE_TOO_LONG>> {
    const lines: Array<string | typeof LINE_TOO_LONG> = [];
    for await (const line of inputLines(Readable.from(chunks), max)) lines.push(line);
    return lines;
  }

  test("splits as readline did, wherever the chunks are cut (LF, CRLF, lone CR, UTF-8 across chunks)", async () => {
    const text = Buffer.from("a\r\nb\rc\n\nd\r\r\né🚀x\r\n\r\ny\xff\nlast", "utf8");
    const bytes = Buffer.concat([text.subarray(0, 30), Buffer.from([0xff]), text.subarray(30)]);
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, Math.min(bytes.length, i + 1), Math.min(bytes.length, i + 3)]) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((c) => c.length > 0);
        expect(await ours(chunks)).toEqual(await readlineLines(chunks));
      }
    }
  });

  test("a line over the limit ends the lines, across chunks or within one; the line end is not counted", async () => {
    expect(await ours([Buffer.from("ab\nabcd\r\nabcde\nnever\n")], 4)).toEqual(["ab", "abcd", LINE_TOO_LONG]);
    expect(await ours([Buffer.from("ab"), Buffer.from("cd"), Buffer.from("e")], 4)).toEqual([LINE_TOO_LONG]);
    expect(await ours([Buffer.from("abcd")], 4)).toEqual(["abcd"]);
  });

  test("stops reading at the line over the limit", async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x79);
      }
    }
    const lines: Array<string | typeof LINE_TOO_LONG> = [];
    for await (const line of inputLines(endless(), 10 * 1024)) lines.push(line);
    expect(lines).toEqual([LINE_TOO_LONG]);
    expect(pulled).toBe(11);
  });
});
