/**
 * auth_command against a hostile or careless tool: its arguments (a Vault token passed as `-token=…`) never
 * appear in any message or --json; its stderr reaches the user as one line without control characters,
 * with words that look like keys and whatever it printed on stdout masked; at the time limit its whole
 * process tree ends, yet it keeps the terminal for a passphrase prompt; a helper it leaves running with
 * the output pipe open does not make a command that printed its token and exited 0 fail.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, onTestFinished, test } from "vitest";
import { CredentialCommandError, runAuthCommand } from "../src/index.js";
import { expectNoSecret, type RunResult, runCliInPty, testHome, withConfig } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";
import { responsesEvents, sse, startProvider } from "./support/provider.js";

const TOKEN = "sk-cmd-0123456789abcdefABCD";
/** A Vault token given to the command as an argument: a secret of its own. */
const VAULT = "hvs.CAESIJ7m2XkQ9vLp4RtY8wZnB3cD";

/** An executable sh script in `dir`; returns its path. */
function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

/** A home whose config.toml has `auth_command = argv(home)`. */
function commandHome(argv: (home: string) => string[], extra = "") {
  const made = withConfig("");
  writeFileSync(made.configFile, `auth_command = ${JSON.stringify(argv(made.home))}\n${extra}`, { mode: 0o600 });
  return made;
}

/** Whether `pid` is a live process (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Pids written to `files` by a test's script, killed after the test whatever happens. */
function pidsFrom(files: string[]): () => number[] {
  const read = () => files.filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, "utf8").trim())) as number[];
  onTestFinished(() => {
    for (const pid of read()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  });
  return read;
}

async function waitUntil(check: () => boolean, ms = 3000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe("the command's arguments are never shown", () => {
  test("a failing command with a token among its arguments: status, --json, run and doctor name only the program", async () => {
    const server = await startProvider();
    const { home } = commandHome(
      (h) => [script(h, "vault-read.sh", "echo 'permission denied' >&2\nexit 2\n"), "kv", "get", `-token=${VAULT}`],
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const results: RunResult[] = [];
    for (const args of [
      ["status"],
      ["status", "--json"],
      ["run", "hi"],
      ["doctor", "--offline"],
      ["doctor", "--json"],
    ]) {
      const r = await runCliInProcess(args, { home });
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`, args.join(" ")).toContain(
        "auth_command `vault-read.sh` exited with status 2: permission denied",
      );
      results.push(r);
    }
    for (const r of results) expectNoSecret(r, VAULT, "hvs.", "-token", "kv get");
    const doctor = results[3] as RunResult;
    expect(doctor.stdout).toContain("fix: run the auth_command in ");
    expect(doctor.stdout).toContain("(`vault-read.sh …`) yourself to see why it fails");
    expect(server.requests).toEqual([]);
  });

  test("a working command with a token among its arguments: status, doctor and their --json name only the program", async () => {
    const { home } = commandHome((h) => [script(h, "vault-read.sh", `echo '${TOKEN}'\n`), `-token=${VAULT}`]);
    for (const args of [["status"], ["status", "--json"], ["doctor", "--offline"], ["doctor", "--json", "--offline"]]) {
      const r = await runCliInProcess(args, { home });
      expect(`${r.stdout}${r.stderr}`, args.join(" ")).toContain("vault-read.sh");
      expectNoSecret(r, VAULT, "hvs.", "-token", TOKEN);
    }
  });

  test("a program name with control characters in it is shown without them", async () => {
    const { home } = commandHome((h) => [join(h, "no\x1b]0;pwned\x07such\x1b[2J")]);
    const r = await runCliInProcess(["status", "--json"], { home });
    const json = JSON.parse(r.stdout);
    expect(json.credential_error).toBe("auth_command `nosuch` was not found; check auth_command in config.toml");
    const text = await runCliInProcess(["status"], { home });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
    expect(text.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });
});

describe("the command's stderr", () => {
  test.each([
    [
      "escape sequences (title, clear screen, colour) and a bell",
      "printf '\\033]0;pwned\\007\\033[2J\\033[31mvault:\\033[0m permission\\rdenied\\007\\n' >&2",
      "vault: permissiondenied",
    ],
    ["a Vault token in the message", `echo 'error: token ${VAULT} is expired' >&2`, "error: token … is expired"],
    [
      "an OpenAI key in quotes and a URL with a token",
      `echo 'rejected "${TOKEN}" at https://vault.example.com:8200/v1/secret?token=abc123def456' >&2`,
      'rejected "…" at …',
    ],
    [
      "what the command printed on stdout (a secret no rule would recognise) repeated",
      "echo correcthorsebattery\necho 'refused correcthorsebattery for alice' >&2",
      "refused … for alice",
    ],
    ["a key split by an escape sequence", `printf 'bad key sk-cmd-0123\\033[0m456789abcdefABCD\\n' >&2`, "bad key …"],
    [
      "ordinary words, a date and short numbers",
      `echo '[ERROR] 2024/01/02 15:04:05 "openai" is not an item in vault 3 (code 403)' >&2`,
      '[ERROR] 2024/01/02 15:04:05 "openai" is not an item in vault 3 (code 403)',
    ],
  ])("%s: shown as one clean line, secrets masked", async (_name, body, shown) => {
    const { home, configFile } = commandHome((h) => [script(h, "tool.sh", `${body}\nexit 1\n`)]);
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe(`Not logged in: auth_command \`tool.sh\` exited with status 1: ${shown}\n`);
    expect(r.code).toBe(1);
    expectNoSecret(r, VAULT, TOKEN, "correcthorse", "abc123");
    const json = await runCliInProcess(["status", "--json"], { home });
    expect(JSON.parse(json.stdout)).toMatchObject({
      config_path: configFile,
      credential_error: `auth_command \`tool.sh\` exited with status 1: ${shown}`,
    });
  });
});

describe("a command that does not finish: its whole process tree ends", () => {
  test("sh -c 'sleep 100 & sleep 100', and a grandchild: all killed at the time limit", async () => {
    const dir = testHome();
    const files = ["root", "bg", "fg", "grand"].map((n) => join(dir, `${n}.pid`));
    const pids = pidsFrom(files);
    const argv = [
      "/bin/sh",
      "-c",
      `echo $$ > ${files[0]}; sleep 100 & echo $! > ${files[1]}; sh -c 'sleep 100 & echo $! > ${files[3]}; wait' & echo $! > ${files[2]}; wait`,
    ];
    const start = performance.now();
    const err = await runAuthCommand(argv, { PATH: process.env.PATH }, 700).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialCommandError);
    expect((err as Error).message).toBe("auth_command `sh` did not finish within 0.7 s");
    expect(performance.now() - start).toBeLessThan(3_000);
    expect(pids()).toHaveLength(4);
    for (const pid of pids()) expect(await waitUntil(() => !alive(pid)), `pid ${pid}`).toBe(true);
  });

  test("a tree that keeps forking: nothing is left", async () => {
    const dir = testHome();
    const log = join(dir, "pids");
    // Each generation starts the next and records it, until killed.
    const body = `echo $$ >> ${log}; sleep 0.05; exec "$0" -c "$1" "$0" "$1" &
wait`;
    const argv = ["/bin/sh", "-c", body, "/bin/sh", body];
    onTestFinished(() => {
      for (const pid of readFileSync(log, "utf8").trim().split("\n").map(Number)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    });
    const err = await runAuthCommand(argv, { PATH: process.env.PATH }, 600).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialCommandError);
    const recorded = readFileSync(log, "utf8").trim().split("\n").map(Number);
    expect(recorded.length).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 300));
    const after = readFileSync(log, "utf8").trim().split("\n").map(Number);
    for (const pid of after) expect(await waitUntil(() => !alive(pid)), `pid ${pid}`).toBe(true);
  });
});

describe("a command that leaves a helper holding its output", () => {
  test("printed the token and exited 0: used at once; the helper is left alone", async () => {
    const server = await startProvider();
    server.reply(sse(responsesEvents(["Hello"])));
    const { home } = commandHome(
      (h) => [script(h, "agent.sh", `echo '${TOKEN}'\nsleep 30 &\necho $! > '${h}/helper.pid'\nexit 0\n`)],
      `model_provider = "x"\n\n[model_providers.x]\nname = "Local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const helper = pidsFrom([join(home, "helper.pid")]);
    const start = performance.now();
    const r = await runCliInProcess(["run", "hi"], { home });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Hello\n");
    expect(r.code).toBe(0);
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(alive(helper()[0] as number)).toBe(true);
    const st = await runCliInProcess(["status"], { home });
    expect(st.stdout.split("\n")[0]).toBe("Logged in with a credential from command `agent.sh`: sk-…ABCD");
  });

  test("exited 1 with a helper holding stderr: fails at once with its first stderr line", async () => {
    const { home } = commandHome((h) => [
      script(h, "agent.sh", `echo 'vault sealed' >&2\nsleep 30 &\necho $! > '${h}/helper.pid'\nexit 1\n`),
    ]);
    pidsFrom([join(home, "helper.pid")]);
    const start = performance.now();
    const r = await runCliInProcess(["status"], { home });
    expect(r.stdout).toBe("Not logged in: auth_command `agent.sh` exited with status 1: vault sealed\n");
    expect(performance.now() - start).toBeLessThan(5_000);
  });
});

describe("a command that asks for a passphrase on the terminal", () => {
  test("reads it from /dev/tty (as pinentry and op do) and prints the token: codex status works", async () => {
    const { home } = commandHome((h) => [
      script(
        h,
        "prompt.sh",
        `printf 'Passphrase for the vault: ' > /dev/tty\nIFS= read -r pass < /dev/tty\n[ "$pass" = "open sesame" ] || exit 9\necho '${TOKEN}'\n`,
      ),
    ]);
    const r = await runCliInPty(["status"], {
      home,
      steps: [{ wait: "Passphrase for the vault: ", send: "open sesame\r" }],
    });
    expect(r.timedOut).toBe(false);
    expect(r.pending).toBe(0);
    expect(r.output).toContain("Logged in with a credential from command `prompt.sh`: sk-…ABCD");
    expect(r.code).toBe(0);
  });
});
