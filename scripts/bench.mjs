// `npm run bench`: what codex costs, as ratios measured in the same run, printed as one table with each
// figure's budget, on this Node and then on Node 24 (scripts/node24.sh installs it if needed; BENCH_NODE24=0
// skips it). Times are medians of ratios over RUNS pairs, the two sides of each pair measured one right
// after the other, so machine load affects both alike. The measured processes get an environment of their
// own (PATH, HOME, CODEX_HOME, NO_COLOR): no NODE_EXTRA_CA_CERTS, which Node would read at start, on either
// side. Not a test: it reports, it never fails.
//
//   codex status / logout / --help / run     × `node -e 0`
//   codex status, credential in the keyring  × `node -e 0` (a private gnome-keyring, as test/support/keyring.ts
//                                            starts one; the row is left out where gnome-keyring is not installed)
//   logout on a 1 MB config                  × logout on a 1 KB one
//   peak RSS of status and logout            × peak RSS of `node -e 0`
//   SSE parser                               MB/s
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const CLI = new URL("../dist/cli.cjs", import.meta.url).pathname;
if (!existsSync(CLI)) {
  console.error("dist/cli.cjs is missing: run `npm run build` first");
  process.exit(1);
}
const root = mkdtempSync(join(tmpdir(), "codex-bench-"));
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

// Peak RSS is read in the measured process itself, at exit, by a preloaded probe that writes it to fd 3;
// `node -e 0` gets the same probe, so the probe's own cost is on both sides.
const PROBE = join(root, "rss-probe.cjs");
writeFileSync(
  PROBE,
  'process.on("exit", () => { try { require("node:fs").writeSync(3, String(process.resourceUsage().maxRSS)); } catch {} });',
);

/** A config like a long-used Codex one: settings, MCP servers, and a trusted-projects table per project. */
function config(bytes) {
  let text = `# ~/.codex/config.toml\nmodel = "o3"\nmodel_provider = "openai"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "docs-mcp"]\n`;
  for (let i = 0; text.length < bytes; i++) {
    text += `\n# added by codex on first run in project ${i}\n[projects."/home/dev/src/project-${i}"]\ntrust_level = "trusted"\n`;
  }
  return text;
}
const SMALL = config(1_000);
const LARGE = config(1_000_000);

function home(name, content) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (content !== undefined) writeFileSync(join(dir, "config.toml"), content, { mode: 0o600 });
  return dir;
}
const homes = { in: home("in"), out: home("out"), cycle: home("cycle"), small: home("small"), large: home("large") };

/**
 * A private Secret Service for the keyring row: dbus-daemon on a socket in the bench's temp dir and
 * gnome-keyring-daemon with an unlocked "login" collection on it, as test/support/keyring.ts starts them, in their
 * own process group (killed at the end). Undefined when the daemons are not installed.
 */
function startKeyring() {
  const installed = ["dbus-daemon", "gnome-keyring-daemon"].every(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0,
  );
  if (!installed) return undefined;
  const dir = join(root, "keyring");
  for (const d of ["home", "run", "data"]) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, "bus.conf"),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=${join(dir, "run")}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
  );
  const script = `dbus-daemon --config-file="$D/bus.conf" --nofork --print-address=3 3>"$D/bus.address" &
until [ -s "$D/bus.address" ]; do sleep 0.01; done
read -r DBUS_SESSION_BUS_ADDRESS <"$D/bus.address"; export DBUS_SESSION_BUS_ADDRESS
printf %s bench-keyring | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
wait`;
  const session = spawn("bash", ["-c", script], {
    detached: true,
    stdio: "ignore",
    env: {
      PATH: process.env.PATH,
      D: dir,
      HOME: join(dir, "home"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_RUNTIME_DIR: join(dir, "run"),
    },
  });
  const until = Date.now() + 10_000;
  let address = "";
  while (address === "" && Date.now() < until) {
    spawnSync("sleep", ["0.05"]);
    if (existsSync(join(dir, "bus.address"))) address = readFileSync(join(dir, "bus.address"), "utf8").trim();
  }
  return { env: { DBUS_SESSION_BUS_ADDRESS: address }, stop: () => process.kill(-session.pid, "SIGTERM") };
}
const keyring = startKeyring();

function env(dir, extra = {}) {
  return { PATH: process.env.PATH, HOME: root, CODEX_HOME: dir, NO_COLOR: "1", ...extra };
}
function timed(args, dir, extraEnv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", PROBE, ...args], {
    env: env(dir, extraEnv),
    input: "",
    stdio: ["pipe", "ignore", "ignore", "pipe"],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, rss: Number(String(r.output[3])), status: r.status };
}
function login(dir, content, extraEnv) {
  if (content !== undefined) writeFileSync(join(dir, "config.toml"), content, { mode: 0o600 });
  const r = spawnSync(process.execPath, [CLI, "login", "--with-api-key"], {
    env: env(dir, extraEnv),
    input: `${KEY}\n`,
  });
  if (r.status !== 0) throw new Error(`login failed: ${r.stderr}`);
}
const node = () => timed(["-e", "0"], homes.out);

login(homes.in);
if (keyring !== undefined) {
  homes.keyring = home("keyring-codex");
  // The Secret Service takes a moment to claim its name on the new bus: retry the login until it answers.
  for (let tries = 0; ; tries++) {
    try {
      login(homes.keyring, 'cli_auth_credentials_store = "keyring"\n', keyring.env);
      break;
    } catch (err) {
      if (tries >= 50) throw err;
      spawnSync("sleep", ["0.1"]);
    }
  }
  if (timed([CLI, "status"], homes.keyring, keyring.env).status !== 0)
    throw new Error("status with the keyring failed");
}
// Each case is measured against its own reference, the two run one right after the other.
const cases = [
  { name: "codex status, logged in", run: () => timed([CLI, "status"], homes.in), budget: 1.1 },
  { name: "codex status, logged out", run: () => timed([CLI, "status"], homes.out), budget: 1.1 },
  ...(keyring === undefined
    ? []
    : [
        {
          name: "codex status, keyring",
          run: () => timed([CLI, "status"], homes.keyring, keyring.env),
          budget: 1.5,
        },
      ]),
  {
    name: "codex logout, logged in",
    prepare: () => login(homes.cycle),
    run: () => timed([CLI, "logout"], homes.cycle),
    budget: 1.15,
  },
  { name: "codex logout, logged out", run: () => timed([CLI, "logout"], homes.out), budget: 1.1 },
  { name: "codex --help", run: () => timed([CLI, "--help"], homes.out) },
  {
    name: "codex run, instant local server",
    run: () => timed([CLI, "run", "hi"], homes.in, { OPENAI_BASE_URL: BASE_URL }),
    budget: 1.4,
  },
  {
    name: "codex logout, 1 MB config",
    unit: "× 1 KB",
    prepare: () => {
      login(homes.small, SMALL);
      login(homes.large, LARGE);
    },
    reference: () => timed([CLI, "logout"], homes.small),
    run: () => timed([CLI, "logout"], homes.large),
    budget: 3,
  },
];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Warm the file cache and Node's own start-up paths before measuring.
for (let i = 0; i < 3; i++) {
  for (const c of cases) {
    c.prepare?.();
    (c.reference ?? node)();
    c.run();
  }
}
const base = [];
const rss = { node: [], "codex status, logged in": [], "codex logout, logged in": [] };
const results = cases.map(() => ({ ms: [], ratios: [] }));
for (let i = 0; i < RUNS; i++) {
  cases.forEach((c, j) => {
    c.prepare?.();
    const ref = (c.reference ?? node)();
    const t = c.run();
    if (c.reference === undefined) {
      base.push(ref.ms);
      rss.node.push(ref.rss);
    }
    rss[c.name]?.push(t.rss);
    results[j].ms.push(t.ms);
    results[j].ratios.push(t.ms / ref.ms);
  });
}
const smallBytes = readFileSync(join(homes.small, "config.toml")).length;
keyring?.stop();
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

const rows = cases.map((c, j) => ({
  name: c.name,
  ms: median(results[j].ms),
  value: median(results[j].ratios),
  unit: c.unit ?? "× node",
  budget: c.budget,
}));
for (const name of ["codex status, logged in", "codex logout, logged in"]) {
  const ratios = rss[name].map((r, i) => r / rss.node[i]);
  rows.push({
    name: `peak RSS, ${name.slice(6)}`,
    ms: undefined,
    mb: median(rss[name]) / 1024,
    value: median(ratios),
    unit: "× node",
    budget: 1.2,
  });
}

console.log(
  `node ${process.version}, ${RUNS} alternating pairs per row; node -e 0: ${median(base).toFixed(1)} ms, ` +
    `${(median(rss.node) / 1024).toFixed(1)} MB peak RSS; the 1 KB config is ${smallBytes} bytes\n`,
);
console.log(`${"".padEnd(36)} ${"median".padStart(9)} ${"ratio".padStart(14)}  budget`);
for (const r of rows) {
  const abs = r.ms !== undefined ? `${r.ms.toFixed(1)} ms` : `${r.mb.toFixed(1)} MB`;
  const verdict = r.budget === undefined ? "" : `≤ ${r.budget}  ${r.value <= r.budget ? "ok" : "OVER"}`;
  console.log(`${r.name.padEnd(36)} ${abs.padStart(9)} ${`${r.value.toFixed(2)} ${r.unit}`.padStart(14)}  ${verdict}`);
}
console.log(
  `${"SSE parser".padEnd(36)} ${"".padStart(9)} ${`${mbps.toFixed(0)} MB/s`.padStart(14)}  ≥ 50  ${mbps >= 50 ? "ok" : "UNDER"}`,
);

// The same on Node 24, where most users are: this script again, run by it.
if (process.env.BENCH_NODE24 !== "0" && !process.version.startsWith("v24.")) {
  const node24 = execFileSync("bash", [new URL("node24.sh", import.meta.url).pathname], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  console.log("");
  spawnSync(node24, [new URL(import.meta.url).pathname], { env, stdio: "inherit" });
}
