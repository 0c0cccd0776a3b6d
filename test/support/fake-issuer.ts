/**
 * A small hand-written OpenID Connect issuer on 127.0.0.1, for tests that need to say exactly what the
 * server answers (hostile claims, error descriptions echoing a token) rather than what a real server
 * would: discovery, JWKS, device authorization, token and revocation endpoints. ID tokens are signed
 * (RS256) with a key made for the server, so they pass openid-client's checks like a real issuer's.
 *
 *   const issuer = await startFakeIssuer({ token: (form, res) => json(res, 400, { error: "invalid_request" }) });
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

export type Handler = (form: URLSearchParams, res: ServerResponse) => void;

export interface FakeIssuer {
  /** `http://127.0.0.1:PORT` */
  issuer: string;
  clientId: string;
  /** Every POST: the endpoint (`token`, `device`, `revoke`) and its form. */
  posts: Array<{ endpoint: string; form: URLSearchParams }>;
  /** An ID token for the test client, signed by this issuer, with these claims added. */
  idToken(claims: Record<string, unknown>): string;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Starts the issuer (closed when the current test ends); each endpoint answers as its handler says. */
export async function startFakeIssuer(
  handlers: { token?: Handler; device?: Handler; revoke?: Handler },
  /** Serve https with this certificate, as `https://NAME:PORT` (test/proxy.test.ts). Default: http://127.0.0.1. */
  tls?: { key: string; cert: string; hostname: string },
): Promise<FakeIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
  const posts: FakeIssuer["posts"] = [];
  const sockets = new Set<Socket>();
  let issuer = "";
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (req.method === "GET" && path === "/.well-known/openid-configuration") {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        device_authorization_endpoint: `${issuer}/device`,
        revocation_endpoint: `${issuer}/revoke`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (req.method === "GET" && path === "/jwks") return json(res, 200, { keys: [jwk] });
    const endpoint = path.slice(1);
    const handler = handlers[endpoint as keyof typeof handlers];
    if (req.method !== "POST" || handler === undefined) return json(res, 404, { error: "not_found" });
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    posts.push({ endpoint, form });
    handler(form, res);
  };
  const server: Server =
    tls === undefined ? createServer(handle) : (createHttpsServer(tls, handle) as unknown as Server);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  issuer = tls === undefined ? `http://127.0.0.1:${port}` : `https://${tls.hostname}:${port}`;
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const clientId = "app_fake";
  return {
    issuer,
    clientId,
    posts,
    idToken(claims) {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ alg: "RS256", kid: "k1", typ: "JWT" }));
      const payload = b64url(
        JSON.stringify({ iss: issuer, aud: clientId, sub: "user-1", iat: now, exp: now + 600, ...claims }),
      );
      const signature = sign("sha256", Buffer.from(`${header}.${payload}`), privateKey);
      return `${header}.${payload}.${b64url(signature)}`;
    },
  };
}
