import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { runCli, tempDir } from "./helpers.js";

test("login, status, logout round trip through the built CLI", async () => {
  const home = tempDir();
  const key = "sk-smoke-0123456789abcdef";
  const login = await runCli(["login", "--with-api-key"], { home, input: `${key}\n` });
  expect(login.code).toBe(0);
  expect(readFileSync(join(home, ".codex", "config.toml"), "utf8")).toBe(`auth_token = "${key}"\n`);
  const status = await runCli(["status", "--json"], { home });
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ authenticated: true, method: "api_key", hint: "sk-…cdef" });
  const logout = await runCli(["logout"], { home });
  expect(logout.stdout).toBe("✅ Logged out successfully\n");
  for (const r of [login, status, logout]) expect(r.stdout + r.stderr).not.toContain(key);
});
