/**
 * Saying that codex is waiting for the user (to sign in in the browser, to enter a device code), how long
 * is left and how to stop it. The time left is counted down to the flow's own deadline by the command's
 * clock; io's status line decides how it reaches the screen: on a terminal one line redrawn each second,
 * elsewhere a line with the deadline and then at most one a minute (a log gets a sign of life, not a
 * flood, and never a carriage return).
 */
import type { IO } from "./io.js";

/** Ends the wait's line; `redraw` shows it again at once (on a terminal), after `hint` changed. */
export interface Waiting {
  (): void;
  redraw(): void;
}

/**
 * Shows the wait for `what` ("you to enter the code") until `until`; returns what ends it. Call that before
 * anything else is written. Its timer never keeps the process alive. On a terminal, `hint` (when it returns
 * text) takes the place of "Waiting for …" on the line: what the user has typed so far, say.
 */
export function showWaiting(
  io: IO,
  clock: () => Date,
  what: string,
  until: Date,
  hint: () => string | undefined = () => undefined,
): Waiting {
  const line = io.statusLine();
  const left = () => Math.max(0, until.getTime() - clock().getTime());
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const ms = left();
    // At 0 the flow's own timer ends the wait, and says so.
    if (ms === 0 && !line.live) return;
    line.show(
      line.live
        ? `${hint() ?? `Waiting for ${what}…`} ${countdown(ms)} left (Ctrl-C to cancel)`
        : `Still waiting for ${what}: ${minutesLeft(ms)} left.`,
    );
    if (ms === 0) return;
    // Just past the moment the shown second changes, so that no second is skipped or shown twice.
    timer = setTimeout(tick, ((ms - 1) % 1000) + 6);
    timer.unref();
  };
  if (line.live) tick();
  else {
    line.show(
      `Waiting for ${what} for up to ${minutes(Math.round(left() / 1000))} (until ${clockTime(until)}). Press Ctrl-C to cancel.`,
    );
    timer = setTimeout(tick, 1000).unref();
  }
  let ended = false;
  const stop = () => {
    ended = true;
    clearTimeout(timer);
    line.end();
  };
  return Object.assign(stop, {
    redraw() {
      if (ended || !line.live) return;
      clearTimeout(timer);
      tick();
    },
  });
}

/** 14:05, 0:09: minutes and seconds, rounded up, so that 0:00 is shown only when the time is up. */
function countdown(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function minutesLeft(ms: number): string {
  const n = Math.ceil(ms / 60_000);
  return n === 1 ? "1 minute" : `${n} minutes`;
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
}

/** The local time of day, 24-hour, as the system's clock shows it. */
function clockTime(at: Date): string {
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}
