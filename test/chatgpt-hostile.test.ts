/**
 * OpenAI's sign-in against a hostile issuer: a hand-written server on 127.0.0.1 that says exactly what a
 * compromised or impersonated auth server could (the protocol-faithful fake answers as OpenAI does, so it
 * cannot). Each answer is bounded, nothing it sends reaches a terminal with control sequences, no secret
 * it echoes is shown, no redirect it sends is followed, and no value it puts in the ID token can split a
 * request header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readFileSync } from "node:fs";
import { describe, expect, onTestFinished, test } from "vitest";
import { expectNoSecret, homeWithConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A server whose every POST path answers as `routes` says; the requests it got, by path. */
async function hostileIssuer(routes: Record<string, Handler>) {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    hits.push(path);
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    route(req, Buffer.concat(chunks).toString("utf8"), res);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** A JWT-shaped token: OpenAI's ID token is read, not verified, so its signature is never looked at. */
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: "RS256" })}.${b64(claims)}.c2lnbmF0dXJl`;

/** The device sign-in's first two steps answered normally, the last as `token` says. */
function deviceRoutes(token: Handler, userCode = "ABCD-EFGH"): Record<string, Handler> {
  return {
    "/api/accounts/deviceauth/usercode": (_req, _body, res) =>
      json(res, 200, { device_auth_id: "dev-1", user_code: userCode, interval: "1" }),
    "/api/accounts/deviceauth/token": (_req, _body, res) =>
      json(res, 200, { authorization_code: CODE, code_challenge: "c", code_verifier: "v".repeat(43) }),
    "/oauth/token": token,
  };
}

/** As long as OpenAI's (short strings are never masked: they would mask ordinary words). */
const CODE = "ac_0123456789abcdefghijklmnopqrstuv";
const config = (issuer: string) => `[oauth]\nissuer = "${issuer}"\nprotocol = "openai"\n`;
const ESC = "\u001b";

describe("a hostile issuer during sign-in", () => {
  test("an answer that never ends is read up to 1 MiB and refused, within seconds", async () => {
    const issuer = await hostileIssuer(
      deviceRoutes((_req, _body, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (res.write(chunk)) {}
          res.once("drain", pump);
        };
        res.on("error", () => {});
        pump();
      }),
    );
    const { home, configFile } = homeWithConfig(config(issuer.url));
    const started = Date.now();
    const r = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("answered the sign-in with something other than a JSON object");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readFileSync(configFile, "utf8")).toBe(config(issuer.url));
  });

  test("claims with escape sequences reach the terminal stripped; the session is stored as sent", async () => {
    const email = `${ESC}]0;pwned${ESC}\\${ESC}[2Jevil@example.com\r\nfake line`;
    const plan = `pro${ESC}[31m`;
    const issuer = await hostileIssuer(
      deviceRoutes((_req, _body, res) =>
        json(res, 200, {
          id_token: jwt({
            email,
            sub: "user-1",
            "https://api.openai.com/auth": { chatgpt_account_id: "acct-12345678", chatgpt_plan_type: plan },
          }),
          access_token: jwt({ exp: Math.floor(Date.now() / 1000) + 3600 }),
          refresh_token: "rt-hostile-0000000000",
        }),
      ),
    );
    const { home } = homeWithConfig(config(issuer.url));
    const login = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    expect(login.code).toBe(0);
    const status = await runCliInProcess(["status"], { home });
    expect(status.code).toBe(0);
    for (const r of [login, status]) {
      expect(r.stdout + r.stderr).not.toContain(ESC);
      expect(r.stdout + r.stderr).not.toContain("\r");
      expect(r.stdout).toContain("evil@example.com fake line");
    }
    // The colour sequence goes whole, not only its ESC.
    expect(status.stdout).toContain("(pro plan)");
  });

  test("an access token whose exp no date can hold: the sign-in is stored without an expiry, not an unexpected failure", async () => {
    // exp is seconds; 1e15 s is past the last date JavaScript can represent (8.64e15 ms), so it read as an
    // Invalid Date that config.toml cannot hold.
    for (const exp of [1e15, 1e300]) {
      const issuer = await hostileIssuer(
        deviceRoutes((_req, _body, res) =>
          json(res, 200, {
            id_token: jwt({ email: "a@example.com", "https://api.openai.com/auth": { chatgpt_account_id: "acct-1" } }),
            access_token: jwt({ exp }),
            refresh_token: "rt-hostile-2222222222",
          }),
        ),
      );
      const { home, configFile } = homeWithConfig(config(issuer.url));
      const login = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
      expect(login.stderr, String(exp)).not.toContain("unexpected failure");
      expect(login.code, String(exp)).toBe(0);
      expect(readFileSync(configFile, "utf8")).not.toContain("expires_at");
    }
  });

  test("a workspace id that could split a request header refuses the sign-in; nothing is stored", async () => {
    const issuer = await hostileIssuer(
      deviceRoutes((_req, _body, res) =>
        json(res, 200, {
          id_token: jwt({
            email: "a@example.com",
            "https://api.openai.com/auth": { chatgpt_account_id: "acct-1\r\nX-Injected: 1" },
          }),
          access_token: jwt({}),
          refresh_token: "rt-hostile-1111111111",
        }),
      ),
    );
    const { home, configFile } = homeWithConfig(config(issuer.url));
    const r = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("returned an ID token whose chatgpt_account_id is not an id");
    expect(readFileSync(configFile, "utf8")).toBe(config(issuer.url));
  });

  test("a user code with control characters is refused before it is shown", async () => {
    const issuer = await hostileIssuer(deviceRoutes(() => {}, `AB${ESC}[2JCD`));
    const { home } = homeWithConfig(config(issuer.url));
    const r = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("without a usable device_auth_id and user_code");
    expect(r.stdout + r.stderr).not.toContain(ESC);
    expect(issuer.hits).not.toContain("/api/accounts/deviceauth/token");
  });

  test("an error that echoes the code and the verifier shows neither", async () => {
    const verifier = "v".repeat(43);
    const issuer = await hostileIssuer(
      deviceRoutes((_req, body, res) =>
        json(res, 400, { error: "invalid_grant", error_description: `bad ${body} ${ESC}[2J` }),
      ),
    );
    const { home } = homeWithConfig(config(issuer.url));
    const r = await runCliInProcess(["login", "--device-auth"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused the sign-in (HTTP 400, invalid_grant: bad");
    expectNoSecret(r, CODE, verifier);
    expect(r.stderr).not.toContain(ESC);
  });
});

describe("a hostile issuer at renewal", () => {
  /** A ChatGPT session due for renewal, at `issuer`. */
  const due = (issuer: string, refresh: string) =>
    `auth_token = "${jwt({ exp: 1 })}"\n\n[oauth]\nissuer = "${issuer}"\nprotocol = "openai"\n\n[oauth_session]\nissuer = "${issuer}"\nclient_id = "app_EMoamEEZ73f0CkXaXp7hrann"\nrefresh_token = "${refresh}"\nexpires_at = 2001-01-01T00:00:00Z\nprotocol = "openai"\nchatgpt_account_id = "acct-12345678"\n`;

  test("a redirect from the token endpoint is not followed: the refresh token goes nowhere else", async () => {
    const elsewhere = await hostileIssuer({ "/steal": (_req, _body, res) => json(res, 200, {}) });
    const issuer = await hostileIssuer({
      "/oauth/token": (_req, _body, res) => {
        res.writeHead(307, { location: `${elsewhere.url}/steal` }).end();
      },
    });
    const refresh = "rt-must-not-travel-0123456789";
    const { home } = homeWithConfig(due(issuer.url, refresh));
    const r = await runCliInProcess(["run", "hello"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused renewing the session (HTTP 307");
    expect(elsewhere.hits).toEqual([]);
    expectNoSecret(r, refresh);
  });

  test("an error that echoes the refresh token shows it masked", async () => {
    const refresh = "rt-echoed-back-0123456789abcdef";
    const issuer = await hostileIssuer({
      "/oauth/token": (_req, body, res) => json(res, 503, { error: { message: `cannot renew ${body}` } }),
    });
    const { home } = homeWithConfig(due(issuer.url, refresh));
    const r = await runCliInProcess(["run", "hello"], { home, timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused renewing the session (HTTP 503");
    expectNoSecret(r, refresh);
  });
});
