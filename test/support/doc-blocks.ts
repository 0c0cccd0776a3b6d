/**
 * The fenced code blocks of README.md and docs/*.md, as the docs tests read them (test/docs-codex.test.ts
 * loads the TOML ones in the real Codex; test/docs-run.test.ts compiles, runs and loads all of them).
 *
 *   for (const block of docBlocks()) if (block.lang === "toml") …   // block.where: "README.md:120"
 *
 * A block may carry markers: HTML comments, each alone on a line, on the lines right above its opening fence
 * (`<!-- not run: opens a browser -->`, `<!-- codex-cli: refuses -->`). What they mean is up to each test; a
 * marker that is not followed by a fence is a mistake, listed by `strayMarkers()`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

export interface DocBlock {
  /** `README.md`, `docs/authentication.md`: relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** `README.md:120`: where the block starts. */
  where: string;
  /** The info string's first word, lower case (`toml`, `console`); "" when the fence has none. */
  lang: string;
  /** The lines between the fences, with the fence's own indentation removed, each ending in "\n". */
  text: string;
  /** The text of each marker above the fence, top to bottom (`not run: opens a browser`). */
  markers: string[];
}

/** Words that make an HTML comment a marker for these tests (so one with a typo is not silently prose). */
export const MARKER_WORDS = /^(?:not run|run|codex-cli)\b/;

const COMMENT = /^<!--\s*(.*?)\s*-->$/;
const OPEN = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;

const PROFILE_FILE = /^#\s*(?:~\/\.codex|\$CODEX_HOME)\/([A-Za-z0-9_-]+)\.config\.toml\b/;

/** The profile whose file a TOML block is, when its first line says so (`# ~/.codex/NAME.config.toml`). */
export function profileFileOf(block: DocBlock): string | undefined {
  return PROFILE_FILE.exec(block.text.split("\n")[0] ?? "")?.[1];
}

/** README.md, then every docs/*.md, by name. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

interface Scan {
  blocks: DocBlock[];
  /** Lines (0-based) of comments that are markers of some block, and lines inside blocks. */
  used: Set<number>;
  lines: string[];
}

function scan(file: string): Scan {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: DocBlock[] = [];
  const used = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const fence = open[2] as string;
    const close = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !close.test(lines[j] as string); j++) {
      const l = lines[j] as string;
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
      used.add(j);
    }
    const markers: string[] = [];
    for (let k = i - 1; k >= 0; k--) {
      const m = COMMENT.exec((lines[k] as string).trim());
      if (m === null) break;
      markers.unshift(m[1] as string);
      used.add(k);
    }
    blocks.push({
      file,
      line: i + 1,
      where: `${file}:${i + 1}`,
      lang: (open[3] as string).toLowerCase(),
      text: body.map((l) => `${l}\n`).join(""),
      markers,
    });
    i = j;
  }
  return { blocks, used, lines };
}

/** Every fenced block of the given files (default: `docFiles()`), in order. */
export function docBlocks(files: string[] = docFiles()): DocBlock[] {
  return files.flatMap((f) => scan(f).blocks);
}

/** Markers (comments starting with MARKER_WORDS) that are not right above a fence: `file:line: text`. */
export function strayMarkers(files: string[] = docFiles()): string[] {
  const stray: string[] = [];
  for (const file of files) {
    const { used, lines } = scan(file);
    lines.forEach((line, k) => {
      const m = COMMENT.exec(line.trim());
      if (m !== null && MARKER_WORDS.test(m[1] as string) && !used.has(k))
        stray.push(`${file}:${k + 1}: ${line.trim()}`);
    });
  }
  return stray;
}
