// How the per-record runtime ends a shard, seen from what operators get: shardEnded with unfinished
// records, the drain timeout, leaseLost's report, and a runtime without a status reporter. Written to
// kill the mutants these paths had surviving (issue 16); quick and deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { RecordFactory } from '../../src/testing/index.js';
import type { RecordContext } from '../../src/processor/handler-options.js';
import { ownsRecords } from '../../src/processor/types.js';
import type { KinesisRecord } from '../../src/index.js';
import { runtime } from './runtime-kit.js';

/** A handler that never finishes on its own (it ignores ctx.signal) for records of key `stuck`. */
const stuckOn = (key: string) => (r: KinesisRecord) => (r.partitionKey === key ? new Promise<void>(() => undefined) : undefined);

test('the per-record runtime keeps records past processRecords and releases them itself', () => {
  const { processor } = runtime({ handle: () => undefined });
  assert.equal(ownsRecords(processor), true);
});

test('shardEnded with a record still running after the drain timeout: no SHARD_END, the watermark checkpointed anyway, an error line', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'ok' }), f.record({ partitionKey: 'stuck' }), f.record({ partitionKey: 'ok' })];
  const aborted: string[] = [];
  const { daemon, find, status } = runtime({
    drainTimeoutMs: 60,
    checkpointInterval: { records: 1000 },
    handle: (r: KinesisRecord, ctx: RecordContext) => {
      if (r.partitionKey !== 'stuck') return undefined;
      ctx.signal.addEventListener('abort', () => aborted.push(String((ctx.signal.reason as Error).message)));
      return new Promise<void>(() => undefined);
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  const started = Date.now();
  await daemon.shardEnded();
  assert.ok(Date.now() - started < 900, `the drain waited ${Date.now() - started} ms for a 60 ms timeout`);
  assert.ok(!daemon.checkpoints.some((c) => c.shardEnd), 'no SHARD_END');
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber], 'forced, whatever checkpointInterval says');
  assert.deepEqual(aborted, ['shardEnded: drain timed out']);
  const timedOut = find(/^drain timed out/);
  assert.equal(timedOut.length, 1);
  assert.equal(timedOut[0]!.level, 40);
  assert.equal(timedOut[0]!.why, 'shardEnded');
  assert.equal(timedOut[0]!.inFlight, 1);
  assert.equal(timedOut[0]!.drainTimeoutMs, 60);
  const notEnded = find(/^shardEnded with unfinished or failed records: SHARD_END NOT checkpointed/);
  assert.equal(notEnded.length, 1);
  assert.equal(notEnded[0]!.level, 50);
  assert.equal(notEnded[0]!.pending, 2);
  assert.deepEqual(notEnded[0]!.oldestUnsettled, { sequenceNumber: batch[1]!.sequenceNumber, subSequenceNumber: 0 });
  assert.deepEqual(status.status.lastCheckpoint, { sequenceNumber: batch[0]!.sequenceNumber, subSequenceNumber: 0 });
});

test('shutdownRequested drain timeout: the line names shutdownRequested and ctx.signal says why', async () => {
  const f = new RecordFactory();
  let reason = '';
  const { daemon, find } = runtime({
    drainTimeoutMs: 30,
    handle: (_r: KinesisRecord, ctx: RecordContext) =>
      new Promise<void>(() => ctx.signal.addEventListener('abort', () => (reason = (ctx.signal.reason as Error).message))),
  });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await daemon.shutdownRequested();
  assert.equal(reason, 'shutdownRequested: drain timed out');
  assert.equal(find(/^drain timed out/)[0]!.why, 'shutdownRequested');
});

test('drainTimeoutMs: 0 with nothing in flight: no drain-timeout line, ctx.signal not aborted', async () => {
  const f = new RecordFactory();
  let signal: AbortSignal | undefined;
  const { daemon, find } = runtime({
    drainTimeoutMs: 0,
    handle: (_r: KinesisRecord, ctx: RecordContext) => void (signal = ctx.signal),
  });
  await daemon.initialize();
  const batch = [f.record({ partitionKey: 'a' })];
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(find(/^drain timed out/), []);
  assert.equal(signal!.aborted, false);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[0]!.sequenceNumber);
});

test('shardEnded with everything done: SHARD_END, and the status says so; a failed SHARD_END checkpoint is logged as SHARD_END', async () => {
  const f = new RecordFactory();
  const ok = runtime({ handle: () => undefined });
  await ok.daemon.initialize();
  await ok.daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await ok.daemon.shardEnded();
  assert.equal(ok.daemon.checkpoints.at(-1)!.shardEnd, true);
  assert.deepEqual(ok.status.status.lastCheckpoint, { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 });

  const failing = runtime({ handle: () => undefined });
  await failing.daemon.initialize();
  await failing.daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await failing.daemon.processRecords([]); // the watermark is checkpointed here
  failing.daemon.failCheckpoints('InvalidStateException');
  await failing.daemon.shardEnded();
  const lines = failing.find('checkpoint failed; the next message tries again');
  assert.deepEqual(lines.map((l) => l.at), ['SHARD_END']);
  assert.notDeepEqual(failing.status.status.lastCheckpoint, { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 });
});

test('leaseLost reports what it dropped and what still ran; nothing when nothing was left', async () => {
  const f = new RecordFactory();
  // Nothing left: no line.
  const idle = runtime({ handle: () => undefined });
  await idle.daemon.initialize();
  await idle.daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await idle.daemon.leaseLost();
  assert.deepEqual(idle.find(/^leaseLost:/), []);

  // Running only (one handler, ends on abort with the lease-lost reason).
  let reason = '';
  const running = runtime({
    handle: (_r: KinesisRecord, ctx: RecordContext) =>
      new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          reason = (ctx.signal.reason as Error).message;
          resolve();
        }),
      ),
  });
  await running.daemon.initialize();
  await running.daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await running.daemon.leaseLost();
  assert.equal(reason, 'lease lost');
  const r = running.find(/^leaseLost: queued records dropped \(the new owner processes them from its checkpoint\); running handlers aborted/);
  assert.equal(r.length, 1);
  assert.equal(r[0]!.level, 40);
  assert.equal(r[0]!.droppedRecords, 0);
  assert.equal(r[0]!.running, 1);

  // Queued only: one record waits for its retry (no slot held), handleBatch sub-batches of 3 and 2 records.
  const queued = runtime({
    maxRetries: 5,
    retryBaseDelayMs: 10_000,
    retryMaxDelayMs: 10_000,
    leaseLostGraceMs: 50,
    handleBatch: () => {
      throw new Error('retry later');
    },
  });
  await queued.daemon.initialize();
  await queued.daemon.processRecords([...Array.from({ length: 3 }, () => f.record({ partitionKey: 'x' })), ...Array.from({ length: 2 }, () => f.record({ partitionKey: 'y' }))]);
  await tick();
  await queued.daemon.leaseLost();
  const q = queued.find(/^leaseLost:/);
  assert.equal(q.length, 1);
  assert.equal(q[0]!.droppedRecords, 5);
  assert.equal(q[0]!.running, 0);
});

test('without a status reporter: stop-shard and the stats line work (no internal error, no crash)', async () => {
  const f = new RecordFactory();
  const { daemon, find } = runtime({ maxRetries: 0, statsIntervalMs: 5, handle: () => Promise.reject(new Error('fails')) }, { withStatus: false });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await sleep(30);
  assert.equal(find(/^handler failed \(stop-shard\)/).length, 1);
  assert.deepEqual(find(/^internal error running a job/), []);
  const stats = find('stats');
  assert.ok(stats.length > 0);
  assert.equal(stats.at(-1)!.stopped, true);
  await daemon.shardEnded();
});

test('handleBatch: a sub-batch counts its bytes toward maxInFlightBytes (the reply waits)', async () => {
  const f = new RecordFactory();
  let release!: () => void;
  const { daemon } = runtime({ maxInFlightBytes: 100, handleBatch: () => new Promise<void>((resolve) => (release = resolve)) });
  await daemon.initialize();
  let answered = false;
  const reply = daemon.processRecords([f.record({ partitionKey: 'a', data: 'x'.repeat(60) }), f.record({ partitionKey: 'a', data: 'y'.repeat(60) })]).then(() => (answered = true));
  await sleep(20);
  assert.equal(answered, false, '120 bytes in flight of at most 100');
  release();
  await reply;
  await daemon.shutdownRequested();
});

test('a synchronous handler finishes before the next record of the batch starts (no promise in between)', async () => {
  const f = new RecordFactory();
  let flag = false;
  const seen: boolean[] = [];
  const { daemon } = runtime({
    concurrency: 1,
    handle: () => {
      seen.push(flag);
      queueMicrotask(() => (flag = true));
    },
  });
  await daemon.initialize();
  flag = false;
  await daemon.processRecords([f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' })]);
  assert.deepEqual(seen, [false, false]);
  await daemon.shutdownRequested();
});
