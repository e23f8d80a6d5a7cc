import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { ExitCode } from '../../src/index.js';
import { fixture, readLog, sleep, tempDir } from '../helpers.js';

function spawnFixture(name: string, logFile: string) {
  return FakeDaemon.spawn(process.execPath, [fixture(name)], {
    env: { ...process.env, KCL_TS_LOG_DEST: logFile, KCL_TS_LOG_LEVEL: 'debug' },
  });
}

test('user code writing to stdout and console never corrupts the protocol; it lands in the log', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('noisy-processor', logFile);
  await daemon.initialize('shardId-000000000003');
  await daemon.processRecords(new RecordFactory().batch({ count: 2 }));
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.deepEqual(daemon.strayLines, [], 'no stray line reached the daemon');
  assert.equal(daemon.checkpoints.length, 1);
  const log = readLog(logFile);
  const texts = log.map((l) => `${String(l.msg)} ${String(l.text ?? '')}`).join('\n');
  for (const expected of ['console.log 2', 'console.info', 'console.debug', 'console.warn', 'console.error', 'raw stdout write', 'bye', 'top-level console.log']) {
    assert.ok(texts.includes(expected), `log has ${expected}`);
  }
  assert.ok(texts.includes('{"action":"status","responseFor":"processRecords"}'), 'a fake status line was diverted, not sent');
  const levels = Object.fromEntries(log.filter((l) => l.source === 'console').map((l) => [String(l.msg).split(' ')[0], l.level]));
  assert.equal(levels['console.warn'], 40);
  assert.equal(levels['console.error'], 50);
  assert.equal(levels['console.debug'], 20);
  const afterInit = log.filter((l) => l.msg === 'console.info');
  assert.equal(afterInit[0]!.shardId, 'shardId-000000000003', 'lines carry the shard id');
});

test('SIGTERM and SIGINT are ignored while the daemon is attached; stdin EOF ends the child', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('noop-processor', logFile);
  await daemon.initialize();
  daemon.child.kill('SIGTERM');
  daemon.child.kill('SIGINT');
  await sleep(200);
  assert.equal(daemon.child.exitCode, null, 'still running');
  await daemon.processRecords(new RecordFactory().batch({ count: 3 }));
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.equal(daemon.checkpoints.length, 2);
  assert.ok(readLog(logFile).some((l) => String(l.msg).startsWith('SIGTERM ignored')));
});

test('an unhandled rejection in user code stops the child without a reply, naming the batch in flight', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('crash-processor', logFile);
  await daemon.initialize();
  const f = new RecordFactory();
  const bad = f.record({ data: 'crash', partitionKey: 'k-crash' });
  await assert.rejects(daemon.processRecords([bad]), /closed stdout/);
  assert.equal(await daemon.exited(), ExitCode.PROCESSOR_FAILED);
  assert.equal(daemon.checkpoints.length, 0);
  const crash = readLog(logFile).find((l) => String(l.msg).startsWith('uncaught error in user code'));
  assert.ok(crash, 'crash logged');
  assert.match(JSON.stringify(crash), new RegExp(bad.sequenceNumber));
  assert.match(JSON.stringify(crash), /background failure/);
});

test('a handler that throws is logged with its batch and exits PROCESSOR_FAILED', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('crash-processor', logFile);
  await daemon.initialize();
  const bad = new RecordFactory().record({ data: 'throw' });
  await assert.rejects(daemon.processRecords([bad]), /closed stdout/);
  assert.equal(await daemon.exited(), ExitCode.PROCESSOR_FAILED);
  const line = readLog(logFile).find((l) => l.level === 50 && String(l.msg).includes('failed'));
  assert.match(JSON.stringify(line), /sync failure in handler/);
  assert.match(JSON.stringify(line), new RegExp(bad.sequenceNumber));
});

test('a malformed line from the daemon: logged with an excerpt, exit PROTOCOL', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('noop-processor', logFile);
  await daemon.initialize();
  daemon.sendRaw('this is not json at all');
  assert.equal(await daemon.exited(), ExitCode.PROTOCOL);
  const line = readLog(logFile).find((l) => l.level === 50);
  assert.match(JSON.stringify(line), /this is not json at all/);
});

test('the child exits promptly on stdin EOF after leaseLost', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = spawnFixture('noop-processor', logFile);
  await daemon.initialize();
  await daemon.leaseLost();
  const started = Date.now();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.ok(Date.now() - started < 5000);
});
