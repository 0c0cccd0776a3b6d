import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { CLI, cleanEnv, run, runCli, tempDir, CREATED } from "./helpers.js";

test("login, status, logout round trip through the built CLI", async () => {
  const home = tempDir();
  const key = "sk-smoke-0123456789abcdef";
  const login = await runCli(["login", "--with-api-key"], { home, input: `${key}\n` });
  expect(login.code).toBe(0);
  expect(readFileSync(join(home, ".codex", "config.toml"), "utf8")).toBe(`${CREATED}auth_token = "${key}"\n`);
  const status = await runCli(["status", "--json"], { home });
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ authenticated: true, method: "api_key", hint: "sk-…cdef" });
  const logout = await runCli(["logout"], { home });
  expect(logout.stdout).toBe(`✅ Logged out successfully\n  Removed from ${join(home, ".codex", "config.toml")}\n`);
  for (const r of [login, status, logout]) expect(r.stdout + r.stderr).not.toContain(key);
});

/**
 * Most behaviour tests run codex in process (test/support/in-process.ts); this is each exit code once from
 * the built CLI's own process, with the one line on stderr and no stack trace.
 */
test.each([
  ["0, ok", ["--version"], 0, ""],
  ["1, failure (not logged in)", ["status"], 1, ""],
  ["2, usage", ["stauts"], 2, "error: unknown command 'stauts' (did you mean status?); see `codex --help`\n"],
  ["4, authentication required", ["run", "hi"], 4, /^error: [^\n]+\n$/],
] as const)(
  "exit %s: the process's exit code, one line or none on stderr, no stack",
  async (_name, args, code, stderr) => {
    const r = await runCli([...args], { home: tempDir() });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    if (typeof stderr === "string") expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  },
);

/**
 * `npm run test:node24` runs this suite on another Node and says which in CODEX_TEST_NODE_MAJOR. The
 * helpers spawn the CLI with process.execPath, so that is the Node codex runs on too.
 */
test.runIf(process.env.CODEX_TEST_NODE_MAJOR)("the suite, and the CLI it spawns, run on the Node asked for", () => {
  expect(process.version.split(".")[0]).toBe(`v${process.env.CODEX_TEST_NODE_MAJOR}`);
});

/**
 * What `status` and `logout` load at start-up: none of Node's network, process or terminal modules, and
 * none of the bundles only other commands need (dist/lazy.cjs, the OAuth client, prompts). A static import in the wrong
 * place would add them to every command's start-up without failing anything else.
 */
test.each([
  ["status", [], ""],
  ["status (OAuth session)", [], '[oauth_session]\nissuer = "http://127.0.0.1:1"\nclient_id = "c"\n'],
  ["logout (logged out)", [], ""],
  ["logout (logged in: config.toml rewritten)", [], 'model = "m"\n'],
])("%s loads no network, child-process or sign-in code", async (name, _args, session) => {
  const home = tempDir();
  const codexHome = join(home, ".codex");
  mkdirSync(codexHome, { recursive: true });
  if (session)
    writeFileSync(join(codexHome, "config.toml"), `auth_token = "tok-0123456789abcdef"\n${session}`, { mode: 0o600 });
  const probe = join(home, "probe.cjs");
  const out = join(home, "loaded.json");
  writeFileSync(
    probe,
    `const fs = require("fs"); const read = fs.readFileSync; const files = [];
fs.readFileSync = function (p, ...a) { files.push(String(p)); return read.call(this, p, ...a); };
process.on("exit", () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ modules: process.moduleLoadList, files })));\n`,
  );
  const command = name.split(" ")[0] as string;
  const r = await run(process.execPath, ["-r", probe, CLI, command], { env: cleanEnv(home) });
  expect(r.stderr).toBe("");
  const { modules, files } = JSON.parse(readFileSync(out, "utf8")) as { modules: string[]; files: string[] };
  const builtins = modules.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice("NativeModule ".length));
  for (const heavy of ["child_process", "net", "http", "https", "tls", "readline", "stream", "worker_threads"]) {
    expect(builtins, heavy).not.toContain(heavy);
  }
  expect(files.filter((f) => f.includes(`${join("dist", "vendor")}`) || f.includes(join("dist", "lazy.cjs")))).toEqual(
    [],
  );
});
