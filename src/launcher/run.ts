import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { LauncherError, LauncherErrorCode } from './errors.js';
import { warn, type CliIO } from './io.js';
import { ensureJars, type SpawnLike } from './jars.js';
import { findJava } from './java.js';
import { formatDiagnostics, loadAndValidate } from './validate.js';

/** The daemon's main class in amazon-kinesis-client-multilang. */
export const DAEMON_MAIN_CLASS = 'software.amazon.kinesis.multilang.MultiLangDaemon';

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
}

/** Builds the JVM command line; relative paths resolve against `cwd`. */
export function daemonArgs(
  classpath: readonly string[],
  propertiesFile: string,
  opts: Pick<DaemonRunOptions, 'jvmArgs' | 'logConfig'>,
  cwd: string = process.cwd(),
): string[] {
  const file = resolve(cwd, propertiesFile);
  return [
    ...(opts.jvmArgs ?? []),
    '-Dfile.encoding=UTF-8',
    '-cp',
    [...classpath, dirname(file)].join(':'),
    DAEMON_MAIN_CLASS,
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
 * Resolves with the exit code to use. Works as PID 1 in a container (explicit signal handlers).
 */
export async function runDaemon(opts: DaemonRunOptions): Promise<number> {
  const { io } = opts;
  const { diagnostics } = loadAndValidate(opts.propertiesFile, io);
  const errors = diagnostics.filter((d) => d.level === 'error');
  if (diagnostics.some((d) => d.level !== 'info')) warn(io, formatDiagnostics(opts.propertiesFile, diagnostics.filter((d) => d.level !== 'info')));
  if (errors.length > 0) {
    throw new LauncherError(LauncherErrorCode.PROPERTIES_INVALID, `${opts.propertiesFile} has ${errors.length} error(s); fix them (see above) and run again`);
  }
  const java = findJava(opts.java, io.env, io.cwd);
  const jars = await ensureJars('kcl-multilang', { env: io.env, dir: opts.jarsDir && resolve(io.cwd, opts.jarsDir), log: (l) => warn(io, l) });
  const args = daemonArgs(jars.classpath, opts.propertiesFile, opts, io.cwd);
  const spawn = opts.spawn ?? nodeSpawn;
  const signals = opts.signals ?? process;
  warn(io, `kcl-ts: starting ${jars.artifact} on ${java.versionLine} with ${opts.propertiesFile}`);
  const jvm = spawn(java.path, args, { cwd: io.cwd, env: io.env, stdio: 'inherit', detached: true });
  let stopRequested = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    stopRequested++;
    if (stopRequested === 1) {
      warn(io, `kcl-ts: ${signal}: asking the daemon to shut down gracefully (shutdownRequested to every shard)`);
      jvm.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
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
  for (const s of FORWARDED) signals.on(s, onSignal);
  opts.onStart?.(jvm);
  try {
    return await new Promise<number>((resolvePromise, reject) => {
      jvm.on('error', (err) => reject(new LauncherError(LauncherErrorCode.JAVA_NOT_FOUND, `Cannot start ${java.path}: ${err.message}`)));
      jvm.on('exit', (code, signal) => {
        const exit = launcherExitCode(code, signal, stopRequested > 0);
        warn(io, `kcl-ts: daemon exited (${signal ?? `code ${code}`}); exit ${exit}`);
        resolvePromise(exit);
      });
    });
  } finally {
    for (const s of FORWARDED) signals.off(s, onSignal);
  }
}
