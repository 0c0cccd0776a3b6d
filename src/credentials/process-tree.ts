/**
 * Ending a command together with every process it started (children, grandchildren), for an auth_command
 * that ran out of time.
 *
 * Why not a process group of its own (spawn's `detached`, i.e. setsid) and one kill of the group: a new
 * session has no controlling terminal, and the tools an auth_command runs (gpg's pinentry behind `pass`,
 * `op`, `vault login`) open /dev/tty to ask for a passphrase. So the command stays in codex's session and
 * group, and its tree is found by parent pid instead: /proc on Linux, `ps` elsewhere (`taskkill /T` on
 * Windows). Every process found is stopped (SIGSTOP) before the next look, so none can start another, nor
 * exit and leave its children to init (out of reach), while the tree is walked; then all are killed.
 *
 * Best effort by nature: a process that left the tree before the timeout (a daemon that detached itself) is
 * not found, and one owned by another user (a setuid helper) cannot be signalled. Neither blocks codex.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Pid → parent pid of every process we can see, or undefined when neither /proc nor ps answers. */
async function processTable(): Promise<Map<number, number> | undefined> {
  if (process.platform === "linux") {
    try {
      const table = new Map<number, number>();
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
          stat = readFileSync(`/proc/${entry}/stat`, "latin1");
        } catch {
          continue; // exited meanwhile
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read from the last ")".
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (Number.isInteger(ppid)) table.set(Number(entry), ppid);
      }
      return table;
    } catch {
      // No /proc (a container without it): ask ps.
    }
  }
  return new Promise((resolve) => {
    execFile("ps", ["-A", "-o", "pid=,ppid="], { timeout: 2000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const table = new Map<number, number>();
      for (const line of stdout.split("\n")) {
        const [pid, ppid] = line.trim().split(/\s+/).map(Number);
        if (Number.isInteger(pid) && Number.isInteger(ppid)) table.set(pid as number, ppid as number);
      }
      resolve(table);
    });
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already, or not ours to signal.
  }
}

/** SIGKILLs `root` and all its descendants. Resolves once every signal is sent. */
export async function killTree(root: number): Promise<void> {
  if (process.platform === "win32") {
    await new Promise<void>((resolve) => {
      execFile("taskkill", ["/pid", String(root), "/T", "/F"], { timeout: 5000 }, () => resolve());
    });
    return;
  }
  const tree = new Set([root]);
  signal(root, "SIGSTOP");
  // Each round stops what the last one found; a tree deeper or busier than this is killed as far as known.
  for (let round = 0; round < 20; round++) {
    const table = await processTable();
    if (table === undefined) break;
    let grew = false;
    let found = true;
    while (found) {
      found = false;
      for (const [pid, ppid] of table) {
        if (tree.has(ppid) && !tree.has(pid)) {
          tree.add(pid);
          signal(pid, "SIGSTOP");
          found = grew = true;
        }
      }
    }
    if (!grew) break;
  }
  for (const pid of tree) signal(pid, "SIGKILL");
}
