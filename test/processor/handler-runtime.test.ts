// The per-record runtime (HandlerProcessor + JobRunner) seen from what operators get: log lines, status
// counters, ctx, checkpoint pacing and errors. Written to kill the mutants these files had surviving
// (issue 16); every test is deterministic and quick (no waits longer than a few retry delays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemorySink, RecordFactory } from '../../src/testing/index.js';
import type { HandlerOptions, RecordContext } from '../../src/processor/handler-options.js';
import { NonRetryableError, type KinesisRecord } from '../../src/index.js';
import { runtime as runtimeKit, type RuntimeKitOptions } from './runtime-kit.js';

/** The runtime kit with `KCL_TS_APPLICATION=app-x` (checked in the records' context). */
const runtime = (options: HandlerOptions, kit: RuntimeKitOptions = {}) => runtimeKit(options, { env: { KCL_TS_APPLICATION: 'app-x' }, ...kit });

const ref = (r: { partitionKey: string; sequenceNumber: string }) => ({ partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, subSequenceNumber: 0 });

test('retries: a warn line per failed attempt with the record, attempt and delay; counters; ctx fields and logger', async () => {
  const seen: { attempt: number; shardId: string; aborted: boolean }[] = [];
  let sameLogger = false;
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'k1' })];
  const { daemon, find, status } = runtime({
    maxRetries: 3,
    retryBaseDelayMs: 4,
    retryMaxDelayMs: 4,
    handle: (_r: KinesisRecord, ctx: RecordContext) => {
      seen.push({ attempt: ctx.attempt, shardId: ctx.shardId, aborted: ctx.signal.aborted });
      sameLogger = ctx.log === ctx.log;
      ctx.log.info({ extra: 1 }, 'from the handler');
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
    },
  });
  await daemon.initialize('shardId-000000000042');
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.deepEqual(seen, [1, 2, 3].map((attempt) => ({ attempt, shardId: 'shardId-000000000042', aborted: false })));
  assert.equal(sameLogger, true, 'ctx.log is made once per call');
  const own = find('from the handler');
  assert.equal(own.length, 3);
  assert.equal(own[0]!.partitionKey, 'k1');
  assert.equal(own[0]!.sequenceNumber, batch[0]!.sequenceNumber);
  assert.equal(own[0]!.extra, 1);
  const retries = find('handler failed; retrying');
  assert.equal(retries.length, 2);
  for (const [i, l] of retries.entries()) {
    assert.equal(l.level, 40);
    assert.equal(l.attempt, i + 1);
    assert.deepEqual(l.record, ref(batch[0]!));
    assert.equal((l.err as { message: string }).message, `attempt ${i + 1} failed`);
    assert.ok(typeof l.delayMs === 'number' && l.delayMs >= 2 && l.delayMs <= 4, `delay ${String(l.delayMs)}`);
  }
  assert.equal(status.status.retried, 2);
  assert.equal(status.status.processed, 1);
  assert.equal(status.status.failed, 0);
  assert.deepEqual(find('stats'), [], 'statsIntervalMs: 0 turns the stats line off');
  assert.deepEqual(find(/^internal error running a job/), []);
});

test('retries stop at maxRetries (maxRetries + 1 calls), then stop-shard: error line, failed count, status failure', async () => {
  let calls = 0;
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' })];
  const { daemon, find, status } = runtime({
    maxRetries: 2,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 1,
    handle: (r: KinesisRecord) => {
      if (r.partitionKey === 'b') {
        calls++;
        throw new Error('always');
      }
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(calls, 3);
  const stop = find(/^handler failed \(stop-shard\)/);
  assert.equal(stop.length, 1);
  assert.equal(stop[0]!.level, 50);
  assert.deepEqual(stop[0]!.record, ref(batch[1]!));
  assert.equal(stop[0]!.records, 1);
  assert.equal(stop[0]!.attempts, 3);
  assert.equal(status.status.failed, 1);
  assert.equal(status.status.retried, 2);
  assert.equal(status.status.processed, 1);
  assert.equal(status.status.state, 'stopped-on-failure');
  assert.deepEqual(status.status.failure, { ...ref(batch[1]!), error: 'always' });
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber]);
});

test('stop-shard: a batch after the failure is answered unprocessed with a warn line; a non-Error failure is reported as text', async () => {
  const f = new RecordFactory();
  const first = [f.record({ partitionKey: 'a' })];
  const later = [f.record({ partitionKey: 'c' }), f.record({ partitionKey: 'd' })];
  const handled: string[] = [];
  const { daemon, find, status } = runtime({
    maxRetries: 0,
    handle: (r: KinesisRecord) => {
      handled.push(r.partitionKey);
      if (r.partitionKey === 'a') throw 'plain text';
    },
  });
  await daemon.initialize();
  await daemon.processRecords(first);
  await daemon.processRecords(later);
  await daemon.processRecords([]);
  assert.deepEqual(handled, ['a']);
  const refused = find(/^shard stopped after a failed record: batch not processed/);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.level, 40);
  assert.equal(refused[0]!.records, 2);
  assert.equal(refused[0]!.first, later[0]!.sequenceNumber);
  assert.deepEqual(refused[0]!.failedAt, ref(first[0]!));
  assert.equal(status.status.failure?.error, 'plain text');
  await daemon.shutdownRequested();
  assert.equal(daemon.checkpoints.length, 0);
});

test('stop-shard keeps the earliest failed record, whichever failed first', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' }), f.record({ partitionKey: 'c' }), f.record({ partitionKey: 'd' })];
  let releaseA!: () => void;
  let releaseD!: () => void;
  const { daemon, status, find } = runtime({
    maxRetries: 0,
    handle: async (r: KinesisRecord) => {
      if (r.partitionKey === 'a') {
        await new Promise<void>((resolve) => (releaseA = resolve));
        throw new Error('a failed');
      }
      if (r.partitionKey === 'd') {
        await new Promise<void>((resolve) => (releaseD = resolve));
        throw new Error('d failed');
      }
      if (r.partitionKey === 'c') throw new Error('c failed');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await sleep(5);
  assert.deepEqual(status.status.failure, { ...ref(batch[2]!), error: 'c failed' });
  releaseA();
  await sleep(5);
  assert.deepEqual(status.status.failure, { ...ref(batch[0]!), error: 'a failed' }, 'the earlier record replaces it');
  releaseD();
  await sleep(5);
  assert.deepEqual(status.status.failure, { ...ref(batch[0]!), error: 'a failed' }, 'a later record does not');
  assert.equal(status.status.failed, 3);
  assert.equal(find(/^handler failed \(stop-shard\)/).length, 3);
  await daemon.shutdownRequested();
  assert.equal(daemon.checkpoints.length, 0);
});

test('NonRetryableError goes to the policy at once; skip: an error line, the skipped count, and the checkpoint passes it', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' })];
  const { daemon, find, status } = runtime({
    maxRetries: 5,
    onFailure: () => 'skip',
    handle: (r: KinesisRecord) => {
      if (r.partitionKey === 'a') throw new NonRetryableError('bad input');
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  const skipped = find(/^handler failed; record SKIPPED by onFailure/);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]!.level, 50);
  assert.deepEqual(skipped[0]!.record, ref(batch[0]!));
  assert.equal(skipped[0]!.attempts, 1);
  assert.equal((skipped[0]!.err as { message: string }).message, 'bad input');
  assert.equal(status.status.skipped, 1);
  assert.equal(status.status.retried, 0);
  assert.equal(status.status.processed, 1);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[1]!.sequenceNumber);
});

test('a policy function gets (record, error, ctx); a throwing policy, dead-letter without a sink and an unknown answer stop the shard', async () => {
  for (const [answer, message] of [
    ['throw', 'the onFailure function threw: stopping the shard'],
    ['dead-letter', "onFailure chose 'dead-letter' but no deadLetter sink is configured: stopping the shard"],
    ['retry', 'onFailure returned an unknown decision: stopping the shard'],
    ['stop-shard', /^handler failed \(stop-shard\)/],
  ] as const) {
    const f = new RecordFactory();
    const batch = [f.record({ partitionKey: 'a' })];
    const calls: { record: string; error: string; attempt: number }[] = [];
    const { daemon, find, status } = runtime({
      maxRetries: 0,
      handle: () => {
        throw new Error('handler error');
      },
      onFailure: (record: KinesisRecord, error: unknown, ctx: RecordContext) => {
        calls.push({ record: record.sequenceNumber, error: (error as Error).message, attempt: ctx.attempt });
        if (answer === 'throw') throw new Error('policy bug');
        return answer as 'dead-letter';
      },
    });
    await daemon.initialize();
    await daemon.processRecords(batch);
    await daemon.shutdownRequested();
    assert.deepEqual(calls, [{ record: batch[0]!.sequenceNumber, error: 'handler error', attempt: 1 }]);
    const lines = find(message);
    assert.equal(lines.length, 1, answer);
    assert.equal(lines[0]!.level, 50);
    assert.deepEqual(lines[0]!.record, ref(batch[0]!));
    if (answer === 'throw') assert.equal((lines[0]!.err as { message: string }).message, 'policy bug');
    if (answer === 'retry') assert.equal(lines[0]!.decision, 'retry');
    else assert.deepEqual(find('onFailure returned an unknown decision: stopping the shard'), [], answer);
    assert.deepEqual(find(/^internal error running a job/), []);
    assert.equal(status.status.state, 'stopped-on-failure', answer);
    assert.equal(daemon.checkpoints.length, 0, answer);
  }
});

test('dead letters: the sink failing once gives a retry line; then one line per record, the count, and the entries carry the env', async () => {
  const sink = new MemorySink();
  sink.fail(1);
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' })];
  const { daemon, find, status } = runtime({
    maxRetries: 0,
    retryBaseDelayMs: 2,
    retryMaxDelayMs: 2,
    onFailure: 'dead-letter',
    deadLetter: sink,
    handleBatch: (records: KinesisRecord[]) => {
      if (records[0]!.partitionKey === 'a') throw new Error('sub-batch failed');
    },
  });
  await daemon.initialize('shardId-000000000007');
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(sink.writes, 2);
  const retry = find(/^dead-letter sink failed; retrying/);
  assert.equal(retry.length, 1);
  assert.equal(retry[0]!.level, 50);
  assert.equal(retry[0]!.sink, 'memory');
  assert.equal(retry[0]!.records, 2);
  assert.equal(retry[0]!.attempt, 1);
  assert.deepEqual(retry[0]!.first, ref(batch[0]!));
  assert.ok(typeof retry[0]!.delayMs === 'number' && retry[0]!.delayMs >= 1 && retry[0]!.delayMs <= 2);
  assert.equal((retry[0]!.err as { message: string }).message, 'MemorySink: injected failure');
  const done = find('record dead-lettered');
  assert.deepEqual(done.map((l) => l.record), [ref(batch[0]!), ref(batch[1]!)]);
  assert.equal(done[0]!.sink, 'memory');
  assert.equal(done[0]!.error, 'sub-batch failed');
  assert.equal(done[0]!.attempts, 1);
  assert.equal(status.status.deadLettered, 2);
  assert.equal(status.status.skipped, 0);
  assert.deepEqual(find(/SKIPPED/), []);
  assert.equal(status.status.processed, 1, 'the b sub-batch of one record');
  assert.deepEqual(sink.entries.map((e) => [e.sequenceNumber, e.shardId, e.application]), [
    [batch[0]!.sequenceNumber, 'shardId-000000000007', 'app-x'],
    [batch[1]!.sequenceNumber, 'shardId-000000000007', 'app-x'],
  ]);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[2]!.sequenceNumber);
});

test('handleBatch: processed counts every record of a sub-batch; each key gets its records in order', async () => {
  const got: string[][] = [];
  const f = new RecordFactory();
  const batch = f.batch({ count: 7, keys: 2 });
  const { daemon, status } = runtime({ handleBatch: (records: KinesisRecord[]) => void got.push(records.map((r) => r.sequenceNumber)) });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  const byKey = (k: string) => batch.filter((r) => r.partitionKey === k).map((r) => r.sequenceNumber);
  assert.deepEqual(got, [byKey(batch[0]!.partitionKey), byKey(batch[1]!.partitionKey)]);
  assert.equal(status.status.processed, 7);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, batch[6]!.sequenceNumber);
});

test('checkpointInterval by records: checkpoints once `records` more passed the watermark, and at shutdown', async () => {
  const f = new RecordFactory();
  const { daemon } = runtime({ checkpointInterval: { records: 3 }, handle: () => undefined });
  await daemon.initialize();
  const seqs: string[] = [];
  for (let i = 0; i < 6; i++) {
    const b = [f.record({ partitionKey: 'k' })];
    seqs.push(b[0]!.sequenceNumber);
    await daemon.processRecords(b);
  }
  // Checked at the start of each message: after 3 passed (message 4) and after 3 more (never reached: 5 < 6).
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [seqs[2]]);
  await daemon.processRecords([]);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [seqs[2], seqs[5]]);
  await daemon.shutdownRequested();
  assert.equal(daemon.checkpoints.length, 2, 'nothing new to checkpoint');
});

test('checkpointInterval by time: no checkpoint before `ms` passed since the last one', async () => {
  const f = new RecordFactory();
  const { daemon } = runtime({ checkpointInterval: { ms: 150 }, handle: () => undefined });
  await daemon.initialize();
  const a = [f.record({ partitionKey: 'k' })];
  await daemon.processRecords(a);
  await daemon.processRecords([]);
  assert.equal(daemon.checkpoints.length, 0, 'too early');
  await sleep(170);
  await daemon.processRecords([]);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [a[0]!.sequenceNumber]);
  const b = [f.record({ partitionKey: 'k' })];
  await daemon.processRecords(b);
  await daemon.processRecords([]);
  assert.equal(daemon.checkpoints.length, 1, 'the interval starts again at the checkpoint');
  await daemon.shutdownRequested();
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [a[0]!.sequenceNumber, b[0]!.sequenceNumber]);
});

test('a failed checkpoint (InvalidStateException) is logged and tried again at the next message; ShutdownException stops checkpointing', async () => {
  const f = new RecordFactory();
  const { daemon, find, status } = runtime({ handle: () => undefined });
  await daemon.initialize();
  const a = [f.record({ partitionKey: 'k' })];
  await daemon.processRecords(a);
  daemon.failCheckpoints('InvalidStateException');
  await daemon.processRecords([]);
  const failed = find('checkpoint failed; the next message tries again');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.level, 50);
  assert.equal(failed[0]!.at, `${a[0]!.sequenceNumber}/0`);
  assert.equal(daemon.checkpoints.length, 0);
  assert.equal(status.status.lastCheckpoint, undefined);
  await daemon.processRecords([]);
  assert.deepEqual(daemon.checkpoints.map((c) => c.sequenceNumber), [a[0]!.sequenceNumber]);
  assert.deepEqual(status.status.lastCheckpoint, { sequenceNumber: a[0]!.sequenceNumber, subSequenceNumber: 0 });
  await daemon.processRecords([f.record({ partitionKey: 'k' })]);
  daemon.failCheckpoints('ShutdownException');
  await daemon.processRecords([]);
  const refused = find(/^checkpoint refused with ShutdownException/);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.level, 40);
  assert.match(String(refused[0]!.at), /^\d+\/0$/);
  await daemon.processRecords([f.record({ partitionKey: 'k' })]);
  await daemon.shutdownRequested();
  assert.equal(daemon.checkpoints.length, 1, 'no checkpoint after ShutdownException');
});

test('stats: a periodic info line with the dispatcher and checkpoint figures; the status file is rewritten', async () => {
  let release!: () => void;
  const f = new RecordFactory();
  const { daemon, logs, status } = runtimeKit({
    statsIntervalMs: 20,
    concurrency: 1,
    handle: (r: KinesisRecord) => (r.partitionKey === 'a' ? new Promise<void>((resolve) => (release = resolve)) : undefined),
  });
  await daemon.initialize('shardId-000000000003');
  assert.equal(status.status.shardId, 'shardId-000000000003');
  await daemon.processRecords([f.record({ partitionKey: 'a' }), f.record({ partitionKey: 'b' }), f.record({ partitionKey: 'b' })], 1234);
  const writes = status.writes;
  await sleep(70);
  const stats = logs.filter((l) => l.msg === 'stats');
  assert.ok(stats.length >= 2, `${stats.length} stats lines`);
  const s = stats.at(-1)!;
  assert.equal(s.level, 30);
  assert.deepEqual(
    { inFlight: s.inFlight, running: s.running, queued: s.queued, keys: s.keys, millisBehindLatest: s.millisBehindLatest, checkpointLagRecords: s.checkpointLagRecords, stopped: s.stopped },
    { inFlight: 3, running: 1, queued: 2, keys: 2, millisBehindLatest: 1234, checkpointLagRecords: 3, stopped: false },
  );
  assert.ok(typeof s.checkpointAgeMs === 'number' && s.checkpointAgeMs >= 0 && s.checkpointAgeMs < 60_000, `checkpointAgeMs ${String(s.checkpointAgeMs)}`);
  assert.ok(status.writes > writes, 'the status file is written with each stats line');
  release();
  await daemon.shardEnded();
  const count = logs.filter((l) => l.msg === 'stats').length;
  await sleep(50);
  assert.equal(logs.filter((l) => l.msg === 'stats').length, count, 'no stats lines after the shard ended');
});

test('many handlers listening on ctx.signal at once raise no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { daemon } = runtime({
      concurrency: 40,
      handle: async (_r: KinesisRecord, ctx: RecordContext) => {
        ctx.signal.addEventListener('abort', () => undefined);
        await gate;
      },
    });
    await daemon.initialize();
    await daemon.processRecords(new RecordFactory().batch({ count: 40, keys: 40 }));
    await sleep(5);
    release();
    await daemon.shutdownRequested();
    await sleep(5);
    assert.deepEqual(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('pooled stdin: the reply is held while the pool holds more than 4 x maxInFlightBytes, and released when records settle', async () => {
  const pool = { inUseBytes: 0, blockBytes: 0 }; // no reader block: the bound is exactly 4 x maxInFlightBytes
  let release!: () => void;
  const f = new RecordFactory();
  const { daemon } = runtime(
    {
      maxInFlightBytes: 1000,
      handle: (r: KinesisRecord) => (r.partitionKey === 'slow' ? new Promise<void>((resolve) => (release = resolve)) : undefined),
    },
    { pool },
  );
  await daemon.initialize();
  pool.inUseBytes = 4000;
  await daemon.processRecords([f.record({ partitionKey: 'fast' })]); // 4000 <= 4 x 1000: room
  pool.inUseBytes = 4001;
  let answered = false;
  const reply = daemon.processRecords([f.record({ partitionKey: 'slow' })]).then(() => (answered = true));
  await sleep(20);
  assert.equal(answered, false, 'held while the pool is over its bound');
  pool.inUseBytes = 100;
  release();
  await reply;
  assert.equal(answered, true);
  await daemon.shutdownRequested();
});
