// `import 'kcl-ts/register'` claims stdout and logging before run() is called; run({ log }) must still
// decide where and at which level the shard logs (the README's first example uses both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { ExitCode } from '../../src/index.js';
import { fixture, readLog, tempDir } from '../helpers.js';

async function runFixture(env: NodeJS.ProcessEnv): Promise<FakeDaemon> {
  const daemon = FakeDaemon.spawn(process.execPath, [fixture('register-run-log')], { env: { ...process.env, ...env } });
  await daemon.initialize('shardId-000000000002');
  await daemon.processRecords(new RecordFactory().batch({ count: 2 }));
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.deepEqual(daemon.strayLines, []);
  return daemon;
}

const messages = (path: string) => readLog(path).map((l) => String(l.msg));

test('register, then run({ log: { destination, level } }): the shard logs there, at that level', async () => {
  const dir = tempDir('kcl-ts-register-');
  try {
    const envLog = join(dir, 'env.log');
    const runLog = join(dir, 'run.log');
    await runFixture({ KCL_TS_LOG_DEST: envLog, KCL_TS_LOG_LEVEL: 'info', RUN_LOG_DEST: runLog, RUN_LOG_LEVEL: 'debug' });
    const ran = messages(runLog);
    assert.equal(ran.filter((m) => m === 'handled at debug').length, 2, `run.log: ${ran.join(' | ')}`);
    assert.ok(ran.includes('initialize') && ran.includes('console in handler') && ran.some((m) => m.startsWith('exiting')));
    assert.ok(readLog(runLog).find((l) => l.msg === 'handled at debug')!.shardId === 'shardId-000000000002');
    const before = messages(envLog);
    assert.ok(before.includes('logged at module load'), 'what was logged before run() stays where register sent it');
    assert.ok(!before.some((m) => m === 'initialize' || m === 'handled at debug' || m === 'console in handler'), `env.log: ${before.join(' | ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('register, then run({ log: { level } }) only: the level is honoured at the environment destination', async () => {
  const dir = tempDir('kcl-ts-register-');
  try {
    const envLog = join(dir, 'env.log');
    await runFixture({ KCL_TS_LOG_DEST: envLog, KCL_TS_LOG_LEVEL: 'info', RUN_LOG_LEVEL: 'debug' });
    const logged = messages(envLog);
    assert.equal(logged.filter((m) => m === 'handled at debug').length, 2, logged.join(' | '));
    assert.ok(logged.includes('logged at module load'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
