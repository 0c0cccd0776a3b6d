/**
 * `npm install` in a clone is quiet: every dependency with an install script is approved in package.json's
 * `allowScripts` (npm 11.16 and later list the ones that are not, and npm 12 skips their scripts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT, run } from "./helpers.js";

const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

/** Every installed package (scoped too, nested too) and whether it has an install script. */
function withInstallScripts(dir: string, found: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      withInstallScripts(join(dir, name), found);
      continue;
    }
    const pkgDir = join(dir, name);
    try {
      const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
      if (INSTALL_SCRIPTS.some((s) => typeof pkg.scripts?.[s] === "string")) found.push(pkg.name);
    } catch {
      continue;
    }
    withInstallScripts(join(pkgDir, "node_modules"), found);
  }
  return found;
}

test("every installed dependency with an install script is approved in allowScripts", () => {
  const allow = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).allowScripts ?? {};
  const approved = new Set(Object.keys(allow).map((k) => k.replace(/(.)@.*$/, "$1")));
  const scripted = [...new Set(withInstallScripts(join(ROOT, "node_modules")))];
  expect(scripted).toContain("esbuild");
  expect(scripted.filter((name) => !approved.has(name))).toEqual([]);
});

test("npm itself finds nothing pending (npm 11.16 and later)", async () => {
  const version = await run("npm", ["--version"], { cwd: ROOT });
  const [major = 0, minor = 0] = version.stdout.trim().split(".").map(Number);
  if (major < 11 || (major === 11 && minor < 16)) return; // no allowScripts before npm 11.16
  const r = await run("npm", ["approve-scripts", "--allow-scripts-pending"], { cwd: ROOT });
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toMatch(/not yet covered/);
}, 30_000);
