/**
 * Extra certificate authorities from the environment (src/config/ca.ts, network.ts), against a real https
 * provider on 127.0.0.1 whose certificate a throwaway CA (made with openssl here) signed: CODEX_CA_CERTIFICATE,
 * SSL_CERT_FILE (CODEX_CA_CERTIFICATE wins, as in OpenAI's Codex CLI) and NODE_EXTRA_CA_CERTS make it trusted;
 * without one, the TLS failure names the host and the variables; a CA file codex cannot use is one line
 * naming the variable and the path, before any request. (Through a proxy: proxy.test.ts.)
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { asRoot, codexHomeOf, NOBODY, type RunResult, runCliAs, tempDir, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { type Certificates, makeCertificates } from "./support/forward-proxy.js";
import { type FakeProvider, startProvider } from "./support/provider.js";

const KEY = "sk-ca-test-0123456789abcdefKEY1";

let dir: string;
let certs: Certificates;

beforeAll(() => {
  dir = tempDir("codex-ca-");
  certs = makeCertificates(dir, ["127.0.0.1"]);
});

const models = (server: FakeProvider) =>
  server.reply((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [{ id: "gpt-5", object: "model" }] }));
  });

const config = (baseUrl: string) =>
  `auth_token = "${KEY}"\nmodel_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${baseUrl}"\n`;

async function check(env: Record<string, string>): Promise<{ r: RunResult; server: FakeProvider }> {
  const server = await startProvider({ tls: { key: certs.key, cert: certs.cert, hostname: "127.0.0.1" } });
  models(server);
  const { home } = withConfig(config(server.baseUrl));
  const r = await runCliInProcess(["status", "--check"], { home, env });
  expect(r.stdout + r.stderr).not.toContain(KEY);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected failure/);
  return { r, server };
}

/** The one error line, and that nothing reached the provider. */
function refusedBeforeAnyRequest(r: RunResult, server: FakeProvider): string {
  expect(r.code).toBe(1);
  expect(server.requests).toHaveLength(0);
  const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.startsWith("error: ") || l.includes("Check:"));
  return lines.join("\n");
}

describe("a CA variable makes the provider's certificate trusted", () => {
  for (const variable of ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"]) {
    test(`${variable}: status --check is valid (exit 0)`, async () => {
      const { r, server } = await check({ [variable]: certs.caFile });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Check: valid");
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    });
  }

  test("CODEX_CA_CERTIFICATE wins over SSL_CERT_FILE (which is then not even read)", async () => {
    const { r } = await check({ CODEX_CA_CERTIFICATE: certs.caFile, SSL_CERT_FILE: join(dir, "missing.pem") });
    expect(r.code, r.stderr).toBe(0);
  });

  test("an empty CODEX_CA_CERTIFICATE counts as unset: SSL_CERT_FILE is used", async () => {
    const { r } = await check({ CODEX_CA_CERTIFICATE: "", SSL_CERT_FILE: certs.caFile });
    expect(r.code, r.stderr).toBe(0);
  });

  test("a bundle of another CA and ours with a CRL between them: every certificate counts, the CRL is skipped", async () => {
    const other = makeCertificates(tempDir("codex-ca-other-"), ["127.0.0.2"]);
    const bundle = join(dir, "bundle.pem");
    writeFileSync(bundle, `${other.ca}\n-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n${certs.ca}`);
    const { r } = await check({ CODEX_CA_CERTIFICATE: bundle });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("without the CA", () => {
  test("status --check: unreachable, the TLS failure names the host and suggests the CA variables", async () => {
    const { r, server } = await check({});
    expect(r.code).toBe(1);
    expect(server.requests).toHaveLength(0);
    expect(r.stdout).toContain(`Check: unreachable (GET /v1/models at 127.0.0.1:${server.port})`);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: secure connection to 127\\.0\\.0\\.1:${server.port} failed: .*\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); if a proxy or gateway on your network re-signs TLS, set CODEX_CA_CERTIFICATE to a PEM file of its CA certificate`,
      ),
    );
  });

  test("codex run: exit 1, one line naming the host and CODEX_CA_CERTIFICATE", async () => {
    const server = await startProvider({ tls: { key: certs.key, cert: certs.cert, hostname: "127.0.0.1" } });
    const { home } = withConfig(config(server.baseUrl));
    const r = await runCliInProcess(["run", "hi"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: secure connection to 127\\.0\\.0\\.1:${server.port} failed: .*CODEX_CA_CERTIFICATE`),
    );
  });
});

describe("a CA file codex cannot use: one line naming the variable and the path, before any request", () => {
  const cases: Array<[string, () => string, string]> = [
    ["missing", () => join(dir, "nowhere.pem"), "which does not exist"],
    ["a directory", () => dir, "which is a directory"],
    [
      "not PEM",
      () => {
        const path = join(dir, "notes.txt");
        writeFileSync(path, "this is not a certificate\n");
        return path;
      },
      "which holds no PEM certificate",
    ],
    [
      "over 4 MiB",
      () => {
        const path = join(dir, "huge.pem");
        writeFileSync(path, Buffer.alloc(4 * 1024 * 1024 + 1, "A"));
        return path;
      },
      "which is larger than 4 MiB",
    ],
  ];
  for (const variable of ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"]) {
    for (const [what, make, why] of cases) {
      test(`${variable}: ${what}`, async () => {
        const path = make();
        const server = await startProvider({ tls: { key: certs.key, cert: certs.cert, hostname: "127.0.0.1" } });
        const { home } = withConfig(config(server.baseUrl));
        const r = await runCliInProcess(["run", "hi"], { home, env: { [variable]: path } });
        expect(refusedBeforeAnyRequest(r, server)).toBe(
          `error: ${variable} names ${path}, ${why}; point ${variable} at a PEM file of CA certificates, or unset it`,
        );
        // The one line (Node itself warns of a NODE_EXTRA_CA_CERTS it cannot open, before codex runs).
        expect(r.stderr.replace(/^Warning: Ignoring extra certs from `[^`]+`, load failed: .*\n/, "")).toBe(
          `error: ${variable} names ${path}, ${why}; point ${variable} at a PEM file of CA certificates, or unset it\n`,
        );
      });
    }
  }

  test("status --check says the same in its Check line, exit 1", async () => {
    const path = join(dir, "nowhere.pem");
    const { r, server } = await check({ CODEX_CA_CERTIFICATE: path });
    expect(refusedBeforeAnyRequest(r, server)).toBe(
      `  Check: unknown (GET /v1/models at 127.0.0.1:${server.port})\nerror: CODEX_CA_CERTIFICATE names ${path}, which does not exist; point CODEX_CA_CERTIFICATE at a PEM file of CA certificates, or unset it`,
    );
  });
});

describe.skipIf(!asRoot)("a CA file the user may not read (run as nobody)", () => {
  test("CODEX_CA_CERTIFICATE mode 0600, owned by root: permission denied, naming the variable and the path", async () => {
    const home = testHome("codex-ca-nobody-");
    chmodSync(home, 0o755);
    const codexHome = codexHomeOf(home);
    mkdirSync(codexHome, { mode: 0o700 });
    chownSync(codexHome, NOBODY.uid, NOBODY.gid);
    const server = await startProvider({ tls: { key: certs.key, cert: certs.cert, hostname: "127.0.0.1" } });
    writeFileSync(join(codexHome, "config.toml"), config(server.baseUrl), { mode: 0o600 });
    chownSync(join(codexHome, "config.toml"), NOBODY.uid, NOBODY.gid);
    const path = join(home, "root-only.pem");
    writeFileSync(path, certs.ca, { mode: 0o600 });
    const r = await runCliAs(NOBODY, ["run", "hi"], { home, env: { CODEX_CA_CERTIFICATE: path } });
    expect(r.stderr).toBe(
      `error: CODEX_CA_CERTIFICATE names ${path}, which codex may not read (permission denied); point CODEX_CA_CERTIFICATE at a PEM file of CA certificates, or unset it\n`,
    );
    expect(r.code).toBe(1);
    expect(server.requests).toHaveLength(0);
  });
});
