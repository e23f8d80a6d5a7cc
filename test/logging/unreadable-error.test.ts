// A handler may throw a value whose properties throw when read (a getter, a Proxy). kcl-ts's loggers
// log it as unreadable instead of throwing, so the record goes through retries and the failure policy
// like any other failure (and is dead-lettered intact), in-process and over a real pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { safeErrorSerializer } from '../../src/logging/index.js';
import { HandlerProcessor, resolveHandlerOptions } from '../../src/processor/index.js';
import { FakeDaemon, MemorySink, RecordFactory } from '../../src/testing/index.js';
import { MODES, startScenario } from '../processor/harness.js';
import { MemoryStatus } from '../processor/runtime-kit.js';
import { unreadableValue, UnreadableError } from '../helpers.js';

test('safeErrorSerializer: an Error as pino serializes it; a value that throws when read, as unreadable', () => {
  const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
  assert.deepEqual(safeErrorSerializer(error), pino.stdSerializers.err(error));
  assert.deepEqual(safeErrorSerializer(unreadableValue()), { type: 'Unreadable', message: 'the thrown value could not be read: no message for you' });
});

test('in-process, with the serializer: an unreadable thrown value is retried, logged, then dead-lettered; the shard goes on', async () => {
  const lines: { msg: string; err?: { type?: string; message?: string } }[] = [];
  const logger = pino(
    { level: 'debug', serializers: { err: safeErrorSerializer } },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    }),
  );
  const sink = new MemorySink();
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b', data: 'bad' }), f.record({ partitionKey: 'a' })];
  let calls = 0;
  const options = resolveHandlerOptions({
    maxRetries: 1,
    retryBaseDelayMs: 2,
    retryMaxDelayMs: 2,
    statsIntervalMs: 0,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handle: (r) => {
      calls++;
      if (r.text() === 'bad') throw unreadableValue();
    },
  });
  const daemon = FakeDaemon.inProcess(new HandlerProcessor(options, logger, {}));
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(calls, 4, 'three records, one retry');
  const retry = lines.find((l) => l.msg === 'handler failed; retrying');
  assert.deepEqual(retry?.err, { type: 'Unreadable', message: 'the thrown value could not be read: no message for you' });
  assert.deepEqual(lines.filter((l) => /^internal error/.test(l.msg)), []);
  assert.deepEqual(sink.entries.map((e) => e.sequenceNumber), [batch[1]!.sequenceNumber]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber);
});

test('over a real pipe (run() and its logger): an unreadable thrown value goes through retries and the policy like any other', { skip: !MODES.includes('pipe') }, async () => {
  const run = startScenario('pipe', { maxRetries: 1, policy: 'dead-letter' });
  try {
    const d = run.daemon;
    await d.initialize();
    const batch = run.records([{ i: 0 }, { i: 1, key: 'b', fail: 'unloggable' }, { i: 2 }]);
    await d.processRecords(batch);
    await d.shutdownRequested();
    await d.leaseLost();
    assert.equal(await run.close(), 0);
    assert.deepEqual(run.events().filter((e) => e.ev === 'start' && e.i === 1).map((e) => e.attempt), [1, 2]);
    assert.deepEqual(run.deadLetters().map((e) => e.sequenceNumber), [batch[1]!.sequenceNumber]);
    assert.equal(d.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber);
    const s = run.status();
    assert.equal(s.state, 'ended');
    assert.equal(s.retried, 1);
    assert.equal(s.deadLettered, 1);
    assert.equal(s.failed, 0);
  } finally {
    run.cleanup();
  }
});

test('with the serializer, an Error whose message getter throws: stop-shard reports a readable reason; a dead letter says it was unreadable', async () => {
  const logger = pino({ level: 'debug', serializers: { err: safeErrorSerializer } }, new Writable({ write: (_c, _e, done) => done() }));
  const f = new RecordFactory();
  for (const policy of ['stop-shard', 'dead-letter'] as const) {
    const sink = new MemorySink();
    const status = new MemoryStatus();
    const options = resolveHandlerOptions({ maxRetries: 0, statsIntervalMs: 0, onFailure: policy, deadLetter: sink, handle: () => { throw new UnreadableError(); } });
    const daemon = FakeDaemon.inProcess(new HandlerProcessor(options, logger, {}, status));
    await daemon.initialize();
    const record = f.record({ partitionKey: 'a' });
    await daemon.processRecords([record]);
    await daemon.shutdownRequested();
    if (policy === 'stop-shard') {
      assert.equal(status.status.state, 'stopped-on-failure');
      assert.equal(status.status.failed, 1);
      assert.equal(status.status.failure?.error, 'the thrown value could not be read: no message for you');
      assert.deepEqual(daemon.checkpoints, []);
    } else {
      assert.deepEqual(sink.entries.map((e) => e.error), [{ name: 'Unreadable', message: 'the thrown value could not be read: no message for you' }]);
      assert.equal(status.status.deadLettered, 1);
      assert.equal(daemon.checkpoints.at(-1)?.sequenceNumber, record.sequenceNumber);
    }
  }
});

