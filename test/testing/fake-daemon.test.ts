// The test kit must behave like the daemon where a processor could otherwise pass tests and fail in
// production, and the runtime must handle what the kit then shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { CheckpointIllegalArgumentError, ExitCode, KinesisRecord, type Checkpointer, type RecordProcessor } from '../../src/index.js';
import { MODES, startScenario } from '../processor/harness.js';

test('a checkpoint before the position given to initialize is refused, as the daemon does (IllegalArgumentException)', async () => {
  const f = new RecordFactory();
  const batch = f.batch({ count: 2 });
  const initial = (BigInt(batch[0]!.sequenceNumber) - 10n).toString();
  const below = (BigInt(initial) - 1n).toString();
  const errors: unknown[] = [];
  const processor: RecordProcessor = {
    async processRecords(_input, c: Checkpointer) {
      await c.checkpoint(below).catch((err: unknown) => errors.push(err));
      await c.checkpoint(initial); // the initial position itself is allowed
      await c.checkpoint();
    },
  };
  const daemon = FakeDaemon.inProcess(processor);
  await daemon.initialize('shardId-000000000001', initial);
  await daemon.processRecords(batch);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof CheckpointIllegalArgumentError);
  assert.deepEqual(
    daemon.checkpointRequests.map((r) => [r.sequenceNumber, r.error]),
    [
      [below, 'IllegalArgumentException'],
      [initial, null],
      [null, null],
    ],
  );
});

test('before any record, a checkpoint at the initialize position is accepted and one past it refused', async () => {
  const results: string[] = [];
  const processor: RecordProcessor = {
    async processRecords() {},
    async shutdownRequested(_s, c) {
      for (const at of ['1000', '1001']) {
        await c.checkpoint(at).then(
          () => results.push(`${at} ok`),
          (err: Error) => results.push(`${at} ${err.name}`),
        );
      }
    },
  };
  const daemon = FakeDaemon.inProcess(processor);
  await daemon.initialize('shardId-000000000001', '1000');
  await daemon.shutdownRequested();
  assert.deepEqual(results, ['1000 ok', '1001 CheckpointIllegalArgumentError']);
});

test('json() accepts a payload that starts with a UTF-8 byte-order mark', () => {
  const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":7}')]);
  const record = new KinesisRecord(new RecordFactory().record({ data }));
  assert.deepEqual(record.json(), { id: 7 });
  assert.throws(() => new KinesisRecord(new RecordFactory().record({ data: Buffer.from([0xef, 0xbb, 0xbf]) })).json(), /is not JSON/);
});

for (const mode of MODES) {
  test(`${mode}: a re-delivered duplicate record is bad daemon input: exit PROTOCOL (3), no reply`, async () => {
    const run = startScenario(mode, {});
    try {
      const d = run.daemon;
      await d.initialize();
      const batch = run.records([{ i: 0 }, { i: 1 }]);
      await d.processRecords(batch);
      await assert.rejects(d.processRecords([batch[1]!]), /closed stdout/);
      assert.equal(await d.exited(), ExitCode.PROTOCOL);
      assert.equal(run.events().filter((e) => e.ev === 'start').length, 2, 'the duplicate did not run');
    } finally {
      run.cleanup();
    }
  });

  test(`${mode}: after a ShutdownException no SHARD_END checkpoint is attempted`, async () => {
    const run = startScenario(mode, {});
    try {
      const d = run.daemon;
      await d.initialize();
      await d.processRecords(run.records([{ i: 0 }]));
      d.failCheckpoints('ShutdownException');
      await d.processRecords(run.records([{ i: 1 }])); // checkpoints record 0: the lease is gone
      await d.shardEnded();
      assert.equal(await run.close(), ExitCode.OK);
      assert.deepEqual(
        d.checkpointRequests.map((r) => [r.during, r.error]),
        [['processRecords', 'ShutdownException']],
        'one refused checkpoint, then none (in particular no SHARD_END)',
      );
    } finally {
      run.cleanup();
    }
  });
}

test('after answering ShutdownException, the fake daemon refuses every later checkpoint the same way', async () => {
  const answers: string[] = [];
  const processor: RecordProcessor = {
    async processRecords(_input, c) {
      await c.checkpoint().then(
        () => answers.push('ok'),
        (err: Error) => answers.push(err.name),
      );
    },
  };
  const daemon = FakeDaemon.inProcess(processor);
  const f = new RecordFactory();
  await daemon.initialize();
  daemon.failCheckpoints('ShutdownException');
  await daemon.processRecords(f.batch({ count: 1 }));
  await daemon.processRecords(f.batch({ count: 1 }));
  assert.deepEqual(answers, ['CheckpointShutdownError', 'CheckpointShutdownError']);
});

test("in-process, run()'s handler options are read through pooled stdin as over the daemon's pipe (a small maxInFlightBytes works)", async () => {
  const daemon = FakeDaemon.inProcess({ statsIntervalMs: 0, maxInFlightBytes: 1000, handle: () => undefined }, { replyTimeoutMs: 3000 });
  const f = new RecordFactory();
  await daemon.initialize();
  let last = '';
  for (let b = 0; b < 3; b++) {
    const batch = f.batch({ count: 50, keys: 5, size: 200 });
    last = batch.at(-1)!.sequenceNumber;
    await daemon.processRecords(batch); // with the reader's block counted against 4 x 1000 bytes, this reply never came
  }
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, last);
});
