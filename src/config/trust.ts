/**
 * Files others control are not trusted, as ssh's StrictModes: a config.toml that someone other than the
 * user can change (writable by its group or others, or owned by a user other than them or root), or one in
 * a CODEX_HOME others can write (they can replace the file), never names a command for codex to run
 * (`auth_command`) nor decides where a credential is sent (base_url, headers, an OAuth issuer). Someone who
 * can write it could otherwise have a key sent to their server, or run a program as the user.
 *
 * The file's stat is the fstat taken when it was read (regular-file.ts), so it describes the very bytes the
 * settings came from; CODEX_HOME costs one stat, taken only when asked, and only when there is a file.
 *
 * Failure policy: callers that are about to run a command or send a credential throw the
 * UntrustedConfigError (exit 1), which names the path, its mode or owner, and the command that fixes it;
 * `codex status` and `codex doctor` report it instead.
 */
import { type Stats, statSync } from "node:fs";
import { userInfo } from "node:os";
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

const homeStats = new WeakMap<Config, Stats | null>();

function homeStat(config: Config): Stats | null {
  let st = homeStats.get(config);
  if (st === undefined) {
    try {
      st = statSync(config.home);
    } catch {
      st = null; // config.toml was read from it, so it is there; what cannot be looked at is not judged.
    }
    homeStats.set(config, st);
  }
  return st;
}

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

/**
 * Why config.toml's settings cannot be trusted for `use`, as the error to throw; undefined when they can
 * (or when there is no file, or no notion of file owners, as on Windows).
 */
export function trustProblem(config: Config, use: TrustedUse = "any"): UntrustedConfigError | undefined {
  const uid = process.getuid?.();
  const st = config.fileStat;
  if (uid === undefined || st === undefined) return undefined;
  let path = config.path;
  let found = whoElse(st, uid, path);
  let why = found && `${path}${linkNote(path)} ${found.is}`;
  if (found === undefined) {
    const home = homeStat(config);
    path = config.home;
    found = home === null ? undefined : whoElse(home, uid, path);
    why = found && `${path}, the directory holding config.toml, ${found.is}, so others can replace config.toml`;
  }
  if (found === undefined) return undefined;
  return new UntrustedConfigError(path, why as string, REFUSED[use], found.fix);
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
