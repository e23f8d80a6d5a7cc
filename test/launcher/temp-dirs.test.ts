// `npm test` leaves no `kcl-ts-*` folders in the OS temp folder (issue 13 item 10): tempDir() folders are
// removed when the test process exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fixture } from '../helpers.js';

test('a folder from tempDir() is removed when its test process exits', () => {
  const child = spawnSync(process.execPath, [fixture('temp-dir-user')], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const dir = child.stderr.trim();
  assert.match(dir, /kcl-ts-leak-check-/);
  assert.equal(existsSync(dir), false, `${dir} was left behind`);
});
