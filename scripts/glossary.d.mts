// Types for scripts/glossary.mjs, imported by test/messages.test.ts.
export interface Avoid {
  pattern: RegExp;
  say: string;
}
export interface Term {
  say: string;
  not: string;
  meaning: string;
  avoid: Avoid[];
}
export const GLOSSARY_INTRO: string;
export const GLOSSARY: Term[];
export const AVOID: Array<Avoid & { term: string }>;
export const CAPITALISED_NAMES: string[];
export function prose(text: string): string;
export function oneLineProblems(text: string): string[];
