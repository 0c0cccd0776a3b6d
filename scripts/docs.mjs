// Writes docs/cli.md from the command definitions (src/cli-spec.ts, rendered by src/cli-reference.ts).
// test/cli-reference.test.ts fails when the committed file differs from what this writes.
import { writeFileSync } from "node:fs";
import { build } from "esbuild";

const { outputFiles } = await build({
  entryPoints: ["src/cli-reference.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  write: false,
});
const url = `data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString("base64")}`;
const { renderReference } = await import(url);
writeFileSync("docs/cli.md", renderReference());
console.log("wrote docs/cli.md");
