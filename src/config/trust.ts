/**
 * Files others control are not trusted, as ssh's StrictModes: a config.toml (or a profile's file laid over
 * it, judged the same way) that someone other than the
 * user can change (writable by its group or others, or owned by a user other than them or root), or one in
 * a directory others can write (they can replace the file), never names a command for codex to run
 * (`auth_command`) nor decides where a credential is sent (base_url, headers, an OAuth issuer). Someone who
 * can write it could otherwise have a key sent to their server, or run a program as the user.
 *
 * The directories are those of ssh's safe_path(): CODEX_HOME, and each one above it up to and including
 * the user's HOME when CODEX_HOME is inside it; when config.toml is a symbolic link, also the directories
 * holding its target, up to HOME likewise (only the target's own directory when it is outside HOME). Above
 * HOME sharing is normal (/tmp is 1777, /home anyone's), so nothing there is looked at, and a HOME of "/"
 * (no home of one's own) adds nothing above CODEX_HOME. A sticky bit does not make a directory safe, as in ssh.
 *
 * The file's stat is the fstat taken when it was read (regular-file.ts), so it describes the very bytes the
 * settings came from. The directories cost a stat each (one, HOME, for the default ~/.codex) plus an lstat
 * of config.toml, taken only when asked, only when there is a file, and once per Config.
 *
 * Failure policy: callers that are about to run a command or send a credential throw the
 * UntrustedConfigError (exit 1), which names the path, its mode or owner, and the command that fixes it;
 * `codex status` and `codex doctor` report it instead.
 */
import { lstatSync, realpathSync, type Stats, statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { UntrustedConfigError } from "../errors.js";
import type { Config } from "./config.js";
import { resolveTarget } from "./symlink.js";

/** What codex would let the file decide: name a command, direct a credential, or either (for reports). */
export type TrustedUse = "command" | "credential" | "any";

const REFUSED: Record<TrustedUse, string> = {
  command: "run an auth_command it names",
  credential: "let it decide where your credential goes",
  any: "run an auth_command it names or let it decide where your credential goes",
};

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

function userName(uid: number): string {
  try {
    return userInfo().username;
  } catch {
    return String(uid);
  }
}

/** Who other than the user could change `st` ("is writable by others (mode 0666)"), and the fix for `path`. */
function whoElse(st: Stats, uid: number, path: string): { is: string; fix: string } | undefined {
  if (st.uid !== uid && st.uid !== 0) {
    return { is: `is owned by another user (uid ${st.uid})`, fix: `sudo chown ${userName(uid)} ${path}` };
  }
  const writers = st.mode & 0o022;
  if (writers === 0) return undefined;
  const who = writers === 0o022 ? "its group and others" : writers === 0o002 ? "others" : "its group";
  return { is: `is writable by ${who} (mode ${octal(st.mode)})`, fix: `chmod go-w ${path}` };
}

/** A directory others could use to replace config.toml: its path, what is wrong, and the fix. */
interface Found {
  path: string;
  why: string;
  fix: string;
}

/**
 * Why config.toml's settings cannot be trusted for `use`, as the error to throw; undefined when they can
 * (or when there is no file, or no notion of file owners, as on Windows).
 */
export function trustProblem(config: Config, use: TrustedUse = "any"): UntrustedConfigError | undefined {
  // A profile's settings are its file's and config.toml's beneath: both must be the user's alone.
  for (const file of config.layers) {
    const found = fileProblem(file, use);
    if (found !== undefined) return found;
  }
  return undefined;
}

function fileProblem(config: Config, use: TrustedUse): UntrustedConfigError | undefined {
  const uid = process.getuid?.();
  const st = config.fileStat;
  if (uid === undefined || st === undefined) return undefined;
  const file = whoElse(st, uid, config.path);
  const found: Found | null =
    file === undefined
      ? directoryProblem(config, uid)
      : { path: config.path, why: `${config.path}${linkNote(config.path)} ${file.is}`, fix: file.fix };
  if (found === null) return undefined;
  return new UntrustedConfigError(found.path, found.why, REFUSED[use], found.fix);
}

// The directories do not change meaning within one command, so each Config looks at them once.
const directoryProblems = new WeakMap<Config, Found | null>();

function directoryProblem(config: Config, uid: number): Found | null {
  let found = directoryProblems.get(config);
  if (found === undefined) {
    found = firstUnsafeDirectory(config, uid) ?? null;
    directoryProblems.set(config, found);
  }
  return found;
}

function firstUnsafeDirectory(config: Config, uid: number): Found | undefined {
  const replace = "so others can replace config.toml";
  const seen = new Set<string>();
  const judge = (dir: string, role: string): Found | undefined => {
    if (seen.has(dir)) return undefined;
    seen.add(dir);
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      return undefined; // config.toml was read through it, so it is there; what cannot be looked at is not judged.
    }
    const other = whoElse(st, uid, dir);
    return other && { path: dir, why: `${dir}, ${role}, ${other.is}, ${replace}`, fix: other.fix };
  };
  const home = userHome();
  const found =
    judge(config.home, "the directory holding config.toml") ??
    firstOf(above(config.home, home), (dir) => judge(dir, "a directory above config.toml"));
  if (found !== undefined) return found;
  const target = linkTarget(config.path);
  if (target === undefined) return undefined;
  const near = dirname(target);
  const of = `config.toml's target ${target}`;
  const upTo = home === undefined ? undefined : realHome(home);
  return (
    judge(near, `the directory holding ${of}`) ??
    firstOf(above(near, upTo), (dir) => judge(dir, `a directory above ${of}`))
  );
}

function firstOf<T>(items: string[], f: (item: string) => T | undefined): T | undefined {
  for (const item of items) {
    const got = f(item);
    if (got !== undefined) return got;
  }
  return undefined;
}

/** The user's HOME as an absolute path, or undefined when there is none to stop at (unset, relative, "/"). */
function userHome(): string | undefined {
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  if (home === "" || !isAbsolute(home)) return undefined;
  home = resolve(home);
  return home === dirname(home) ? undefined : home;
}

/** HOME with its symbolic links resolved, to compare with a link target's real path. */
function realHome(home: string): string {
  try {
    return realpathSync(home);
  } catch {
    return home;
  }
}

/** The directories above `dir` up to and including `home` when `dir` is inside it; none otherwise. */
function above(path: string, home: string | undefined): string[] {
  if (home === undefined) return [];
  const dir = resolve(path);
  const rel = relative(home, dir);
  if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) return [];
  const dirs: string[] = [];
  for (let d = dirname(dir); d !== home && d.length > home.length; d = dirname(d)) dirs.push(d);
  dirs.push(home);
  return dirs;
}

/** The real path of config.toml when it is a symbolic link; undefined when it is not (or cannot be told). */
function linkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return resolveTarget(path);
  } catch {
    return undefined;
  }
}

/** " (a link to /dots/config.toml)" when config.toml is a symbolic link: the mode and owner are the target's. */
function linkNote(path: string): string {
  try {
    const target = resolveTarget(path);
    return target === path ? "" : ` (a link to ${target})`;
  } catch {
    return "";
  }
}

/** Throws UntrustedConfigError when config.toml's settings cannot be trusted for `use`. */
export function assertTrusted(config: Config, use: Exclude<TrustedUse, "any">): void {
  const problem = trustProblem(config, use);
  if (problem !== undefined) throw problem;
}
