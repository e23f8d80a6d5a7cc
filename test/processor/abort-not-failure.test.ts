// Our own abort (a shutdown drain that timed out, a lost lease) is not a failure of the records it
// interrupts: they stay unfinished (no checkpoint passes them), never reach the failure policy, are not
// retried, dead-lettered or counted as failures. Each test runs in-process and over a real pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary, summarizeShards } from '../../src/launcher/summary.js';
import type { ScenarioEvent } from '../fixtures/scenario-options.js';
import { sleep } from '../helpers.js';
import { MODES, startScenario } from './harness.js';

const started = (events: ScenarioEvent[]) => events.filter((e) => e.ev === 'start').map((e) => e.i);

for (const mode of MODES) {
  for (const policy of ['skip-fn', 'dead-letter'] as const) {
    test(`${mode}, ${policy}: a drain timeout leaves running and queued records unfinished and refuses later batches`, async () => {
      const run = startScenario(mode, { policy, drainTimeoutMs: 300, maxRetries: 2 });
      try {
        const d = run.daemon;
        await d.initialize();
        const batch1 = run.records([{ i: 0, key: 'a' }, { i: 1, key: 'b', delay: 10_000, honour: true }, { i: 2, key: 'b' }]);
        await d.processRecords(batch1);
        await run.waitFor((e) => e.ev === 'start' && e.i === 1);
        await d.shutdownRequested(); // the drain times out: record 1 is aborted, record 2 dropped
        // The README used to promise that such a batch is processed normally; it ran with an aborted signal.
        await d.processRecords(run.records([{ i: 3, key: 'c' }, { i: 4, key: 'b' }]));
        await sleep(100);
        await d.shutdownRequested();
        await d.leaseLost();
        assert.equal(await run.close(), 0);
        const events = run.events();
        assert.deepEqual(started(events), [0, 1], 'record 2 (queued) and the later batch never started');
        assert.ok(events.some((e) => e.ev === 'aborted' && e.i === 1), 'record 1 saw the abort');
        assert.deepEqual(events.filter((e) => e.ev === 'decided'), [], 'the failure policy was never asked');
        assert.ok(d.checkpoints.length > 0);
        for (const c of d.checkpoints) assert.equal(c.sequenceNumber, batch1[0]!.sequenceNumber, 'no checkpoint passes record 1');
        assert.deepEqual(run.deadLetters(), []);
        const s = run.status();
        assert.deepEqual([s.skipped, s.deadLettered, s.failed, s.retried], [0, 0, 0, 0]);
        assert.equal(s.abandonedOnDrainTimeout, 2);
        assert.notEqual(s.state, 'stopped-on-failure');
      } finally {
        run.cleanup();
      }
    });
  }

  test(`${mode}: a batch after a drain that finished in time runs with a live signal and is checkpointed`, async () => {
    const run = startScenario(mode, { drainTimeoutMs: 2000 });
    try {
      const d = run.daemon;
      await d.initialize();
      await d.processRecords(run.records([{ i: 0, delay: 20, honour: true }]));
      await d.shutdownRequested();
      const later = run.records([{ i: 1, delay: 20, honour: true }]);
      await d.processRecords(later);
      await d.shutdownRequested();
      await d.leaseLost();
      assert.equal(await run.close(), 0);
      const events = run.events();
      assert.deepEqual(events.filter((e) => e.ev === 'start').map((e) => [e.i, e.aborted]), [[0, false], [1, false]]);
      assert.ok(events.some((e) => e.ev === 'end' && e.i === 1));
      assert.equal(d.checkpoints.at(-1)!.sequenceNumber, later[0]!.sequenceNumber);
    } finally {
      run.cleanup();
    }
  });

  for (const policy of ['stop-shard', 'dead-letter'] as const) {
    test(`${mode}, ${policy}: rejections caused by leaseLost's abort are abandoned, not failures`, async () => {
      const run = startScenario(mode, { policy, maxRetries: 3, leaseLostGraceMs: 300 });
      try {
        const d = run.daemon;
        await d.initialize('shardId-000000000007');
        const batch = run.records([
          { i: 0, key: 'a', delay: 10_000, honour: true }, // running, honours ctx.signal: rejects on the abort
          { i: 1, key: 'a' }, // queued behind it: dropped
          { i: 2, key: 'b' }, // done
          { i: 3, key: 'c', delay: 3000 }, // running, ignores the signal: still running at the reply
        ]);
        await d.processRecords(batch);
        await run.waitFor((e) => e.ev === 'start' && e.i === 3);
        await d.leaseLost();
        assert.equal(await run.close(), 0);
        const events = run.events();
        assert.deepEqual(started(events).sort(), [0, 2, 3], 'no retry of record 0, record 1 never started');
        assert.ok(events.some((e) => e.ev === 'aborted' && e.i === 0));
        assert.deepEqual(run.deadLetters(), [], 'nothing dead-lettered (the new lease owner processes these records)');
        assert.equal(d.checkpoints.length, 0, 'nothing checkpointed: record 0 is unfinished');
        const s = run.status();
        assert.notEqual(s.state, 'stopped-on-failure', 'a routine rebalance is not a stop on failure');
        assert.equal(s.failure, undefined);
        assert.deepEqual([s.failed, s.retried, s.deadLettered, s.skipped], [0, 0, 0, 0]);
        assert.equal(s.abandonedOnLeaseLoss, 3);
        const summary = formatSummary({
          startedAt: '',
          endedAt: '',
          reason: 'signal',
          daemonExitCode: 0,
          exitCode: 0,
          shards: summarizeShards([s]),
        });
        assert.match(summary, /shardId-000000000007: processed 1, .*failed 0, abandoned on lease loss 3, last checkpoint -/);
        assert.doesNotMatch(summary, /STOPPED ON FAILURE/);
      } finally {
        run.cleanup();
      }
    });
  }
}
