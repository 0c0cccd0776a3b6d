// Types for scripts/messages.mjs, imported by test/messages.test.ts.
export interface CatalogueEntry {
  /** The source file, relative to the root: `src/api/client.ts`. */
  file: string;
  pos: number;
  /** Where the text goes: `UsageError (exit 2)`, `io.warn`, `fix via problem()`, `text of sourceLine()`. */
  kind: string;
  /** Its variants, `{expression}` standing for what is filled in. */
  message: string[];
}
export interface OpaqueSink {
  file: string;
  kind: string;
  message: string;
}
export interface Extracted {
  catalogue: CatalogueEntry[];
  opaque: OpaqueSink[];
}
export const MESSAGE_FIELDS: Set<string>;
export function carried(text: string): boolean;
export function hasWords(text: string): boolean;
export function extractMessages(options?: { root?: string }): Extracted;
export function renderCatalogue(extracted?: Extracted): string;
