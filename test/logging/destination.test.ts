import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseLogDestination, PID1_STDOUT } from '../../src/logging/index.js';
import { tempDir } from '../helpers.js';

test('stderr when asked, by option or environment', () => {
  assert.equal(chooseLogDestination('stderr', {}).fd, 2);
  assert.equal(chooseLogDestination(undefined, { KCL_TS_LOG_DEST: 'stderr' }).description, 'stderr');
});

test('a path is opened for appending', () => {
  const path = join(tempDir(), 'x.log');
  const d = chooseLogDestination(path, {});
  assert.equal(d.description, path);
  assert.ok(d.fd > 2);
  closeSync(d.fd);
});

test('an unwritable destination falls back to stderr with the reason', () => {
  const d = chooseLogDestination('/nonexistent-dir/x.log', {});
  assert.equal(d.fd, 2);
  assert.match(d.fallbackReason ?? '', /nonexistent-dir.*ENOENT/);
});

test('the default is /proc/1/fd/1 when writable, else stderr', () => {
  const d = chooseLogDestination(undefined, {});
  let writable = true;
  try {
    closeSync(openSync(PID1_STDOUT, 'a'));
  } catch {
    writable = false;
  }
  if (writable && d.fd !== 2) assert.equal(d.description, PID1_STDOUT);
  else assert.equal(d.description, 'stderr');
  if (d.fd > 2) closeSync(d.fd);
});

test('a destination that is our own stdout (the protocol pipe) is refused', () => {
  const out = join(tempDir(), 'stdout.txt');
  const fd = openSync(out, 'w');
  const code = `
    import { chooseLogDestination } from ${JSON.stringify(new URL('../../src/logging/index.js', import.meta.url).href)};
    const d = chooseLogDestination('/proc/self/fd/1', {});
    process.stderr.write(JSON.stringify(d));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  const d = JSON.parse(r.stderr.toString()) as { fd: number; fallbackReason: string };
  assert.equal(d.fd, 2);
  assert.match(d.fallbackReason, /stdout, which belongs to the protocol/);
  assert.equal(readFileSync(out, 'utf8'), '');
});
