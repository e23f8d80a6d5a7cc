// What a halted shard (stop-shard decided, drain timed out, lease lost) does with everything still
// around it: later batches, calls that finish late, queued records, the status counters, and internal
// errors. Written to kill mutants of handler-processor.ts and job-runner.ts (issue 16); in-process,
// deterministic (gates and microtask sweeps, no timing races).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { TrackerErrorCode } from '../../src/checkpoint/index.js';
import { HandlerProcessor, KinesisRecord, resolveHandlerOptions } from '../../src/processor/index.js';
import type { HandlerOptions, RecordContext } from '../../src/processor/handler-options.js';
import { ProtocolErrorCode } from '../../src/protocol/index.js';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { unreadableValue, UnreadableError } from '../helpers.js';
import { runtime } from './runtime-kit.js';

const seqs = (list: { sequenceNumber: string | null }[]) => list.map((c) => c.sequenceNumber);

test('after a drain timeout: a later batch is answered, not run, with a line; shardEnded then checkpoints no SHARD_END', async () => {
  const f = new RecordFactory();
  const ran: string[] = [];
  const { daemon, find } = runtime({
    drainTimeoutMs: 40,
    // Ignores ctx.signal and succeeds well after the drain gave up: the record itself settles.
    handle: async (r) => {
      ran.push(r.sequenceNumber);
      await sleep(400);
    },
  });
  await daemon.initialize();
  const first = f.record({ partitionKey: 'a' });
  await daemon.processRecords([first]);
  await daemon.shutdownRequested(); // the drain times out at 40 ms
  await sleep(500); // the call ends after it
  const later = [f.record({ partitionKey: 'b' }), f.record({ partitionKey: 'c' })];
  await daemon.processRecords(later);
  assert.deepEqual(ran, [first.sequenceNumber], 'the later batch did not run');
  const refused = find(/^batch after the shard halted: not processed/);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.level, 40);
  assert.equal(refused[0]!.reason, 'drain-timeout');
  assert.equal(refused[0]!.records, 2);
  assert.equal(refused[0]!.first, later[0]!.sequenceNumber);
  await daemon.shardEnded();
  assert.ok(!daemon.checkpoints.some((c) => c.shardEnd), 'no SHARD_END: the refused records never ran');
  const notEnded = find(/^shardEnded with unfinished or failed records/);
  assert.equal(notEnded.length, 1);
  assert.equal(notEnded[0]!.refusedRecords, 2);
  assert.equal(notEnded[0]!.pending, 0, 'the first record itself settled');
});

test('lease loss: calls that end after the grace period count for nothing more (abandoned once, never processed)', async () => {
  const f = new RecordFactory();
  const { daemon, status } = runtime({
    leaseLostGraceMs: 30,
    // Ignore ctx.signal: one fails late, one succeeds late.
    handle: async (r) => {
      await sleep(400);
      if (r.partitionKey === 'fails') throw new Error('late failure');
    },
  });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'fails' }), f.record({ partitionKey: 'succeeds' })]);
  await daemon.leaseLost();
  assert.equal(status.status.abandonedOnLeaseLoss, 2, 'both were still running at the end of the grace period');
  await sleep(500);
  assert.equal(status.status.abandonedOnLeaseLoss, 2, 'not counted again when they end');
  assert.equal(status.status.processed, 0);
  assert.equal(status.status.failed, 0);
  assert.equal(status.status.retried, 0);
});

test('a lease loss with nothing in flight leaves no abandoned counters at all', async () => {
  const f = new RecordFactory();
  const { daemon, status } = runtime({ handle: () => undefined });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await daemon.leaseLost();
  assert.equal(status.status.processed, 1);
  assert.ok(!('abandonedOnLeaseLoss' in status.status), JSON.stringify(status.status));
  assert.ok(!('abandonedOnDrainTimeout' in status.status), JSON.stringify(status.status));
});

test('stop-shard: queued records are dropped with a line saying how many; they are not counted as abandoned', async () => {
  const f = new RecordFactory();
  const { daemon, find, status } = runtime({
    concurrency: 1,
    maxRetries: 0,
    handle: async (r) => {
      await tick();
      if (r.partitionKey === 'bad') throw new Error('poison');
    },
  });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'bad' }), ...Array.from({ length: 3 }, () => f.record({ partitionKey: 'q' }))]);
  await sleep(30);
  const dropped = find('stop-shard: queued records and retries dropped; no handler call starts any more');
  assert.equal(dropped.length, 1);
  assert.equal(dropped[0]!.level, 40);
  assert.equal(dropped[0]!.droppedRecords, 3);
  assert.equal(status.status.failed, 1);
  assert.equal(status.status.processed, 0);
  assert.ok(!('abandonedOnLeaseLoss' in status.status) && !('abandonedOnDrainTimeout' in status.status), JSON.stringify(status.status));

  // Nothing queued: no such line.
  const alone = runtime({ maxRetries: 0, handle: () => Promise.reject(new Error('poison')) });
  await alone.daemon.initialize();
  await alone.daemon.processRecords([f.record({ partitionKey: 'bad' })]);
  await sleep(20);
  assert.equal(alone.find(/^handler failed \(stop-shard\)/).length, 1);
  assert.deepEqual(alone.find(/^stop-shard: queued records/), []);
});

test('lease loss while the dead-letter sink is failing: the record is abandoned, the sink not retried', async () => {
  const f = new RecordFactory();
  let writes = 0;
  const { daemon, find, status } = runtime({
    maxRetries: 0,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 20,
    onFailure: 'dead-letter',
    deadLetter: {
      description: 'failing',
      async write() {
        writes++;
        await sleep(300);
        throw new Error('sink down');
      },
    },
    handle: () => {
      throw new Error('poison');
    },
  });
  await daemon.initialize();
  await daemon.processRecords([f.record({ partitionKey: 'a' })]);
  await sleep(10); // the first write is under way
  await daemon.leaseLost(); // waits for the write to fail (grace period 5 s)
  await sleep(350);
  assert.equal(writes, 1);
  assert.deepEqual(find(/^dead-letter sink failed; retrying/), [], 'no retry once the lease is gone');
  assert.equal(status.status.abandonedOnLeaseLoss, 1);
  assert.equal(status.status.deadLettered, 0);
});

for (const batch of [false, true]) {
  test(`${batch ? 'handleBatch' : 'handle'}: a synchronous stop-shard decision ends the batch there: the rest is not queued (the reply is not held)`, async () => {
    const f = new RecordFactory();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    const work = (key: string) => {
      calls.push(key);
      if (key === 'bad') throw new Error('poison');
      return key === 'a' && calls.filter((k) => k === 'a').length === 1 ? slow : undefined;
    };
    const options: HandlerOptions = batch
      ? { maxRetries: 0, maxInFlightRecords: 3, handleBatch: (records) => work(records[0]!.partitionKey) }
      : { maxRetries: 0, maxInFlightRecords: 3, handle: (r) => work(r.partitionKey) };
    const { daemon } = runtime(options, {});
    await daemon.initialize();
    await daemon.processRecords([f.record({ partitionKey: 'a' })]); // runs until released
    // bad fails synchronously: the four records of key a behind it must not wait in a's queue.
    const reply = daemon.processRecords([f.record({ partitionKey: 'bad' }), ...Array.from({ length: 4 }, () => f.record({ partitionKey: 'a' }))]);
    const answered = await Promise.race([reply.then(() => true), sleep(500).then(() => false)]);
    release();
    await reply;
    assert.equal(answered, true, 'the reply came while the first record of a still ran');
    await sleep(10);
    assert.deepEqual(calls, ['a', 'bad']);
    await daemon.shutdownRequested();
  });
}

test('stop-shard closes the gate when the policy decides: another key finishing in the same microtasks starts nothing after it', async () => {
  // A and B wait on one gate; A then fails and B finishes after `lag` more microtasks, and C waits behind B.
  // Whatever the interleaving, C may start only before the decision.
  for (let lagA = 0; lagA < 4; lagA++) {
    for (let lagB = 0; lagB < 12; lagB++) {
      const f = new RecordFactory();
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const events: string[] = [];
      const spin = async (n: number) => {
        for (let i = 0; i < n; i++) await null;
      };
      const { daemon } = runtime({
        maxRetries: 0,
        onFailure: () => {
          events.push('decided');
          return 'stop-shard';
        },
        handle: async (r) => {
          const name = r.text();
          events.push(`start ${name}`);
          if (name === 'C') return;
          await gate;
          await spin(name === 'A' ? lagA : lagB);
          if (name === 'A') throw new Error('poison');
        },
      });
      await daemon.initialize();
      await daemon.processRecords([f.record({ partitionKey: 'a', data: 'A' }), f.record({ partitionKey: 'b', data: 'B' }), f.record({ partitionKey: 'b', data: 'C' })]);
      open();
      await sleep(5);
      const decided = events.indexOf('decided');
      assert.ok(decided > 0, `lags ${lagA}/${lagB}: ${events.join(', ')}`);
      assert.deepEqual(events.slice(decided + 1).filter((e) => e.startsWith('start')), [], `lags ${lagA}/${lagB}: ${events.join(', ')}`);
      await daemon.shutdownRequested();
    }
  }
});

// The runtime kit's logger is plain pino, whose error serializer throws on such a value (kcl-ts's own
// loggers do not: test/logging/unreadable-error.test.ts): the log call in the runtime throws, an internal error.
test('an internal error running a job (here: a logger that throws on the thrown value) stops the shard visibly; no checkpoint passes the record', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'ok' }), f.record({ partitionKey: 'hostile' }), f.record({ partitionKey: 'ok' })];
  const { daemon, find, status } = runtime({
    concurrency: 1,
    maxRetries: 0,
    handle: (r) => {
      if (r.partitionKey === 'hostile') throw unreadableValue();
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  const line = find('internal error running a job: the record is treated as failed (stop-shard)');
  assert.equal(line.length, 1);
  assert.equal(line[0]!.level, 50);
  assert.equal(line[0]!.partitionKey, 'hostile');
  assert.equal((line[0]!.err as { message: string }).message, 'internal error running a job: no message for you', 'what went wrong: logging the value threw');
  assert.equal(status.status.state, 'stopped-on-failure');
  assert.equal(status.status.failed, 1);
  assert.equal(status.status.failure?.sequenceNumber, batch[1]!.sequenceNumber);
  assert.deepEqual(seqs(daemon.checkpoints), [batch[0]!.sequenceNumber], 'the checkpoint stays before it');
});

test('an Error whose message getter throws: the shard stops once (failed 1, stopped-on-failure, a readable reason), not twice', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'ok' }), f.record({ partitionKey: 'bad' })];
  const { daemon, find, status } = runtime({
    maxRetries: 0,
    handle: (r) => {
      if (r.partitionKey === 'bad') throw new UnreadableError();
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(status.status.failed, 1);
  assert.equal(status.status.state, 'stopped-on-failure');
  assert.equal(status.status.failure?.sequenceNumber, batch[1]!.sequenceNumber);
  assert.equal(status.status.failure?.error, 'the thrown value could not be read: no message for you');
  assert.equal(find(/^internal error running a job/).length, 1, "the runtime kit's plain pino throws logging it: one internal error line");
  assert.deepEqual(seqs(daemon.checkpoints), [batch[0]!.sequenceNumber]);
});

test('an internal error before the policy decided (the retry line cannot be logged): the shard still stops, once', async () => {
  const f = new RecordFactory();
  const batch = [f.record({ partitionKey: 'ok' }), f.record({ partitionKey: 'bad' })];
  const { daemon, find, status } = runtime({
    maxRetries: 3,
    handle: (r) => {
      if (r.partitionKey === 'bad') throw unreadableValue();
    },
  });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.equal(find(/^internal error running a job/).length, 1);
  assert.equal(status.status.retried, 0, 'the retry never happened: logging it threw');
  assert.equal(status.status.failed, 1);
  assert.equal(status.status.state, 'stopped-on-failure');
  assert.equal(status.status.failure?.error, 'internal error running a job: no message for you');
  assert.deepEqual(seqs(daemon.checkpoints), [batch[0]!.sequenceNumber]);
});

test('a batch after stop-shard and then a drain timeout is refused as after the failure (the failure is the reason)', async () => {
  const f = new RecordFactory();
  const { daemon, find } = runtime({
    maxRetries: 0,
    drainTimeoutMs: 30,
    handle: (r) => (r.partitionKey === 'bad' ? Promise.reject(new Error('poison')) : r.partitionKey === 'slow' ? new Promise<void>(() => undefined) : undefined),
  });
  await daemon.initialize();
  const batch = [f.record({ partitionKey: 'slow' }), f.record({ partitionKey: 'bad' })];
  await daemon.processRecords(batch);
  await sleep(20); // bad fails: stop-shard; slow keeps running
  await daemon.shutdownRequested(); // the drain times out on slow
  await daemon.processRecords([f.record({ partitionKey: 'later' })]);
  const refused = find(/^shard stopped after a failed record: batch not processed/);
  assert.equal(refused.length, 1);
  assert.deepEqual(refused[0]!.failedAt, { partitionKey: 'bad', sequenceNumber: batch[1]!.sequenceNumber, subSequenceNumber: 0 });
  assert.deepEqual(find(/^batch after the shard halted/), []);
});

test('a record at or before one already delivered is a protocol error naming the tracker error as its cause', async () => {
  const f = new RecordFactory();
  const processor = new HandlerProcessor(resolveHandlerOptions({ handle: () => undefined, statsIntervalMs: 0 }), pino({ level: 'silent' }), {});
  const checkpointer = { checkpoint: () => Promise.resolve() };
  const wire = f.record({ partitionKey: 'a' });
  await processor.processRecords({ records: [new KinesisRecord(wire)], millisBehindLatest: 0 }, checkpointer);
  await assert.rejects(processor.processRecords({ records: [new KinesisRecord(wire)], millisBehindLatest: 0 }, checkpointer), (err: Error & { code?: string; cause?: { code?: string } }) => {
    assert.equal(err.code, ProtocolErrorCode.RECORD_OUT_OF_ORDER);
    assert.equal(err.cause?.code, TrackerErrorCode.OUT_OF_ORDER);
    assert.match(err.message, new RegExp(wire.sequenceNumber));
    return true;
  });
});

for (const batch of [false, true]) {
  test(`pooled stdin, ${batch ? 'handleBatch' : 'handle'}: finished records give their blocks back (4 lines of 6 MB through maxInFlightBytes 1000)`, async () => {
    const f = new RecordFactory();
    let handled = 0;
    const count = (n: number, _ctx?: RecordContext) => void (handled += n);
    const options: HandlerOptions = batch ? { maxInFlightBytes: 1000, handleBatch: (records) => count(records.length) } : { maxInFlightBytes: 1000, handle: () => count(1) };
    const daemon = FakeDaemon.inProcess({ ...options, statsIntervalMs: 0 }, { replyTimeoutMs: 5000 });
    await daemon.initialize();
    // Lines over 4 MB keep payloads as views of the pooled blocks (smaller ones are copied out).
    const pad = 'p'.repeat(50_000);
    let last = '';
    for (let b = 0; b < 4; b++) {
      const records = Array.from({ length: 90 }, (_, i) => f.record({ partitionKey: `k${i % 3}`, data: pad }));
      last = records.at(-1)!.sequenceNumber;
      await daemon.processRecords(records); // a reply held by blocks never given back times out
    }
    await daemon.shutdownRequested();
    assert.equal(handled, 360);
    assert.equal(daemon.checkpoints.at(-1)?.sequenceNumber, last);
    await daemon.leaseLost();
    await daemon.close();
  });
}

for (const batch of [false, true]) {
  test(`pooled stdin, ${batch ? 'handleBatch' : 'handle'}: a synchronous stop-shard in a 6 MB line gives back the blocks of the records it never started`, async () => {
    const f = new RecordFactory();
    const fail = (key: string) => {
      if (key === 'bad') throw new Error('poison');
    };
    const options: HandlerOptions = batch
      ? { maxRetries: 0, maxInFlightBytes: 1000, handleBatch: (records) => fail(records[0]!.partitionKey) }
      : { maxRetries: 0, maxInFlightBytes: 1000, handle: (r) => fail(r.partitionKey) };
    const daemon = FakeDaemon.inProcess({ ...options, statsIntervalMs: 0 }, { replyTimeoutMs: 5000 });
    await daemon.initialize();
    const pad = 'p'.repeat(50_000);
    await daemon.processRecords([f.record({ partitionKey: 'bad' }), ...Array.from({ length: 90 }, (_, i) => f.record({ partitionKey: `k${i % 3}`, data: pad }))]);
    // Blocks still held by the 90 records would hold this reply: 4 x 1000 bytes + one block is the bound.
    await daemon.processRecords([f.record({ partitionKey: 'k0' })]);
    await daemon.shutdownRequested();
    assert.deepEqual(daemon.checkpoints, [], 'nothing passed the failed first record');
    await daemon.leaseLost();
    await daemon.close();
  });
}

