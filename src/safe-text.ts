/**
 * Text from outside (a model's reply, a server's error message, an ID token's claims, another program's
 * stderr) on its way to a person, usable from any layer:
 *
 * - `stripControls`: no C0 or C1 control character but newline and tab survives, and an escape sequence
 *   (CSI, OSC, DCS, SOS/PM/APC, two-character ESC sequences, and their 8-bit C1 forms) goes whole, with its
 *   parameters, so a reply cannot set the window title, clear the screen, move the cursor or hide text
 *   behind a carriage return. CRLF becomes LF. Text split mid-sequence across chunks still loses every
 *   control character (only harmless printable leftovers can remain), so it is safe per chunk.
 * - `oneLine`: the same, folded to one bounded line, for a message.
 *
 * Each is one linear pass of regular expressions: no recursion per character, whatever the input's size.
 */

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: control characters are exactly what is matched
const SEQUENCES = new RegExp(
  [
    // OSC, DCS, SOS, PM, APC: a string up to its terminator (BEL or ST), or to the end when unterminated.
    "(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?",
    // CSI: parameters, intermediates, a final byte.
    "(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?",
    // Any other ESC sequence: intermediates and one final byte.
    "\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?",
    // What is left: every other C0 character but tab and newline, DEL, every C1 character.
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]",
  ].join("|"),
  "g",
);
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: end
const CRLF = /\r\n/g;

/** `text` with every control character but `\n` and `\t` removed, escape sequences whole. */
export function stripControls(text: string): string {
  return text.replace(CRLF, "\n").replace(SEQUENCES, "");
}

/** `text` as one line: control characters and runs of white space become one space, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const line = stripControls(text).replace(/\s+/g, " ").trim();
  return line.length > max ? `${Array.from(line).slice(0, max - 1).join("")}…` : line;
}
