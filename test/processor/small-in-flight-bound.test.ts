// Every maxInFlightBytes the option check accepts must work. Over a real pipe run() reads stdin into
// 1 MiB pooled blocks and also bounds the pool's use by 4 x maxInFlightBytes: the reader's own block
// counted against that bound held the first reply forever once the bound was below 256 KiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, startScenario } from './harness.js';

for (const mode of MODES) {
  test(`${mode}: maxInFlightBytes of 1 byte, 1000 bytes and 200 KiB: every reply comes and everything is checkpointed`, async () => {
    for (const maxInFlightBytes of [1, 1000, 200 * 1024]) {
      const run = startScenario(mode, { maxInFlightBytes, concurrency: 4 }, 5000);
      try {
        const d = run.daemon;
        await d.initialize();
        let last = '';
        for (let b = 0; b < 4; b++) {
          const batch = run.records(Array.from({ length: 20 }, (_, j) => ({ i: b * 20 + j, key: `k${j % 5}`, ...(j % 3 === 0 ? { delay: 1 } : {}) })));
          last = batch.at(-1)!.sequenceNumber;
          await d.processRecords(batch);
        }
        await d.shutdownRequested();
        await d.leaseLost();
        assert.equal(await run.close(), 0);
        assert.equal(d.checkpoints.at(-1)?.sequenceNumber, last, `maxInFlightBytes ${maxInFlightBytes}`);
        assert.equal(run.events().filter((e) => e.ev === 'end').length, 80);
      } finally {
        run.cleanup();
      }
    }
  });
}
