/**
 * `codex login`. Today one method, an API key: from standard input with `--with-api-key`, or from a masked
 * prompt on a terminal. A key is never taken from argv (process lists and shell history would keep it).
 * The browser and device-code methods plug in here as further branches of `chooseMethod`.
 */
import { maskToken } from "../auth/api-key.js";
import { selectedEnvKey } from "../auth/credential.js";
import { tokenEnvVarsSet } from "../auth/env.js";
import { loginWithApiKey } from "../auth/login.js";
import { type ExitCode, UsageError } from "../errors.js";
import type { CommandContext } from "./context.js";

export interface LoginOptions extends CommandContext {
  withApiKey: boolean;
}

type Method = "api-key-stdin" | "api-key-prompt";

function chooseMethod(opts: LoginOptions): Method {
  // Reading a terminal as plain input would echo the key as it is typed; prompt with echo off instead.
  if (opts.withApiKey) return opts.io.stdinIsTTY() ? "api-key-prompt" : "api-key-stdin";
  if (opts.io.canPrompt()) return "api-key-prompt";
  throw new UsageError(
    "no terminal to ask for a key on; pipe the API key on standard input: `codex login --with-api-key < keyfile`",
  );
}

export async function runLogin(opts: LoginOptions): Promise<ExitCode> {
  const { io } = opts;
  const method = chooseMethod(opts);
  const key = method === "api-key-stdin" ? await io.readAll() : await io.promptSecret("Paste your API key:");
  const result = await loginWithApiKey(key, { config: opts.config, env: opts.env });
  const saved = opts.config.authToken ?? "";
  io.out(`✅ Logged in using an API key (${maskToken(saved)}), stored in ${result.storedIn}`);
  for (const variable of tokenEnvVarsSet(opts.env, selectedEnvKey(opts.config, opts.env))) {
    io.warn(
      `${variable} is set in your environment and takes precedence over the key just saved; unset it to use this one`,
    );
  }
  return 0;
}
