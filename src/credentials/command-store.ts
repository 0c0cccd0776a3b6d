/**
 * A credential supplied by another tool: `auth_command = ["pass", "show", "openai"]` is run without a
 * shell at each use, and the first line of what it prints is the token (1Password's `op read`, Vault,
 * `pass` all print the secret alone on a line). codex never writes it anywhere; the tool owns it.
 *
 * Failure policy: not found, a non-zero exit, no output, or no answer within 10 s is a
 * CredentialCommandError naming the command (its first word) and what went wrong. Its standard output is
 * never quoted, and its standard error only as a short first line, since that is where such tools explain.
 */
import { spawn } from "node:child_process";
import { commandName } from "../config/accounts.js";
import type { Env } from "../config/paths.js";
import { CredentialCommandError } from "../errors.js";
import type { CredentialStore, StoredCredential } from "./store.js";

export const COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 64 * 1024;

export function runAuthCommand(argv: readonly string[], env: Env, timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const name = commandName(argv);
  const fail = (why: string, cause?: unknown) =>
    new CredentialCommandError(name, `auth_command \`${name}\` ${why}`, cause === undefined ? undefined : { cause });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      shell: false,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (out.length < MAX_OUTPUT) out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (err.length < 4096) err += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      // Settled now rather than on "close": a child the command left running may hold the pipe open.
      timedOut = true;
      child.kill("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
      reject(fail(`did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e.code === "ENOENT"
          ? fail("was not found; check auth_command in config.toml", e)
          : fail(`could not be run (${e.code ?? e.message})`, e),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return;
      if (code !== 0) {
        const said = err.trim().split(/\r?\n/)[0]?.slice(0, 200);
        const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
        return reject(fail(`${how}${said ? `: ${said}` : ""}`));
      }
      const token = out
        .split(/\r?\n/)
        .find((line) => line.trim() !== "")
        ?.trim();
      if (token === undefined) return reject(fail("printed nothing; it must print the token on standard output"));
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters would corrupt the header
      if (/[\s\x00-\x1f\x7f]/.test(token))
        return reject(fail("printed a line with spaces or control characters, not a token"));
      resolve(token);
    });
  });
}

/** Read-only: codex does not store or delete what another tool manages. */
export class CommandStore implements CredentialStore {
  readonly kind = "command";
  /** The program's name, as messages give it (`pass`). */
  readonly name: string;
  readonly #argv: string[];
  readonly #env: Env;

  constructor(argv: string[], env: Env) {
    this.#argv = argv;
    this.#env = env;
    this.name = commandName(argv);
  }

  async get(): Promise<StoredCredential | undefined> {
    return { token: await runAuthCommand(this.#argv, this.#env) };
  }

  async set(): Promise<void> {
    throw new CredentialCommandError(
      this.name,
      `this account's credential comes from auth_command \`${this.name}\`; store it with that tool`,
    );
  }

  async delete(): Promise<boolean> {
    return false;
  }

  describe(): string {
    return `command \`${this.name}\``;
  }
}
