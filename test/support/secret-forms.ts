/**
 * The forms in which a server may echo a credential back (issue #18 item 12), and what of a credential
 * must never be shown: shared by the property tests of `redact` and the end-to-end tests.
 */

/** The kind prefix of a key (`sk-`, `sk-proj-`): it says which kind of key, and is shown on purpose. */
export const kindOf = (key: string): number => /^[A-Za-z]{2,5}[-_](?:[A-Za-z]{2,10}[-_])?/.exec(key)?.[0].length ?? 0;

export const base64 = (data: Buffer | string, urlSafe = false): string => {
  const b = Buffer.from(data).toString("base64");
  return urlSafe ? b.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : b;
};

/** Every run of `length` characters of `text`. */
function windows(text: string, length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + length <= text.length; i++) out.push(text.slice(i, i + length));
  return out;
}

/**
 * What must never be shown: any run of the key (or of its percent-encoding) as long as its kind prefix and
 * 10 more characters, and any 16 characters of its base64 forms (standard or URL-safe, at each byte offset).
 */
export function forbidden(key: string): string[] {
  const long = kindOf(key) + 10;
  const out = [...windows(key, long), ...windows(encodeURIComponent(key), long)];
  for (let offset = 0; offset < 3; offset++) {
    const b = Buffer.concat([Buffer.alloc(offset, 0xff), Buffer.from(key)]).toString("base64");
    const core = b.slice(offset === 0 ? 0 : offset + 1, -4);
    out.push(...windows(core, 16), ...windows(core.replace(/\+/g, "-").replace(/\//g, "_"), 16));
  }
  return out;
}

/** The echoes an end-to-end test sends back, by name: each is one server message's worth. */
export function echoes(key: string): Array<[string, string]> {
  const at = (i: number, inserted: string) => key.slice(0, i) + inserted + key.slice(i);
  return [
    ["whole", key],
    ["a long prefix", `${key.slice(0, kindOf(key) + 12)}****`],
    ["Basic base64(':' + key)", `Basic ${base64(`:${key}`)}`],
    ["base64, offset 0", base64(key)],
    ["base64, offset 1", base64(`x${key}`)],
    ["base64, offset 2", base64(`xy${key}`)],
    ["URL-safe base64, offset 0", base64(key, true)],
    ["URL-safe base64, offset 1", base64(`x${key}`, true)],
    ["URL-safe base64, offset 2", base64(`xy${key}`, true)],
    ["percent-encoded", encodeURIComponent(key)],
    ["percent-encoded, lower-case hex", encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ["split by a colour sequence", at(9, "\x1b[31m")],
    ["split by a title sequence", at(5, "\x1b]0;x\x07")],
    ["split by ESC before a letter", at(12, "\x1b")],
    ["split by BEL and an 8-bit CSI", at(7, "\x07\x9b1m")],
  ];
}
