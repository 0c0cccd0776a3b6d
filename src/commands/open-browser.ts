/**
 * Opening a URL in the user's browser, as `gh` does: `$BROWSER` when set (`none` means never open one;
 * otherwise a command, split on spaces, given the URL as its last argument), else the platform's opener.
 * Written by hand because the usual library (`open`) ignores `$BROWSER` and pulls in WSL and default-app
 * detection that a sign-in link does not need.
 *
 * Failure policy: never fatal. Returns false when nothing was launched (no display, `BROWSER=none`, the
 * command is missing); the caller has printed the URL for the user to open.
 */
import { spawn } from "node:child_process";
import type { Env } from "../config/paths.js";

/** Why no browser will be opened, or undefined when one can be tried. */
export function browserUnavailable(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const browser = env.BROWSER?.trim();
  if (browser === "none") return "BROWSER=none";
  if (browser) return undefined;
  if (platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return env.SSH_CONNECTION || env.SSH_TTY ? "this is an SSH session" : "no graphical display";
  }
  return undefined;
}

export function openBrowser(url: string, env: Env, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (browserUnavailable(env, platform) !== undefined) return Promise.resolve(false);
  const browser = env.BROWSER?.trim();
  let command: string[];
  if (browser) command = [...browser.split(/\s+/), url];
  else if (platform === "darwin") command = ["open", url];
  // rundll32 takes the URL as one argument; `cmd /c start` would need `&` in the query escaped.
  else if (platform === "win32") command = ["rundll32", "url.dll,FileProtocolHandler", url];
  else command = ["xdg-open", url];
  return new Promise((resolve) => {
    try {
      const child = spawn(command[0] as string, command.slice(1), { stdio: "ignore", detached: true, env });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
