/**
 * `require` for modules loaded on first use rather than at start-up (node:http, node:tls, node:tty, a
 * bundled library), so a command that never needs one never pays for loading it. The CLI's CommonJS
 * bundle has a real `require`; so does the ESM library (scripts/build.mjs gives it one); the TypeScript
 * sources run as ES modules (the tests) have none, and get one made for this file.
 *
 * A package bundled for lazy loading (scripts/build.mjs LAZY) must still be required by a literal
 * `require("name")` where it is used: esbuild maps only such a call to the bundled copy.
 */
import { createRequire } from "node:module";

export const lazyRequire: NodeRequire = typeof require === "function" ? require : createRequire(import.meta.url);
