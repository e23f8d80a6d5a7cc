// What `kcl-ts run` gives the shard processes: where they log (the launcher's stdout, issue 13 item 6)
// and the stdout guard through NODE_OPTIONS (item 8), checked with real child processes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { canShareStdout, GUARD_URL, nodeOptionsWithGuard, shardLogDestination, shardProcessEnv } from '../../src/launcher/child-env.js';
import { ensureJars } from '../../src/launcher/jars.js';
import { packageRoot } from '../../src/launcher/package-root.js';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { fixture, readLog, tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-child-env-');
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

test('shardLogDestination: the launcher stdout unless PID 1 or set by the user', () => {
  assert.equal(shardLogDestination({}, 4242, true), '/proc/4242/fd/1');
  assert.equal(shardLogDestination({}, 1, true), undefined, 'as PID 1 the children default /proc/1/fd/1 is the same');
  assert.equal(shardLogDestination({}, 4242, false), undefined, 'stdout that cannot be shared: the children choose');
  assert.equal(shardLogDestination({ KCL_TS_LOG_DEST: '/var/log/x.log' }, 4242, true), '/var/log/x.log');
  assert.equal(typeof canShareStdout(), 'boolean');
});

test('nodeOptionsWithGuard: appended once, after what the user set; KCL_TS_STDOUT_GUARD=0 turns it off', () => {
  assert.equal(nodeOptionsWithGuard({}, 'file:///g.js'), '--import file:///g.js');
  assert.equal(nodeOptionsWithGuard({ NODE_OPTIONS: '--enable-source-maps' }, 'file:///g.js'), '--enable-source-maps --import file:///g.js');
  assert.equal(nodeOptionsWithGuard({ NODE_OPTIONS: '--import file:///g.js' }, 'file:///g.js'), '--import file:///g.js');
  assert.equal(nodeOptionsWithGuard({ KCL_TS_STDOUT_GUARD: '0' }, 'file:///g.js'), undefined);
  assert.match(GUARD_URL, /^file:\/\/\/.*\/register-child\.js$/);
});

/** Runs the console-at-load consumer through a whole shard under the FakeDaemon with `env`. */
async function consumerAtLoad(env: NodeJS.ProcessEnv): Promise<{ daemon: FakeDaemon; log: string; seen: { nodeOptions: string | null } }> {
  const dir = join(root, `c${++counter}`);
  const logFile = `${dir}.log`;
  const out = `${dir}.json`;
  const daemon = FakeDaemon.spawn(process.execPath, [fixture('console-at-load')], { env: { PATH: process.env.PATH, ...env, KCL_TS_LOG_DEST: logFile, FIXTURE_OUT: out } });
  const records = new RecordFactory();
  await daemon.initialize();
  const batch = records.batch({ count: 5, keys: 2 });
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  assert.equal(await daemon.close(), 0, daemon.stderrLines.join('\n'));
  assert.equal(daemon.checkpoints.at(-1)?.sequenceNumber, batch.at(-1)!.sequenceNumber, 'the protocol works');
  return { daemon, log: readFileSync(logFile, 'utf8'), seen: JSON.parse(readFileSync(out, 'utf8')) as { nodeOptions: string | null } };
}

test('without the guard, a console.log at module load reaches the daemon as a stray line (why the launcher adds it)', async () => {
  const { daemon } = await consumerAtLoad({});
  assert.deepEqual(daemon.strayLines, ['hello at load', 'a raw write at load']);
});

test("with the launcher's environment, output at module load goes to the log; NODE_OPTIONS does not reach the consumer's own children", async () => {
  const env = shardProcessEnv({ PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps' }, { shareStdout: false });
  const { daemon, log, seen } = await consumerAtLoad(env);
  assert.deepEqual(daemon.strayLines, []);
  const lines = readLog(log === '' ? '/nonexistent' : join(root, `c${counter}.log`));
  assert.ok(lines.some((l) => l.msg === 'hello at load'), log);
  assert.ok(lines.some((l) => l.text === 'a raw write at load'), log);
  assert.equal(seen.nodeOptions, '--enable-source-maps', 'the guard took itself out of NODE_OPTIONS');
});

test('the guard of another kcl-ts copy (dist/) does not swallow the protocol of the consumer’s copy', async () => {
  const distGuard = pathToFileURL(join(packageRoot(), 'dist', 'register-child.js')).href;
  assert.notEqual(distGuard, GUARD_URL, 'two copies: dist/ and the compiled tests');
  const { daemon, log } = await consumerAtLoad(shardProcessEnv({ PATH: process.env.PATH }, { shareStdout: false, guardUrl: distGuard }));
  assert.deepEqual(daemon.strayLines, []);
  assert.match(log, /hello at load/);
});

let jarsDir: string;
before(async () => {
  jarsDir = (await ensureJars('kcl-multilang', { env: process.env })).dir;
});

test("kcl-ts run (not PID 1): a shard process's log reaches the launcher's own stdout", async () => {
  const java = join(root, 'java');
  writeFileSync(java, `#!/bin/sh\nFAKE_JAVA_NODE_OPTIONS="$NODE_OPTIONS" exec env -u NODE_OPTIONS '${process.execPath}' '${fixture('fake-java')}' "$@"\n`);
  chmodSync(java, 0o755);
  const consumer = join(root, 'consumer.mjs');
  writeFileSync(consumer, '');
  writeFileSync(
    join(root, 'app.properties'),
    [`executableName = ${process.execPath} ${consumer}`, 'applicationName = app', 'streamName = s', 'AWSCredentialsProvider = DefaultCredentialsProvider', 'regionName = us-east-1', 'shutdownGraceMillis = 20000', 'retrievalMode = POLLING'].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_JAVA_MODE: 'exit:0', FAKE_JAVA_SHARD: fixture('shard-log-line'), FAKE_JAVA_RECORD: join(root, 'rec.json') };
  delete env.KCL_TS_LOG_DEST;
  // The launcher's stdout: a file opened for appending (`kcl-ts run >> app.log`); a terminal or a pipe work
  // the same way. (Node's own 'pipe' is a socket, which /proc/<pid>/fd/1 cannot open.)
  const outFile = join(root, 'launcher-stdout.log');
  const outFd = openSync(outFile, 'a');
  const cli = spawn(process.execPath, [join(packageRoot(), 'bin', 'kcl-ts.js'), 'run', '-p', 'app.properties', '--java', java, '--jars', jarsDir, '--no-preflight'], {
    cwd: root,
    env,
    stdio: ['ignore', outFd, 'pipe'],
  });
  closeSync(outFd);
  let err = '';
  cli.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  const out = readFileSync(outFile, 'utf8');
  assert.equal(code, 11, err);
  const line = out.split('\n').find((l) => l.includes('hello from a shard process'));
  assert.ok(line, `the shard's log line is on the launcher's stdout; stdout: ${out}\nstderr: ${err}\n${readFileSync(join(root, 'rec.json'), 'utf8')}`);
  assert.match(line, new RegExp(`"dest":"/proc/${cli.pid}/fd/1"`));
});
