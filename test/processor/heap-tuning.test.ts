import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { applyHeapTuning, HEAP_TUNING_FLAGS } from '../../src/processor/heap-tuning.js';

test('heap tuning is skipped when disabled, by KCL_TS_HEAP_TUNING=0, or when node got heap flags', () => {
  assert.deepEqual(applyHeapTuning(false, {}, []), []);
  assert.deepEqual(applyHeapTuning(true, { KCL_TS_HEAP_TUNING: '0' }, []), []);
  assert.deepEqual(applyHeapTuning(true, {}, ['--max-semi-space-size=4']), []);
  assert.deepEqual(applyHeapTuning(true, {}, ['--max_old_space_size=512']), []);
  assert.deepEqual(applyHeapTuning(true, { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=256' }, []), []);
  assert.deepEqual(applyHeapTuning(true, { NODE_OPTIONS: '--enable-source-maps' }, ['--inspect']), HEAP_TUNING_FLAGS);
});

test('the tuning keeps the young generation from growing (V8 reads the flag at run time)', () => {
  // A child allocates many survivors; new space grows to 16 MiB semi-spaces without the flag.
  const script = (tune: boolean) => `
    ${tune ? "require('v8').setFlagsFromString('--semi-space-growth-factor=1');" : ''}
    const keep = []; for (let i = 0; i < 400000; i++) keep.push({ i, s: 'x' + i });
    const ns = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(ns.space_size));`;
  const size = (tune: boolean) => Number(spawnSync(process.execPath, ['-e', script(tune)], { encoding: 'utf8' }).stdout);
  const plain = size(false);
  const tuned = size(true);
  assert.ok(tuned * 4 <= plain, `new space ${tuned} bytes tuned vs ${plain} untuned`);
});
