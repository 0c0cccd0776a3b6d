/** `codex run` against a real local server speaking OpenAI's streaming formats. */
import { describe, expect, test } from "vitest";
import { expectNoSecret, runCli, testHome } from "./helpers.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const KEY = "sk-run-test-0123456789abcdefKEY1";

describe("codex run", () => {
  test("streams a Responses API reply with the bearer header", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hel", "lo ", "wörld"]), { chunkBytes: 7, delayMs: 1 }));
    const home = testHome();
    const r = await runCli(["run", "hi"], { home, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello wörld\n");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe("/v1/responses");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(server.requests[0]?.body).toMatchObject({ model: "gpt-5", stream: true, input: [{ role: "user", content: "hi" }] });
    expectNoSecret(r, KEY);
  });
});
