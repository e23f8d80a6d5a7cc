/**
 * The environment `kcl-ts run` gives the daemon, and so every shard process it starts (the daemon passes
 * its own environment on): the side channel, where the shard processes log, and the stdout guard.
 */
import { existsSync, fstatSync, readFileSync } from 'node:fs';

/** What the launcher adds for the shard processes. */
export interface ShardEnvOptions {
  /** `KCL_TS_STATUS_DIR`: where shard processes write their status files. */
  statusDir?: string;
  /** `KCL_TS_APPLICATION` (the properties' applicationName). */
  application?: string;
  /** `KCL_TS_STREAM` (streamName or streamArn). */
  stream?: string;
  /** The launcher's pid: its stdout is where shard processes log. @default process.pid */
  pid?: number;
  /**
   * URL of the module that installs the stdout guard (`--import` in NODE_OPTIONS).
   * @default this copy's register-child.js
   */
  guardUrl?: string;
  /** Whether shard processes can write to the launcher's stdout by `/proc/<pid>/fd/1`. @default {@link canShareStdout}() */
  shareStdout?: boolean;
}

/** The module `kcl-ts run` loads in every Node shard process (see src/register-child.ts). */
export const GUARD_URL = new URL('../register-child.js', import.meta.url).href;

/**
 * `KCL_TS_LOG_DEST` for the shard processes: what the user set, else the launcher's own stdout
 * (`/proc/<launcher pid>/fd/1`), so that shard logs reach the same place as the launcher's and the
 * daemon's (the terminal, or the container's log driver) instead of the daemon's ERROR-level relay of
 * their stderr. As PID 1 (a container) nothing is set: the children's default `/proc/1/fd/1` is the same.
 */
export function shardLogDestination(env: NodeJS.ProcessEnv, pid: number, shareStdout: boolean): string | undefined {
  if (env.KCL_TS_LOG_DEST) return env.KCL_TS_LOG_DEST;
  if (pid === 1 || !shareStdout) return undefined;
  return `/proc/${pid}/fd/1`;
}

/**
 * Whether other processes can write to this process's stdout through `/proc/<pid>/fd/1` (Linux): a
 * terminal, a pipe, or a file opened for appending (`kcl-ts run >> file`). Not a socket (opening it
 * fails: a systemd journal stream, a Node parent's 'pipe'), nor a file opened without O_APPEND
 * (`kcl-ts run > file`), where our own writes would overwrite what they append.
 */
export function canShareStdout(): boolean {
  if (!existsSync('/proc/self/fd/1')) return false;
  try {
    const stat = fstatSync(1);
    if (stat.isSocket()) return false;
    if (!stat.isFile()) return true;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1]!, 8) & 0o2000) !== 0; // O_APPEND
  } catch {
    return false;
  }
}

/** NODE_OPTIONS with `--import <guardUrl>` added once (unless `KCL_TS_STDOUT_GUARD=0`). */
export function nodeOptionsWithGuard(env: NodeJS.ProcessEnv, guardUrl: string): string | undefined {
  const current = env.NODE_OPTIONS?.trim() ?? '';
  if (env.KCL_TS_STDOUT_GUARD === '0' || current.includes(guardUrl)) return current || undefined;
  return `${current} --import ${guardUrl}`.trim();
}

/** `base` plus what the shard processes need from the launcher. */
export function shardProcessEnv(base: NodeJS.ProcessEnv, o: ShardEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  if (o.statusDir) env.KCL_TS_STATUS_DIR = o.statusDir;
  if (o.application) env.KCL_TS_APPLICATION = o.application;
  if (o.stream) env.KCL_TS_STREAM = o.stream;
  const dest = shardLogDestination(base, o.pid ?? process.pid, o.shareStdout ?? canShareStdout());
  if (dest) env.KCL_TS_LOG_DEST = dest;
  const nodeOptions = nodeOptionsWithGuard(base, o.guardUrl ?? GUARD_URL);
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  return env;
}
