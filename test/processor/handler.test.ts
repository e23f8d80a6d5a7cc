import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { ExitCode, KclTsError, run, type KinesisRecord, type RecordContext } from '../../src/index.js';

/** A promise with its resolve function, to hold handlers until a test lets them go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const quiet = { statsIntervalMs: 0 };

test('records of one key run in order, one at a time; keys run concurrently up to the cap', async () => {
  const seen = new Map<string, number[]>();
  let running = 0;
  let maxRunning = 0;
  const perKeyRunning = new Map<string, number>();
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    concurrency: 8,
    async handle(record: KinesisRecord) {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const k = record.partitionKey;
      perKeyRunning.set(k, (perKeyRunning.get(k) ?? 0) + 1);
      assert.equal(perKeyRunning.get(k), 1, `two records of ${k} at once`);
      await sleep(Math.random() * 3);
      (seen.get(k) ?? seen.set(k, []).get(k)!).push(record.json<{ n: number }>().n);
      perKeyRunning.set(k, 0);
      running--;
    },
  });
  const f = new RecordFactory();
  await daemon.initialize();
  for (let b = 0; b < 4; b++) await daemon.processRecords(f.batch({ count: 200, keys: 20, data: (i) => ({ n: b * 200 + i }) }));
  await daemon.shutdownRequested();
  for (const [key, ns] of seen) assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `order of ${key}`);
  assert.equal([...seen.values()].reduce((n, l) => n + l.length, 0), 800);
  assert.ok(maxRunning > 1 && maxRunning <= 8, `max concurrent ${maxRunning}`);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, f.peekSequence().replace(/\d+$/, (s) => (BigInt(s) - 1n).toString()));
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
});

test('pipelining: processRecords is answered once accepted; the watermark is checkpointed at the next message', async () => {
  const g = gate();
  const daemon = FakeDaemon.inProcess({ ...quiet, handle: () => g.promise });
  const f = new RecordFactory();
  await daemon.initialize();
  const first = f.batch({ count: 5, keys: 5 });
  await daemon.processRecords(first); // answered while all 5 handlers wait
  assert.equal(daemon.checkpoints.length, 0);
  g.open();
  await sleep(10);
  await daemon.processRecords([]); // an empty batch (callProcessRecordsEvenForEmptyRecordList) is a checkpoint chance
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [first[4]!.sequenceNumber]);
});

test('the watermark never passes an unfinished record, whatever finished after it', async () => {
  const slow = gate();
  const f = new RecordFactory();
  const batch = f.batch({ count: 6, keys: 6 });
  const daemon = FakeDaemon.inProcess({ ...quiet, handle: (r: KinesisRecord) => (r.sequenceNumber === batch[2]!.sequenceNumber ? slow.promise : undefined) });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await sleep(10);
  await daemon.processRecords([]);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[1]!.sequenceNumber], 'stops before record 2');
  slow.open();
  await sleep(10);
  await daemon.processRecords([]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[5]!.sequenceNumber);
});

test('checkpoints carry the sub-sequence number of de-aggregated records', async () => {
  const f = new RecordFactory();
  const batch = f.batch({ count: 8, keys: 2, aggregate: 4 });
  const hold = gate();
  const held = batch[6]!; // sub-sequence 2 of the second aggregate
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    handle: (r: KinesisRecord) => (r.sequenceNumber === held.sequenceNumber && r.subSequenceNumber === held.subSequenceNumber ? hold.promise : undefined),
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await sleep(10);
  await daemon.processRecords([]);
  assert.deepEqual(daemon.checkpoints.map((c) => [c.sequenceNumber, c.subSequenceNumber]), [[batch[5]!.sequenceNumber, 1]]);
  hold.open();
});

test('backpressure: the reply is held while in-flight records exceed the bound, and progress is checkpointed meanwhile', async () => {
  const gates = new Map<string, ReturnType<typeof gate>>();
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    maxInFlightRecords: 10,
    checkpointInterval: { ms: 20 },
    handle: (r: KinesisRecord) => {
      const g = gate();
      gates.set(r.sequenceNumber, g);
      return g.promise;
    },
  });
  const f = new RecordFactory();
  const batch = f.batch({ count: 20, keys: 20 });
  await daemon.initialize();
  let answered = false;
  const reply = daemon.processRecords(batch).then(() => (answered = true));
  await sleep(50);
  assert.equal(answered, false, 'reply held: 20 in flight > 10');
  for (const r of batch.slice(0, 11)) gates.get(r.sequenceNumber)!.open();
  await reply;
  assert.ok(daemon.checkpoints.length >= 1, 'checkpointed while holding the reply');
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[10]!.sequenceNumber);
  for (const r of batch.slice(11)) gates.get(r.sequenceNumber)!.open();
});

test('checkpointInterval by records: no checkpoint until enough records passed the watermark', async () => {
  const daemon = FakeDaemon.inProcess({ ...quiet, checkpointInterval: { records: 25 }, handle: () => undefined });
  const f = new RecordFactory();
  await daemon.initialize();
  await daemon.processRecords(f.batch({ count: 10 }));
  await daemon.processRecords(f.batch({ count: 10 }));
  await sleep(5);
  await daemon.processRecords(f.batch({ count: 10 }));
  assert.equal(daemon.checkpoints.length, 0, '20 records passed < 25');
  await sleep(5);
  await daemon.processRecords([]);
  assert.equal(daemon.checkpoints.length, 1, '30 records passed');
});

test('shutdownRequested drains queued and running work, then checkpoints the last record', async () => {
  let done = 0;
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    concurrency: 2,
    handle: async () => {
      await sleep(5);
      done++;
    },
  });
  const f = new RecordFactory();
  const batch = f.batch({ count: 20, keys: 4 });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(done, 20);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[19]!.sequenceNumber);
  assert.equal(daemon.checkpoints.at(-1)!.during, 'shutdownRequested');
});

test('a drain timeout aborts running handlers and checkpoints only what finished', async () => {
  let aborted = 0;
  const f = new RecordFactory();
  const batch = f.batch({ count: 3, keys: 3 });
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    drainTimeoutMs: 50,
    handle: (r: KinesisRecord, ctx: RecordContext) =>
      r.sequenceNumber === batch[1]!.sequenceNumber
        ? new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => (aborted++, reject(new Error('aborted')))))
        : undefined,
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(aborted, 1);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber]);
});

test('shardEnded: SHARD_END once every record finished', async () => {
  const daemon = FakeDaemon.inProcess({ ...quiet, handle: () => sleep(2) });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 30, keys: 3 }));
  await daemon.shardEnded();
  assert.equal(daemon.checkpoints.at(-1)!.shardEnd, true);
  assert.equal(await daemon.close(), ExitCode.OK);
});

test('shardEnded with a failed record: no SHARD_END, the checkpoint stays before the failure', async () => {
  const f = new RecordFactory();
  const batch = f.batch({ count: 5, keys: 5 });
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    maxRetries: 0,
    handle: (r: KinesisRecord) => {
      if (r.sequenceNumber === batch[3]!.sequenceNumber) throw new Error('poison');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shardEnded();
  assert.ok(!daemon.checkpoints.some((c) => c.shardEnd));
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber);
});

test('a failed record holds every checkpoint before it; later batches are not processed (delivered again after a restart)', async () => {
  const f = new RecordFactory();
  const handled: string[] = [];
  const first = f.batch({ count: 4, keys: 4 });
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    maxRetries: 0,
    handle: (r: KinesisRecord) => {
      if (r.sequenceNumber === first[1]!.sequenceNumber) throw new Error('poison');
      handled.push(r.sequenceNumber);
    },
  });
  await daemon.initialize();
  await daemon.processRecords(first);
  const second = f.batch({ count: 4, keys: 4 });
  await daemon.processRecords(second);
  await daemon.shutdownRequested();
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [first[0]!.sequenceNumber]);
  assert.ok(!second.some((r) => handled.includes(r.sequenceNumber)), 'no record of the later batch handled');
});

test('leaseLost aborts ctx.signal, drops queued records and never checkpoints', async () => {
  const started: string[] = [];
  let aborted = 0;
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    concurrency: 1,
    handle: (r: KinesisRecord, ctx: RecordContext) => {
      started.push(r.sequenceNumber);
      return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (aborted++, resolve())));
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 10, keys: 1 }));
  await daemon.leaseLost();
  assert.equal(started.length, 1, 'queued records of the key never started');
  assert.equal(aborted, 1);
  assert.equal(daemon.checkpoints.length, 0);
  assert.equal(await daemon.close(), ExitCode.OK);
});

test('handleBatch gets each key\'s records of a batch together, in order, one sub-batch per key at a time', async () => {
  const calls: { key: string; ns: number[] }[] = [];
  const daemon = FakeDaemon.inProcess({
    ...quiet,
    handleBatch: async (records: KinesisRecord[]) => {
      calls.push({ key: records[0]!.partitionKey, ns: records.map((r) => r.json<{ n: number }>().n) });
      assert.ok(records.every((r) => r.partitionKey === records[0]!.partitionKey));
      await sleep(1);
    },
  });
  const f = new RecordFactory();
  await daemon.initialize();
  await daemon.processRecords(f.batch({ count: 12, keys: 3, data: (i) => ({ n: i }) }));
  await daemon.processRecords(f.batch({ count: 6, keys: 3, data: (i) => ({ n: 12 + i }) }));
  await daemon.shutdownRequested();
  assert.equal(calls.length, 6);
  assert.deepEqual(calls.filter((c) => c.key === 'key-0').map((c) => c.ns), [[0, 3, 6, 9], [12, 15]]);
  assert.equal(daemon.checkpoints.at(-1)!.during, 'shutdownRequested');
});

test('ctx carries the shard id, attempt and a logger bound to the record', async () => {
  let ctxSeen: RecordContext | undefined;
  const daemon = FakeDaemon.inProcess({ ...quiet, handle: (_r: KinesisRecord, ctx: RecordContext) => void (ctxSeen = ctx) });
  await daemon.initialize('shardId-000000000042');
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  await daemon.shutdownRequested();
  assert.equal(ctxSeen!.shardId, 'shardId-000000000042');
  assert.equal(ctxSeen!.attempt, 1);
  assert.equal(ctxSeen!.signal.aborted, false);
  assert.equal(typeof ctxSeen!.log.info, 'function');
});

test('options are checked once, with messages naming the option', async () => {
  const cases: [object, RegExp][] = [
    [{}, /exactly one of `handle` and `handleBatch`, got neither/],
    [{ handle: () => undefined, handleBatch: () => undefined }, /got both/],
    [{ handle: () => undefined, concurrency: 0 }, /Expected `concurrency` to be an integer >= 1, got `0` \(number\)/],
    [{ handle: () => undefined, maxInFlightBytes: 1.5 }, /`maxInFlightBytes`/],
    [{ handle: 'x' }, /Expected `handle` to be a function/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(run(options as never), (err: Error) => err instanceof KclTsError && message.test(err.message));
  }
});
