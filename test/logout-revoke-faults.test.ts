/**
 * `codex logout` against an issuer whose revocation endpoint misbehaves: a reset, a drip past the budget, a
 * body that never ends, answers that are not JSON. Each test bounds the time taken, checks the exit code,
 * that stderr is at most one clear `warning: …` line without a stack trace, and that no secret reaches
 * either stream. Revocation against a server that is down or never answers is in oauth-session.test.ts.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import { type RunResult, withConfig } from "./helpers.js";
import { expectClean, oneLine, sleep, timed } from "./support/faults.js";
import { runCliInProcess } from "./support/in-process.js";

describe("codex logout: an issuer whose revocation endpoint misbehaves", () => {
  const ACCESS = "at-netfault-ACCESS-0123456789abcdefghijklmn";
  const REFRESH = "rt-netfault-REFRESH-0123456789abcdefghijklmn";
  const EXPIRES = "2031-01-01T00:00:00.000Z";
  /** The revocation budget (docs: "All of it has 5 seconds"). */
  const BUDGET_MS = 5_000;

  interface Issuer {
    /** `http://127.0.0.1:PORT`, the issuer identifier. */
    url: string;
    host: string;
    /** The form bodies POSTed to the revocation endpoint, in order. */
    revocations: string[];
  }

  /**
   * A plain HTTP server pretending to be the issuer: OpenID discovery metadata (whose revocation_endpoint
   * is /revoke) answered correctly, /revoke answered by `fault`. Closed when the test ends.
   */
  async function faultyIssuer(fault: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
    const revocations: string[] = [];
    const sockets = new Set<Socket>();
    let url = "";
    const server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      if (req.method === "GET" && req.url === "/.well-known/openid-configuration") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer: url,
            authorization_endpoint: `${url}/auth`,
            token_endpoint: `${url}/token`,
            revocation_endpoint: `${url}/revoke`,
            response_types_supported: ["code"],
          }),
        );
      } else if (req.method === "POST" && req.url === "/revoke") {
        revocations.push(body);
        await fault(req, res);
      } else {
        res.writeHead(404, { "content-type": "application/json" });
        res.end('{"error":"not_found"}');
      }
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    const issuer: Issuer = { url, host: `127.0.0.1:${port}`, revocations };
    return issuer;
  }

  /** Signed in with an OAuth session of `issuer` stored in config.toml, as `codex login` leaves it. */
  async function logoutFrom(issuer: Issuer): Promise<{ r: RunResult; ms: number; configFile: string }> {
    const { home, configFile } = withConfig(
      `auth_token = "${ACCESS}"\n\n[oauth_session]\nissuer = "${issuer.url}"\nclient_id = "codex-netfault"\nrefresh_token = "${REFRESH}"\nexpires_at = ${EXPIRES}\n`,
    );
    const [r, ms] = await timed(() => runCliInProcess(["logout"], { home, timeoutMs: 30_000 }));
    return { r, ms, configFile };
  }

  /** Exit 0, the session gone from config.toml, the refresh token sent to the issuer, no token shown. */
  function expectLoggedOut(r: RunResult, configFile: string, issuer: Issuer, revoked: boolean): void {
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const lines = ["✅ Logged out successfully", `  Removed from ${configFile}`];
    if (revoked) lines.push(`  Session revoked at ${issuer.url}`);
    expect(r.stdout).toBe(`${lines.join("\n")}\n`);
    const left = readFileSync(configFile, "utf8");
    expect(left).not.toContain(ACCESS);
    expect(left).not.toContain(REFRESH);
    expect(left).not.toContain("oauth_session");
    // Revocation was attempted, at this issuer, refresh token first (RFC 7009).
    expect(issuer.revocations[0]).toContain(`token=${REFRESH}`);
    expect(issuer.revocations[0]).toContain("token_type_hint=refresh_token");
    expectClean(r, ACCESS, REFRESH);
  }

  /** The one warning line: not revoked at the issuer, and until when the access token stays valid. */
  function notRevokedWarning(r: RunResult, issuer: Issuer): string {
    const warning = oneLine(r, "warning: ");
    expect(warning).toContain(`removed from this machine, but not revoked at ${issuer.host}: `);
    expect(warning).toContain(`the access token until ${EXPIRES}`);
    return warning;
  }

  test("the revocation endpoint resets the connection: exit 0, cleared, one warning saying so, quickly", async () => {
    const issuer = await faultyIssuer((req) => {
      req.socket.resetAndDestroy();
    });
    const { r, ms, configFile } = await logoutFrom(issuer);
    expect(ms).toBeLessThan(BUDGET_MS);
    expectLoggedOut(r, configFile, issuer, false);
    expect(notRevokedWarning(r, issuer)).toMatch(/reset/i);
  });

  test("the response drips in a byte every 150 ms, past the 5 s budget: exit 0 at the budget, one warning", async () => {
    const issuer = await faultyIssuer(async (req) => {
      // Raw bytes on the socket: the status line and headers themselves take about 12 s to arrive.
      const socket = req.socket;
      for (const byte of Buffer.from(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
      )) {
        if (socket.destroyed) return;
        socket.write(Buffer.of(byte));
        await sleep(150);
      }
    });
    const { r, ms, configFile } = await logoutFrom(issuer);
    expect(ms).toBeGreaterThan(BUDGET_MS - 500);
    expect(ms).toBeLessThan(BUDGET_MS + 4_000);
    expectLoggedOut(r, configFile, issuer, false);
    expect(notRevokedWarning(r, issuer)).toContain("did not answer in time");
  });

  test("200 at once but the body drips forever: revoked (RFC 7009: the status says it), done within the budget", async () => {
    const issuer = await faultyIssuer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      for (let i = 0; i < 1000 && !res.destroyed; i++) {
        res.write(" ");
        await sleep(100);
      }
    });
    const { r, ms, configFile } = await logoutFrom(issuer);
    expect(ms).toBeLessThan(BUDGET_MS + 4_000);
    expectLoggedOut(r, configFile, issuer, true);
    expect(r.stderr).toBe("");
    expect(issuer.revocations).toHaveLength(2);
    expect(issuer.revocations[1]).toContain("token_type_hint=access_token");
  });

  test.each([
    {
      name: "an HTML 500 page",
      status: 500,
      type: "text/html",
      body: "<html><body><h1>500 Internal Server Error</h1><p>nginx</p></body></html>",
    },
    { name: "a 400 whose JSON is cut off", status: 400, type: "application/json", body: '{"error":"invalid_requ' },
    { name: "a 503 that is not JSON", status: 503, type: "application/json", body: "upstream unavailable" },
  ])("$name: exit 0, cleared, one warning, the body not echoed", async ({ status, type, body }) => {
    const issuer = await faultyIssuer((_req, res) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    });
    const { r, ms, configFile } = await logoutFrom(issuer);
    expect(ms).toBeLessThan(BUDGET_MS);
    expectLoggedOut(r, configFile, issuer, false);
    const warning = notRevokedWarning(r, issuer);
    expect(warning).toContain("revoking the refresh token");
    expect(warning).not.toContain("<");
    expect(warning).not.toContain(body);
  });

  test("200 with a body that is not JSON: revoked (the body of a 200 carries nothing), exit 0, no warning", async () => {
    const issuer = await faultyIssuer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"revoked": tru');
    });
    const { r, ms, configFile } = await logoutFrom(issuer);
    expect(ms).toBeLessThan(BUDGET_MS);
    expectLoggedOut(r, configFile, issuer, true);
    expect(r.stderr).toBe("");
    expect(issuer.revocations).toHaveLength(2);
  });
});
