/** One request to the provider (src/api/client.ts, sending): the answers that are errors, no answer at all, the provider's headers. */
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { runCli, testHome, withConfig } from "./helpers.js";
import {
  KEY,
  CODEX_KEY,
  STORED_KEY,
  PROVIDER_KEY,
  envFor,
  providerHome,
  runWithProvider,
  expectClean,
  expectReply,
  expectFailed,
  oneError,
  CLOSE,
  deadPort,
} from "./support/client-run.js";
import { runCliInProcess } from "./support/in-process.js";
import { chatEvents, hang, responsesEvents, sse, startProvider, status } from "./support/provider.js";

describe("HTTP errors", () => {
  test("401: exit 4, says the key from OPENAI_API_KEY was rejected and to run codex login, never the key", async () => {
    const server = await startProvider();
    server.reply(
      status(
        401,
        {
          error: {
            message: `Incorrect API key provided: ${KEY}. You can find your API key at …`,
            code: "invalid_api_key",
          },
        },
        CLOSE,
      ),
    );
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 4, "rejected", "OPENAI_API_KEY", "HTTP 401", "codex login", `127.0.0.1:${server.port}`);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("401 for CODEX_API_KEY, a provider env_key and the stored key names each source", async () => {
    const server = await startProvider();
    const echo = (key: string) => status(401, { error: { message: `bad key ${key}` } }, CLOSE);

    server.reply(echo(CODEX_KEY));
    let r = await runCliInProcess(["run", "hi"], {
      home: testHome(),
      env: envFor(server, { CODEX_API_KEY: CODEX_KEY }),
    });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain("from CODEX_API_KEY");
    expectClean(r);

    server.reply(echo(PROVIDER_KEY));
    const p = providerHome(server, 'env_key = "LOCAL_PROVIDER_KEY"');
    r = await runCliInProcess(["run", "hi"], { home: p.home, env: { LOCAL_PROVIDER_KEY: PROVIDER_KEY } });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain("from LOCAL_PROVIDER_KEY");
    expectClean(r);

    server.reply(echo(STORED_KEY));
    const s = withConfig(`auth_token = "${STORED_KEY}"\n`);
    r = await runCliInProcess(["run", "hi"], { home: s.home, env: { OPENAI_BASE_URL: server.baseUrl } });
    expect(r.code).toBe(4);
    expect(oneError(r)).toContain(`stored in ${s.configFile}`);
    expectClean(r);

    expect(server.requests).toHaveLength(3);
  });

  test("403 whose body echoes the key: exit 4, the server's reason shown with the key masked", async () => {
    const server = await startProvider();
    server.reply(status(403, { error: { message: `Project does not have access to model gpt-5 (key ${KEY})` } }));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 4, "HTTP 403", "does not have access to model gpt-5", "OPENAI_API_KEY", "codex login");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test.each([
    ["401", status(401, { error: { message: "Incorrect API key provided" } }), 4],
    ["a 200 that is not an event stream", status(200, { id: "resp_1", output: [] }), 1],
  ] as const)("after %s on a keep-alive connection the process exits promptly", async (_name, script, code) => {
    const server = await startProvider();
    server.reply(script);
    const start = performance.now();
    // Killed after 2.5 s: the error line is printed at once, the exit must not wait for the server to drop
    // the idle keep-alive connection (Node's default: 5 s; real providers: often much longer).
    // Spawned: what is measured is the process's exit, which must not wait for the idle connection.
    const r = await runCli(["run", "hi"], { home: testHome(), env: envFor(server), timeoutMs: 2500 });
    expect(r.stderr).toMatch(/^error: /);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    expect(performance.now() - start).toBeLessThan(2500);
    expect(server.requests).toHaveLength(1);
  });

  test("an HTML error page is not dumped into the message", async () => {
    const server = await startProvider();
    server.reply(status(404, "<html><body><h1>404 Not Found</h1></body></html>", { "content-type": "text/html" }));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    const msg = oneError(r);
    expect(msg).toContain("HTTP 404");
    expect(msg).not.toContain("<");
    expect(server.requests).toHaveLength(1);
  });

  test("400 model not found: exit 1 with the server's message, no retry", async () => {
    const server = await startProvider();
    server.reply(
      status(400, { error: { message: "model not found" } }),
      sse(responsesEvents(["must not be asked for"])),
    );
    const r = await runCliInProcess(["run", "-m", "gpt-nope", "hi"], { home: testHome(), env: envFor(server) });
    expectFailed(r, 1, "HTTP 400", "model not found");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("a 200 that is not an event stream: exit 1, says so", async () => {
    const server = await startProvider();
    server.reply(status(200, { id: "resp_1", output: [] }, CLOSE));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: envFor(server) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(oneError(r)).toMatch(/did not answer with a stream of events/);
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });
});

describe("network failures and timeouts", () => {
  test("connection refused: exit 1, names 127.0.0.1:<port>, says connection refused", async () => {
    const port = await deadPort();
    const home = testHome();
    const r = await runCliInProcess(["run", "hi"], {
      home,
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });
    const msg = expectFailed(r, 1, `127.0.0.1:${port}`);
    expect(msg).toMatch(/connection refused/i);
    expectClean(r);
  });

  test("request_timeout_ms: a server that never answers: exit 1 within seconds, names the setting", async () => {
    const server = await startProvider();
    server.reply(hang(), sse(responsesEvents(["must not be asked for"])));
    const start = performance.now();
    const r = await runWithProvider(server, ["hi"], { top: "request_timeout_ms = 300" });
    expect(performance.now() - start).toBeLessThan(3000);
    expectFailed(r, 1, "request_timeout_ms", `127.0.0.1:${server.port}`, "0.3 s");
    expect(server.requests).toHaveLength(1);
    expectClean(r);
  });

  test("the provider's request_timeout_ms overrides the top-level one", async () => {
    const server = await startProvider();
    server.reply(hang());
    const start = performance.now();
    const r = await runWithProvider(server, ["hi"], {
      top: "request_timeout_ms = 60000",
      provider: "request_timeout_ms = 250",
    });
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.code).toBe(1);
    expect(oneError(r)).toContain("request_timeout_ms");
  });
});

describe("provider settings reach the server", () => {
  test("http_headers, env_http_headers and query_params", async () => {
    const server = await startProvider();
    server.reply(sse(chatEvents(["ok"])));
    const r = await runWithProvider(server, ["hi"], {
      provider: [
        'wire_api = "chat"',
        'http_headers = { "X-Team" = "tools", "OpenAI-Project" = "proj_123" }',
        'env_http_headers = { "X-Org" = "MY_ORG_VAR", "X-Unset" = "MY_UNSET_VAR" }',
        'query_params = { "api-version" = "2025-04-01", "deployment" = "a b&c" }',
      ].join("\n"),
      env: { MY_ORG_VAR: "org-42" },
    });
    expectReply(r, "ok\n");
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers["x-team"]).toBe("tools");
    expect(req?.headers["openai-project"]).toBe("proj_123");
    expect(req?.headers["x-org"]).toBe("org-42");
    expect(req?.headers["x-unset"]).toBeUndefined();
    expect(req?.query.get("api-version")).toBe("2025-04-01");
    expect(req?.query.get("deployment")).toBe("a b&c");
    expect([...(req?.query.keys() ?? [])].sort()).toEqual(["api-version", "deployment"]);
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test("http_headers cannot replace the Authorization header", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["ok"])));
    const r = await runWithProvider(server, ["hi"], {
      provider: 'http_headers = { "Authorization" = "Bearer other" }',
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});
