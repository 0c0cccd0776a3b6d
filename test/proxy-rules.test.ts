/**
 * The proxy rules of src/config/proxy.ts, case by case, without a network: which variable applies to which
 * URL, what NO_PROXY exempts, and that a proxy's password never reaches what is shown. (The same rules
 * against a real proxy, through the built CLI: proxy.test.ts.)
 */
import { describe, expect, test } from "vitest";
import { exemptingEntry, parseProxy, proxyConfigured, proxyDecision } from "../src/config/proxy.js";
import { NetworkSettingError } from "../src/errors.js";

const P = "http://proxy.example:3128";
const via = (url: string, env: Record<string, string>) => {
  const d = proxyDecision(new URL(url), env);
  return "proxy" in d ? `${d.proxy.variable} ${d.proxy.shown}` : d.direct === undefined ? "direct" : d.direct.by;
};

describe("which variable applies", () => {
  test.each([
    ["https://api.example/v1", { HTTPS_PROXY: P }, `HTTPS_PROXY ${P}`],
    ["https://api.example/v1", { https_proxy: P, HTTPS_PROXY: "http://other:1" }, `https_proxy ${P}`],
    ["https://api.example/v1", { HTTP_PROXY: P }, "direct"],
    ["http://api.example/v1", { HTTP_PROXY: P }, `HTTP_PROXY ${P}`],
    ["http://api.example/v1", { HTTPS_PROXY: P }, "direct"],
    ["https://api.example/v1", { ALL_PROXY: P }, `ALL_PROXY ${P}`],
    ["https://api.example/v1", { all_proxy: P, HTTPS_PROXY: "http://first:8080" }, "HTTPS_PROXY http://first:8080"],
    ["https://api.example/v1", { https_proxy: "", HTTPS_PROXY: P }, `HTTPS_PROXY ${P}`],
    ["https://api.example/v1", { HTTPS_PROXY: "proxy.example:3128" }, `HTTPS_PROXY ${P}`],
    ["https://api.example/v1", { HTTPS_PROXY: "https://proxy.example" }, "HTTPS_PROXY https://proxy.example:443"],
    ["https://api.example/v1", { HTTPS_PROXY: "http://proxy.example" }, "HTTPS_PROXY http://proxy.example:80"],
  ])("%s with %j: %s", (url, env, expected) => {
    expect(via(url, env)).toBe(expected);
  });

  test("no proxy variable (NO_PROXY alone does not count): nothing is loaded", () => {
    expect(proxyConfigured({ NO_PROXY: "*" })).toBe(false);
    expect(proxyConfigured({ HTTPS_PROXY: "" })).toBe(false);
    expect(proxyConfigured({ all_proxy: P })).toBe(true);
  });
});

describe("this machine is never proxied", () => {
  test.each([
    "https://localhost:8443/v1",
    "http://127.0.0.1:11434/v1",
    "http://127.9.8.7/v1",
    "https://[::1]:8443/v1",
    "http://[::ffff:127.0.0.1]/v1",
  ])("%s", (url) => {
    expect(via(url, { HTTPS_PROXY: P, HTTP_PROXY: P, ALL_PROXY: P })).toBe("loopback");
  });

  test("a name that merely resembles it is proxied", () => {
    expect(via("https://localhost.example/v1", { HTTPS_PROXY: P })).toBe(`HTTPS_PROXY ${P}`);
    expect(via("https://127.0.0.1.example/v1", { HTTPS_PROXY: P })).toBe(`HTTPS_PROXY ${P}`);
  });
});

describe("NO_PROXY", () => {
  test.each([
    ["*", "https://api.example/", "*"],
    ["api.example", "https://api.example/", "api.example"],
    ["api.example", "https://eu.api.example/", "api.example"],
    [".api.example", "https://api.example/", ".api.example"],
    [".api.example", "https://eu.api.example/", ".api.example"],
    ["*.api.example", "https://eu.api.example/", "*.api.example"],
    ["API.Example", "https://api.example/", "API.Example"],
    ["other.example, api.example", "https://api.example/", "api.example"],
    ["other.example api.example", "https://api.example/", "api.example"],
    ["api.example:443", "https://api.example/", "api.example:443"],
    ["api.example:8443", "https://api.example:8443/", "api.example:8443"],
    ["10.1.2.3", "https://10.1.2.3/", "10.1.2.3"],
    ["10.1.2.3:443", "https://10.1.2.3/", "10.1.2.3:443"],
    ["2001:db8::1", "https://[2001:db8::1]/", "2001:db8::1"],
    ["[2001:db8::1]", "https://[2001:db8::1]/", "[2001:db8::1]"],
    ["[2001:db8::1]:443", "https://[2001:db8::1]/", "[2001:db8::1]:443"],
    ["2001:db8:0:0:0:0:0:1", "https://[2001:db8::1]/", "2001:db8:0:0:0:0:0:1"],
  ])("%j exempts %s", (noProxy, url, entry) => {
    expect(exemptingEntry(new URL(url), noProxy)).toBe(entry);
  });

  test.each([
    ["api.example", "https://pi.example/"],
    ["api.example", "https://myapi.example/"],
    ["api.example:8443", "https://api.example/"],
    ["api.example:", "https://api.example/"],
    ["10.1.2.3", "https://10.1.2.30/"],
    ["1.2.3", "https://10.1.2.3/"],
    ["2001:db8::1", "https://[2001:db8::2]/"],
    ["[2001:db8::1", "https://[2001:db8::1]/"],
    ["", "https://api.example/"],
    [", ,", "https://api.example/"],
    ["*api.example", "https://eu.api.example/"],
  ])("%j does not exempt %s", (noProxy, url) => {
    expect(exemptingEntry(new URL(url), noProxy)).toBeUndefined();
  });

  test("the decision names the variable and the entry", () => {
    expect(proxyDecision(new URL("https://sso.corp.example/"), { HTTPS_PROXY: P, no_proxy: ".corp.example" })).toEqual({
      direct: { by: "no_proxy", variable: "no_proxy", entry: ".corp.example" },
    });
  });

  test("a NO_PROXY of 100,000 entries is read in linear time", () => {
    const long = Array.from({ length: 100_000 }, (_, i) => `host${i}.example`).join(",");
    const started = performance.now();
    expect(exemptingEntry(new URL("https://api.example/"), long)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("a proxy's user name and password", () => {
  test("go into Proxy-Authorization (percent-decoded), never into what is shown", () => {
    const p = parseProxy("HTTPS_PROXY", "http://me%40corp:p%3Ass%20w@proxy.example:3128");
    expect(p.shown).toBe("http://proxy.example:3128");
    expect(p.authorization).toBe(`Basic ${Buffer.from("me@corp:p:ss w").toString("base64")}`);
    expect(p.variable).toBe("HTTPS_PROXY");
  });

  test.each([
    ["socks5://me:secret@proxy.example:1080", "HTTPS_PROXY names a socks5:// proxy, which codex does not support"],
    ["ftp://proxy.example", "HTTPS_PROXY names a ftp:// proxy, which codex does not support"],
    ["http://me:secret@[bad", "HTTPS_PROXY is not a proxy URL"],
    ["http://:3128", "HTTPS_PROXY is not a proxy URL"],
  ])("%s: refused, naming the variable and never the value", (value, start) => {
    let error: unknown;
    try {
      parseProxy("HTTPS_PROXY", value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NetworkSettingError);
    expect((error as Error).message.startsWith(start)).toBe(true);
    expect((error as Error).message).not.toContain("secret");
  });
});
