/**
 * A credential supplied by another tool: `auth_command = ["pass", "show", "openai"]` is run without a
 * shell at each use, and the first line of what it prints is the token (1Password's `op read`, Vault,
 * `pass` all print the secret alone on a line). codex never writes it anywhere; the tool owns it.
 *
 * Failure policy: not found, a non-zero exit, no output, a first line that is no key (see api-key.ts), or no
 * answer within 10 s is a CredentialCommandError naming the program (argv[0]'s file name: its arguments may
 * hold a secret, e.g. a Vault token) and what went wrong. Its standard output is never quoted. Its standard
 * error is quoted as one short line (that is where such tools explain), without control characters, with
 * whatever it printed on standard output and every word that looks like a key or token masked.
 *
 * The command keeps codex's terminal (a passphrase prompt needs /dev/tty), so it is not started in a process
 * group of its own; at the time limit its whole tree is found and killed (process-tree.ts). It is done when
 * it exits, not when its output closes: a helper it left running (an agent) may hold the pipe open for
 * good, so what the pipes delivered within a short grace after the exit is what it printed.
 */
import { spawn } from "node:child_process";
import { KEY_RULE, parseKeyBytes } from "./key-rule.js";
import { type Account, accountKey, commandName } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { assertTrusted } from "../config/trust.js";
import { CredentialCommandError } from "../errors.js";
import { maskSecretWords, oneLine } from "../safe-text.js";
import { killTree } from "./process-tree.js";
import type { CredentialReader, Recorded, StoredCredential, StoreSource } from "./store.js";

export const COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 64 * 1024;
const MAX_STDERR = 4096;
/** After the exit, how long output still in the pipes may take to arrive when a leftover helper holds them. */
const EXIT_GRACE_MS = 300;

/** Collects at most `max` bytes of a stream, and whether there was more. */
function collect(stream: NodeJS.ReadableStream, max: number): { bytes: () => Buffer; truncated: () => boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  stream.on("data", (d: Buffer) => {
    if (size >= max) {
      truncated = true;
      return;
    }
    const part = d.subarray(0, max - size);
    truncated ||= part.length < d.length;
    chunks.push(part);
    size += part.length;
  });
  return { bytes: () => Buffer.concat(chunks), truncated: () => truncated };
}

const isBlank = (line: Buffer) => line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);

/** The first line with something on it, and whether it ended (rather than being cut off at the limit). */
function firstLine(bytes: Buffer): { line: Buffer; ended: boolean } | undefined {
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const line = bytes.subarray(start, nl === -1 ? bytes.length : nl);
    if (!isBlank(line)) return { line, ended: nl !== -1 };
    if (nl === -1) break;
    start = nl + 1;
  }
  return undefined;
}

/** The first non-empty line of stderr, safe to show: one line, no control characters, secrets masked. */
function explanation(stderr: Buffer, stdout: Buffer): string | undefined {
  // Whatever the command printed on standard output is the secret or near it: masked wherever it reappears.
  const printed = oneLine(stdout.toString("utf8"), MAX_OUTPUT);
  const known = [printed, ...printed.split(" ").slice(0, 64)];
  for (const raw of stderr.toString("utf8").split("\n")) {
    const line = oneLine(raw, MAX_STDERR);
    if (line !== "") return maskSecretWords(line, known, 200);
  }
  return undefined;
}

export function runAuthCommand(
  argv: readonly string[],
  env: Env = process.env,
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<string> {
  const name = commandName(argv);
  const fail = (why: string) => new CredentialCommandError(name, `auth_command \`${name}\` ${why}`);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      shell: false,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = collect(child.stdout, MAX_OUTPUT);
    const err = collect(child.stderr, MAX_STDERR);
    let done = false;
    let timedOut = false;
    let grace: NodeJS.Timeout | undefined;
    const settle = (finish: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // A helper the command left behind may hold the pipes: stop reading them, so codex can exit.
      child.stdout.destroy();
      child.stderr.destroy();
      finish();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      const giveUp = () => settle(() => reject(fail(`did not finish within ${timeoutMs / 1000} s`)));
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return giveUp();
      killTree(child.pid)
        .catch(() => child.kill("SIGKILL"))
        .finally(giveUp);
    }, timeoutMs);
    child.on("error", (e: NodeJS.ErrnoException) => {
      // The spawn error's own message and fields carry the arguments; only its code is passed on.
      settle(() =>
        reject(
          e.code === "ENOENT"
            ? fail("was not found; check auth_command in config.toml")
            : fail(`could not be run (${e.code ?? "unknown error"})`),
        ),
      );
    });
    child.on("exit", (code, signal) => {
      if (done || timedOut) return;
      const finish = () => settle(() => decide(code, signal));
      let open = [child.stdout, child.stderr].filter((s) => !s.readableEnded).length;
      if (open === 0) return finish();
      for (const s of [child.stdout, child.stderr]) s.once("end", () => --open === 0 && finish());
      grace = setTimeout(finish, EXIT_GRACE_MS);
    });

    const decide = (code: number | null, signal: NodeJS.Signals | null) => {
      if (code !== 0) {
        const said = explanation(err.bytes(), out.bytes());
        const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
        return reject(fail(`${how}${said ? `: ${said}` : ""}`));
      }
      const first = firstLine(out.bytes());
      if (first === undefined) return reject(fail("printed nothing; it must print the token on standard output"));
      if (!first.ended && out.truncated()) {
        return reject(fail(`printed a first line over ${MAX_OUTPUT / 1024} KiB, which is no token`));
      }
      const parsed = parseKeyBytes(first.line);
      if ("problem" in parsed) {
        return reject(
          fail(
            `printed a first line that is not a token: it contains ${parsed.problem} at position ${parsed.position} (${KEY_RULE})`,
          ),
        );
      }
      resolve(parsed.key);
    };
  });
}

/**
 * An account's `auth_command`: a CredentialReader and no CredentialStore, because codex never writes or
 * deletes what another tool owns (login says the command takes precedence; logout says it is left).
 */
export class CommandStore implements CredentialReader {
  /** The program's name, as messages give it (`pass`). */
  readonly name: string;
  readonly #argv: string[];
  readonly #env: Env;
  readonly #where: { config: Config; account: Account } | undefined;

  /**
   * `where`: the config and account whose `auth_command` this is. With it, the command is run only when that
   * config is trusted (UntrustedConfigError otherwise), and `source()` names the file that sets it.
   */
  constructor(argv: string[], env: Env = process.env, where?: { config: Config; account: Account }) {
    this.#argv = argv;
    this.#env = env;
    this.#where = where;
    this.name = commandName(argv);
  }

  /** Configured means here: it is asked at each use. */
  recorded(): Recorded {
    return { source: this.source() };
  }

  async get(): Promise<StoredCredential | undefined> {
    if (this.#where !== undefined) assertTrusted(this.#where.config, "command");
    return { token: await runAuthCommand(this.#argv, this.#env) };
  }

  /** `path`: the file that sets the command; empty when the store was made without one. */
  source(): StoreSource {
    const w = this.#where;
    const path = w === undefined ? "" : accountKey(w.config, w.account, "auth_command").file.path;
    return { type: "command", command: this.name, path };
  }

  describe(): string {
    return `command \`${this.name}\``;
  }
}
