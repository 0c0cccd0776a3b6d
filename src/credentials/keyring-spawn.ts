/**
 * Starts the keyring helper process (keyring-helper.ts). A module of its own, imported on first use, so that
 * node:child_process is loaded only by a command that starts the helper, not by one that reaches the Secret
 * Service over D-Bus or never asks the keyring.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Env } from "../config/paths.js";

/** Where the built helper lives: beside the bundle that runs this code (dist/). */
function helperPath(): string {
  const dir = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
  return join(dir, "keyring-helper.cjs");
}

export function spawnHelper(env: Env): ChildProcess {
  return spawn(process.execPath, [helperPath()], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "ignore"],
  });
}
