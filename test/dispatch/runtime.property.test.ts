// Property-based tests of the whole per-record runtime (HandlerProcessor in a real ShardSession) driven by
// the FakeDaemon: random batches, random handler completion orders, random shutdown points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import type { WireRecord } from '../../src/protocol/index.js';
import type { HandlerOptions, KinesisRecord, RecordContext } from '../../src/index.js';
import { prng } from '../helpers.js';

type Ending = 'shutdownRequested' | 'shardEnded' | 'leaseLost';

interface Scenario {
  mode: 'handle' | 'handleBatch';
  concurrency: number;
  maxInFlightRecords: number;
  maxInFlightBytes: number;
  checkpointEvery: number | undefined;
  /** Per batch: the key index of each record (an empty list is an empty batch), and KPL aggregation. */
  batches: { keys: number[]; aggregate: number; size: number }[];
  /** Batches delivered before the ending (<= batches.length). */
  stopAfter: number;
  ending: Ending;
  seed: number;
  /** Handlers that stop (throw) as soon as ctx.signal aborts, rather than finishing their work. */
  abortAware: boolean;
  /** Share (0..100) of records whose handler completes without awaiting anything. */
  syncShare: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    mode: fc.constantFrom('handle' as const, 'handle' as const, 'handleBatch' as const),
    concurrency: fc.integer({ min: 1, max: 8 }),
    maxInFlightRecords: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(20_000)),
    maxInFlightBytes: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.constant(16 * 1024 * 1024)),
    checkpointEvery: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    batches: fc.array(
      fc.record({
        keys: fc.array(fc.nat(5), { minLength: 0, maxLength: 30 }),
        aggregate: fc.integer({ min: 1, max: 4 }),
        size: fc.integer({ min: 0, max: 60 }),
      }),
      { minLength: 0, maxLength: 6 },
    ),
    stopAfter: fc.nat(6),
    ending: fc.constantFrom<Ending>('shutdownRequested', 'shardEnded', 'leaseLost'),
    seed: fc.integer(),
    abortAware: fc.boolean(),
    syncShare: fc.integer({ min: 0, max: 60 }),
  })
  .map((s) => ({ ...s, stopAfter: Math.min(s.stopAfter, s.batches.length) }));


interface RecordState {
  index: number;
  key: string;
  seq: bigint;
  sub: number;
  started: number;
  /** daemon.checkpoints.length when the handler finished (undefined: not finished). */
  finishedAt: number | undefined;
  aborted: boolean;
}

const posKey = (sequenceNumber: string, sub: number | null | undefined): string => `${sequenceNumber}/${sub ?? 0}`;

async function runScenario(s: Scenario): Promise<void> {
  try {
    await runScenarioInner(s);
  } catch (err) {
    if (process.env.KCLTS_TEST_DEBUG) console.error(err);
    throw err;
  }
}

async function runScenarioInner(s: Scenario): Promise<void> {
  const rnd = prng(s.seed);
  const factory = new RecordFactory();
  const wire: WireRecord[][] = s.batches.map((b) =>
    factory.batch({ count: b.keys.length, keys: (i) => `pk-${b.keys[i]}`, aggregate: b.aggregate, size: b.size }),
  );
  const delivered = wire.slice(0, s.stopAfter).flat();
  const states = new Map<string, RecordState>();
  delivered.forEach((w, index) =>
    states.set(posKey(w.sequenceNumber, w.subSequenceNumber), {
      index,
      key: w.partitionKey,
      seq: BigInt(w.sequenceNumber),
      sub: w.subSequenceNumber ?? 0,
      started: 0,
      finishedAt: undefined,
      aborted: false,
    }),
  );
  const runningKeys = new Set<string>();
  const lastStartedOfKey = new Map<string, number>();
  const pending: (() => void)[] = [];
  // eslint-disable-next-line prefer-const
  let daemon: ReturnType<typeof FakeDaemon.inProcess>;
  const violations: string[] = [];

  const begin = (records: KinesisRecord[]): RecordState[] => {
    const list = records.map((r) => states.get(posKey(r.sequenceNumber, r.subSequenceNumber))!);
    const key = list[0]!.key;
    if (runningKeys.has(key)) violations.push(`key ${key}: two handler calls at once`);
    runningKeys.add(key);
    for (const st of list) {
      if (st.key !== key) violations.push(`a sub-batch mixes keys ${key} and ${st.key}`);
      st.started++;
      if (st.started > 1) violations.push(`record ${st.index} started twice`);
      if ((lastStartedOfKey.get(key) ?? -1) > st.index) violations.push(`key ${key}: record ${st.index} started after a later record`);
      lastStartedOfKey.set(key, st.index);
    }
    return list;
  };
  const end = (list: RecordState[], aborted: boolean): void => {
    runningKeys.delete(list[0]!.key);
    for (const st of list) {
      if (aborted) st.aborted = true;
      else st.finishedAt = daemon.checkpoints.length;
    }
  };
  const work = async (records: KinesisRecord[], ctx: RecordContext): Promise<void> => {
    const list = begin(records);
    if (rnd(100) < s.syncShare) {
      end(list, false);
      return;
    }
    const done = new Promise<void>((resolve) => pending.push(resolve));
    if (s.abortAware) {
      let onAbort!: () => void;
      const aborted = new Promise<'aborted'>((resolve) => ctx.signal.addEventListener('abort', (onAbort = () => resolve('aborted')), { once: true }));
      const outcome = ctx.signal.aborted ? 'aborted' : await Promise.race([done, aborted]);
      ctx.signal.removeEventListener('abort', onAbort);
      if (outcome === 'aborted') {
        end(list, true);
        throw new Error('aborted');
      }
    } else {
      await done;
    }
    end(list, false);
  };

  const options: HandlerOptions = {
    concurrency: s.concurrency,
    maxInFlightRecords: s.maxInFlightRecords,
    maxInFlightBytes: s.maxInFlightBytes,
    checkpointInterval: s.checkpointEvery === undefined ? undefined : { records: s.checkpointEvery },
    drainTimeoutMs: 10_000,
    leaseLostGraceMs: 200,
    statsIntervalMs: 0,
    ...(s.mode === 'handle' ? { handle: (r: KinesisRecord, ctx: RecordContext) => work([r], ctx) } : { handleBatch: work }),
  };
  daemon = FakeDaemon.inProcess(options, { replyTimeoutMs: 10_000 });

  // The scheduler: finishes pending handlers in a random order, one or a few per macrotask.
  let stop = false;
  const resolver = (async () => {
    while (!stop) {
      await tick();
      for (let n = 1 + rnd(3); n > 0 && pending.length > 0; n--) pending.splice(rnd(pending.length), 1)[0]!();
    }
  })();

  await daemon.initialize();
  for (let i = 0; i < s.stopAfter; i++) await daemon.processRecords(wire[i]!);
  await daemon[s.ending]();
  // As the real daemon: after a requested shutdown the lease is given up (leaseLost), then stdin closes.
  if (s.ending === 'shutdownRequested') await daemon.leaseLost();
  stop = true;
  await resolver;
  for (const resolve of pending.splice(0)) resolve();
  const code = await daemon.close();
  await tick();

  assert.deepEqual(violations, []);
  assert.equal(code, 0);
  // The daemon accepted every checkpoint request (none backwards, none beyond what it delivered).
  assert.deepEqual(
    daemon.checkpointRequests.filter((r) => r.error !== null),
    [],
  );

  // Every checkpoint is at or before the last record such that it and all earlier records had finished
  // when the checkpoint arrived.
  const ordered = [...states.values()].sort((a, b) => a.index - b.index);
  daemon.checkpoints.forEach((c, ci) => {
    if (c.shardEnd) {
      assert.ok(ordered.every((st) => st.finishedAt !== undefined && st.finishedAt <= ci), 'SHARD_END before every record finished');
      return;
    }
    const seq = BigInt(c.sequenceNumber!);
    const sub = c.subSequenceNumber ?? 0;
    for (const st of ordered) {
      if (st.seq > seq || (st.seq === seq && st.sub > sub)) break;
      assert.ok(st.finishedAt !== undefined && st.finishedAt <= ci, `checkpoint ${ci} at ${seq}/${sub} passes record ${st.index}, unfinished then`);
    }
  });

  const last = delivered[delivered.length - 1];
  if (s.ending === 'leaseLost') {
    assert.equal(daemon.checkpointRequests.filter((r) => r.during === 'leaseLost').length, 0, 'checkpoint after leaseLost');
    for (const st of ordered) {
      assert.ok(st.started <= 1);
      // Finished, aborted while running, or dropped before it started: never left hanging.
      if (st.started === 1) assert.ok(st.finishedAt !== undefined || st.aborted, `record ${st.index} started and never ended`);
    }
    return;
  }
  // Graceful endings: every delivered record ran exactly once and finished.
  for (const st of ordered) assert.ok(st.started === 1 && st.finishedAt !== undefined && !st.aborted, `record ${st.index} not processed`);
  const final = daemon.checkpoints[daemon.checkpoints.length - 1];
  if (s.ending === 'shardEnded') {
    assert.ok(final?.shardEnd, 'shardEnded: the last checkpoint is SHARD_END');
    assert.equal(final.during, 'shardEnded');
  } else if (last) {
    assert.ok(final, 'shutdownRequested: a final checkpoint');
    assert.equal(final.during, daemon.checkpoints.length === 1 || final.during === 'shutdownRequested' ? final.during : 'processRecords');
    assert.deepEqual([final.sequenceNumber, final.subSequenceNumber], [last.sequenceNumber, last.subSequenceNumber ?? 0]);
  } else {
    assert.equal(daemon.checkpoints.length, 0);
  }
}

test('runtime: per-key order, watermark-safe checkpoints and clean endings under random completion orders and shutdown points', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: 100, interruptAfterTimeLimit: 25_000 });
});

test('runtime: a hot key with backpressure and random completions, then shutdownRequested', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 4 }), async (seed, concurrency) => {
      await runScenario({
        mode: 'handle',
        concurrency,
        maxInFlightRecords: 5,
        maxInFlightBytes: 16 * 1024 * 1024,
        checkpointEvery: undefined,
        batches: Array.from({ length: 4 }, (_, b) => ({ keys: Array.from({ length: 25 }, (_, i) => ((i + b) % 7 === 0 ? 1 : 0)), aggregate: 2, size: 10 })),
        stopAfter: 4,
        ending: 'shutdownRequested',
        seed,
        abortAware: false,
        syncShare: 10,
      });
    }),
    { numRuns: 15 },
  );
});
