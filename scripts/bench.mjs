// `npm run bench`: start-up cost of codex commands as ratios against `node -e 0`, measured alternately in
// the same run so machine load affects both sides alike. Each figure is the median over RUNS pairs of
// (command time / the `node -e 0` time measured right next to it). Not a test: it reports, it never fails.
import { spawnSync } from "node:child_process";
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

function env(home) {
  return { PATH: process.env.PATH, HOME: root, CODEX_HOME: home, NO_COLOR: "1" };
}
function timed(args, home, input) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: env(home),
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
