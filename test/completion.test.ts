/**
 * `codex completion bash|zsh|fish`: each script is checked by its own shell (installed by
 * scripts/install-test-deps.sh), then asked to complete, as the shell would when the user presses Tab:
 * bash through its completion function, fish through `complete -C`, zsh on a real terminal (zle only
 * completes interactively). `codex` on the shells' PATH is the built CLI.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { COMMANDS, GLOBAL_FLAGS, PROGRAM_FLAGS } from "../src/cli-spec.js";
import { CLI, cleanEnv, codexHomeOf, homeWithConfig, run, runInPty } from "./helpers.js";
import { runCliInProcess } from "./support/in-process.js";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

const PROFILES = `model = "gpt-5"

[profiles.work]
model = "gpt-5-mini"

[profiles.personal]
`;

/** A home whose PATH finds `codex` (the built CLI) before anything else. */
function shellHome(config: string | undefined = PROFILES): {
  home: string;
  env: NodeJS.ProcessEnv;
  script: (s: Shell) => string;
} {
  const { home } = homeWithConfig(config);
  const bin = join(home, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "codex"), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, "codex"), 0o755);
  const env = cleanEnv(home, {
    PATH: `${bin}:${process.env.PATH}`,
    ZDOTDIR: home,
    XDG_CONFIG_HOME: join(home, ".config"),
  });
  return { home, env, script: (s) => join(home, `codex.${s}`) };
}

const scripts = {} as Record<Shell, string>;
let shared: ReturnType<typeof shellHome>;

beforeAll(async () => {
  shared = shellHome();
  for (const shell of SHELLS) {
    const r = await runCliInProcess(["completion", shell], { home: shared.home });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: "" });
    scripts[shell] = r.stdout;
    writeFileSync(shared.script(shell), r.stdout);
  }
});

function shellPath(shell: Shell): string {
  return `/usr/bin/${shell}`;
}

describe("the scripts", () => {
  test.each(SHELLS)("%s -n accepts its script", async (shell) => {
    const r = await run(shellPath(shell), ["-n", shared.script(shell)], { env: shared.env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test.each(SHELLS)("the %s script names every command and every flag of the command definitions", (shell) => {
    const script = scripts[shell];
    for (const command of COMMANDS) {
      expect(script).toContain(command.name);
      for (const [name, flag] of Object.entries({ ...command.flags, ...GLOBAL_FLAGS, ...PROGRAM_FLAGS })) {
        expect(script, `--${name}`).toMatch(new RegExp(`(--|-l )${name}\\b`));
        if (flag.short) expect(script, `-${flag.short}`).toMatch(new RegExp(`(-|-s )${flag.short}\\b`));
      }
    }
  });

  test.each(SHELLS)("the %s script holds no profile names: it asks codex for them when Tab is pressed", (shell) => {
    expect(scripts[shell]).not.toMatch(/\b(work|personal)\b/);
    expect(scripts[shell]).toContain("codex completion --profiles");
  });
});

describe("codex completion", () => {
  test("--profiles prints the profile names in config.toml, in file order", async () => {
    const r = await runCliInProcess(["completion", "--profiles"], { home: shared.home });
    expect(r).toMatchObject({ code: 0, stdout: "work\npersonal\n", stderr: "" });
  });

  test("--profiles prints each NAME.config.toml by name, then codex 0.1.0's tables; the files even when config.toml is broken", async () => {
    const { home, codexHome, configFile } = homeWithConfig('[profiles.old]\nauth_token = "sk-x"\n[profiles.work]\n');
    for (const f of [
      "work.config.toml",
      "alpha.config.toml",
      "default.config.toml",
      "bad.name.config.toml",
      "x.toml",
    ]) {
      writeFileSync(join(codexHome, f), "");
    }
    const r = await runCliInProcess(["completion", "--profiles"], { home });
    expect(r).toMatchObject({ code: 0, stdout: "alpha\nwork\nold\n", stderr: "" });
    writeFileSync(configFile, "[profiles.old\n");
    const broken = await runCliInProcess(["completion", "--profiles"], { home });
    expect(broken).toMatchObject({ code: 0, stdout: "alpha\nwork\n", stderr: "" });
  });

  test("--profiles prints nothing, and no error, when config.toml is missing or does not parse", async () => {
    for (const config of [undefined, "model = [\n"]) {
      const { home } = homeWithConfig(config);
      const r = await runCliInProcess(["completion", "--profiles"], { home });
      expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    }
  });

  test.each([
    [[], /needs a shell: bash, zsh or fish/],
    [["tcsh"], /knows bash, zsh and fish, not 'tcsh'/],
  ])("codex completion %j is a usage error (exit 2)", async (args, message) => {
    const r = await runCliInProcess(["completion", ...args], { home: shared.home });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });

  test("codex completion bash --help shows how to install each script", async () => {
    const r = await runCliInProcess(["completion", "--help"], { home: shared.home });
    expect(r.code).toBe(0);
    for (const shell of SHELLS) expect(r.stdout).toContain(`codex completion ${shell}`);
  });
});

/** What bash's completion function offers for this command line (the last word is being completed). */
async function bashComplete(line: string[], home = shared): Promise<string[]> {
  const r = await run(
    shellPath("bash"),
    [
      "-c",
      `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _codex; printf '%s\\n' "\${COMPREPLY[@]}"`,
      "bash",
      home.script("bash"),
      ...line,
    ],
    { env: home.env },
  );
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

/** What fish offers for this command line, without descriptions. */
async function fishComplete(line: string, home = shared): Promise<string[]> {
  const r = await run(
    shellPath("fish"),
    ["--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, home.script("fish"), line],
    {
      env: home.env,
    },
  );
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t")[0] ?? "");
}

const CASES: [string, string[], (offered: string[]) => void][] = [
  ["a command name", ["codex", "sta"], (o) => expect(o).toEqual(["status"])],
  [
    "every command",
    ["codex", ""],
    (o) => expect(o).toEqual(expect.arrayContaining([...COMMANDS.map((c) => c.name), "help"])),
  ],
  ["two commands with a prefix", ["codex", "log"], (o) => expect(o.sort()).toEqual(["login", "logout"])],
  [
    "a command's flags",
    ["codex", "status", "--"],
    (o) => expect(o).toEqual(expect.arrayContaining(["--json", "--all", "--check", "--profile"])),
  ],
  ["no other command's flags", ["codex", "status", "--"], (o) => expect(o).not.toContain("--device-auth")],
  ["a flag by prefix", ["codex", "doctor", "--of"], (o) => expect(o).toEqual(["--offline"])],
  ["profile names from config.toml", ["codex", "--profile", ""], (o) => expect(o.sort()).toEqual(["personal", "work"])],
  [
    "a command after --profile NAME",
    ["codex", "--profile", "work", "lo"],
    (o) => expect(o.sort()).toEqual(["login", "logout"]),
  ],
  ["a profile after a command", ["codex", "logout", "--profile", "w"], (o) => expect(o).toEqual(["work"])],
  ["login status as status", ["codex", "login", "status", "--ch"], (o) => expect(o).toEqual(["--check"])],
  ["login's argument", ["codex", "login", "st"], (o) => expect(o).toEqual(["status"])],
  [
    "the shells",
    ["codex", "completion", ""],
    (o) => expect(o).toEqual(expect.arrayContaining(["bash", "zsh", "fish"])),
  ],
  ["help's topics", ["codex", "help", "d"], (o) => expect(o).toEqual(["doctor"])],
  ["nothing for a model name", ["codex", "run", "-m", ""], (o) => expect(o).toEqual([])],
  ["--version before a command", ["codex", "--vers"], (o) => expect(o).toEqual(["--version"])],
];

describe("bash completes", () => {
  test.each(CASES)("%s", async (_name, line, check) => {
    check(await bashComplete(line));
  });

  test("profiles added after the script was loaded, and nothing (no error) when config.toml is broken", async () => {
    const home = shellHome("[profiles.first]\n");
    writeFileSync(home.script("bash"), scripts.bash);
    expect(await bashComplete(["codex", "--profile", ""], home)).toEqual(["first"]);
    writeFileSync(join(codexHomeOf(home.home), "config.toml"), "[profiles.first]\n[profiles.later]\n");
    expect(await bashComplete(["codex", "--profile", ""], home)).toEqual(["first", "later"]);
    writeFileSync(join(codexHomeOf(home.home), "config.toml"), "[profiles.first\n");
    expect(await bashComplete(["codex", "--profile", ""], home)).toEqual([]);
  });
});

describe("fish completes", () => {
  test.each(CASES)("%s", async (_name, line, check) => {
    check(await fishComplete(line.join(" ")));
  });
});

describe("zsh completes", () => {
  // zle completes only on a terminal: an interactive zsh with compinit loads the script, and Tab is pressed
  // in the middle of a command line that is then run, so what was completed shows in what codex prints.
  async function zshSession(typed: { keys: string; shows: string }[]): Promise<string> {
    const home = shellHome();
    writeFileSync(home.script("zsh"), scripts.zsh);
    const load = `autoload -Uz compinit && compinit -u && source ${home.script("zsh")} && echo LOAD''ED\r`;
    const steps = [
      { wait: "READY> ", send: load },
      ...typed.map((t, i) => ({ wait: i === 0 ? "LOADED" : (typed[i - 1]?.shows ?? ""), send: t.keys })),
      { wait: typed.at(-1)?.shows ?? "", send: "\r" },
      { wait: '"authenticated"', send: "exit\r" },
    ];
    const r = await runInPty([shellPath("zsh"), "-f", "-i"], {
      env: { ...home.env, PS1: "READY> ", TERM: "xterm" },
      cwd: home.home,
      steps,
      timeoutMs: 15_000,
    });
    expect(r.pending, r.output).toBe(0);
    expect(r.timedOut, r.output).toBe(false);
    return r.output;
  }

  test("a command name, a profile from config.toml and a flag, then runs what was completed", async () => {
    const output = await zshSession([
      { keys: "codex --profile wo\t", shows: "rk" },
      { keys: "stat\t", shows: "us" },
      { keys: "--js\t", shows: "on" },
    ]);
    expect(output).toContain('"account":"work"');
    expect(output).toContain('"authenticated":false');
    expect(output).not.toMatch(/command not found|_codex:|no such/i);
  });

  test("login status takes status's flags", async () => {
    const output = await zshSession([
      { keys: "codex login st\t", shows: "atus" },
      { keys: "--js\t", shows: "on" },
    ]);
    expect(output).toContain('"account":"default"');
  });
});
