// `kcl-ts run` (runDaemon) against a fake `java` (test/fixtures/fake-java.ts behind a /bin/sh wrapper):
// the JVM command line, environment and process group, signal forwarding, exit codes, and the errors
// that stop it before the JVM starts.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canShareStdout } from '../../src/launcher/child-env.js';
import { main } from '../../src/cli/main.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import type { CliIO } from '../../src/launcher/io.js';
import { ensureJars, readLock } from '../../src/launcher/jars.js';
import { DAEMON_MAIN_CLASS, daemonArgs, launcherExitCode, runDaemon, SAME_SIGNAL_MS, type DaemonRunOptions } from '../../src/launcher/run.js';
import { EXIT_DAEMON_GAVE_UP, EXIT_SHARD_FAILED, parseDuration, summarizeShards } from '../../src/launcher/summary.js';
import { fixture, isAlive, rejectsWith, sleep, tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-run-');
/** The `java` wrapper: exec keeps the pid, so signals sent to it reach the fixture. */
const JAVA = join(root, 'java');
// NODE_OPTIONS (the launcher's stdout guard for shard processes) is handed over in another variable: the
// fake itself is node, the real JVM is not.
writeFileSync(JAVA, `#!/bin/sh\nFAKE_JAVA_NODE_OPTIONS="$NODE_OPTIONS" exec env -u NODE_OPTIONS '${process.execPath}' '${fixture('fake-java')}' "$@"\n`);
chmodSync(JAVA, 0o755);
const CONSUMER = join(root, 'consumer.mjs');
writeFileSync(CONSUMER, '');

const VALID = [
  `executableName = ${process.execPath} ${CONSUMER}`,
  'applicationName = app',
  'streamName = orders',
  'AWSCredentialsProvider = DefaultCredentialsProvider',
  'regionName = us-east-1',
  'shutdownGraceMillis = 20000',
  'retrievalMode = POLLING',
].join('\n');

let jarsDir: string;
let classpath: string[];
before(async () => {
  const jars = await ensureJars('kcl-multilang', { env: process.env });
  jarsDir = jars.dir;
  classpath = jars.classpath;
});

let counter = 0;

interface Run {
  /** The run's folder: io.cwd, holding app.properties and the fake's files. */
  dir: string;
  io: CliIO;
  out: string[];
  err: string[];
  signals: EventEmitter;
  result: Promise<number>;
  /** What the fake JVM recorded once it was ready for signals. */
  ready(): Promise<Recorded>;
  /** argv of every invocation of the fake java (`-version` included). */
  calls(): string[][];
  marker(): string[];
}
interface Recorded {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  pid: number;
  pgrp?: number;
  childPid?: number;
}

/** Starts runDaemon in a fresh folder with app.properties = `properties`, the fake java in `mode`. */
function start({
  mode,
  properties,
  env,
  prepare,
  ...overrides
}: { mode?: string; properties?: string; env?: NodeJS.ProcessEnv; prepare?: (dir: string) => void } & Partial<DaemonRunOptions> = {}): Run {
  const dir = join(root, `run${++counter}`);
  mkdirSync(dir);
  prepare?.(dir);
  writeFileSync(join(dir, 'app.properties'), properties ?? VALID);
  const out: string[] = [];
  const err: string[] = [];
  const files = { calls: join(dir, 'calls.jsonl'), record: join(dir, 'record.json'), marker: join(dir, 'marker.txt') };
  const io: CliIO = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env: {
      PATH: '/usr/bin:/bin',
      FAKE_JAVA_CALLS: files.calls,
      FAKE_JAVA_RECORD: files.record,
      FAKE_JAVA_MARKER: files.marker,
      FAKE_JAVA_MODE: mode ?? 'wait',
      KCL_TS_TEST_MARK: 'from io.env',
      ...env,
    },
    cwd: dir,
  };
  const signals = new EventEmitter();
  const result = runDaemon({
    propertiesFile: 'app.properties',
    java: JAVA,
    jarsDir,
    io,
    signals: signals as unknown as DaemonRunOptions['signals'],
    preflight: false, // the preflight has its own tests below
    ...overrides,
  });
  result.catch(() => undefined); // awaited by the tests; avoids an unhandled rejection while waiting
  return {
    dir,
    io,
    out,
    err,
    signals,
    result,
    async ready() {
      const deadline = Date.now() + 10_000;
      while (!existsSync(files.record)) {
        if (Date.now() > deadline) assert.fail(`the fake JVM did not start; stderr: ${err.join('')}`);
        await sleep(10);
      }
      return JSON.parse(readFileSync(files.record, 'utf8')) as Recorded;
    },
    calls: () => (existsSync(files.calls) ? readFileSync(files.calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]) : []),
    marker: () => (existsSync(files.marker) ? readFileSync(files.marker, 'utf8').trim().split('\n') : []),
  };
}


/** True while `pid` runs (a zombie waiting for an init that reaps slowly counts as gone). */

// ---- pure functions -----------------------------------------------------------------------------------

test('launcherExitCode', () => {
  assert.equal(launcherExitCode(0, null, false), 0);
  assert.equal(launcherExitCode(1, null, false), 1);
  assert.equal(launcherExitCode(1, null, true), 1, 'a failure during a requested stop stays a failure');
  assert.equal(launcherExitCode(143, null, true), 0, 'SIGTERM we forwarded: clean');
  assert.equal(launcherExitCode(130, null, true), 0, 'SIGINT we forwarded: clean');
  assert.equal(launcherExitCode(143, null, false), 143, 'the JVM stopped on its own (or by someone else)');
  assert.equal(launcherExitCode(130, null, false), 130);
  assert.equal(launcherExitCode(137, null, true), 137);
  assert.equal(launcherExitCode(null, 'SIGKILL', false), 137);
  assert.equal(launcherExitCode(null, 'SIGKILL', true), 137);
  assert.equal(launcherExitCode(null, 'SIGSEGV', false), 139);
  assert.equal(launcherExitCode(null, 'SIGTERM', false), 143);
  assert.equal(launcherExitCode(null, null, false), 1);
});

test('daemonArgs: JVM args first, then encoding, classpath (the jars only), main class, -p, -l', () => {
  assert.deepEqual(daemonArgs(['/j/a.jar', '/j/b.jar'], '/etc/app/app.properties', {}), [
    '-Dfile.encoding=UTF-8',
    '-cp',
    '/j/a.jar:/j/b.jar',
    'software.amazon.kinesis.multilang.MultiLangDaemon',
    '-p',
    '/etc/app/app.properties',
  ]);
  assert.deepEqual(daemonArgs(['/j/a.jar'], '/etc/app/app.properties', { jvmArgs: ['-Xmx1g', '-Da=b'], logConfig: '/etc/app/logback.xml' }), [
    '-Xmx1g',
    '-Da=b',
    '-Dfile.encoding=UTF-8',
    '-cp',
    '/j/a.jar',
    DAEMON_MAIN_CLASS,
    '-p',
    '/etc/app/app.properties',
    '-l',
    '/etc/app/logback.xml',
  ]);
});

// ---- the JVM it starts ---------------------------------------------------------------------------------

test('runDaemon: the JVM command line, cwd, env and its own process group', async () => {
  const logback = join(root, 'logback.xml');
  const run = start({ mode: 'exit:0', jvmArgs: ['-Xmx256m', '-Dkcl.test=1'], logConfig: logback });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP, 'the fake daemon exits 0 by itself');
  const rec = await run.ready();
  const props = join(run.dir, 'app.properties');
  assert.deepEqual(rec.argv, [
    '-Xmx256m',
    '-Dkcl.test=1',
    '-Dfile.encoding=UTF-8',
    '-cp',
    classpath.join(':'),
    'software.amazon.kinesis.multilang.MultiLangDaemon',
    '-p',
    props,
    '-l',
    logback,
  ]);
  const cp = rec.argv[4]!.split(':');
  assert.equal(cp.length, 131);
  assert.ok(cp.includes(join(jarsDir, 'amazon-kinesis-client-multilang-3.1.3.jar')));
  assert.equal(rec.cwd, run.dir);
  assert.equal(rec.env.KCL_TS_TEST_MARK, 'from io.env');
  assert.equal(rec.env.PATH, '/usr/bin:/bin');
  assert.equal(rec.pgrp, rec.pid, 'the JVM leads its own process group');
  assert.deepEqual(run.calls(), [['-version'], rec.argv], 'java -version, then the daemon');
  const stderr = run.err.join('');
  assert.match(stderr, /kcl-ts: starting software\.amazon\.kinesis:amazon-kinesis-client-multilang:3\.1\.3 on openjdk version "17\.0\.1" 2021-10-19 with app\.properties/);
  assert.match(stderr, /kcl-ts: daemon exited \(code 0\); exit 11/);
  assert.deepEqual(run.out, [], 'nothing on stdout');
});

test('runDaemon: without logConfig there is no -l', async () => {
  const run = start({ mode: 'exit:0' });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP, 'the fake daemon exits 0 by itself');
  const { argv } = await run.ready();
  assert.equal(argv[0], '-Dfile.encoding=UTF-8');
  assert.deepEqual(argv.slice(-3), [DAEMON_MAIN_CLASS, '-p', join(run.dir, 'app.properties')]);
});

test('runDaemon: a relative logConfig is resolved against io.cwd, like the properties file', async () => {
  const run = start({ mode: 'exit:0', logConfig: 'logback.xml' });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP, 'the fake daemon exits 0 by itself');
  const { argv } = await run.ready();
  assert.deepEqual(argv.slice(-2), ['-l', join(run.dir, 'logback.xml')]);
});

test('runDaemon: a relative jarsDir is resolved against io.cwd, like the properties file (the classpath names the verified real paths)', async () => {
  const run = start({ mode: 'exit:0', jarsDir: 'jars', prepare: (dir) => symlinkSync(jarsDir, join(dir, 'jars')) });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP, 'the fake daemon exits 0 by itself');
  const { argv } = await run.ready();
  const cp = argv[argv.indexOf('-cp') + 1]!.split(':');
  assert.ok(cp.includes(join(realpathSync(jarsDir), 'amazon-kinesis-client-multilang-3.1.3.jar')), cp[0]);
});

test('runDaemon: warnings are printed and the daemon still starts', async () => {
  const run = start({ mode: 'exit:0', properties: VALID.replace('shutdownGraceMillis = 20000', 'shutdownGraceMillis = 5000') });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.match(run.err.join(''), /warning: shutdownGraceMillis/);
  assert.equal(run.calls().length, 2);
});

test('runDaemon: an unknown key (a typo) is an error with the did-you-mean; the daemon is not started', async () => {
  const run = start({ properties: `${VALID}\nshutdownGraceMilis = 25000` });
  await rejectsWith(run.result, LauncherErrorCode.PROPERTIES_INVALID);
  assert.match(run.err.join(''), /app\.properties:8: error: unknown key `shutdownGraceMilis` \(did you mean `shutdownGraceMillis`\?\).*--allow-unknown-keys/);
  assert.deepEqual(run.calls(), [], 'java never ran');
});

test('runDaemon allowUnknownKeys: an unknown key is only a warning', async () => {
  const run = start({ mode: 'exit:0', properties: `${VALID}\nshutdownGraceMilis = 25000`, allowUnknownKeys: true });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.match(run.err.join(''), /app\.properties:8: warning: unknown key `shutdownGraceMilis`/);
  assert.equal(run.calls().length, 2);
});

// ---- exit codes and signals ------------------------------------------------------------------------------

test('runDaemon: the JVM exit code is passed on (1 → 1; 143 or 130 without a forwarded signal stay; 0 by itself → 11)', async () => {
  for (const [code, expected] of [
    [1, 1],
    [143, 143],
    [130, 130],
    [0, EXIT_DAEMON_GAVE_UP],
  ]) {
    const run = start({ mode: `exit:${code}` });
    assert.equal(await run.result, expected, `JVM exit ${code}`);
    assert.match(run.err.join(''), new RegExp(`daemon exited \\(code ${code}\\); exit ${expected}`));
  }
});

test('runDaemon: a JVM killed by SIGKILL → 137', async () => {
  const run = start({ mode: 'sigkill' });
  assert.equal(await run.result, 137);
  assert.match(run.err.join(''), /daemon exited \(SIGKILL\); exit 137/);
});

test('runDaemon: SIGTERM is forwarded to the JVM; its 143 is a clean 0; handlers are removed afterwards', async () => {
  const run = start();
  await run.ready();
  assert.equal(run.signals.listenerCount('SIGTERM'), 1);
  run.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.result, 0);
  assert.deepEqual(run.marker(), ['SIGTERM']);
  assert.match(run.err.join(''), /kcl-ts: SIGTERM: asking the daemon to shut down gracefully/);
  assert.match(run.err.join(''), /daemon exited \(code 143\); exit 0/);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) assert.equal(run.signals.listenerCount(s), 0, s);
});

test('runDaemon: SIGHUP is forwarded as SIGTERM', async () => {
  const run = start();
  await run.ready();
  run.signals.emit('SIGHUP', 'SIGHUP');
  assert.equal(await run.result, 0);
  assert.deepEqual(run.marker(), ['SIGTERM']);
});

test('runDaemon: SIGINT is forwarded as SIGINT; its 130 is a clean 0', async () => {
  const run = start();
  await run.ready();
  run.signals.emit('SIGINT', 'SIGINT');
  assert.equal(await run.result, 0);
  assert.deepEqual(run.marker(), ['SIGINT']);
});

test('runDaemon: a JVM failing while stopping keeps its failure code', async () => {
  const run = start({ env: { FAKE_JAVA_STOP_CODE: '1' } });
  await run.ready();
  run.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.result, 1);
});

test('runDaemon: KCL_TS_LOG_DEST and NODE_OPTIONS set by the user are kept (the guard is added once)', async () => {
  const run = start({ mode: 'exit:0', env: { KCL_TS_LOG_DEST: '/var/log/shards.log', NODE_OPTIONS: '--max-old-space-size=512' } });
  const rec = await run.ready();
  assert.equal(rec.env.KCL_TS_LOG_DEST, '/var/log/shards.log');
  assert.match(rec.env.NODE_OPTIONS!, /^--max-old-space-size=512 --import file:\/\/\/\S*register-child\.js$/);
  await run.result;
});

test('runDaemon: a daemon that gives up (exit 0 by itself) → exit 11 and one line with its reason and the fix', async () => {
  const stdout = [
    '2026-12-01 23:13:51,974 [multi-lang-daemon-0000] ERROR s.a.kinesis.coordinator.Scheduler [NONE] - Caught exception when initializing LeaseCoordinator ',
    'java.lang.RuntimeException: software.amazon.awssdk.core.exception.SdkClientException: Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider()])',
    '\tat software.amazon.kinesis.coordinator.Scheduler.initialize(Scheduler.java:531)',
    '2026-12-01 23:13:51,974 [multi-lang-daemon-0000] ERROR s.a.kinesis.coordinator.Scheduler [NONE] - Unable to initialize after 20 attempts. Shutting down. ',
    'java.lang.RuntimeException: java.lang.RuntimeException: software.amazon.awssdk.core.exception.SdkClientException: Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(credentialsProviders=[])',
    '2026-12-01 23:13:52,003 [Thread-1] INFO  s.a.k.multilang.MultiLangDaemon [NONE] - Process shutdown is complete. ',
  ].join('\n');
  const run = start({ mode: 'exit:0', summaryFile: 'summary.json', env: { FAKE_JAVA_STDOUT: stdout } });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.equal(EXIT_DAEMON_GAVE_UP, 11);
  const stderr = run.err.join('');
  const reasons = stderr.split('\n').filter((l) => l.includes('stopped by itself'));
  assert.equal(reasons.length, 1, stderr);
  assert.match(reasons[0]!, /^kcl-ts: the daemon stopped by itself \(code 0\), nobody asked it to: the daemon gave up initializing after 20 attempts: no AWS credentials.*\(fix: .*AWS_ACCESS_KEY_ID.*kcl-ts doctor/);
  assert.match(stderr, /daemon exited \(code 0\); exit 11/);
  assert.match(run.out.join(''), /Unable to initialize after 20 attempts/, "the daemon's stdout is passed on");
  const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as { exitCode: number; daemonReason: string };
  assert.equal(summary.exitCode, 11);
  assert.match(summary.daemonReason, /gave up initializing after 20 attempts: no AWS credentials/);
});

test('runDaemon: a daemon that fails by itself keeps its code and gets a reason line too', async () => {
  const stderr = 'ERROR s.a.k.multilang.MultiLangProtocol [] - Failed to get status message for initialize action for shard shardId-000000000001';
  const run = start({ mode: 'exit:1', env: { FAKE_JAVA_STDERR: stderr } });
  assert.equal(await run.result, 1);
  assert.match(run.err.join(''), /stopped by itself \(code 1\), nobody asked it to: the shard process for shardId-000000000001 exited or failed while the daemon waited for its reply to initialize/);
});

test('runDaemon: no reason line for a stop we asked for', async () => {
  const run = start({ env: { FAKE_JAVA_STDERR: 'ERROR x [] - something' } });
  await run.ready();
  run.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.result, 0);
  assert.doesNotMatch(run.err.join(''), /stopped by itself/);
});

test("runDaemon: a shard's stderr line relayed twice by the daemon (log line + bare copy) is shown once", async () => {
  const lines = (shard: string, text: string) => `12:00:00.000 ERROR s.a.k.multilang.DrainChildSTDERRTask [] - Received error line from subprocess [${text}] for shard ${shard}`;
  const run = start({
    mode: 'exit:1',
    env: {
      FAKE_JAVA_STDOUT: [lines('shardId-1', 'KclTsError: boom'), lines('shardId-1', 'same'), lines('shardId-1', 'same')].join('\n'),
      FAKE_JAVA_STDERR: ['KclTsError: boom', 'same', 'same', 'a JVM line of its own'].join('\n'),
    },
  });
  assert.equal(await run.result, 1);
  const all = [...run.out, ...run.err].join('').split('\n');
  assert.equal(all.filter((l) => l.includes('KclTsError: boom')).length, 1, all.join('\n'));
  assert.equal(all.filter((l) => l.includes('same')).length, 2, 'a line the child wrote twice stays twice');
  assert.equal(all.filter((l) => l === 'a JVM line of its own').length, 1);
});

test('runDaemon: the third signal kills the JVM and its process group (shard children) → 137', async () => {
  const run = start({ mode: 'shard-child' });
  const rec = await run.ready();
  assert.ok(rec.childPid && isAlive(rec.childPid));
  try {
    run.signals.emit('SIGTERM', 'SIGTERM');
    await sleep(SAME_SIGNAL_MS + 100);
    run.signals.emit('SIGINT', 'SIGINT');
    await sleep(SAME_SIGNAL_MS + 100);
    assert.ok(isAlive(rec.pid), 'two signals do not kill it');
    run.signals.emit('SIGINT', 'SIGINT');
    assert.equal(await run.result, 137);
    const stderr = run.err.join('');
    assert.match(stderr, /still shutting down \(up to shutdownGraceMillis\); signal once more to kill it now/);
    assert.match(stderr, /killing the daemon and its shard processes/);
    assert.deepEqual(run.marker(), ['SIGTERM'], 'only the first signal is forwarded');
    const deadline = Date.now() + 5000;
    while (isAlive(rec.childPid) && Date.now() < deadline) await sleep(20);
    assert.equal(isAlive(rec.childPid), false, 'the shard child was killed with the group');
  } finally {
    for (const pid of [rec.childPid, rec.pid]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('runDaemon: one Ctrl-C delivered twice at once (npx forwards it) is one stop request, not two', async () => {
  const run = start({ mode: 'shard-child' });
  const rec = await run.ready();
  try {
    run.signals.emit('SIGINT', 'SIGINT');
    run.signals.emit('SIGINT', 'SIGINT');
    await sleep(SAME_SIGNAL_MS + 100);
    assert.doesNotMatch(run.err.join(''), /still shutting down/);
    run.signals.emit('SIGINT', 'SIGINT'); // the user's real second press: the second request
    await sleep(200);
    assert.match(run.err.join(''), /still shutting down/);
    assert.ok(isAlive(rec.pid), 'the second request does not kill it');
    assert.deepEqual(run.marker(), ['SIGINT'], 'only the first signal is forwarded');
  } finally {
    for (const pid of [rec.childPid, rec.pid]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await run.result;
});

// ---- the consumer's preflight ------------------------------------------------------------------------------

const STARTUP = `executableName = ${process.execPath} ${fixture('startup-failure')}`;

test('runDaemon preflight: a consumer failing at start-up stops the run before the JVM, with its error shown once', async () => {
  const run = start({ preflight: true, properties: VALID.replace(/^executableName = .*$/m, STARTUP), env: { STARTUP_FAILURE: 'options' } });
  const err = await rejectsWith(run.result, LauncherErrorCode.PREFLIGHT_FAILED);
  assert.match(err.message, /preflight: the consumer `.*startup-failure\.js` failed before the daemon was started: it exited with code 1 during initialize \(its output is above\)\. Fix it, or skip this check with --no-preflight/);
  const stderr = run.err.join('');
  assert.equal(stderr.split('\n').filter((l) => l.includes('Expected `concurrency` to be an integer >= 1')).length, 1, stderr);
  assert.deepEqual(run.calls(), [['-version']], 'the daemon never started');
});

test('runDaemon preflight: a correct consumer passes, then the daemon starts; it sees KCL_TS_PREFLIGHT=1 and no status folder', async () => {
  const run = start({ preflight: true, mode: 'exit:0', properties: VALID.replace(/^executableName = .*$/m, STARTUP), env: { STARTUP_FAILURE: 'none' } });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.match(run.err.join(''), /kcl-ts: preflight ok: `.*startup-failure\.js` answered initialize, an empty batch and shutdown under the FakeDaemon \(\d+ ms; skip with --no-preflight\)/);
  assert.equal(run.calls().length, 2);
});

test('runDaemon: KCL_TS_NO_PREFLIGHT=1 in the environment skips the preflight (kcl-ts local --no-preflight)', async () => {
  const run = start({ preflight: undefined, mode: 'exit:0', properties: VALID.replace(/^executableName = .*$/m, STARTUP), env: { STARTUP_FAILURE: 'options', KCL_TS_NO_PREFLIGHT: '1' } });
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.doesNotMatch(run.err.join(''), /preflight/);
});

test('kcl-ts run: --no-preflight skips it, --allow-unknown-keys accepts a typo; without them the run stops', async () => {
  const dir = join(root, 'cli');
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.properties'), `${VALID.replace(/^executableName = .*$/m, STARTUP)}\nshutdownGraceMilis = 1`);
  const cli = async (...flags: string[]) => {
    const err: string[] = [];
    const io: CliIO = {
      stdout: { write: () => true },
      stderr: { write: (t: string) => err.push(t) },
      env: { PATH: process.env.PATH, FAKE_JAVA_MODE: 'exit:0', STARTUP_FAILURE: 'options' },
      cwd: dir,
    };
    const code = await main(['run', '-p', 'app.properties', '--java', JAVA, '--jars', jarsDir, ...flags], io);
    return { code, err: err.join('') };
  };
  const typo = await cli('--no-preflight');
  assert.equal(typo.code, 1);
  assert.match(typo.err, /error: unknown key `shutdownGraceMilis` \(did you mean `shutdownGraceMillis`\?\)/);
  const failing = await cli('--allow-unknown-keys');
  assert.equal(failing.code, 1);
  assert.match(failing.err, /KCLTS_ERR_LAUNCHER_PREFLIGHT_FAILED/);
  const skipped = await cli('--allow-unknown-keys', '--no-preflight');
  assert.equal(skipped.code, EXIT_DAEMON_GAVE_UP, skipped.err);
  assert.doesNotMatch(skipped.err, /preflight/);
});

// ---- errors before the JVM starts ------------------------------------------------------------------------

test('runDaemon: properties missing applicationName → PROPERTIES_INVALID; java never ran', async () => {
  const run = start({ properties: VALID.replace('applicationName = app\n', '') });
  const err = await rejectsWith(run.result, LauncherErrorCode.PROPERTIES_INVALID);
  assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_PROPERTIES_INVALID');
  assert.match(err.message, /app\.properties has 1 error\(s\); fix them/);
  assert.match(run.err.join(''), /applicationName/);
  assert.deepEqual(run.calls(), []);
});

test('runDaemon: executableName not found → PROPERTIES_INVALID naming it; java never ran', async () => {
  const run = start({ properties: VALID.replace(/^executableName = .*$/m, 'executableName = node-that-is-not-there app.js') });
  await rejectsWith(run.result, LauncherErrorCode.PROPERTIES_INVALID);
  assert.match(run.err.join(''), /node-that-is-not-there.*not found/);
  assert.deepEqual(run.calls(), []);
});

test('runDaemon: a missing properties file → PROPERTIES_INVALID saying it cannot be read', async () => {
  const run = start({ propertiesFile: 'nope.properties' });
  await rejectsWith(run.result, LauncherErrorCode.PROPERTIES_INVALID);
  assert.match(run.err.join(''), /cannot read .*nope\.properties: no such file/);
  assert.deepEqual(run.calls(), []);
});

test('runDaemon: no Java → JAVA_NOT_FOUND; nothing started', async () => {
  const empty = join(root, 'empty-bin');
  mkdirSync(empty, { recursive: true });
  const run = start({ java: undefined, env: { PATH: empty } });
  const err = await rejectsWith(run.result, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.match(err.message, /JAVA_HOME/);
  assert.deepEqual(run.calls(), []);
});

test('runDaemon: Java 8 → JAVA_TOO_OLD; the daemon is not started', async () => {
  const run = start({ env: { FAKE_JAVA_VERSION: '1.8.0_402' } });
  const err = await rejectsWith(run.result, LauncherErrorCode.JAVA_TOO_OLD);
  assert.match(err.message, /Java 8/);
  assert.deepEqual(run.calls(), [['-version']]);
});

test('runDaemon: jarsDir without the jars → JARS_MISSING; the daemon is not started', async () => {
  const empty = join(root, 'no-jars');
  mkdirSync(empty, { recursive: true });
  const run = start({ jarsDir: empty });
  const err = await rejectsWith(run.result, LauncherErrorCode.JARS_MISSING);
  assert.ok(err.message.includes(`${readLock('kcl-multilang').files[0]!.file} is missing`), err.message);
  assert.deepEqual(run.calls(), [['-version']]);
});

// ---- time-limited batch runs, the side channel, summaries ------------------------------------------------

function status(shardId: string, pid: number, extra: object = {}): object {
  return { shardId, pid, state: 'ended', processed: 10, retried: 1, deadLettered: 0, skipped: 0, failed: 0, updatedAt: new Date().toISOString(), ...extra };
}

test('runDaemon: shard processes get KCL_TS_STATUS_DIR, KCL_TS_APPLICATION and KCL_TS_STREAM', async () => {
  const run = start({ mode: 'exit:0' });
  const rec = await run.ready();
  assert.match(rec.env.KCL_TS_STATUS_DIR!, /kcl-ts-status-/);
  assert.equal(rec.env.KCL_TS_APPLICATION, 'app');
  assert.equal(rec.env.KCL_TS_STREAM, 'orders');
  // Where shard processes log: the launcher's stdout when it can be shared (child-env.test.ts runs the CLI for real).
  assert.equal(rec.env.KCL_TS_LOG_DEST, canShareStdout() ? `/proc/${process.pid}/fd/1` : undefined);
  assert.match(rec.env.NODE_OPTIONS!, /^--import file:\/\/\/.*\/register-child\.js$/, 'shard processes get the stdout guard');
  assert.equal(await run.result, EXIT_DAEMON_GAVE_UP);
  assert.ok(!existsSync(rec.env.KCL_TS_STATUS_DIR!), 'status folder removed at the end');
});

test('runDaemon --max-runtime: a graceful stop after the limit, exit 0, and a summary file per shard', async () => {
  const statuses = [
    status('shardId-000000000000', 101, { lastCheckpoint: { sequenceNumber: '5', subSequenceNumber: 0 } }),
    status('shardId-000000000000', 102, { processed: 5, lastCheckpoint: { sequenceNumber: '9', subSequenceNumber: 2 } }),
    status('shardId-000000000001', 103, { deadLettered: 2 }),
  ];
  const t0 = Date.now();
  const run = start({ maxRuntimeMs: 300, summaryFile: 'summary.json', env: { FAKE_JAVA_STATUS: JSON.stringify(statuses) } });
  assert.equal(await run.result, 0);
  assert.ok(Date.now() - t0 >= 300);
  assert.deepEqual(run.marker(), ['SIGTERM']);
  const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as {
    reason: string;
    exitCode: number;
    daemonExitCode: number;
    shards: { shardId: string; processes: number; processed: number; retried: number; deadLettered: number; lastCheckpoint?: object; stoppedOnFailure: boolean }[];
  };
  assert.equal(summary.reason, 'max-runtime');
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.daemonExitCode, 143);
  assert.deepEqual(
    summary.shards.map((s) => [s.shardId, s.processes, s.processed, s.retried, s.deadLettered, s.stoppedOnFailure]),
    [
      ['shardId-000000000000', 2, 15, 2, 0, false],
      ['shardId-000000000001', 1, 10, 1, 2, false],
    ],
  );
  assert.deepEqual(summary.shards[0]!.lastCheckpoint, { sequenceNumber: '9', subSequenceNumber: 2 }, 'the later checkpoint of the shard');
  assert.match(run.err.join(''), /shardId-000000000001: processed 10, retried 1, dead-lettered 2/);
});

test(`runDaemon: a shard that stopped on a failure makes the exit code ${EXIT_SHARD_FAILED} even when the daemon ended cleanly`, async () => {
  const failed = status('shardId-000000000003', 104, { state: 'stopped-on-failure', failed: 1, failure: { partitionKey: 'k', sequenceNumber: '77', subSequenceNumber: 0, error: 'poison' } });
  const run = start({ maxRuntimeMs: 300, env: { FAKE_JAVA_STATUS: JSON.stringify([failed]) } });
  await run.ready();
  assert.equal(await run.result, EXIT_SHARD_FAILED);
  assert.match(run.err.join(''), /STOPPED ON FAILURE at 77 \(poison\)/);
});

test('runDaemon --stop-on-failure: the worker is shut down gracefully as soon as a shard stops on a failure', async () => {
  const failed = status('shardId-000000000004', 105, { state: 'stopped-on-failure', failed: 1 });
  const t0 = Date.now();
  const run = start({ stopOnFailure: true, env: { FAKE_JAVA_STATUS: JSON.stringify([failed]), FAKE_JAVA_STATUS_DELAY_MS: '200' } });
  assert.equal(await run.result, EXIT_SHARD_FAILED);
  assert.deepEqual(run.marker(), ['SIGTERM']);
  assert.ok(Date.now() - t0 < 5000);
  assert.match(run.err.join(''), /shardId-000000000004 stopped on a failed record \(--stop-on-failure\)/);
});

test('parseDuration and summarizeShards', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1500ms'), 1500);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('5 minutes'), undefined);
  const shards = summarizeShards([
    status('s1', 1, { lastCheckpoint: { sequenceNumber: '10', subSequenceNumber: 0 } }) as never,
    status('s1', 2, { lastCheckpoint: { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 } }) as never,
    status('unknown', 3) as never,
  ]);
  assert.equal(shards.length, 1, 'processes that never got a shard are left out');
  assert.equal(shards[0]!.lastCheckpoint!.sequenceNumber, 'SHARD_END');
});
