// `npm run bench`: start-up cost of codex commands as ratios against `node -e 0`, measured alternately in
// the same run so machine load affects both sides alike. Each figure is the median over RUNS pairs of
// (command time / the `node -e 0` time measured right next to it). Not a test: it reports, it never fails.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const CLI = new URL("../dist/cli.cjs", import.meta.url).pathname;
if (!existsSync(CLI)) {
  console.error("dist/cli.cjs is missing: run `npm run build` first");
  process.exit(1);
}
const root = mkdtempSync(join(tmpdir(), "codex-bench-"));
const homes = { in: join(root, "in"), out: join(root, "out"), cycle: join(root, "cycle") };
const KEY = "sk-bench-00000000000000000000";

// An instant local provider in its own process (the measurements below block this one's event loop).
const SERVER = `
const http = require("node:http");
const body = 'event: response.output_text.delta\\ndata: {"type":"response.output_text.delta","delta":"ok"}\\n\\n' +
  'event: response.completed\\ndata: {"type":"response.completed","response":{"model":"bench"}}\\n\\n';
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "text/event-stream" }); res.end(body); });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
`;
const server = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise((resolve, reject) => {
  server.stdout.once("data", (d) => resolve(Number(String(d).trim())));
  server.once("exit", () => reject(new Error("bench server failed to start")));
});
const BASE_URL = `http://127.0.0.1:${port}/v1`;

function env(home, extra = {}) {
  return { PATH: process.env.PATH, HOME: root, CODEX_HOME: home, NO_COLOR: "1", ...extra };
}
function timed(args, home, input, extraEnv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: env(home, extraEnv),
    input: input ?? "",
    stdio: ["pipe", "ignore", "ignore"],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status };
}
function login(home) {
  const r = spawnSync(process.execPath, [CLI, "login", "--with-api-key"], { env: env(home), input: `${KEY}\n` });
  if (r.status !== 0) throw new Error(`login failed: ${r.stderr}`);
}

login(homes.in);
const cases = [
  { name: "codex status (logged in)", run: () => timed([CLI, "status"], homes.in) },
  { name: "codex status (logged out)", run: () => timed([CLI, "status"], homes.out) },
  { name: "codex logout (logged out)", run: () => timed([CLI, "logout"], homes.out) },
  {
    name: "codex logout (logged in)",
    prepare: () => login(homes.cycle),
    run: () => timed([CLI, "logout"], homes.cycle),
  },
  { name: "codex --help", run: () => timed([CLI, "--help"], homes.out) },
  {
    name: "codex run (local server)",
    run: () => timed([CLI, "run", "hi"], homes.in, undefined, { OPENAI_BASE_URL: BASE_URL }),
  },
];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Warm the file cache and Node's own start-up paths before measuring.
for (let i = 0; i < 3; i++) {
  timed(["-e", "0"], homes.out);
  for (const c of cases) {
    c.prepare?.();
    c.run();
  }
}
const base = [];
const results = cases.map((c) => ({ name: c.name, ms: [], ratios: [] }));
for (let i = 0; i < RUNS; i++) {
  cases.forEach((c, j) => {
    c.prepare?.();
    const b = timed(["-e", "0"], homes.out).ms;
    const t = c.run().ms;
    base.push(b);
    results[j].ms.push(t);
    results[j].ratios.push(t / b);
  });
}
rmSync(root, { recursive: true, force: true });
server.kill();

// SSE parser throughput: a Responses stream (deltas of ordinary text with some non-ASCII) fed in 64 KiB
// reads, each event's data parsed as JSON, as the client does.
const { SseDecoder } = await import(new URL("../dist/index.js", import.meta.url).href);
function sseThroughput() {
  const event = (delta) =>
    `event: response.output_text.delta\ndata: ${JSON.stringify({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })}\n\n`;
  let text = "";
  while (text.length < 16e6) text += event("Streaming tökens, one ≈ word at a time ");
  const bytes = Buffer.from(text);
  const rates = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    const decoder = new SseDecoder();
    let n = 0;
    for (let i = 0; i < bytes.length; i += 65536) {
      for (const e of decoder.push(bytes.subarray(i, i + 65536))) n += JSON.parse(e.data).delta.length;
    }
    decoder.end();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (n === 0) throw new Error("no events parsed");
    rates.push(bytes.length / 1e6 / s);
  }
  return median(rates);
}
const mbps = sseThroughput();

const BUDGET = { "codex status (logged in)": 1.3, "codex status (logged out)": 1.3 };
console.log(`node ${process.version}, ${RUNS} alternating runs each; node -e 0 median ${median(base).toFixed(1)} ms\n`);
console.log(`${"command".padEnd(28)} ${"median ms".padStart(10)} ${"× node -e 0".padStart(12)}  budget`);
for (const r of results) {
  const ratio = median(r.ratios);
  const budget = BUDGET[r.name];
  const verdict = budget === undefined ? "" : `≤ ${budget}×  ${ratio <= budget ? "ok" : "OVER"}`;
  console.log(
    `${r.name.padEnd(28)} ${median(r.ms).toFixed(1).padStart(10)} ${`${ratio.toFixed(2)}×`.padStart(12)}  ${verdict}`,
  );
}
console.log(`\nSSE parser: ${mbps.toFixed(0)} MB/s (target ≥ 50 MB/s)  ${mbps >= 50 ? "ok" : "UNDER"}`);
