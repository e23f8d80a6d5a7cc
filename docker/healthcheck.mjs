// Container health check (Dockerfile HEALTHCHECK and the ECS task definition's healthCheck):
// healthy while a MultiLangDaemon JVM runs, not a zombie, under the launcher.
//
// Why this and not more: the launcher exits when the JVM exits (the container then stops and ECS replaces
// the task), so the gap a health check covers is "the launcher is up but no daemon runs", e.g. stuck
// before the JVM starts. Shard children cannot be required: a worker with no leases (more workers than
// shards) legitimately has none. Whether records flow is a metric (MillisBehindLatest, iterator age),
// not a liveness signal. Needs only Node and /proc: no procps/pgrep in the image.
//
// KCL_TS_HEALTH_ROOT: the PID whose descendants are searched (default 1: the whole container). Outside a
// container, set it to the launcher's PID so that other daemons on the host do not count.
import { readdirSync, readFileSync } from 'node:fs';

const MAIN_CLASS = 'software.amazon.kinesis.multilang.MultiLangDaemon';
const root = Number(process.env.KCL_TS_HEALTH_ROOT ?? '1');

/** pid -> { ppid, state } for every process we can see. */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses; parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(ppid), state });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

function descendsFrom(pid, ancestor, table) {
  for (let p = pid, hops = 0; p > 0 && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = table.get(p)?.ppid ?? 0;
  }
  return false;
}

function findDaemon() {
  const table = processTable();
  for (const [pid, info] of table) {
    if (info.state === 'Z' || !descendsFrom(pid, root, table)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (cmdline.includes(MAIN_CLASS)) return pid;
  }
  return undefined;
}

const pid = findDaemon();
if (pid === undefined) {
  console.error(`unhealthy: no running ${MAIN_CLASS} JVM under PID ${root}`);
  process.exit(1);
}
console.log(`healthy: MultiLangDaemon JVM is PID ${pid}`);
