/**
 * A `--require` preload for the child processes of a test (NODE_OPTIONS="--require …/test-dns.cjs"):
 * host names ending in `.test` (RFC 2606: never on the internet) and `localhost` resolve to 127.0.0.1,
 * and every other name fails with ENOTFOUND. So a test can point codex at a URL whose host is not
 * loopback by its text (`http://provider.test:PORT/v1`) and see what codex would send there, while no
 * packet leaves the machine and no real DNS server is ever asked.
 *
 * With TEST_DNS_LOG set, each name looked up is appended to that file, one per line: a test can show
 * that a refusal came before the lookup.
 */
const { appendFileSync } = require("node:fs");
const dns = require("node:dns");
const net = require("node:net");

function resolveTestName(hostname) {
  if (net.isIP(hostname) !== 0) return hostname;
  if (hostname === "localhost" || /\.test\.?$/i.test(hostname)) return "127.0.0.1";
  return undefined;
}

dns.lookup = function lookup(hostname, options, callback) {
  let opts = options;
  let cb = callback;
  if (typeof opts === "function") {
    cb = opts;
    opts = {};
  } else if (typeof opts === "number") {
    opts = { family: opts };
  }
  opts = opts ?? {};
  if (process.env.TEST_DNS_LOG) appendFileSync(process.env.TEST_DNS_LOG, `${hostname}\n`);
  const address = resolveTestName(String(hostname));
  if (address === undefined) {
    const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: "ENOTFOUND",
      errno: -3008,
      syscall: "getaddrinfo",
      hostname,
    });
    process.nextTick(cb, err);
    return {};
  }
  const family = net.isIP(address);
  if (opts.all) process.nextTick(cb, null, [{ address, family }]);
  else process.nextTick(cb, null, address, family);
  return {};
};

dns.promises.lookup = (hostname, options) =>
  new Promise((resolve, reject) => {
    dns.lookup(hostname, options ?? {}, (err, address, family) => {
      if (err) reject(err);
      else resolve(options?.all ? address : { address, family });
    });
  });
