// withTimeout (src/timeout.ts): the value, or undefined after the time; no timer is left behind either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTimeout } from '../../src/timeout.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('withTimeout: the value when it comes first, undefined when the time does; its timer is cleared either way', async () => {
  const before = timers();
  assert.equal(await withTimeout(Promise.resolve(7), 2000), 7);
  assert.equal(timers(), before, 'no 2 s timer left after the value came');
  assert.equal(await withTimeout(new Promise<number>(() => undefined), 5), undefined);
  assert.equal(timers(), before);
});
