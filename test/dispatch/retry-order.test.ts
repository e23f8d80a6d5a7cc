// Issue 16, bug 1: a record's retry came due while every slot was busy, then the next record of the same
// key arrived; the key entered the ready line twice and both records ran at once. Through the public API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import type { KinesisRecord, RecordContext } from '../../src/index.js';

/** A promise with its resolve function, opened by the test. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('run(): a retry that comes due while the slots are busy still keeps the next record of its key waiting', async () => {
  const log: string[] = [];
  const running = new Map<string, string>();
  const overlaps: string[] = [];
  const gates = { B1: gate(), C1: gate(), 'A1 retry': gate() };
  const daemon = FakeDaemon.inProcess({
    statsIntervalMs: 0,
    concurrency: 2,
    maxRetries: 3,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 5,
    handle: async (r: KinesisRecord, ctx: RecordContext) => {
      const name = r.text() + (ctx.attempt > 1 ? ' retry' : '');
      const other = running.get(r.partitionKey);
      if (other) overlaps.push(`${name} started while ${other} ran`);
      running.set(r.partitionKey, name);
      log.push(`start ${name}`);
      try {
        if (name === 'A1') throw new Error('fails once');
        await gates[name as keyof typeof gates]?.promise;
      } finally {
        running.delete(r.partitionKey);
        log.push(`end ${name}`);
      }
    },
  });
  const f = new RecordFactory();
  const rec = (name: string) => f.record({ partitionKey: name[0]!, data: name });
  await daemon.initialize();
  await daemon.processRecords([rec('A1'), rec('B1'), rec('C1')]);
  // B1 and C1 hold both slots; A1's retry (5 ms) comes due meanwhile and waits for a slot.
  await sleep(30);
  const a2 = rec('A2');
  await daemon.processRecords([a2]);
  gates.B1.open(); // the free slot goes to A1's retry, which then waits on its gate
  await sleep(10);
  gates.C1.open(); // the free slot must not go to A2: A1 (retry) is still running
  await sleep(10);
  assert.deepEqual(overlaps, []);
  gates['A1 retry'].open();
  await daemon.shutdownRequested();
  assert.deepEqual(overlaps, []);
  assert.deepEqual(log, ['start A1', 'end A1', 'start B1', 'start C1', 'end B1', 'start A1 retry', 'end C1', 'end A1 retry', 'start A2', 'end A2']);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, a2.sequenceNumber);
});
