// When the per-record runtime checkpoints while it holds a reply: during backpressure (every
// checkpointInterval.ms, every second without one, never before a records interval is due) and during a
// shutdown drain longer than a second; and what a refused or broken checkpoint stops. Written to kill
// mutants of handler-processor.ts and watermark-checkpoints.ts (issue 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { CheckpointTracker } from '../../src/checkpoint/index.js';
import type { Checkpointer } from '../../src/processor/checkpointer.js';
import type { CheckpointInterval } from '../../src/processor/handler-options.js';
import { WatermarkCheckpoints } from '../../src/processor/watermark-checkpoints.js';
import { CheckpointError, CheckpointErrorCode } from '../../src/protocol/index.js';
import { RecordFactory } from '../../src/testing/index.js';
import type { KinesisRecord } from '../../src/index.js';
import { waitUntil } from '../helpers.js';
import { runtime } from './runtime-kit.js';

/** A promise the test opens. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Holds a processRecords reply: record x (key x) finishes at once, record a1 (key a) waits for the gate
 * and a2..a4 queue behind it, so 4 records stay in flight of at most 3, while the watermark is at x.
 */
function backpressured(checkpointInterval: CheckpointInterval | undefined) {
  const f = new RecordFactory();
  const a1 = gate();
  const batch = [f.record({ partitionKey: 'x' }), ...Array.from({ length: 4 }, () => f.record({ partitionKey: 'a' }))];
  const kit = runtime({
    maxInFlightRecords: 3,
    ...(checkpointInterval ? { checkpointInterval } : {}),
    handle: (r: KinesisRecord) => (r.sequenceNumber === batch[1]!.sequenceNumber ? a1.promise : undefined),
  });
  let answered = false;
  const reply = kit.daemon.initialize().then(() => kit.daemon.processRecords(batch).then(() => (answered = true)));
  /** Lets a1 finish, waits for the reply, shuts down (also after a failed assertion: nothing keeps running). */
  const finish = async () => {
    a1.open();
    await reply;
    await kit.daemon.shutdownRequested();
  };
  return { ...kit, batch, reply, finish, answered: () => answered };
}

test('backpressure: the reply is held, and the watermark is checkpointed every checkpointInterval.ms meanwhile', async () => {
  const run = backpressured({ ms: 50 });
  try {
    await waitUntil(() => run.daemon.checkpoints.length > 0, 'a checkpoint at a 50 ms interval', 700);
    assert.equal(run.answered(), false, 'the reply is still held');
    assert.deepEqual(run.daemon.checkpoints.map((c) => c.sequenceNumber), [run.batch[0]!.sequenceNumber]);
  } finally {
    await run.finish();
  }
  assert.equal(run.daemon.checkpoints.at(-1)!.sequenceNumber, run.batch.at(-1)!.sequenceNumber);
});

test('backpressure without a checkpoint interval: checkpoints once a second, not on every poll; a records interval not due: none', async () => {
  const plain = backpressured(undefined);
  const byRecords = backpressured({ records: 1000 });
  try {
    await sleep(300);
    assert.deepEqual(plain.daemon.checkpointRequests, [], 'no checkpoint in the first 300 ms');
    await waitUntil(() => plain.daemon.checkpoints.length > 0, 'a checkpoint after about a second', 2500);
    assert.equal(plain.answered(), false);
    await sleep(200); // byRecords has been held over a second too: its loop has checkpointed if it would
    assert.deepEqual(byRecords.daemon.checkpointRequests, [], 'a records interval that is not due: no checkpoint while held');
  } finally {
    await Promise.all([plain.finish(), byRecords.finish()]);
  }
  assert.deepEqual(byRecords.daemon.checkpoints.map((c) => c.sequenceNumber), [byRecords.batch.at(-1)!.sequenceNumber], 'only the forced one at shutdown');
});

test('a drain longer than a second waits for its whole timeout and checkpoints only what is due, then the end', async () => {
  const f = new RecordFactory();
  const slow = gate();
  const batch = [f.record({ partitionKey: 'x' }), f.record({ partitionKey: 'a' })];
  const { daemon, find } = runtime({
    drainTimeoutMs: 5000,
    checkpointInterval: { records: 1000 },
    handle: (r: KinesisRecord) => (r.partitionKey === 'a' ? slow.promise : undefined),
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  setTimeout(slow.open, 1300); // after the drain loop's first one-second wait
  await daemon.shutdownRequested();
  assert.deepEqual(find(/^drain timed out/), [], 'a 5 s drain does not time out at 1.3 s');
  assert.deepEqual(daemon.checkpointRequests.map((c) => c.sequenceNumber), [batch[1]!.sequenceNumber], 'no checkpoint during the drain (not due), the end after it');
});

test('a checkpoint refused with ShutdownException: no later checkpoint is tried, not even SHARD_END, with a line saying so', async () => {
  const f = new RecordFactory();
  const { daemon, find } = runtime({ handle: () => undefined });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  daemon.failCheckpoints('ShutdownException');
  await daemon.processRecords([f.record({ partitionKey: 'a' })]); // checkpoints the first: refused
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await daemon.shardEnded();
  assert.deepEqual(
    daemon.checkpointRequests.map((c) => c.error),
    ['ShutdownException'],
    'one request, refused; nothing after it',
  );
  assert.equal(find('checkpoint refused with ShutdownException: the lease is gone; no more checkpoints').length, 1);
  const line = find('shardEnded after a checkpoint was refused with ShutdownException: the lease is gone; SHARD_END not attempted');
  assert.equal(line.length, 1);
  assert.equal(line[0]!.level, 40);
});

test('WatermarkCheckpoints: a checkpoint error is logged and swallowed; anything else (a broken channel) is thrown', async () => {
  const tracker = new CheckpointTracker();
  const t = tracker.accept([{ sequenceNumber: '1' }]);
  tracker.settle(t);
  const failing = (error: Error): Checkpointer => ({ checkpoint: () => Promise.reject(error) });
  const refused = new CheckpointError(CheckpointErrorCode.BAD_ARGUMENT, 'refused', { sequenceNumber: '1', subSequenceNumber: 0 });
  await new WatermarkCheckpoints(tracker, undefined, pino({ level: 'silent' })).checkpoint(failing(refused), true);
  const broken = new Error('the daemon closed the pipe');
  await assert.rejects(new WatermarkCheckpoints(tracker, undefined, pino({ level: 'silent' })).checkpoint(failing(broken), true), broken);
});
