// KeyedDispatcher paths the model-based test does not reach (issue 16): push()'s return value, the
// synchronous fast path's counters, extraRoom, retries (a number from run) and clearQueued() while an item
// waits for its retry, and a dispatcher without onError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { isThenable, KeyedDispatcher, type DispatcherOptions, type WorkItem } from '../../src/dispatch/index.js';

interface Item extends WorkItem {
  id: string;
}

const run = promisify(execFile);
const item = (id: string, records = 1, bytes = 10): Item => ({ id, key: id[0]!, records, bytes });

/** Items whose run waits until the test finishes them; `started` lists ids in start order. */
function controlled(options: Partial<DispatcherOptions<Item>> = {}) {
  const started: string[] = [];
  const pending = new Map<string, (again?: number) => void>();
  const d = new KeyedDispatcher<Item>({
    concurrency: 2,
    maxInFlightRecords: 1000,
    maxInFlightBytes: 1_000_000,
    run: (it) => {
      started.push(it.id);
      return new Promise<void | number>((resolve) => pending.set(it.id, resolve));
    },
    ...options,
  });
  const finish = async (id: string, again?: number): Promise<void> => {
    const resolve = pending.get(id);
    assert.ok(resolve, `${id} is not running`);
    pending.delete(id);
    resolve(again);
    await tick();
  };
  return { d, started, finish, pending };
}

test('push() returns true when the item started at once, false when it waits', async () => {
  const { d, started, finish } = controlled();
  assert.equal(d.push(item('a1')), true, 'idle key, free slot');
  assert.equal(d.push(item('a2')), false, 'key busy');
  assert.equal(d.push(item('b1')), true, 'other key, second slot');
  assert.equal(d.push(item('c1')), false, 'no slot');
  assert.equal(d.running, 2);
  assert.equal(d.keys, 3);
  assert.deepEqual(started, ['a1', 'b1']);
  await finish('b1');
  // a2 waits for a1, so the freed slot goes to c1.
  assert.deepEqual(started, ['a1', 'b1', 'c1']);
  assert.equal(d.push(item('d1')), false, 'no slot');
  await finish('a1');
  // d1 became ready before a2 (whose key was busy until now).
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'd1']);
  await finish('c1');
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'd1', 'a2']);
  await finish('d1');
  await finish('a2');
  assert.equal(d.keys, 0);
  // A synchronous run also counts as started at once.
  const sync = new KeyedDispatcher<Item>({ concurrency: 1, maxInFlightRecords: 10, maxInFlightBytes: 100, run: () => undefined });
  assert.equal(sync.push(item('x1')), true);
  assert.equal(sync.push(item('x2')), true);
});

test('a key with queued work keeps its turn: a new key does not overtake it on a free slot', async () => {
  const { d, started, finish } = controlled({ concurrency: 1 });
  d.push(item('a1'));
  d.push(item('b1')); // waits for the slot
  await finish('a1');
  assert.deepEqual(started, ['a1', 'b1']);
  assert.equal(d.push(item('c1')), false);
  assert.equal(d.push(item('b2')), false);
  await finish('b1');
  // c1 was ready before b2 (b went to the back of the line after b1).
  assert.deepEqual(started, ['a1', 'b1', 'c1']);
  await finish('c1');
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'b2']);
  await finish('b2');
  assert.equal(d.running, 0);
});

test('synchronous runs leave the in-flight counters at zero, on the fast path and in the pump loop', async () => {
  const ran: string[] = [];
  let hold: (() => void) | undefined;
  const d = new KeyedDispatcher<Item>({
    concurrency: 1,
    maxInFlightRecords: 100,
    maxInFlightBytes: 10_000,
    run: (it) => {
      ran.push(it.id);
      if (it.id === 'h1') return new Promise<void>((resolve) => (hold = resolve));
    },
  });
  d.push(item('s1', 3, 300));
  assert.equal(d.inFlightRecords, 0);
  assert.equal(d.inFlightBytes, 0);
  assert.equal(d.keys, 0, 'the fast path makes no key queue for a synchronous run');
  d.push(item('h1', 2, 200));
  assert.equal(d.inFlightRecords, 2);
  assert.equal(d.inFlightBytes, 200);
  for (const id of ['t1', 'u1', 't2']) d.push(item(id, 1, 50));
  assert.equal(d.inFlightRecords, 5);
  assert.equal(d.inFlightBytes, 350);
  assert.equal(d.keys, 3);
  hold!();
  await d.onIdle();
  assert.deepEqual(ran, ['s1', 'h1', 't1', 'u1', 't2']);
  assert.equal(d.inFlightRecords, 0);
  assert.equal(d.inFlightBytes, 0);
  assert.equal(d.running, 0);
  assert.equal(d.keys, 0);
  assert.equal(d.hasRoom(), true);
});

test('records and bytes each bound hasRoom(); waitForRoom() resolves when an item finishes', async () => {
  const { d, finish } = controlled({ maxInFlightRecords: 3, maxInFlightBytes: 100 });
  d.push(item('a1', 2, 10));
  assert.equal(d.hasRoom(), true);
  d.push(item('b1', 1, 10));
  assert.equal(d.hasRoom(), false, '3 records of at most 3: no room');
  let room = false;
  void d.waitForRoom().then(() => (room = true));
  await tick();
  assert.equal(room, false);
  await finish('b1');
  assert.equal(room, true);
  d.push(item('c1', 1, 80));
  assert.equal(d.inFlightBytes, 90);
  assert.equal(d.hasRoom(), false, '3 records again');
  await finish('a1');
  assert.equal(d.hasRoom(), true, '1 record, 80 bytes');
  d.push(item('d1', 0, 20));
  assert.equal(d.hasRoom(), false, '100 bytes of at most 100: no room');
  await finish('c1');
  await finish('d1');
  assert.equal(d.hasRoom(), true);
  await d.waitForRoom();
});

test('extraRoom is a further condition of hasRoom(), re-checked when an item finishes', async () => {
  let extra = true;
  let calls = 0;
  const { d, finish } = controlled({
    extraRoom: () => {
      calls++;
      return extra;
    },
  });
  d.push(item('a1'));
  d.push(item('b1'));
  assert.equal(d.hasRoom(), true);
  assert.ok(calls > 0);
  extra = false;
  assert.equal(d.hasRoom(), false, 'the bounds leave room but extraRoom says no');
  let room = false;
  void d.waitForRoom().then(() => (room = true));
  await finish('a1');
  assert.equal(room, false, 'an item finished but extraRoom still says no');
  extra = true;
  await finish('b1');
  assert.equal(room, true, 're-checked when the next item finished');
});

test('a retry (run resolves with a number) frees the slot, keeps the key blocked, and runs first after its delay', async () => {
  const { d, started, finish } = controlled({ concurrency: 1 });
  d.push(item('a1', 1, 10));
  d.push(item('a2', 1, 10));
  d.push(item('b1', 1, 10));
  await finish('a1', 20);
  assert.deepEqual(started, ['a1', 'b1'], 'the slot went to b1 while a1 waits');
  assert.equal(d.running, 1);
  assert.equal(d.inFlightRecords, 3, 'the waiting retry still counts');
  assert.equal(d.inFlightBytes, 30);
  await finish('b1');
  assert.deepEqual(started, ['a1', 'b1'], 'a2 does not overtake the waiting retry of a1');
  assert.equal(d.running, 0);
  let idle = false;
  void d.onIdle().then(() => (idle = true));
  await sleep(40);
  assert.deepEqual(started, ['a1', 'b1', 'a1'], 'the retry ran after its delay');
  assert.equal(idle, false, 'not idle while the retry runs');
  await finish('a1');
  assert.deepEqual(started, ['a1', 'b1', 'a1', 'a2']);
  await finish('a2');
  assert.equal(idle, true);
  assert.equal(d.keys, 0);
  assert.equal(d.inFlightRecords, 0);
});

test('a synchronous run returning a number is retried too', async () => {
  const calls: string[] = [];
  const d = new KeyedDispatcher<Item>({
    concurrency: 1,
    maxInFlightRecords: 10,
    maxInFlightBytes: 100,
    run: (it) => {
      calls.push(it.id);
      return calls.length < 3 ? 1 : undefined;
    },
  });
  assert.equal(d.push(item('a1')), true);
  assert.equal(d.inFlightRecords, 1);
  assert.equal(d.keys, 1);
  assert.equal(d.running, 0, 'the slot is free while the retry waits');
  // The retry timer does not hold the event loop open (see the next test); this sleep does.
  await sleep(30);
  assert.deepEqual(calls, ['a1', 'a1', 'a1']);
  assert.equal(d.keys, 0);
  assert.equal(d.inFlightRecords, 0);
});

test('an item waiting for its retry does not keep the process alive', async () => {
  const url = new URL('../../src/dispatch/index.js', import.meta.url).href;
  const script = `
    const { KeyedDispatcher } = await import(${JSON.stringify(url)});
    const d = new KeyedDispatcher({ concurrency: 1, maxInFlightRecords: 10, maxInFlightBytes: 100, run: () => 60000 });
    d.push({ key: 'a', records: 1, bytes: 1 });
    process.on('exit', () => process.stdout.write('exit with ' + d.inFlightRecords + ' in flight'));`;
  const started = Date.now();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 5000 });
  assert.equal(stdout, 'exit with 1 in flight');
  assert.ok(Date.now() - started < 5000);
});

test('clearQueued() while an item waits for its retry drops it (retry first, then the queue); it never runs again', async () => {
  const { d, started, finish } = controlled();
  d.push(item('a1', 1, 10));
  d.push(item('a2', 2, 20));
  d.push(item('b1', 1, 5));
  d.push(item('c1', 1, 5)); // queued: no slot
  await finish('a1', 30);
  assert.deepEqual(started, ['a1', 'b1', 'c1']);
  let idle = false;
  void d.onIdle().then(() => (idle = true));
  const dropped = d.clearQueued();
  assert.deepEqual(dropped.map((i) => i.id), ['a1', 'a2']);
  assert.equal(d.inFlightRecords, 2, 'b1 and c1 still run');
  assert.equal(d.inFlightBytes, 10);
  assert.equal(d.keys, 2);
  await finish('b1');
  await finish('c1');
  assert.equal(idle, true);
  assert.equal(d.keys, 0);
  await sleep(50);
  assert.deepEqual(started, ['a1', 'b1', 'c1'], 'the dropped retry did not run after its delay');
  // The key takes new work at once.
  assert.equal(d.push(item('a3')), true);
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'a3']);
  await finish('a3');
  assert.equal(d.inFlightRecords, 0);
});

test('clearQueued() after a retry came due but before a slot was free drops it too', async () => {
  const { d, started, finish } = controlled({ concurrency: 1 });
  d.push(item('a1'));
  d.push(item('b1'));
  await finish('a1', 1);
  assert.deepEqual(started, ['a1', 'b1']);
  await sleep(20); // a1's retry is due, waiting for b1's slot
  d.push(item('a2'));
  const dropped = d.clearQueued();
  assert.deepEqual(dropped.map((i) => i.id), ['a1', 'a2']);
  await finish('b1');
  await tick();
  assert.deepEqual(started, ['a1', 'b1']);
  assert.equal(d.running, 0);
  assert.equal(d.keys, 0);
  assert.equal(d.inFlightRecords, 0);
});

test('clearQueued() keeps running items and their keys; what was queued behind them is returned oldest first', async () => {
  const { d, started, finish } = controlled({ concurrency: 1 });
  d.push(item('a1'));
  d.push(item('a2'));
  d.push(item('b1'));
  d.push(item('a3'));
  const dropped = d.clearQueued();
  assert.deepEqual(dropped.map((i) => i.id).sort(), ['a2', 'a3', 'b1']);
  assert.deepEqual(dropped.filter((i) => i.key === 'a').map((i) => i.id), ['a2', 'a3']);
  assert.equal(d.keys, 1);
  assert.equal(d.inFlightRecords, 1);
  assert.deepEqual(d.clearQueued(), []);
  d.push(item('c1'));
  await finish('a1');
  assert.deepEqual(started, ['a1', 'c1']);
  await finish('c1');
  assert.equal(d.keys, 0);
});

test('without onError, a throw or a rejection counts as finished and the key goes on', async () => {
  const ran: string[] = [];
  const d = new KeyedDispatcher<Item>({
    concurrency: 1,
    maxInFlightRecords: 10,
    maxInFlightBytes: 100,
    run: (it) => {
      ran.push(it.id);
      if (it.id === 'a1') throw new Error('sync');
      if (it.id === 'a2') return Promise.reject(new Error('async'));
      if (it.id === 'b1') return new Promise<void>((resolve) => setImmediate(resolve));
    },
  });
  d.push(item('b1'));
  for (const id of ['a1', 'a2', 'a3']) d.push(item(id));
  await d.onIdle();
  assert.deepEqual(ran, ['b1', 'a1', 'a2', 'a3']);
  assert.equal(d.push(item('a4')), true, 'a synchronous throw on the fast path counts as started and finished');
  assert.deepEqual(ran, ['b1', 'a1', 'a2', 'a3', 'a4']);
  assert.equal(d.push(item('a1')), true);
  assert.equal(d.inFlightRecords, 0);
  assert.equal(d.keys, 0);
});

test('onError receives the item and the error, for a throw on the fast path too', async () => {
  const errors: string[] = [];
  const d = new KeyedDispatcher<Item>({
    concurrency: 1,
    maxInFlightRecords: 10,
    maxInFlightBytes: 100,
    run: (it) => {
      if (it.id === 'a1') throw new Error('sync a1');
      return Promise.reject(new Error(`async ${it.id}`));
    },
    onError: (it, err) => errors.push(`${it.id}: ${(err as Error).message}`),
  });
  d.push(item('a1'));
  assert.equal(d.inFlightRecords, 0);
  d.push(item('b1'));
  d.push(item('b2'));
  await d.onIdle();
  assert.deepEqual(errors, ['a1: sync a1', 'b1: async b1', 'b2: async b2']);
});

test('onIdle() and waitForRoom() resolve at once when idle; every waiter is called', async () => {
  const { d, finish } = controlled({ maxInFlightRecords: 1 });
  await d.onIdle();
  await d.waitForRoom();
  d.push(item('a1'));
  const done: string[] = [];
  void d.onIdle().then(() => done.push('idle 1'));
  void d.onIdle().then(() => done.push('idle 2'));
  void d.waitForRoom().then(() => done.push('room 1'));
  void d.waitForRoom().then(() => done.push('room 2'));
  await tick();
  assert.deepEqual(done, []);
  await finish('a1');
  await tick();
  assert.deepEqual(done.sort(), ['idle 1', 'idle 2', 'room 1', 'room 2']);
});

test('isThenable: objects with a then method only', () => {
  assert.equal(isThenable(Promise.resolve()), true);
  assert.equal(isThenable({ then: () => undefined }), true);
  for (const v of [null, undefined, 0, 5, 'then', { then: 1 }, {}, () => undefined]) assert.equal(isThenable(v), false, String(v));
});

test('onIdle() waits for a running item that counts no records (records: 0)', async () => {
  const { d, finish } = controlled();
  d.push({ id: 'a1', key: 'a', records: 0, bytes: 0 });
  assert.equal(d.inFlightRecords, 0);
  let idle = false;
  void d.onIdle().then(() => (idle = true));
  await tick();
  assert.equal(idle, false, 'an item still runs');
  d.push({ id: 'b1', key: 'b', records: 0, bytes: 0 });
  await finish('b1');
  assert.equal(idle, false, 'a1 still runs');
  await finish('a1');
  assert.equal(idle, true);
});

test('synchronous runs started by the pump finish before the next starts, without yielding to microtasks', async () => {
  const microtaskRan: boolean[] = [];
  let flag = false;
  let hold!: () => void;
  const d = new KeyedDispatcher<Item>({
    concurrency: 1,
    maxInFlightRecords: 100,
    maxInFlightBytes: 10_000,
    run: (it) => {
      if (it.id === 'h1') return new Promise<void>((resolve) => (hold = resolve));
      microtaskRan.push(flag);
      if (it.id === 't1') queueMicrotask(() => (flag = true));
    },
  });
  d.push(item('h1'));
  d.push(item('t1'));
  d.push(item('u1'));
  hold();
  await d.onIdle();
  assert.deepEqual(microtaskRan, [false, false], 'u1 ran in the same synchronous pass as t1');
});

test('an item pushed from inside a run() the pump started never starts inside that call (no nested pump)', async () => {
  const log: string[] = [];
  const pending = new Map<string, () => void>();
  const d: KeyedDispatcher<Item> = new KeyedDispatcher<Item>({
    concurrency: 2,
    maxInFlightRecords: 100,
    maxInFlightBytes: 10_000,
    run: (it) => {
      log.push(`start ${it.id}`);
      if (it.id === 'a1') d.push(item('b1'));
      log.push(`return ${it.id}`);
      return new Promise<void>((resolve) => pending.set(it.id, resolve));
    },
  });
  d.push(item('a0'));
  d.push(item('a1')); // queued behind a0: started by the pump once a0 finished, with a slot to spare
  pending.get('a0')!();
  await tick();
  assert.deepEqual(log, ['start a0', 'return a0', 'start a1', 'return a1', 'start b1', 'return b1']);
  for (const id of ['a1', 'b1']) pending.get(id)!();
  await d.onIdle();
});
