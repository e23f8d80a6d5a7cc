import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { shardProcessEnv } from './child-env.js';
import { DaemonOutput } from './daemon-output.js';
import { LauncherError, LauncherErrorCode } from './errors.js';
import { warn, type CliIO } from './io.js';
import type { SpawnLike } from './jars.js';
import { findJava, javaClasspath } from './java.js';
import { DAEMON_MAIN_CLASS, prepareLaunch, sourceOf } from './source.js';
import { EXIT_DAEMON_GAVE_UP, EXIT_SHARD_FAILED, formatSummary, readStatuses, summarizeShards, writeSummaryFile, type RunSummary } from './summary.js';
import { formatDiagnostics, loadAndValidate } from './validate.js';

export { DAEMON_MAIN_CLASS };

/**
 * `npx` forwards a terminal's Ctrl-C to the command although the terminal already sent it to the whole
 * process group, so one key press arrives twice: signals closer together than this count once.
 */
export const SAME_SIGNAL_MS = 1000;

/** Signals the launcher forwards to the JVM (SIGHUP becomes SIGTERM). */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Options of {@link runDaemon}. */
export interface DaemonRunOptions {
  /** The daemon's .properties file. */
  propertiesFile: string;
  /** Java executable (else JAVA_HOME, else PATH). */
  java?: string;
  /** A folder of verified jars (else the cache, installing when needed). */
  jarsDir?: string;
  /** Extra JVM arguments, placed before the main class. */
  jvmArgs?: readonly string[];
  /** A logback.xml for the daemon's own logging (`-l`). */
  logConfig?: string;
  io: CliIO;
  spawn?: SpawnLike;
  /** Where signals arrive. @default process */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  /** Called with the JVM once it started (tests, `kcl-ts local`). */
  onStart?: (jvm: ChildProcess) => void;
  /** Stop gracefully (as on SIGTERM) after this many ms: a time-limited batch run. */
  maxRuntimeMs?: number;
  /** Stop gracefully as soon as a shard stops on a failed record (stop-shard policy). */
  stopOnFailure?: boolean;
  /** Write the run summary (per shard: processed, retried, dead-lettered, failed, last checkpoint) here as JSON. */
  summaryFile?: string;
  /**
   * Run the consumer once under the FakeDaemon before starting the JVM (see preflight.ts); also off
   * with `KCL_TS_NO_PREFLIGHT=1` in `io.env`.
   * @default true
   */
  preflight?: boolean;
  /** Accept keys kcl-ts does not know (else they are errors: a typo would be silently ignored by the daemon). */
  allowUnknownKeys?: boolean;
  /**
   * Where the daemon's output lines go (each relayed shard stderr line once).
   * @default its stdout lines to `io.stdout`, its stderr lines to `io.stderr`
   */
  onDaemonLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** Builds the JVM command line (only the verified jars on the classpath: the daemon reads `-p` by absolute path); relative paths resolve against `cwd`. */
export function daemonArgs(
  classpath: readonly string[],
  propertiesFile: string,
  opts: Pick<DaemonRunOptions, 'jvmArgs' | 'logConfig'> & { mainClass?: string },
  cwd: string = process.cwd(),
): string[] {
  const file = resolve(cwd, propertiesFile);
  return [
    ...(opts.jvmArgs ?? []),
    '-Dfile.encoding=UTF-8',
    '-cp',
    javaClasspath(classpath),
    opts.mainClass ?? DAEMON_MAIN_CLASS,
    '-p',
    file,
    ...(opts.logConfig ? ['-l', resolve(cwd, opts.logConfig)] : []),
  ];
}

/**
 * The launcher's exit code for the JVM's end: the JVM's own code, except that a stop we asked for
 * (we forwarded SIGTERM/SIGINT and the JVM ended with 143/130, its signal convention) is a clean 0;
 * a JVM killed by a signal gives 128 + the signal number.
 */
export function launcherExitCode(code: number | null, signal: NodeJS.Signals | null, stopRequested: boolean): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  if (code === null) return 1;
  if (stopRequested && (code === 143 || code === 130)) return 0;
  return code;
}

/**
 * `kcl-ts run`: validates the properties, finds Java, verifies the jars, starts the MultiLangDaemon and
 * forwards SIGTERM/SIGINT/SIGHUP to the JVM only (it runs in its own process group, so a terminal's
 * Ctrl-C does not reach the shard children first). A third Ctrl-C kills the JVM's process group.
 * `maxRuntimeMs` and `stopOnFailure` stop it the same graceful way. At the end it prints (and with
 * `summaryFile` writes) a per-shard summary the shard processes reported over KCL_TS_STATUS_DIR.
 * Before the JVM it runs the consumer's preflight (unless `preflight: false`). The shard processes log to
 * the launcher's stdout and get the stdout guard (child-env.ts).
 * Resolves with the exit code: the daemon's (a stop we asked for is 0; a 0 nobody asked for is
 * EXIT_DAEMON_GAVE_UP, 11, with a line that says why), else EXIT_SHARD_FAILED (10) when a shard stopped
 * on a failed record, else 0. Works as PID 1 in a container.
 */
export async function runDaemon(opts: DaemonRunOptions): Promise<number> {
  const { io } = opts;
  const { parsed, diagnostics } = loadAndValidate(opts.propertiesFile, io, { allowUnknownKeys: opts.allowUnknownKeys });
  const errors = diagnostics.filter((d) => d.level === 'error');
  if (diagnostics.some((d) => d.level !== 'info')) warn(io, formatDiagnostics(opts.propertiesFile, diagnostics.filter((d) => d.level !== 'info')));
  if (errors.length > 0) {
    throw new LauncherError(LauncherErrorCode.PROPERTIES_INVALID, `${opts.propertiesFile} has ${errors.length} error(s); fix them (see above) and run again`);
  }
  const java = findJava(opts.java, io.env, io.cwd);
  // The source (kcl-ts.source) decides what runs: the daemon, or the DynamoDB Streams bridge (source.ts).
  const source = sourceOf(parsed) ?? 'kinesis';
  const jars = await prepareLaunch(source, { env: io.env, dir: opts.jarsDir && resolve(io.cwd, opts.jarsDir), log: (l) => warn(io, l) });
  const args = daemonArgs(jars.classpath, opts.propertiesFile, { ...opts, mainClass: jars.mainClass }, io.cwd);
  const spawn = opts.spawn ?? nodeSpawn;
  const signals = opts.signals ?? process;
  // The shard processes report to the launcher through files here (stdout is the protocol's).
  const statusDir = mkdtempSync(join(tmpdir(), 'kcl-ts-status-'));
  const value = (key: string) => parsed?.entries.get(key)?.value;
  const env = { ...shardProcessEnv(io.env, { statusDir, application: value('applicationName'), stream: value('streamName') ?? value('streamArn') }), KCL_TS_SOURCE: source };
  if (opts.preflight !== false && io.env.KCL_TS_NO_PREFLIGHT !== '1') {
    try {
      await runPreflight(value('executableName') ?? '', env, io);
    } catch (err) {
      rmSync(statusDir, { recursive: true, force: true });
      throw err;
    }
  }
  warn(io, `kcl-ts: starting ${jars.artifact} on ${java.versionLine} with ${opts.propertiesFile}`);
  const startedAt = new Date();
  // The daemon's output passes through here: each relayed shard stderr line is shown once, and the
  // reason for a stop nobody asked for is remembered.
  const jvm = spawn(java.path, args, { cwd: io.cwd, env, stdio: ['inherit', 'pipe', 'pipe'], detached: true });
  const output = new DaemonOutput();
  const show = opts.onDaemonLine ?? ((line: string, stream: 'stdout' | 'stderr') => (stream === 'stdout' ? io.stdout : io.stderr).write(`${line}\n`));
  const outputDone = Promise.all((['stdout', 'stderr'] as const).map((stream) => readLines(jvm[stream], (line) => output.line(stream, line) && show(line, stream))));
  let stopRequested = 0;
  let reason: RunSummary['reason'] = 'daemon-exit';
  const requestStop = (why: RunSummary['reason'], signal: NodeJS.Signals, message: string) => {
    stopRequested++;
    if (stopRequested === 1) {
      reason = why;
      warn(io, `kcl-ts: ${message}: asking the daemon to shut down gracefully (shutdownRequested to every shard)`);
      jvm.kill(signal);
    } else if (stopRequested === 2) {
      warn(io, 'kcl-ts: still shutting down (up to shutdownGraceMillis); signal once more to kill it now');
    } else if (jvm.pid) {
      warn(io, 'kcl-ts: killing the daemon and its shard processes');
      try {
        process.kill(-jvm.pid, 'SIGKILL');
      } catch {
        jvm.kill('SIGKILL');
      }
    }
  };
  let lastSignalAt = -Infinity;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (now - lastSignalAt < SAME_SIGNAL_MS) return; // one key press seen twice (npx), not a second request
    lastSignalAt = now;
    requestStop('signal', signal === 'SIGHUP' ? 'SIGTERM' : signal, signal);
  };
  for (const s of FORWARDED) signals.on(s, onSignal);
  const timers: NodeJS.Timeout[] = [];
  if (opts.maxRuntimeMs !== undefined) {
    timers.push(setTimeout(() => stopRequested === 0 && requestStop('max-runtime', 'SIGTERM', `max runtime (${opts.maxRuntimeMs} ms) reached`), opts.maxRuntimeMs));
  }
  if (opts.stopOnFailure) {
    timers.push(
      setInterval(() => {
        const failed = readStatuses(statusDir).find((st) => st.state === 'stopped-on-failure');
        if (failed && stopRequested === 0) requestStop('stop-on-failure', 'SIGTERM', `${failed.shardId} stopped on a failed record (--stop-on-failure)`);
      }, 500),
    );
  }
  opts.onStart?.(jvm);
  try {
    const daemonExit = await new Promise<{ code: number | null; exit: number; how: string }>((resolvePromise, reject) => {
      jvm.on('error', (err) => reject(new LauncherError(LauncherErrorCode.JAVA_NOT_FOUND, `Cannot start ${java.path}: ${err.message}`)));
      jvm.on('exit', (code, signal) => {
        const exit = launcherExitCode(code, signal, stopRequested > 0);
        resolvePromise({ code, exit, how: signal ?? `code ${code}` });
      });
    });
    // The last lines (the reason) may still be in the pipes; a shard process that kept them open is not waited for.
    await Promise.race([outputDone, new Promise((r) => setTimeout(r, 2000).unref())]);
    const shards = summarizeShards(readStatuses(statusDir));
    const unasked = stopRequested === 0;
    const gaveUp = unasked && daemonExit.exit === 0;
    const exitCode = gaveUp ? EXIT_DAEMON_GAVE_UP : daemonExit.exit !== 0 ? daemonExit.exit : shards.some((sh) => sh.stoppedOnFailure) ? EXIT_SHARD_FAILED : 0;
    const why = unasked ? output.reason() : undefined;
    if (unasked) {
      const what = why ? `${why.text}${why.fix ? ` (fix: ${why.fix})` : ''}` : 'its output does not say why (see its log above)';
      warn(io, `kcl-ts: the daemon stopped by itself (${daemonExit.how}), nobody asked it to: ${what}`);
    }
    const summary: RunSummary = {
      startedAt: startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      reason,
      daemonExitCode: daemonExit.code,
      ...(why ? { daemonReason: why.text } : {}),
      exitCode,
      shards,
    };
    warn(io, `kcl-ts: daemon exited (${daemonExit.how}); exit ${exitCode}`);
    warn(io, formatSummary(summary));
    if (opts.summaryFile) writeSummaryFile(resolve(io.cwd, opts.summaryFile), summary);
    return exitCode;
  } finally {
    for (const s of FORWARDED) signals.off(s, onSignal);
    for (const t of timers) clearTimeout(t);
    rmSync(statusDir, { recursive: true, force: true });
  }
}

/** Calls `onLine` for each line of `stream` (none when it is missing); resolves when it ends. */
function readLines(stream: Readable | null | undefined, onLine: (line: string) => unknown): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolveLines) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', onLine);
    lines.on('close', () => resolveLines());
  });
}

/** The preflight of the consumer; throws PREFLIGHT_FAILED with the consumer's own output, shown once. */
async function runPreflight(executableName: string, env: NodeJS.ProcessEnv, io: CliIO): Promise<void> {
  // Loaded only here: it brings the test kit and the runtime, which other commands do not need.
  const { preflightConsumer } = await import('./preflight.js');
  const result = await preflightConsumer({ executableName, env, cwd: io.cwd });
  if (result.ok) {
    warn(io, `kcl-ts: preflight ok: \`${executableName}\` answered initialize, an empty batch and shutdown under the FakeDaemon (${result.ms} ms; skip with --no-preflight)`);
    return;
  }
  for (const line of result.output) warn(io, line);
  throw new LauncherError(
    LauncherErrorCode.PREFLIGHT_FAILED,
    `preflight: the consumer \`${executableName}\` failed before the daemon was started: ${result.message}` +
      `${result.output.length > 0 ? ' (its output is above)' : ''}. Fix it, or skip this check with --no-preflight`,
  );
}
