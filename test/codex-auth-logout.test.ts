/**
 * `codex logout --all` and OpenAI's Codex CLI's auth.json holding a ChatGPT session: the file is deleted,
 * then its tokens are revoked at OpenAI with OpenAI's protocol (JSON `POST {issuer}/oauth/revoke`, the
 * refresh token with Codex's client id, then the access token), against the protocol-faithful fake
 * (test/support/openai-fake.ts) as `[oauth] issuer` with `protocol = "openai"`. Also: a server that is down
 * or never answers (reported, file still gone, within the 5 s budget), --no-revoke, a config others can
 * write, an invalid `[oauth]`, a standard-protocol `[oauth]` (the tokens go to auth.openai.com, never to
 * that issuer: seen through test/support/test-dns.cjs, so nothing leaves the machine), the auth_mode values
 * Codex writes, and a link to another user's file (not deleted, so not revoked).
 *
 * The auth.json written here has the shape Codex writes (storage.rs AuthDotJson, token_data.rs TokenData);
 * test/codex-interop.test.ts checks that the real Codex reads that shape as a ChatGPT sign-in.
 */
import { chmodSync, chownSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { logout } from "codex-credentials";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { asRoot, expectNoSecret, freePort, NOBODY, ROOT, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { CODEX_CLIENT_ID, type OpenAIFake, type SessionTokens, startOpenAIFake } from "./support/openai-fake.js";
import { codexAuthJson } from "./support/real-codex.js";

const PRELOAD = join(ROOT, "test", "support", "test-dns.cjs");

let fake: OpenAIFake;
beforeAll(async () => {
  fake = await startOpenAIFake();
});
afterAll(() => fake?.close());

const openaiAt = (issuer: string, extra = "") =>
  `model = "o3"\n\n[oauth]\nissuer = "${issuer}"\nprotocol = "openai"\n${extra}`;

/** A home whose config.toml is `config` and whose auth.json holds a fresh session of the fake's. */
function homeWithSession(config: string, extra?: Record<string, unknown>) {
  const made = withConfig(config);
  const tokens = fake.mintSession();
  const authJson = join(made.codexHome, "auth.json");
  writeFileSync(authJson, codexAuthJson(tokens, extra), { mode: 0o600 });
  return { ...made, tokens, authJson };
}

async function cli(args: string[], home: string, tokens: SessionTokens, env?: Record<string, string>) {
  const r = await runCliInProcess(args, { home, env, timeoutMs: 20_000 });
  expectNoSecret(r, tokens.accessToken, tokens.refreshToken, tokens.idToken);
  return r;
}

const removed = (authJson: string) =>
  `✅ Logged out successfully\n  Removed ${authJson} (OpenAI's Codex CLI's sign-in)\n`;
const revocationsOf = (tokens: SessionTokens) =>
  fake.revocations.filter(
    (r) => r.tokenSha256 === fake.hash(tokens.refreshToken) || r.tokenSha256 === fake.hash(tokens.accessToken),
  );

describe("logout --all revokes the ChatGPT session in auth.json at OpenAI", () => {
  test("JSON to {issuer}/oauth/revoke: the refresh token with Codex's client id (not [oauth] client_id), then the access token", async () => {
    const s = homeWithSession(openaiAt(fake.issuer, 'client_id = "app_someone_else"\n'));
    const r = await cli(["logout", "--all"], s.home, s.tokens);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${removed(s.authJson)}  auth.json: Session revoked at ${fake.issuer}\n`,
      stderr: "",
    });
    expect(existsSync(s.authJson)).toBe(false);
    expect(revocationsOf(s.tokens)).toEqual([
      {
        contentType: "application/json",
        tokenTypeHint: "refresh_token",
        clientId: CODEX_CLIENT_ID,
        kind: "refresh_token",
        tokenSha256: fake.hash(s.tokens.refreshToken),
        status: 200,
      },
      {
        contentType: "application/json",
        tokenTypeHint: "access_token",
        kind: "access_token",
        tokenSha256: fake.hash(s.tokens.accessToken),
        status: 200,
      },
    ]);
    expect(fake.accessTokenState(s.tokens.accessToken)).toBe("revoked");
    expect(readFileSync(s.configFile, "utf8")).toBe(openaiAt(fake.issuer, 'client_id = "app_someone_else"\n'));
  });

  test("the library reports it as it reports an account's revocation", async () => {
    const s = homeWithSession(openaiAt(fake.issuer));
    const result = await logout({ codexHome: s.codexHome, env: {}, all: true });
    expect(result.codexAuth).toMatchObject({
      path: s.authJson,
      removed: true,
      revocation: {
        issuer: fake.issuer,
        revoked: ["refresh_token", "access_token"],
        notRevoked: [],
        reason: undefined,
      },
    });
    expect(result.codexAuth?.revocationSkipped).toBeUndefined();
    expect(result.failures).toEqual([]);
    expect(JSON.stringify(result)).not.toContain(s.tokens.refreshToken);
  });

  test.each([
    ["auth_mode chatgpt", true, { auth_mode: "chatgpt" }],
    ["no auth_mode (a ChatGPT sign-in, as Codex reads it)", true, {}],
    [
      "no auth_mode, and the API key older Codex got at a ChatGPT sign-in",
      true,
      { OPENAI_API_KEY: "sk-old-0123456789abcdefOLDK" },
    ],
    [
      "auth_mode chatgptAuthTokens (an embedding app's tokens: it ends them)",
      false,
      { auth_mode: "chatgptAuthTokens" },
    ],
    ["auth_mode apikey", false, { auth_mode: "apikey", OPENAI_API_KEY: "sk-api-0123456789abcdefAPIK" }],
  ] as const)("%s: revoked: %s", async (_, revoked, extra) => {
    const s = homeWithSession(openaiAt(fake.issuer), extra);
    const r = await cli(["logout", "--all"], s.home, s.tokens);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toBe(`${removed(s.authJson)}${revoked ? `  auth.json: Session revoked at ${fake.issuer}\n` : ""}`);
    expect(revocationsOf(s.tokens)).toHaveLength(revoked ? 2 : 0);
    expect(existsSync(s.authJson)).toBe(false);
  });

  test("without --all, auth.json stays and nothing is revoked", async () => {
    const s = homeWithSession(`${openaiAt(fake.issuer)}`);
    const r = await cli(["logout"], s.home, s.tokens);
    expect(r.code).toBe(0);
    expect(existsSync(s.authJson)).toBe(true);
    expect(revocationsOf(s.tokens)).toHaveLength(0);
  });
});

describe("when it cannot or may not be revoked", () => {
  test("the issuer is down: auth.json still deleted, exit 0, a warning naming what may still be accepted", async () => {
    const port = await freePort();
    const s = homeWithSession(openaiAt(`http://127.0.0.1:${port}`));
    const exp = new Date(jwtExp(s.tokens.accessToken));
    const r = await cli(["logout", "--all"], s.home, s.tokens);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(removed(s.authJson));
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: auth\\.json: removed from this machine, but not revoked at 127\\.0\\.0\\.1:${port}: [^\\n]*connection refused[^\\n]*; it may still accept the refresh token until the server expires it, and the access token until ${exp.toISOString().replace(/\./g, "\\.")} \\([^)]*\\)\\n$`,
      ),
    );
    expect(existsSync(s.authJson)).toBe(false);
  });

  describe("an issuer that accepts connections and never answers", () => {
    let silent: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    });
    afterAll(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });

    test("deleted before the wait, given up within the 5 s budget, exit 0, a warning", async () => {
      const port = (silent.address() as { port: number }).port;
      const s = homeWithSession(openaiAt(`http://127.0.0.1:${port}`));
      const started = Date.now();
      const running = cli(["logout", "--all"], s.home, s.tokens);
      while (sockets.length === 0 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
      expect(sockets.length).toBeGreaterThan(0);
      expect(existsSync(s.authJson)).toBe(false);
      const r = await running;
      const took = Date.now() - started;
      expect(took).toBeGreaterThan(4_500);
      expect(took).toBeLessThan(8_000);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(
        `warning: auth.json: removed from this machine, but not revoked at 127.0.0.1:${port}:`,
      );
      expect(r.stderr).toContain("did not answer in time");
    });
  });

  test("--no-revoke: nothing sent, auth.json deleted, a warning", async () => {
    const s = homeWithSession(openaiAt(fake.issuer));
    const r = await cli(["logout", "--all", "--no-revoke"], s.home, s.tokens);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: removed(s.authJson),
      stderr: `warning: auth.json: the ChatGPT session was not revoked at ${new URL(fake.issuer).host} (--no-revoke); its tokens stay valid there until they expire\n`,
    });
    expect(revocationsOf(s.tokens)).toHaveLength(0);
    expect(existsSync(s.authJson)).toBe(false);
  });

  test("config.toml others can write chose the issuer: nothing sent, auth.json deleted, exit 1 naming the fix", async () => {
    const s = homeWithSession(openaiAt(fake.issuer));
    chmodSync(s.configFile, 0o646);
    const r = await cli(["logout", "--all"], s.home, s.tokens);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `Logged out, but not from every place:\n  Removed ${s.authJson} (OpenAI's Codex CLI's sign-in)\n`,
    );
    expect(r.stderr).toBe(
      `error: OpenAI's Codex CLI's ChatGPT session (${s.authJson}) was removed from this machine but not revoked at ${new URL(fake.issuer).host}: ${s.configFile} is writable by others (mode 0646), and codex does not send tokens where such a file says; they stay valid there until they expire; run \`chmod go-w ${s.configFile}\` so that codex trusts it again\n`,
    );
    expect(revocationsOf(s.tokens)).toHaveLength(0);
    expect(existsSync(s.authJson)).toBe(false);
  });

  test("an invalid [oauth] table: nothing sent (codex cannot tell where OpenAI's sign-in is), exit 1", async () => {
    const s = homeWithSession(openaiAt(fake.issuer, 'scopes = "openid"\n'));
    const r = await cli(["logout", "--all"], s.home, s.tokens);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: OpenAI's Codex CLI's ChatGPT session (${s.authJson}) was removed from this machine but not revoked: codex could not tell where OpenAI's sign-in is, as ${s.configFile}: oauth.scopes must be an array of scope names, e.g. ["openid", "offline_access"]; its tokens stay valid until they expire\n`,
    );
    expect(revocationsOf(s.tokens)).toHaveLength(0);
    expect(existsSync(s.authJson)).toBe(false);
  });

  test("a standard-protocol [oauth]: the tokens go to https://auth.openai.com, never to that issuer", async () => {
    const home = testHome();
    const log = join(home, "dns.log");
    const port = new URL(fake.issuer).port;
    // The fake is a live server behind the standard issuer's name: if codex sent anything there, it would see it.
    const s = homeWithSession(
      `[oauth]\nissuer = "http://sso.test:${port}"\nprotocol = "standard"\nallow_insecure_http = true\n`,
    );
    const r = await cli(["logout", "--all"], s.home, s.tokens, {
      NODE_OPTIONS: `--require ${PRELOAD}`,
      TEST_DNS_LOG: log,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(removed(s.authJson));
    expect(r.stderr).toMatch(
      /^warning: auth\.json: removed from this machine, but not revoked at auth\.openai\.com: [^\n]*auth\.openai\.com/,
    );
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual(["auth.openai.com"]);
    expect(revocationsOf(s.tokens)).toHaveLength(0);
    expect(existsSync(s.authJson)).toBe(false);
  });

  test.skipIf(!asRoot)("auth.json linked to another user's file: neither deleted nor revoked, exit 1", async () => {
    const { home, codexHome } = withConfig(openaiAt(fake.issuer));
    const tokens = fake.mintSession();
    const target = join(home, "theirs.json");
    writeFileSync(target, codexAuthJson(tokens), { mode: 0o600 });
    chownSync(target, NOBODY.uid, NOBODY.gid);
    symlinkSync(target, join(codexHome, "auth.json"));
    const r = await cli(["logout", "--all"], home, tokens);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("codex did not follow it to delete that file, so the credential in it remains");
    expect(revocationsOf(tokens)).toHaveLength(0);
    expect(existsSync(target)).toBe(true);
  });
});

function jwtExp(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString("utf8")) as { exp: number };
  return payload.exp * 1000;
}
