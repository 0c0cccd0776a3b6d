/**
 * A server that echoes the credential back (an error body, an error event, an OAuth error_description)
 * never gets it shown: whole, as a long prefix, in base64 (as `Authorization: Basic base64(":" + key)`,
 * standard or URL-safe, at any byte offset), percent-encoded, or split by control characters. Each echo is
 * sent on its own, so no message is cut short before the echo (server text is shortened to one line).
 */
import { describe, expect, test } from "vitest";
import { type RunResult, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { json, startFakeIssuer } from "./support/fake-issuer.js";
import { sse, startProvider, status } from "./support/provider.js";
import { echoes, forbidden } from "./support/secret-forms.js";

// Characters an API key does not have but an OAuth token may (/ + = . ~), so percent-encoding differs.
const KEY = "sk-proj-AbC/dEf+GhI=jKl.MnO~pQr_StU-vWx0123456789wxyz";
const ACCESS = "at_Zx9/Qw+Er=Ty.Ui~Op_As-Df0123456789GhJkLmNb";
const REFRESH = "rt_Mn8/Bv+Cx=Za.Sd~Fg_Hj-Kl9876543210QwErTyUi";
const DEVICE_CODE = "dc_Po7/Iu+Yt=Re.Wq~Lk_Jh-Gf5647382910ZxCvBnMa";

function expectNoneShown(r: RunResult, ...secrets: string[]): void {
  const shown = r.stdout + r.stderr;
  for (const secret of secrets) for (const piece of forbidden(secret)) expect(shown, piece).not.toContain(piece);
}

const env = (baseUrl: string) => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: baseUrl });

describe("the provider echoes the API key", () => {
  test.each(echoes(KEY))(
    "status --check, HTTP 401 echoing it %s: none of it shown, the masked hint instead",
    async (_name, echo) => {
      const server = await startProvider();
      server.reply(status(401, { error: { message: `Incorrect API key provided: ${echo}.` } }));
      const r = await runCliInProcess(["status", "--check"], { home: testHome(), env: env(server.baseUrl) });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("Incorrect API key provided: ");
      expectNoneShown(r, KEY);
    },
  );

  test.each(echoes(KEY))("run, HTTP 403 echoing it %s: none of it shown", async (_name, echo) => {
    const server = await startProvider();
    server.reply(status(403, { error: { message: `key ${echo} has no access to this model` } }));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: env(server.baseUrl) });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("has no access to this model");
    expectNoneShown(r, KEY);
  });

  test("an error event inside the stream echoing it in every form at once: none shown", async () => {
    const server = await startProvider();
    const all = echoes(KEY)
      .map(([, e]) => e)
      .join(" ");
    server.reply(sse(`data: ${JSON.stringify({ type: "error", error: { message: all } })}\n\n`));
    const r = await runCliInProcess(["run", "hi"], { home: testHome(), env: env(server.baseUrl) });
    expect(r.code).toBe(1);
    expectNoneShown(r, KEY);
  });
});

/** config.toml holding an OAuth session at `issuer` (expired when `expired`). */
function sessionHome(issuer: string, clientId: string, expired: boolean) {
  const expiresAt = expired ? "2020-01-01T00:00:00.000Z" : "2099-01-01T00:00:00.000Z";
  return withConfig(
    `auth_token = "${ACCESS}"\n\n[oauth_session]\nissuer = "${issuer}"\nclient_id = "${clientId}"\nrefresh_token = "${REFRESH}"\nexpires_at = ${expiresAt}\n`,
  );
}

describe("the sign-in server echoes a token in its error_description", () => {
  test.each(echoes(REFRESH))("renewing the session, the refresh token %s: none of it shown", async (_name, echo) => {
    const fake = await startFakeIssuer({
      token: (_form, res) => json(res, 400, { error: "invalid_request", error_description: `bad token ${echo}` }),
    });
    const { home } = sessionHome(fake.issuer, fake.clientId, true);
    const r = await runCliInProcess(["run", "hi"], { home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused renewing the session (invalid_request: bad token");
    expect(fake.posts[0]?.form.get("refresh_token")).toBe(REFRESH);
    expectNoneShown(r, REFRESH, ACCESS);
  });

  test.each(echoes(REFRESH))(
    "revoking at logout, the refresh token %s: none of it in the warning",
    async (_name, echo) => {
      const fake = await startFakeIssuer({
        revoke: (_form, res) =>
          json(res, 400, { error: "invalid_request", error_description: `cannot revoke ${echo}` }),
      });
      const { home } = sessionHome(fake.issuer, fake.clientId, false);
      const r = await runCliInProcess(["logout"], { home });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("but not revoked at");
      expect(r.stderr).toContain("cannot revoke");
      expectNoneShown(r, REFRESH, ACCESS);
    },
  );

  test("device sign-in, the device code echoed in every form at once: none of it shown", async () => {
    const fake = await startFakeIssuer({
      device: (_form, res) =>
        json(res, 200, {
          device_code: DEVICE_CODE,
          user_code: "WDJB-MJHT",
          verification_uri: "http://127.0.0.1:9/device",
          expires_in: 60,
          interval: 1,
        }),
      token: (_form, res) =>
        json(res, 400, {
          error: "invalid_request",
          error_description: echoes(DEVICE_CODE)
            .map(([, e]) => e)
            .join(" ")
            .slice(0, 180),
        }),
    });
    const { home } = withConfig(`[oauth]\nissuer = "${fake.issuer}"\nclient_id = "${fake.clientId}"\n`);
    const r = await runCliInProcess(["login", "--device-auth"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused the device sign-in (invalid_request: ");
    expectNoneShown(r, DEVICE_CODE);
  });
});
