// Model-based tests of KeyedDispatcher with a controllable scheduler: every `run` returns a promise the
// test settles, in an order fast-check chooses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import fc from 'fast-check';
import { KeyedDispatcher, type WorkItem } from '../../src/dispatch/index.js';

interface Item extends WorkItem {
  id: number;
}

interface Running {
  item: Item;
  resolve: () => void;
  reject: (e: unknown) => void;
}

type Op =
  | { t: 'push'; key: number; records: number; bytes: number }
  | { t: 'finish'; pick: number; fail: boolean }
  | { t: 'clear' }
  | { t: 'waitRoom' }
  | { t: 'waitIdle' };

const opArb = (keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('push' as const), key: fc.nat(keys - 1), records: fc.integer({ min: 1, max: 4 }), bytes: fc.nat(300) }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('finish' as const), pick: fc.nat(), fail: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'waitRoom' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'waitIdle' as const }) },
  );

const scenarioArb = fc.integer({ min: 1, max: 12 }).chain((keys) =>
  fc.record({
    keys: fc.constant(keys),
    concurrency: fc.integer({ min: 1, max: 6 }),
    maxRecords: fc.integer({ min: 1, max: 20 }),
    maxBytes: fc.integer({ min: 1, max: 2000 }),
    ops: fc.array(opArb(keys), { minLength: 1, maxLength: 150 }),
  }),
);

/** A waiter promise and whether it resolved yet. */
interface Waiter {
  done: boolean;
  /** The condition was observed true at some point since the waiter was created. */
  shouldBeDone: boolean;
}

interface Scenario {
  keys: number;
  concurrency: number;
  maxRecords: number;
  maxBytes: number;
  ops: Op[];
}

async function runScenario(s: Scenario): Promise<void> {
  const running: Running[] = [];
  const ranIds = new Set<number>();
  const errors: number[] = [];
  const d = new KeyedDispatcher<Item>({
    concurrency: s.concurrency,
    maxInFlightRecords: s.maxRecords,
    maxInFlightBytes: s.maxBytes,
    run: (item) => {
      assert.ok(!ranIds.has(item.id), `item ${item.id} ran twice`);
      ranIds.add(item.id);
      // Model checks at start: the key is free, and this is the oldest queued item of its key.
      const q = model.get(item.key);
      assert.ok(q, `item ${item.id} of an unknown key started`);
      assert.equal(q.running, undefined, `two items of key ${item.key} at once`);
      assert.equal(q.queued[0]?.id, item.id, `key ${item.key}: item ${item.id} started before ${q.queued[0]?.id}`);
      q.queued.shift();
      q.running = item;
      assert.ok(running.length < s.concurrency, 'running exceeds concurrency');
      return new Promise<void>((resolve, reject) => running.push({ item, resolve, reject }));
    },
    onError: (item) => errors.push(item.id),
  });
  // Model: per key, the queued items in push order and the running one.
  const model = new Map<string, { queued: Item[]; running: Item | undefined }>();
  const cleared: Item[] = [];
  const pushed: Item[] = [];
  const roomWaiters: Waiter[] = [];
  const idleWaiters: Waiter[] = [];
  let nextId = 0;

  const modelTotals = (): { records: number; bytes: number; keys: number; busy: number; running: number } => {
    let records = 0;
    let bytes = 0;
    let busy = 0;
    let run = 0;
    for (const q of model.values()) {
      for (const it of q.queued) {
        records += it.records;
        bytes += it.bytes;
      }
      if (q.running) {
        records += q.running.records;
        bytes += q.running.bytes;
        run++;
      }
      if (q.running || q.queued.length > 0) busy++;
    }
    return { records, bytes, keys: busy, busy, running: run };
  };

  const check = async (): Promise<void> => {
    await flush();
    const m = modelTotals();
    assert.equal(d.running, running.length);
    assert.equal(d.running, m.running);
    // Work-conserving: as many items run as the cap and the busy keys allow.
    assert.equal(d.running, Math.min(s.concurrency, m.busy), 'idle slot while a free key has queued work');
    assert.equal(d.inFlightRecords, m.records);
    assert.equal(d.inFlightBytes, m.bytes);
    assert.equal(d.keys, m.keys, 'keys map holds only keys with queued or running work');
    const room = m.records < s.maxRecords && m.bytes < s.maxBytes;
    assert.equal(d.hasRoom(), room);
    const idle = m.records === 0 && m.running === 0;
    for (const w of roomWaiters) {
      if (room) w.shouldBeDone = true;
      assert.equal(w.done, w.shouldBeDone, `waitForRoom resolved=${w.done}, expected ${w.shouldBeDone}`);
    }
    for (const w of idleWaiters) {
      if (idle) w.shouldBeDone = true;
      assert.equal(w.done, w.shouldBeDone, `onIdle resolved=${w.done}, expected ${w.shouldBeDone}`);
    }
  };

  const finish = async (pick: number, fail: boolean): Promise<void> => {
    const [r] = running.splice(pick % running.length, 1);
    const q = model.get(r!.item.key)!;
    assert.equal(q.running, r!.item);
    q.running = undefined;
    if (q.queued.length === 0) model.delete(r!.item.key);
    if (fail) r!.reject(new Error(`item ${r!.item.id} failed`));
    else r!.resolve();
  };

  for (const op of s.ops) {
    switch (op.t) {
      case 'push': {
        const item: Item = { id: nextId++, key: `k${op.key}`, records: op.records, bytes: op.bytes };
        pushed.push(item);
        let q = model.get(item.key);
        if (!q) model.set(item.key, (q = { queued: [], running: undefined }));
        q.queued.push(item);
        d.push(item);
        break;
      }
      case 'finish':
        if (running.length > 0) await finish(op.pick, op.fail);
        break;
      case 'clear': {
        const got = d.clearQueued();
        // Exactly the queued items, oldest first per key.
        const expected: Item[] = [];
        for (const [key, q] of model) {
          expected.push(...q.queued);
          q.queued = [];
          if (!q.running) model.delete(key);
        }
        const byId = (a: Item, b: Item) => a.id - b.id;
        assert.deepEqual([...got].sort(byId), expected.sort(byId));
        const perKey = new Map<string, number>();
        for (const it of got) {
          assert.ok((perKey.get(it.key) ?? -1) < it.id, 'clearQueued: not oldest first per key');
          perKey.set(it.key, it.id);
        }
        cleared.push(...got);
        break;
      }
      case 'waitRoom': {
        const w: Waiter = { done: false, shouldBeDone: d.hasRoom() };
        void d.waitForRoom().then(() => (w.done = true));
        roomWaiters.push(w);
        break;
      }
      case 'waitIdle': {
        const m = modelTotals();
        const w: Waiter = { done: false, shouldBeDone: m.records === 0 && m.running === 0 };
        void d.onIdle().then(() => (w.done = true));
        idleWaiters.push(w);
        break;
      }
    }
    await check();
  }
  // Finish everything.
  const idle: Waiter = { done: false, shouldBeDone: false };
  void d.onIdle().then(() => (idle.done = true));
  idleWaiters.push(idle);
  while (running.length > 0) {
    await finish(0, false);
    await check();
  }
  await check();
  assert.equal(idle.done, true);
  assert.equal(d.keys, 0);
  assert.equal(d.inFlightRecords, 0);
  assert.equal(d.inFlightBytes, 0);
  assert.equal(d.running, 0);
  // Every pushed item ran exactly once or was cleared, never both.
  const clearedIds = new Set(cleared.map((i) => i.id));
  for (const it of pushed) assert.ok(ranIds.has(it.id) !== clearedIds.has(it.id), `item ${it.id}: ran=${ranIds.has(it.id)} cleared=${clearedIds.has(it.id)}`);
  assert.equal(errors.every((id) => ranIds.has(id)), true);
}

test('dispatcher: model-based — per-key exclusion and order, concurrency cap, counters, waiters, clearQueued', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: 300 });
});

test('dispatcher: completions delivered by fc.scheduler in any interleaving keep per-key order and the cap', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.nat(5), { minLength: 1, maxLength: 40 }),
      async (sched, concurrency, keys) => {
        const active = new Map<string, number>();
        const order = new Map<string, number[]>();
        let running = 0;
        let max = 0;
        const d = new KeyedDispatcher<Item>({
          concurrency,
          maxInFlightRecords: 1e9,
          maxInFlightBytes: 1e9,
          run: async (item) => {
            assert.equal(active.get(item.key) ?? 0, 0, 'two of one key at once');
            active.set(item.key, 1);
            running++;
            max = Math.max(max, running);
            (order.get(item.key) ?? order.set(item.key, []).get(item.key)!).push(item.id);
            await sched.schedule(Promise.resolve(), `finish ${item.id}`);
            running--;
            active.set(item.key, 0);
          },
        });
        keys.forEach((k, id) => d.push({ id, key: `k${k}`, records: 1, bytes: 0 }));
        const idle = d.onIdle();
        await sched.waitFor(idle);
        assert.ok(max <= concurrency);
        for (const [key, ids] of order) {
          const expected = keys.flatMap((k, id) => (`k${k}` === key ? [id] : []));
          assert.deepEqual(ids, expected);
        }
        assert.equal(d.keys, 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('dispatcher: a synchronous throw or rejection in run counts as finished and goes to onError', async () => {
  const errors: unknown[] = [];
  const seen: number[] = [];
  const d = new KeyedDispatcher<Item>({
    concurrency: 2,
    maxInFlightRecords: 100,
    maxInFlightBytes: 100,
    run: (item) => {
      seen.push(item.id);
      if (item.id % 3 === 0) throw new Error(`sync ${item.id}`);
      if (item.id % 3 === 1) return Promise.reject(new Error(`async ${item.id}`));
      return Promise.resolve();
    },
    onError: (_item, err) => errors.push(err),
  });
  for (let i = 0; i < 9; i++) d.push({ id: i, key: `k${i % 2}`, records: 1, bytes: 1 });
  await d.onIdle();
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(errors.length, 6);
  assert.equal(d.keys, 0);
  assert.equal(d.inFlightRecords, 0);
});

test('dispatcher: 100,000 distinct cold keys pushed and finished leave no key behind', async () => {
  let running = 0;
  let max = 0;
  const d = new KeyedDispatcher<Item>({
    concurrency: 256,
    maxInFlightRecords: 1e9,
    maxInFlightBytes: 1e9,
    run: async () => {
      running++;
      max = Math.max(max, running);
      await null;
      running--;
    },
  });
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 25_000; i++) d.push({ id: i, key: `cold-${round}-${i}`, records: 1, bytes: 10 });
    assert.ok(d.keys <= 25_000);
    await d.onIdle();
    assert.equal(d.keys, 0);
    assert.equal(d.inFlightRecords, 0);
    assert.equal(d.inFlightBytes, 0);
  }
  assert.equal(max, 256);
});

test('dispatcher: one hot key with 10,000 items never runs two at once, in order, and does not starve a cold key', async () => {
  const seen: number[] = [];
  let hot = 0;
  let maxHot = 0;
  let coldStartedAfter = -1;
  const d = new KeyedDispatcher<Item>({
    concurrency: 8,
    maxInFlightRecords: 1e9,
    maxInFlightBytes: 1e9,
    run: async (item) => {
      if (item.key === 'cold') {
        coldStartedAfter = seen.length;
        return;
      }
      hot++;
      maxHot = Math.max(maxHot, hot);
      seen.push(item.id);
      await new Promise<void>((r) => setImmediate(r));
      hot--;
    },
  });
  for (let i = 0; i < 10_000; i++) d.push({ id: i, key: 'hot', records: 1, bytes: 1 });
  await new Promise<void>((r) => setImmediate(r));
  const before = seen.length;
  d.push({ id: -1, key: 'cold', records: 1, bytes: 1 });
  await d.onIdle();
  assert.equal(maxHot, 1);
  assert.deepEqual(seen, Array.from({ length: 10_000 }, (_, i) => i));
  assert.ok(coldStartedAfter >= 0 && coldStartedAfter <= before + 1, `cold key waited behind ${coldStartedAfter - before} hot items`);
  assert.equal(d.keys, 0);
});
