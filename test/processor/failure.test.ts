import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeDaemon, MemorySink, RecordFactory } from '../../src/testing/index.js';
import { KclTsError, NonRetryableError, run, type FailureDecision, type KinesisRecord, type RecordContext } from '../../src/index.js';

const fast = { statsIntervalMs: 0, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

test('a failing handler is retried with ctx.attempt counting up, then the record counts as processed', async () => {
  const attempts: number[] = [];
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 3,
    handle: (_r: KinesisRecord, ctx: RecordContext) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error('transient');
    },
  });
  const batch = new RecordFactory().batch({ count: 1 });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[0]!.sequenceNumber);
});

test('NonRetryableError skips the retries', async () => {
  let calls = 0;
  const sink = new MemorySink();
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 5,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handle: () => {
      calls++;
      throw new NonRetryableError('not JSON');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  await daemon.shutdownRequested();
  assert.equal(calls, 1);
  assert.equal(sink.entries[0]!.attempts, 1);
  assert.equal(sink.entries[0]!.error.name, 'NonRetryableError');
});

test('retries of one key never hold up other keys (the slot is freed while it waits)', async () => {
  const done: string[] = [];
  const daemon = FakeDaemon.inProcess({
    statsIntervalMs: 0,
    concurrency: 1,
    maxRetries: 1,
    retryBaseDelayMs: 300,
    retryMaxDelayMs: 300,
    handle: (r: KinesisRecord, ctx: RecordContext) => {
      if (r.partitionKey === 'slow' && ctx.attempt === 1) throw new Error('once');
      done.push(`${r.partitionKey}@${Date.now()}`);
    },
  });
  const f = new RecordFactory();
  await daemon.initialize();
  const t0 = Date.now();
  await daemon.processRecords([f.record({ partitionKey: 'slow' }), ...Array.from({ length: 5 }, (_, i) => f.record({ partitionKey: `k${i}` }))]);
  await daemon.shutdownRequested();
  const at = (k: string) => Number(done.find((d) => d.startsWith(`${k}@`))!.split('@')[1]) - t0;
  for (let i = 0; i < 5; i++) assert.ok(at(`k${i}`) < 150, `k${i} done after ${at(`k${i}`)} ms, not after the 300 ms retry`);
  assert.ok(at('slow') >= 150);
});

test('records of a key wait for the earlier record\'s retries: order holds', async () => {
  const order: number[] = [];
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 2,
    handle: (r: KinesisRecord, ctx: RecordContext) => {
      const n = r.json<{ n: number }>().n;
      if (n === 0 && ctx.attempt < 3) throw new Error('retry me');
      order.push(n);
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 4, keys: 1, data: (i) => ({ n: i }) }));
  await daemon.shutdownRequested();
  assert.deepEqual(order, [0, 1, 2, 3]);
});

test("'dead-letter': the sink holds exactly the failed records, complete; the checkpoint passes them once confirmed", async () => {
  const sink = new MemorySink();
  const f = new RecordFactory();
  const batch = f.batch({ count: 6, keys: 3, data: (i) => ({ n: i }) });
  const bad = new Set([batch[1]!.sequenceNumber, batch[4]!.sequenceNumber]);
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 1,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handle: (r: KinesisRecord) => {
      if (bad.has(r.sequenceNumber)) throw new TypeError(`bad record ${r.sequenceNumber}`);
    },
  });
  await daemon.initialize('shardId-000000000009');
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(sink.entries.map((e) => e.sequenceNumber).sort(), [...bad].sort());
  const e = sink.entries.find((x) => x.sequenceNumber === batch[1]!.sequenceNumber)!;
  assert.equal(e.shardId, 'shardId-000000000009');
  assert.equal(e.partitionKey, batch[1]!.partitionKey);
  assert.equal(e.subSequenceNumber, 0);
  assert.equal(e.data, batch[1]!.data);
  assert.equal(e.attempts, 2);
  assert.equal(e.error.name, 'TypeError');
  assert.match(e.error.message, /bad record/);
  assert.ok(e.error.stack && e.approximateArrivalTimestamp && e.failedAt);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[5]!.sequenceNumber, 'checkpoint passed the dead letters');
});

/** Three records of three keys whose second always fails, dead-lettered into a sink that fails until healed. */
async function poisonedSecond(extra: object = {}) {
  const sink = new MemorySink();
  sink.fail(Infinity);
  const batch = new RecordFactory().batch({ count: 3, keys: 3 });
  const daemon = FakeDaemon.inProcess({
    ...fast,
    ...extra,
    maxRetries: 0,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handle: (r: KinesisRecord) => {
      if (r.sequenceNumber === batch[1]!.sequenceNumber) throw new Error('poison');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  return { sink, batch, daemon };
}

test('a failing sink never lets the watermark pass the record; it is retried until it confirms', async () => {
  const { sink, batch, daemon } = await poisonedSecond();
  await sleep(100);
  await daemon.processRecords([]);
  assert.ok(sink.writes >= 2, `sink retried (${sink.writes} writes)`);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber], 'stays before the record');
  sink.heal();
  await sleep(60);
  await daemon.processRecords([]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber);
  assert.equal(sink.entries.length, 1);
});

test('a sink that never recovers: shutdown checkpoints only before the record', async () => {
  const { sink, batch, daemon } = await poisonedSecond({ drainTimeoutMs: 200 });
  await daemon.shutdownRequested();
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber]);
  assert.equal(sink.entries.length, 0);
});

test('a policy function decides per record: skip, dead-letter or stop-shard', async () => {
  const sink = new MemorySink();
  const f = new RecordFactory();
  const batch = f.batch({ count: 4, keys: 4, data: (i) => ({ action: ['skip', 'dead-letter', 'ok', 'stop-shard'][i] }) });
  const decided: string[] = [];
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 0,
    deadLetter: sink,
    onFailure: (record: KinesisRecord) => {
      const action = record.json<{ action: FailureDecision }>().action;
      decided.push(action);
      return action;
    },
    handle: (r: KinesisRecord) => {
      if (r.json<{ action: string }>().action !== 'ok') throw new Error('fails');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(decided.sort(), ['dead-letter', 'skip', 'stop-shard']);
  assert.deepEqual(sink.entries.map((e) => e.sequenceNumber), [batch[1]!.sequenceNumber]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber, 'skip and dead-letter passed, stop-shard holds');
});

test('handleBatch: a failed sub-batch dead-letters each of its records', async () => {
  const sink = new MemorySink();
  const f = new RecordFactory();
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 0,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handleBatch: (records: KinesisRecord[]) => {
      if (records[0]!.partitionKey === 'key-1') throw new Error('bad sub-batch');
    },
  });
  const batch = f.batch({ count: 9, keys: 3 });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(sink.entries.map((e) => e.partitionKey), ['key-1', 'key-1', 'key-1']);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[8]!.sequenceNumber);
});

test('handleBatch with an async policy function: it is asked about each record in order and each answer is kept', async () => {
  const sink = new MemorySink();
  const f = new RecordFactory();
  const asked: number[] = [];
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 0,
    deadLetter: sink,
    onFailure: async (record: KinesisRecord) => {
      const n = record.json<{ n: number }>().n;
      asked.push(n);
      await sleep(1);
      return n % 2 === 0 ? 'dead-letter' : 'skip';
    },
    handleBatch: () => {
      throw new Error('bad sub-batch');
    },
  });
  const batch = f.batch({ count: 5, keys: 1, data: (n) => ({ n }) });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(asked, [0, 1, 2, 3, 4]);
  assert.deepEqual(sink.entries.map((e) => e.sequenceNumber), [0, 2, 4].map((i) => batch[i]!.sequenceNumber));
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[4]!.sequenceNumber);
});

test('a 1 MB record (the Kinesis maximum) is processed, and dead-lettered intact', async () => {
  const sink = new MemorySink();
  const payload = Buffer.alloc(1024 * 1024, 7);
  payload.write('{"big":true,"pad":"', 0);
  const daemon = FakeDaemon.inProcess({
    ...fast,
    maxRetries: 0,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handle: (r: KinesisRecord) => {
      assert.equal(r.size, 1024 * 1024);
      assert.ok(r.data.equals(payload));
      r.json(); // not JSON: a poison record like any other
    },
  });
  await daemon.initialize();
  await daemon.processRecords([new RecordFactory().record({ data: payload })]);
  await daemon.shutdownRequested();
  assert.equal(sink.entries.length, 1);
  assert.ok(Buffer.from(sink.entries[0]!.data, 'base64').equals(payload));
  assert.equal(sink.entries[0]!.error.code, 'KCLTS_ERR_RECORD_INVALID_JSON');
});

test("onFailure: 'dead-letter' without a sink is refused at start", async () => {
  await assert.rejects(
    run({ handle: () => undefined, onFailure: 'dead-letter' } as never),
    (err: Error) => err instanceof KclTsError && /needs a `deadLetter` sink/.test(err.message),
  );
});
