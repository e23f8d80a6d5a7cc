/**
 * The consumer's preflight: before `kcl-ts run` starts the JVM, the command in `executableName` is run
 * once under the test kit's FakeDaemon (initialize, an empty batch, shutdownRequested, leaseLost, stdin
 * closed) in the environment the daemon would give it. A consumer that fails at start-up (a missing
 * environment variable, a bad option) then stops the run with its own error, shown once, instead of
 * taking the worker down with Java stack traces and every stderr line logged twice.
 */
import { FakeDaemon } from '../testing/fake-daemon.js';
import { splitExecutableName } from './properties.js';
import { withTimeout } from '../timeout.js';

/** The shard id the preflight initializes with. */
export const PREFLIGHT_SHARD_ID = 'shardId-preflight';

/** Options of {@link preflightConsumer}. */
export interface PreflightOptions {
  /** The properties' `executableName`, split as the daemon splits it. */
  executableName: string;
  /** The shard processes' environment; the preflight adds `KCL_TS_PREFLIGHT=1` and logs to stderr. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Longest wait for each reply. @default 30000 */
  timeoutMs?: number;
}

/** How the preflight went. */
export type PreflightResult =
  | { ok: true; ms: number }
  | {
      ok: false;
      ms: number;
      /** One line: what failed. */
      message: string;
      /** The consumer's stderr (its log lines at warn and above, other lines as written), each once. */
      output: string[];
    };

const PINO_LEVELS: Record<number, string> = { 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A pino JSON line as `LEVEL message: error` (only warn and above), any other line as it is; undefined to skip. */
export function formatConsumerLine(line: string): string | undefined {
  if (!line.startsWith('{')) return line;
  let entry: { level?: unknown; msg?: unknown; err?: { type?: unknown; message?: unknown } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return line;
  }
  if (typeof entry.level !== 'number') return line;
  const level = PINO_LEVELS[entry.level];
  if (!level) return undefined;
  const err = entry.err && typeof entry.err.message === 'string' ? `: ${typeof entry.err.type === 'string' ? `${entry.err.type}: ` : ''}${entry.err.message}` : '';
  return `${level} ${String(entry.msg ?? '')}${err}`;
}

/** Runs the preflight; never throws (a failure is a result). */
export async function preflightConsumer(o: PreflightOptions): Promise<PreflightResult> {
  const started = Date.now();
  const [command, ...args] = splitExecutableName(o.executableName);
  const env: NodeJS.ProcessEnv = { ...o.env, KCL_TS_PREFLIGHT: '1', KCL_TS_LOG_DEST: 'stderr' };
  delete env.KCL_TS_STATUS_DIR;
  const daemon = FakeDaemon.spawn(command ?? '', args, { env, cwd: o.cwd, replyTimeoutMs: o.timeoutMs ?? 30_000 });
  let spawnError: Error | undefined;
  daemon.child.on('error', (err) => (spawnError = err));
  let step = 'initialize';
  let failure: string | undefined;
  try {
    await daemon.initialize(PREFLIGHT_SHARD_ID);
    step = 'an empty processRecords';
    await daemon.processRecords([]);
    step = 'shutdownRequested';
    await daemon.shutdownRequested();
    step = 'leaseLost';
    await daemon.leaseLost();
    step = 'the end of stdin';
    const code = await withTimeout(daemon.close(), o.timeoutMs ?? 30_000);
    if (code !== 0) failure = code === undefined ? 'it did not exit after stdin closed' : `it exited ${code === null ? 'on a signal' : `with code ${code}`} after stdin closed (expected 0)`;
  } catch (err) {
    const code = await withTimeout(daemon.exited(), 2000);
    if (spawnError) failure = `it could not be started: ${spawnError.message}`;
    else if (code !== undefined) failure = `it exited ${code === null ? 'on a signal' : `with code ${code}`} during ${step}`;
    else failure = `${(err as Error).message} (during ${step})`;
  } finally {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  }
  const ms = Date.now() - started;
  if (!failure) return { ok: true, ms };
  await new Promise((r) => setImmediate(r)); // the last stderr lines reach stderrLines
  const output = daemon.stderrLines.map(formatConsumerLine).filter((l): l is string => l !== undefined);
  return { ok: false, ms, message: failure, output };
}
