import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { HeapTuning, BIG_LINE_BYTES, YOUNG_GENERATION_CAP_BYTES } from '../../src/processor/heap-tuning.js';

test('heap tuning is skipped when disabled, by KCL_TS_HEAP_TUNING=0, or when node got heap flags', () => {
  assert.equal(HeapTuning.apply(false, {}, []), undefined);
  assert.equal(HeapTuning.apply(true, { KCL_TS_HEAP_TUNING: '0' }, []), undefined);
  assert.equal(HeapTuning.apply(true, {}, ['--max-semi-space-size=4']), undefined);
  assert.equal(HeapTuning.apply(true, {}, ['--max_old_space_size=512']), undefined);
  assert.equal(HeapTuning.apply(true, { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=256' }, []), undefined);
  const applied = HeapTuning.apply(true, { NODE_OPTIONS: '--enable-source-maps' }, ['--inspect']);
  assert.deepEqual(applied?.settings, {
    v8Flags: ['--heap-growing-percent=10'],
    youngGenerationCapBytes: YOUNG_GENERATION_CAP_BYTES,
    youngGenerationHeldAboveLineBytes: BIG_LINE_BYTES,
  });
});

/**
 * Runs a child that allocates batches of survivors (as a 10,000-record batch does) in bursts, with
 * HeapTuning checked before each batch as if it came in a line of the given size, followed by a
 * checkpoint answer's short line (when `tune`). Returns new space sizes in MiB after a burst of big
 * lines, then after a burst of small lines.
 */
function youngGeneration(tune: boolean): { big: number; small: number } {
  const module = new URL('../../src/processor/heap-tuning.js', import.meta.url).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { HeapTuning, BIG_LINE_BYTES } = await import(${JSON.stringify(module)});
    const tuning = ${tune} ? HeapTuning.apply(true, {}, []) : undefined;
    const mib = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const burst = (lineBytes) => {
      let keep = [];
      for (let r = 0; r < 60; r++) {
        tuning?.check(lineBytes);
        tuning?.check(100); // a checkpoint answer between batches
        const batch = [];
        for (let i = 0; i < 10000; i++) batch.push({ i, s: 'x' + i });
        keep.push(batch);
        if (keep.length > 3) keep.shift();
      }
      return mib();
    };
    const big = burst(BIG_LINE_BYTES + 1);
    const small = burst(BIG_LINE_BYTES);
    process.stdout.write(JSON.stringify({ big, small }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { big: number; small: number };
}

test('the young generation is held while batch lines are big, and grows up to its cap with small ones', () => {
  const capMiB = YOUNG_GENERATION_CAP_BYTES / 1048576;
  const plain = youngGeneration(false);
  const tuned = youngGeneration(true);
  // Untuned, new space grows to 32 MiB (two 16 MiB semi-spaces) under this survival rate.
  assert.ok(plain.big > capMiB, `untuned new space after the first burst: ${plain.big} MiB`);
  assert.ok(tuned.big <= 2, `tuned new space after big lines: ${tuned.big} MiB`);
  // Small lines let it grow (their objects die young there), up to the cap.
  assert.equal(tuned.small, capMiB, `tuned new space after small lines: ${tuned.small} MiB`);
});
