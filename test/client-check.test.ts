/**
 * `codex status --check`: one authenticated request to a real local provider (GET {base_url}/models), and the
 * three answers users confuse told apart — valid (exit 0), rejected by the server (exit 4), server unreachable
 * (exit 1, naming the host and the network error) — plus the answers that settle neither way.
 * (OAuth sessions are checked in oauth-session.test.ts, against a real authorization server.)
 */
import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { expectNoSecret, freePort, type RunResult, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type FakeProvider, hang, type Script, startProvider, status } from "./support/provider.js";

const KEY = "sk-check-test-0123456789abcdefKEY1";
const ENV_KEY = "sk-check-test-0123456789abcdefKEY2";
const PROFILE_KEY = "sk-check-test-0123456789abcdefKEY3";

/** A models list, as OpenAI answers GET /v1/models. */
const models: Script = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ object: "list", data: [{ id: "gpt-5", object: "model" }] }));
};

/** A home logged in with KEY (stored in config.toml) whose provider `x` is at `baseUrl`. */
function home(baseUrl: string, provider = "", top = "") {
  return withConfig(`${top}
auth_token = "${KEY}"
model_provider = "x"

[model_providers.x]
name = "Local"
base_url = "${baseUrl}"
${provider}
[profiles.work]
auth_token = "${PROFILE_KEY}"
`);
}

async function check(
  baseUrl: string,
  args: string[] = [],
  opts: { provider?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  const { home: h } = home(baseUrl, opts.provider);
  const r = await runCliInProcess(["status", "--check", ...args], { home: h, env: opts.env });
  expectNoSecret(r, KEY, ENV_KEY, PROFILE_KEY);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected failure/);
  return r;
}

/** Standard error as lines, without the empty last one. */
const errLines = (r: RunResult) => r.stderr.split("\n").filter((l) => l !== "");

/** A port on 127.0.0.1 with nothing listening on it. */
const closedPort = freePort;

describe("the three answers", () => {
  test("accepted: exit 0, 'Check: valid', one GET /models with the stored key, nothing on stderr", async () => {
    const server = await startProvider();
    server.reply(models);
    const r = await check(server.baseUrl);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Logged in using an API key: sk-…KEY1");
    expect(r.stdout).toContain(`  Check: valid (GET /v1/models at 127.0.0.1:${server.port}: HTTP 200)`);
    expect(r.stderr).toBe("");
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.method).toBe("GET");
    expect(req?.path).toBe("/v1/models");
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.rawBody).toBe("");
  });

  test("rejected (HTTP 401): exit 4, one error line saying to run `codex login`, the server's message without the key", async () => {
    const server = await startProvider();
    // OpenAI's 401 body quotes part of the key; codex masks whatever of it the server echoes in full.
    server.reply(status(401, { error: { message: `Incorrect API key provided: ${KEY}.` } }));
    const { home: h, configFile } = home(server.baseUrl);
    const r = await runCliInProcess(["status", "--check"], { home: h });
    expectNoSecret(r, KEY);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("  Check: rejected (GET /v1/models at 127.0.0.1:");
    expect(errLines(r)).toEqual([
      `error: the credential was rejected by 127.0.0.1:${server.port} (HTTP 401: Incorrect API key provided: sk-…KEY1.): the API key stored in ${configFile}; run \`codex login\` to sign in again`,
    ]);
    expect(server.requests).toHaveLength(1);
  });

  test("unreachable (nothing listening): exit 1, naming the host and 'connection refused', never calling the key invalid", async () => {
    const port = await closedPort();
    const r = await check(`http://127.0.0.1:${port}/v1`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`  Check: unreachable (GET /v1/models at 127.0.0.1:${port})`);
    const lines = errLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^error: could not connect to 127\\.0\\.0\\.1:${port}: connection refused; check that the server at [^ ]+ is running; the credential was not checked$`,
      ),
    );
    expect(r.stderr).not.toMatch(/reject|invalid|codex login/i);
  });

  test("the three are told apart in --json too: check = valid | rejected | unreachable, with exit codes 0, 4, 1", async () => {
    const server = await startProvider();
    server.reply(models, status(401));
    const port = await closedPort();
    const results = [
      await check(server.baseUrl, ["--json"]),
      await check(server.baseUrl, ["--json"]),
      await check(`http://127.0.0.1:${port}/v1`, ["--json"]),
    ];
    expect(results.map((r) => r.code)).toEqual([0, 4, 1]);
    const json = results.map((r) => JSON.parse(r.stdout));
    expect(json.map((j) => j.check)).toEqual(["valid", "rejected", "unreachable"]);
    expect(json.map((j) => j.authenticated)).toEqual([true, true, true]);
    expect(json[0].check_message).toMatch(
      /^127\.0\.0\.1:\d+ accepted the API key stored in .*config\.toml \(GET \/v1\/models, HTTP 200\)$/,
    );
    expect(json[1].check_message).toMatch(/HTTP 401/);
    expect(json[2].check_message).toMatch(/connection refused/);
    // --json prints the JSON and nothing else.
    for (const r of results) expect(r.stderr).toBe("");
  });
});

describe("bounded, and honest about what it could not tell", () => {
  test("a server that accepts the connection and never answers: unreachable after request_timeout_ms (here 700 ms), exit 1", async () => {
    const server = await startProvider();
    server.reply(hang());
    const started = Date.now();
    const r = await check(server.baseUrl, [], { provider: "request_timeout_ms = 700" });
    const elapsed = Date.now() - started;
    expect(r.code).toBe(1);
    expect(errLines(r)).toEqual([
      `error: no answer from 127.0.0.1:${server.port} within 0.7 s; the credential was not checked`,
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  test("a bare TCP listener that never speaks HTTP: also unreachable, within the bound", async () => {
    const sockets: import("node:net").Socket[] = [];
    const tcp = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const port = (tcp.address() as { port: number }).port;
    try {
      const r = await check(`http://127.0.0.1:${port}/v1`, ["--json"], { provider: "request_timeout_ms = 500" });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).check).toBe("unreachable");
    } finally {
      for (const s of sockets) s.destroy();
      tcp.close();
    }
  });

  test.each([
    [503, "unreachable", /failed to answer \(HTTP 503: status 503\); the credential was not checked, try again later$/],
    [500, "unreachable", /failed to answer \(HTTP 500/],
    [
      403,
      "unknown",
      /refused GET \/v1\/models \(HTTP 403: status 403\); the credential may lack permission to list models, so codex cannot tell whether the credential works$/,
    ],
    [
      404,
      "unknown",
      /answered GET \/v1\/models with HTTP 404: status 404; it may not offer a model list \(check base_url\)/,
    ],
    [429, "unknown", /is limiting requests \(HTTP 429: status 429\), so codex cannot tell/],
  ])("HTTP %i: %s, exit 1, one line, no retry", async (code, result, message) => {
    const server = await startProvider();
    server.reply(status(code), status(code), status(code));
    const r = await check(server.baseUrl, ["--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.check).toBe(result);
    expect(json.check_message).toMatch(message);
    expect(server.requests).toHaveLength(1);
  });

  test("a 200 that is not JSON (a captive portal, a wrong base_url): unknown, not valid", async () => {
    const server = await startProvider();
    server.reply((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>sign in to the Wi-Fi</html>");
    });
    const r = await check(server.baseUrl);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Check: unknown");
    expect(errLines(r)[0]).toMatch(
      /content-type "text\/html", not JSON, so codex cannot tell whether the credential works; check base_url$/,
    );
  });
});

describe("what is checked", () => {
  test("the credential in use: an environment variable wins over the stored key, and the provider's headers and query parameters are sent", async () => {
    const server = await startProvider();
    server.reply(models);
    const r = await check(server.baseUrl, [], {
      // A provider that takes OpenAI's credentials; others never get OPENAI_API_KEY (security-routing.test.ts).
      provider:
        'requires_openai_auth = true\nquery_params = { api-version = "2025-04-01" }\nhttp_headers = { "X-Team" = "blue" }',
      env: { OPENAI_API_KEY: ENV_KEY },
    });
    expect(r.code, r.stderr).toBe(0);
    const req = server.requests[0];
    expect(req?.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
    expect(req?.query.get("api-version")).toBe("2025-04-01");
    expect(req?.headers["x-team"]).toBe("blue");
  });

  test("--profile work checks that profile's key", async () => {
    const server = await startProvider();
    server.reply(models);
    const r = await check(server.baseUrl, ["--profile", "work"]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${PROFILE_KEY}`);
  });

  test("not logged in: nothing is sent, exit 1, check null in --json", async () => {
    const server = await startProvider();
    const { home: h } = withConfig(`model_provider = "x"\n[model_providers.x]\nbase_url = "${server.baseUrl}"\n`);
    const text = await runCliInProcess(["status", "--check"], { home: h });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("Not logged in");
    const json = await runCliInProcess(["status", "--check", "--json"], { home: h });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ authenticated: false, check: null, check_message: null });
    expect(server.requests).toHaveLength(0);
  });

  test("without --check nothing is sent and the JSON has no check field", async () => {
    const server: FakeProvider = await startProvider();
    const { home: h } = home(server.baseUrl);
    const r = await runCliInProcess(["status", "--json"], { home: h });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).not.toHaveProperty("check");
    expect(server.requests).toHaveLength(0);
  });

  test("--check with --all is a usage error (exit 2): the check is for one account", async () => {
    const { home: h } = home("http://127.0.0.1:9/v1");
    const r = await runCliInProcess(["status", "--check", "--all"], { home: h });
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual(["error: --check asks about one account; leave out --all, or use --profile NAME"]);
  });
});
