/**
 * The running part of `kcl-ts local`, once the emulators, the stream and the tables are up: the daemon
 * (through `kcl-ts run`), the demo producer, the status view, and the decision when to stop.
 *
 * - Completion (`--records N`) is read from the lease table: the run ends when the daemon's checkpoints
 *   cover all N records put ({@link CheckpointCompletion}), whatever the consumer is. A shard that stops
 *   on a failed record, the daemon exiting on its own, or the time limit end it with a non-zero code and
 *   a line that says why.
 * - Ctrl-C stops the producer first, waits (bounded) until the checkpoints cover what was put, then asks
 *   the daemon to shut down; the caller stops the emulators last.
 * - The daemon's output goes through {@link DaemonLogFilter}: all of it to `daemon.log`, the terminal
 *   without the known-harmless WARN lines.
 */
import { spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { say, warn, type CliIO } from '../launcher/io.js';
import type { SpawnLike } from '../launcher/jars.js';
import { packageRoot } from '../launcher/package-root.js';
import { runDaemon, SAME_SIGNAL_MS } from '../launcher/run.js';
import { EXIT_SHARD_FAILED, readStatuses, summarizeShards, type ShardSummary } from '../launcher/summary.js';
import { CheckpointCompletion } from './completion.js';
import { DaemonLogFilter } from './daemon-log-filter.js';
import { startProducer, type Producer } from './demo-producer.js';
import { scanLeases, type Lease } from './lease-table.js';
import { formatStatusLine, shortSequence, statusEvents } from './status-line.js';

/** Exit code of `kcl-ts local --records N` when the records were not all checkpointed in time (as timeout(1)). */
export const EXIT_LOCAL_TIMEOUT = 124;

/** Signals that stop a local run. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;


/** Options of {@link superviseLocalRun}. */
export interface SuperviseOptions {
  io: CliIO;
  /** The daemon's environment (fake credentials, where the consumer logs). */
  env: NodeJS.ProcessEnv;
  propertiesFile: string;
  java: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  stream: string;
  /** The lease table (the daemon's `applicationName` unless `tableName` is set). */
  leaseTable: string;
  /** Demo records per second. */
  rate: number;
  /** Put this many records, stop once the checkpoints cover all of them. */
  records?: number;
  /** With `records`: fail after this long (from the daemon's start). */
  timeoutMs: number;
  /** After Ctrl-C: how long to wait for the checkpoints to cover what was put. */
  drainMs: number;
  /** Work folder: `daemon.log` goes here. */
  work: string;
  /** The consumer's log file, named in failure messages. */
  consumerLog: string;
  /** Where stop signals arrive. @default process */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  spawn?: SpawnLike;
  /** A note the status line shows once when it returns one (how long until the first record). */
  firstRecord?: () => string | undefined;
  /** How often the status line is printed. @default 2000 */
  statusIntervalMs?: number;
}

/** Runs the daemon and the producer until done, failed or stopped; resolves with the exit code. */
export async function superviseLocalRun(o: SuperviseOptions): Promise<number> {
  const { io } = o;
  const completion = new CheckpointCompletion();
  let leases: Lease[] = [];
  let statuses: ShardSummary[] = [];
  let statusDir: string | undefined;
  let producer: Producer | undefined;

  const daemonLog = createWriteStream(join(o.work, 'daemon.log'), { flags: 'a' });
  daemonLog.on('error', (err) => warn(io, `kcl-ts local: cannot write ${join(o.work, 'daemon.log')}: ${err.message}`));
  const filter = new DaemonLogFilter(
    (line) => warn(io, line),
    (line) => daemonLog.write(`${line}\n`),
  );
  // The launcher hands each daemon output line to the filter (onDaemonLine below). The JVM's environment
  // names the folder of the shard status files.
  const spawnDaemon = ((command: string, args: readonly string[], options: SpawnOptions) => {
    statusDir = options.env?.KCL_TS_STATUS_DIR;
    return (o.spawn ?? nodeSpawn)(command, args, options);
  }) as SpawnLike;

  /** Reads the shard statuses (cheap: local files) and prints what changed. */
  const readShardStatuses = () => {
    // The launcher removes the folder when the daemon exited: the last reading stays.
    if (!statusDir || !existsSync(statusDir)) return;
    const now = summarizeShards(readStatuses(statusDir));
    for (const line of statusEvents(statuses, now, o.consumerLog)) say(io, line);
    statuses = now;
  };
  const scan = async () => {
    leases = await scanLeases(o.dynamodbEndpoint, o.leaseTable).catch(() => leases);
  };
  const view = () => ({ put: completion.put, target: o.records, shards: completion.shards(leases), statuses });
  const checkpointed = () => completion.checkpointed(leases);
  const behind = () =>
    completion
      .shards(leases)
      .filter((s) => s.checkpointed < s.put)
      .map((s) => `${s.shardId}: ${s.checkpointed} of ${s.put} at ${shortSequence(s.checkpoint)}`)
      .join('; ');

  // The stop sequence. `phase` only moves forward: running → draining (Ctrl-C) → stopping → exited.
  const daemonSignals = new EventEmitter();
  let phase: 'running' | 'draining' | 'stopping' | 'exited' = 'running';
  // Read through a call: other callbacks change it while this one awaits, which TypeScript cannot see.
  const current = () => phase;
  /** Why the run failed (printed last, makes the exit code non-zero), or undefined. */
  let failure: { code: number; reason: string } | undefined;
  let done: string | undefined;
  const stopDaemon = () => {
    if (phase === 'stopping' || phase === 'exited') return;
    phase = 'stopping';
    daemonSignals.emit('SIGTERM', 'SIGTERM');
  };
  const drainThenStop = async (why: string) => {
    phase = 'draining';
    say(io, `${why}: stopping the producer first`);
    await producer?.stop();
    const put = completion.put;
    say(io, `producer stopped after ${put} records; waiting up to ${Math.round(o.drainMs / 1000)} s for the consumer to checkpoint them (Ctrl-C again to stop now)`);
    const deadline = Date.now() + o.drainMs;
    while (current() === 'draining' && Date.now() < deadline) {
      await scan();
      readShardStatuses();
      if (checkpointed() >= put || statuses.some((s) => s.stoppedOnFailure)) break;
      await sleep(250);
    }
    if (current() !== 'draining') return;
    const n = checkpointed();
    say(io, n >= put ? `consumer drained: all ${put} records checkpointed` : `drain ended with ${n} of ${put} records checkpointed (${behind()})`);
    stopDaemon();
  };
  let lastSignal = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (now - lastSignal < SAME_SIGNAL_MS) return;
    lastSignal = now;
    if (phase === 'exited') return;
    if (phase === 'running') void drainThenStop(signal);
    else if (phase === 'draining') stopDaemon();
    // Later signals go to the launcher: the second says it is still shutting down, the third kills.
    else daemonSignals.emit(signal === 'SIGHUP' ? 'SIGTERM' : signal, signal === 'SIGHUP' ? 'SIGTERM' : signal);
  };
  const signals = o.signals ?? process;
  for (const s of STOP_SIGNALS) signals.on(s, onSignal);

  let startedAt = 0;
  let ticks = 0;
  let lastLine = '';
  let lastLineAt = 0;
  let firstShown = false;
  /** The status line when it changed, else every 10 s as a sign of life. */
  const statusLine = () => {
    const line = formatStatusLine(view());
    const first = firstShown ? undefined : o.firstRecord?.();
    if (line === lastLine && !first && Date.now() - lastLineAt < 10_000) return;
    firstShown ||= first !== undefined;
    say(io, first ? `${line} · ${first}` : line);
    lastLine = line;
    lastLineAt = Date.now();
  };
  const watch = async () => {
    const every = Math.max(1, Math.round((o.statusIntervalMs ?? 2000) / 500));
    while (phase !== 'exited') {
      await sleep(500);
      if (current() === 'exited') break;
      readShardStatuses();
      if (++ticks % every !== 0 || phase === 'draining') continue;
      await scan();
      statusLine();
      if (o.records === undefined || phase !== 'running') continue;
      if (completion.put >= o.records && checkpointed() >= o.records) {
        done = `all ${o.records} records checkpointed`;
        say(io, `${done}: shutting down`);
        stopDaemon();
      } else if (statuses.some((s) => s.stoppedOnFailure)) {
        const stopped = statuses.filter((s) => s.stoppedOnFailure);
        const lost = stopped.reduce((n, s) => n + (s.failure ? completion.fromSequence(s.shardId, s.failure.sequenceNumber) : 0), 0);
        failure = {
          code: EXIT_SHARD_FAILED,
          reason: `${stopped.map((s) => s.shardId).join(', ')} stopped on a failed record, so ${lost} of ${o.records} records (from the failed one on) can never be checkpointed`,
        };
        say(io, `${failure.reason}: shutting down`);
        await producer?.stop();
        stopDaemon();
      } else if (startedAt && Date.now() - startedAt > o.timeoutMs) {
        failure = {
          code: EXIT_LOCAL_TIMEOUT,
          reason: `timed out after ${Math.round(o.timeoutMs / 1000)} s with ${checkpointed()} of ${o.records} records checkpointed (${behind() || `${completion.put} put so far`})`,
        };
        say(io, `${failure.reason}: shutting down`);
        await producer?.stop();
        stopDaemon();
      }
    }
  };

  try {
    let watching: Promise<void> | undefined;
    let code: number;
    try {
      code = await runDaemon({
        propertiesFile: o.propertiesFile,
        java: o.java,
        logConfig: join(packageRoot(), 'properties', 'logback-warn.xml'),
        io: { ...io, env: o.env },
        signals: daemonSignals as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
        spawn: spawnDaemon,
        onDaemonLine: (line) => filter.line(line),
        onStart: () => {
          startedAt = Date.now();
          producer = startProducer({
            endpoint: o.kinesisEndpoint,
            stream: o.stream,
            ratePerSecond: o.rate,
            keys: 10,
            total: o.records,
            onPut: (results) => completion.add(results),
          });
          producer.done.catch((err: Error) => warn(io, `kcl-ts local: the demo producer stopped: ${err.message}`));
          watching = watch();
        },
      });
    } finally {
      const unasked = phase === 'running' || phase === 'draining';
      phase = 'exited';
      // The signal listeners stay, ignoring signals, until the final lines are out (the outer finally);
      // the caller then listens while it stops the emulators.
      await watching;
      await producer?.stop();
      await new Promise((resolve) => daemonLog.end(resolve));
      if (unasked && !failure) failure = { code: 1, reason: 'the daemon exited although nobody asked it to stop (see the lines above and daemon.log)' };
    }
    readShardStatuses();
    await scan();
    const n = checkpointed();
    say(io, `daemon stopped (exit ${code}); final: ${formatStatusLine(view())}`);
    if (n < completion.put) {
      say(io, `${completion.put - n} of ${completion.put} records put were not checkpointed before the stop (${behind()})`);
    }
    if (o.records !== undefined && !failure && n < o.records) {
      failure = { code: 1, reason: `the run ended with ${n} of ${o.records} records checkpointed` };
    }
    if (failure) {
      warn(io, `kcl-ts local: FAILED: ${failure.reason}`);
      return code !== 0 ? code : failure.code;
    }
    if (done) say(io, `kcl-ts local: done: ${done}`);
    return code;
  } finally {
    for (const s of STOP_SIGNALS) signals.off(s, onSignal);
  }
}
