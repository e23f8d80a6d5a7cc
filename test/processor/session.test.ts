import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import {
  ExitCode,
  CheckpointShutdownError,
  CheckpointInvalidStateError,
  CheckpointIllegalArgumentError,
  CheckpointError,
  CheckpointErrorCode,
  type RecordProcessor,
  type KinesisRecord,
  type Checkpointer,
} from '../../src/index.js';

interface Seen {
  calls: string[];
  records: KinesisRecord[];
}

function recording(overrides: Partial<RecordProcessor> = {}): { processor: RecordProcessor; seen: Seen } {
  const seen: Seen = { calls: [], records: [] };
  const processor: RecordProcessor = {
    initialize: (i) => void seen.calls.push(`initialize:${i.shardId}:${i.sequenceNumber}`),
    async processRecords({ records }, c) {
      seen.calls.push(`processRecords:${records.length}`);
      seen.records.push(...records);
      await c.checkpoint();
    },
    leaseLost: () => void seen.calls.push('leaseLost'),
    async shardEnded(_i, c) {
      seen.calls.push('shardEnded');
      await c.checkpoint();
    },
    async shutdownRequested(_i, c) {
      seen.calls.push('shutdownRequested');
      await c.checkpoint();
    },
    ...overrides,
  };
  return { processor, seen };
}

const fastRetry = { checkpointRetry: { baseDelayMs: 1, maxDelayMs: 2 } };

test('drives every action in order, with records decoded and checkpoints at the latest record', async () => {
  const { processor, seen } = recording();
  const daemon = FakeDaemon.inProcess(processor);
  const f = new RecordFactory();
  await daemon.initialize('shardId-000000000007', '123');
  const batch = f.batch({ count: 3, keys: 2, data: (i) => ({ n: i }) });
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.deepEqual(seen.calls, ['initialize:shardId-000000000007:123', 'processRecords:3', 'shutdownRequested', 'leaseLost']);
  assert.deepEqual(seen.records.map((r) => r.json()), [{ n: 0 }, { n: 1 }, { n: 2 }]);
  assert.deepEqual(seen.records.map((r) => r.partitionKey), ['key-0', 'key-1', 'key-0']);
  assert.ok(seen.records[0]!.approximateArrivalTimestamp instanceof Date);
  assert.equal(daemon.checkpoints.length, 2);
  assert.equal(daemon.checkpoints[0]!.sequenceNumber, batch[2]!.sequenceNumber);
  assert.equal(daemon.checkpoints[1]!.during, 'shutdownRequested');
});

test('shardEnded: the processor checkpoints SHARD_END', async () => {
  const { processor, seen } = recording();
  const daemon = FakeDaemon.inProcess(processor);
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 2 }));
  await daemon.shardEnded();
  assert.equal(await daemon.close(), ExitCode.OK);
  assert.deepEqual(seen.calls.at(-1), 'shardEnded');
  assert.deepEqual(daemon.checkpoints.at(-1), { sequenceNumber: null, subSequenceNumber: null, shardEnd: true, during: 'shardEnded' });
});

test('shardEnded without a SHARD_END checkpoint: automatic only when opted in', async () => {
  const noCheckpoint = { shardEnded: () => undefined };
  const plain = FakeDaemon.inProcess(recording(noCheckpoint).processor);
  await plain.initialize();
  await plain.shardEnded();
  assert.equal(plain.checkpoints.length, 0, 'no checkpoint unless opted in');
  assert.equal(await plain.close(), ExitCode.OK);

  const auto = FakeDaemon.inProcess(recording(noCheckpoint).processor, { autoCheckpointShardEnd: true });
  await auto.initialize();
  await auto.shardEnded();
  assert.equal(auto.checkpoints.length, 1);
  assert.equal(auto.checkpoints[0]!.shardEnd, true);
  assert.equal(await auto.close(), ExitCode.OK);
});

test('checkpoints carry sequence and sub-sequence numbers of de-aggregated records', async () => {
  const daemon = FakeDaemon.inProcess({
    async processRecords({ records }, c) {
      await c.checkpoint(records[1]!);
      await c.checkpoint(records[2]!.sequenceNumber, records[2]!.subSequenceNumber);
    },
  });
  const batch = new RecordFactory().batch({ count: 4, aggregate: 4 });
  assert.deepEqual(batch.map((r) => r.subSequenceNumber), [0, 1, 2, 3]);
  await daemon.initialize();
  await daemon.processRecords(batch);
  assert.deepEqual(
    daemon.checkpoints.map((c) => [c.sequenceNumber, c.subSequenceNumber]),
    [[batch[1]!.sequenceNumber, 1], [batch[2]!.sequenceNumber, 2]],
  );
  await daemon.leaseLost();
  await daemon.close();
});

test('legacy shutdown: TERMINATE acts as shardEnded, ZOMBIE as leaseLost; status answers "shutdown"', async () => {
  const a = recording();
  const terminate = FakeDaemon.inProcess(a.processor);
  await terminate.initialize();
  await terminate.legacyShutdown('TERMINATE');
  assert.equal(await terminate.close(), ExitCode.OK);
  assert.deepEqual(a.seen.calls.at(-1), 'shardEnded');
  assert.equal(terminate.checkpoints.at(-1)?.shardEnd, true);

  const b = recording();
  const zombie = FakeDaemon.inProcess(b.processor);
  await zombie.initialize();
  await zombie.legacyShutdown('ZOMBIE');
  assert.equal(await zombie.close(), ExitCode.OK);
  assert.deepEqual(b.seen.calls.at(-1), 'leaseLost');
  assert.equal(zombie.checkpoints.length, 0);
});

test('throttling and dependency errors are retried until accepted', async () => {
  const { processor } = recording();
  const daemon = FakeDaemon.inProcess(processor, fastRetry);
  await daemon.initialize();
  daemon.failCheckpoints('ThrottlingException', 2);
  daemon.failCheckpoints('KinesisClientLibDependencyException', 1);
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  assert.deepEqual(daemon.checkpointRequests.map((r) => r.error), [
    'ThrottlingException', 'ThrottlingException', 'KinesisClientLibDependencyException', null,
  ]);
  assert.equal(daemon.checkpoints.length, 1);
});

test('retries give up after maxAttempts with the typed error', async () => {
  let caught: unknown;
  const daemon = FakeDaemon.inProcess(
    {
      async processRecords(_b, c) {
        caught = await c.checkpoint().catch((e: unknown) => e);
      },
    },
    { checkpointRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } },
  );
  await daemon.initialize();
  daemon.failCheckpoints('ThrottlingException', 5);
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  assert.equal(daemon.checkpointRequests.length, 3);
  assert.ok(caught instanceof CheckpointError && caught.code === CheckpointErrorCode.THROTTLED);
});

test('non-retryable checkpoint errors reach the processor as typed errors, once', async () => {
  const cases: [string, new (...a: never[]) => Error][] = [
    ['ShutdownException', CheckpointShutdownError],
    ['InvalidStateException', CheckpointInvalidStateError],
    ['IllegalArgumentException', CheckpointIllegalArgumentError],
  ];
  for (const [name, cls] of cases) {
    let caught: unknown;
    const daemon = FakeDaemon.inProcess({
      async processRecords(_b, c) {
        caught = await c.checkpoint().catch((e: unknown) => e);
      },
    }, fastRetry);
    await daemon.initialize();
    daemon.failCheckpoints(name);
    await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
    assert.ok(caught instanceof cls, name);
    assert.equal(daemon.checkpointRequests.length, 1, `${name} not retried`);
  }
});

test('the daemon side rejects a checkpoint beyond the last delivered record', async () => {
  let caught: unknown;
  const daemon = FakeDaemon.inProcess({
    async processRecords({ records }, c) {
      caught = await c.checkpoint((BigInt(records[0]!.sequenceNumber) + 10n).toString()).catch((e: unknown) => e);
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  assert.ok(caught instanceof CheckpointIllegalArgumentError);
});

test('bad checkpoint arguments are rejected locally with a message, never sent', async () => {
  const errors: unknown[] = [];
  const daemon = FakeDaemon.inProcess({
    async processRecords(_b, c) {
      errors.push(await c.checkpoint('12abc').catch((e: unknown) => e));
      errors.push(await c.checkpoint('12', -1).catch((e: unknown) => e));
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  assert.equal(daemon.checkpointRequests.length, 0);
  for (const e of errors) assert.ok(e instanceof CheckpointError && e.code === CheckpointErrorCode.BAD_ARGUMENT);
  assert.match((errors[0] as Error).message, /12abc/);
});

test('a checkpointer used after its call returned is refused (the daemon is not listening)', async () => {
  let saved: Checkpointer | undefined;
  const daemon = FakeDaemon.inProcess({
    processRecords(_b, c) {
      saved = c;
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  const err = await saved!.checkpoint().catch((e: unknown) => e);
  assert.ok(err instanceof CheckpointError && err.code === CheckpointErrorCode.NOT_LISTENING);
  assert.equal(daemon.checkpointRequests.length, 0);
});

test('a checkpoint started but not awaited is answered before the status', async () => {
  const daemon = FakeDaemon.inProcess({
    processRecords(_b, c) {
      void c.checkpoint();
    },
  });
  await daemon.initialize();
  await daemon.processRecords(new RecordFactory().batch({ count: 1 }));
  assert.equal(daemon.checkpoints.length, 1);
});

test('a throwing processRecords: no status, no checkpoint past it, exit PROCESSOR_FAILED', async () => {
  const f = new RecordFactory();
  const daemon = FakeDaemon.inProcess({
    async processRecords({ records }, c) {
      if (records[0]!.text() === 'bad') throw new Error('boom');
      await c.checkpoint();
    },
  }, { replyTimeoutMs: 300 });
  await daemon.initialize();
  await daemon.processRecords(f.batch({ count: 2 }));
  await assert.rejects(daemon.processRecords([f.record({ data: 'bad' })]), /no reply within|closed stdout/);
  assert.equal((await daemon.outcome).exitCode, ExitCode.PROCESSOR_FAILED);
  assert.equal(daemon.checkpoints.length, 1, 'only the good batch was checkpointed');
});

test('a malformed line fails safe: no reply, exit PROTOCOL, nothing skipped', async () => {
  const { processor, seen } = recording();
  const daemon = FakeDaemon.inProcess(processor, { replyTimeoutMs: 300 });
  await daemon.initialize();
  daemon.sendRaw('{"action":"processRecords","records":[{"data":');
  const outcome = await daemon.outcome;
  assert.equal(outcome.exitCode, ExitCode.PROTOCOL);
  assert.match(outcome.reason, /not valid JSON/);
  assert.deepEqual(seen.calls, ['initialize:shardId-000000000000:TRIM_HORIZON']);
});

test('an unknown action fails safe with the action named', async () => {
  const daemon = FakeDaemon.inProcess(recording().processor);
  await daemon.initialize();
  daemon.sendRaw('{"action":"reboot"}');
  const outcome = await daemon.outcome;
  assert.equal(outcome.exitCode, ExitCode.PROTOCOL);
  assert.match(outcome.reason, /`reboot`/);
});

test('processRecords before initialize is a protocol error', async () => {
  const daemon = FakeDaemon.inProcess(recording().processor, { replyTimeoutMs: 200 });
  await assert.rejects(daemon.processRecords(new RecordFactory().batch({ count: 1 })));
  assert.equal((await daemon.outcome).exitCode, ExitCode.PROTOCOL);
});

test('stdin closing mid-shard ends the session as DAEMON_GONE', async () => {
  const daemon = FakeDaemon.inProcess(recording().processor);
  await daemon.initialize();
  assert.equal(await daemon.close(), ExitCode.DAEMON_GONE);
});
