// stop-shard: once the policy decides to stop, no later record of the failed key and no new handler call
// anywhere in the shard starts (retries included); calls already running finish. Tries to break it with
// synchronous and asynchronous failures, waiting retries, per-key sub-batches and random workloads, in
// process and over a real pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordScript, ScenarioEvent, ScenarioParams } from '../fixtures/scenario-options.js';
import { prng, sleep } from '../helpers.js';
import { MODES, startScenario, type Mode } from './harness.js';

const started = (events: ScenarioEvent[]) => events.filter((e) => e.ev === 'start').map((e) => e.i);

/** Asserts that no handler call started after the first stop-shard decision, and returns that index. */
function assertNothingStartedAfterStop(events: ScenarioEvent[], what: string): number {
  const stop = events.findIndex((e) => e.ev === 'decided' && e.decision === 'stop-shard');
  assert.ok(stop >= 0, `${what}: a stop-shard decision happened`);
  const after = events.slice(stop + 1).filter((e) => e.ev === 'start');
  assert.deepEqual(after, [], `${what}: handler calls started after the stop-shard decision`);
  return stop;
}

for (const mode of MODES) {
  test(`${mode}: one key, record 1 throws, maxRetries 0, default policy: records 2.. never start`, async () => {
    const run = startScenario(mode, { maxRetries: 0 });
    try {
      const d = run.daemon;
      await d.initialize();
      const batch = run.records([{ i: 0 }, { i: 1, fail: 'sync' }, { i: 2 }, { i: 3 }, { i: 4, delay: 5 }]);
      await d.processRecords(batch);
      await sleep(100);
      await d.processRecords(run.records([{ i: 5 }])); // refused: the shard stopped
      await d.shutdownRequested();
      await d.leaseLost();
      assert.equal(await run.close(), 0);
      assert.deepEqual(started(run.events()), [0, 1]);
      assert.deepEqual(d.checkpoints.map((c) => c.sequenceNumber), [batch[0]!.sequenceNumber]);
      const s = run.status();
      assert.equal(s.state, 'stopped-on-failure');
      assert.equal(s.failed, 1);
      assert.equal(s.failure?.sequenceNumber, batch[1]!.sequenceNumber);
    } finally {
      run.cleanup();
    }
  });

  test(`${mode}: a retry waiting on another key is not run after a stop-shard decision`, async () => {
    const run = startScenario(mode, { maxRetries: 1, retryDelayMs: 200, policy: 'stop-fn' });
    try {
      const d = run.daemon;
      await d.initialize();
      // Retry delays are 100-200 ms (jitter). Record 1 fails at once, is retried by 200 ms, fails again:
      // stop. Record 0 fails at 150 ms; its retry would start at 250 ms or later, after the stop.
      await d.processRecords(run.records([{ i: 0, key: 'a', delay: 150, fail: 'async' }, { i: 1, key: 'b', fail: 'sync' }, { i: 2, key: 'a' }]));
      await sleep(500);
      await d.shutdownRequested();
      await d.leaseLost();
      assert.equal(await run.close(), 0);
      const events = run.events();
      assertNothingStartedAfterStop(events, 'retry');
      assert.deepEqual(events.filter((e) => e.ev === 'start' && e.i === 0).length, 1, 'record 0 was not retried');
      assert.ok(!started(events).includes(2));
    } finally {
      run.cleanup();
    }
  });
}

/** A random workload with one or two poison records; returns the scripts. */
function workload(seed: number): (RecordScript & { key: string })[] {
  const rand = prng(seed);
  const n = 30 + rand(30);
  const scripts: (RecordScript & { key: string })[] = [];
  const poison = new Set([rand(n), rand(n)]);
  for (let i = 0; i < n; i++) {
    const delay = rand(3) === 0 ? 0 : 1 + rand(15);
    scripts.push({
      i,
      key: `k${rand(6)}`,
      ...(delay > 0 ? { delay } : {}),
      ...(poison.has(i) ? { fail: delay > 0 && rand(2) === 0 ? ('async' as const) : ('sync' as const) } : {}),
    });
  }
  return scripts;
}

async function tryToBreak(mode: Mode, seed: number, params: ScenarioParams): Promise<void> {
  const run = startScenario(mode, { policy: 'stop-fn', ...params });
  try {
    const d = run.daemon;
    await d.initialize();
    const scripts = workload(seed);
    const wire = run.records(scripts);
    const half = Math.floor(wire.length / 2);
    await d.processRecords(wire.slice(0, half));
    await d.processRecords(wire.slice(half));
    await d.shutdownRequested();
    await d.leaseLost();
    assert.equal(await run.close(), 0);
    const events = run.events();
    const what = `${mode}, seed ${seed}, ${JSON.stringify(params)}`;
    const stop = assertNothingStartedAfterStop(events, what);
    // Per key: nothing after the failed record started, ever (order holds through the failure).
    const failed = events[stop]!.i;
    const key = scripts[failed]!.key;
    const laterOfKey = scripts.filter((s) => s.key === key && s.i > failed).map((s) => s.i);
    for (const i of started(events)) assert.ok(!laterOfKey.includes(i), `${what}: record ${i} of ${key} ran after failed record ${failed}`);
    // The checkpoint never reaches the failed record.
    for (const c of d.checkpoints) assert.ok(BigInt(c.sequenceNumber!) < BigInt(wire[failed]!.sequenceNumber), `${what}: checkpoint passed the failure`);
  } finally {
    run.cleanup();
  }
}

test('in-process: random workloads, stop-shard decisions: nothing starts after the decision (40 seeds)', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    await tryToBreak('in-process', seed, { concurrency: 4, maxRetries: 0 });
    await tryToBreak('in-process', seed + 1000, { concurrency: 3, maxRetries: 1, retryDelayMs: 5, batch: seed % 2 === 0 });
  }
});

test('pipe: random workloads, stop-shard decisions: nothing starts after the decision (4 seeds)', { skip: !MODES.includes('pipe') }, async () => {
  for (let seed = 1; seed <= 2; seed++) {
    await tryToBreak('pipe', seed, { concurrency: 4, maxRetries: 0 });
    await tryToBreak('pipe', seed + 1000, { concurrency: 3, maxRetries: 1, retryDelayMs: 5, batch: true });
  }
});
