// Issue 14, items 3 and 7: dead-letter files hold personal data. Folders 0700, files 0600 under a umask
// of 022, no symlink followed (writing or reading), a retention for replayed/ copies; and replay reads a
// line at a time, holding summaries (no payloads) until an entry's turn comes.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FailureErrorCode } from '../../src/failure/errors.js';
import { readLines } from '../../src/failure/private-fs.js';
import { FileSink } from '../../src/failure/sinks/file.js';
import { openDeadLetters } from '../../src/failure/sources.js';
import { tempDir } from '../helpers.js';
import { runReplay } from '../../src/failure/replay.js';
import { captureIO, deadLetter, testEnv } from './emulators.js';

const work = tempDir('kcl-ts-file-safety-');
let umask = 0;
before(() => {
  umask = process.umask(0o022);
});
after(() => {
  process.umask(umask);
  rmSync(work, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

async function replayAll(dir: string, opts = {}) {
  const src = openDeadLetters(`file:${dir}`, testEnv(), { settleMs: 0, ...opts });
  const items = [];
  for await (const it of src) items.push(it);
  return { src, items };
}

test('FileSink: folder 0700 and files 0600 under umask 022, rotated files too', async () => {
  const dir = join(work, 'modes', 'dlq');
  const sink = new FileSink({ dir, maxBytes: 600 });
  for (let i = 0; i < 4; i++) await sink.write([deadLetter({ payload: `personal ${i}` })]);
  assert.equal(mode(dir), 0o700);
  const files = readdirSync(dir);
  assert.ok(files.length > 1, 'rotated');
  for (const f of files) assert.equal(mode(join(dir, f)), 0o600, f);
});

test('FileSink: a symlink planted at a shard file is refused, never written through', async () => {
  const dir = join(work, 'planted');
  mkdirSync(dir, { mode: 0o700 });
  const target = join(work, 'victim.txt');
  writeFileSync(target, 'original\n');
  symlinkSync(target, join(dir, 'shardId-000000000000.jsonl'));
  const sink = new FileSink({ dir });
  await assert.rejects(sink.write([deadLetter()]), (err: Error & { code?: string }) => {
    assert.equal(err.code, FailureErrorCode.SINK_WRITE);
    assert.match(err.message, /is a symbolic link: dead letters are never written or read through one/);
    return true;
  });
  assert.equal(readFileSync(target, 'utf8'), 'original\n');
});

test('replay: replayed/ is 0700 with 0600 files; a symlinked .jsonl is not read; replayed copies expire after keepReplayedDays', async () => {
  const dir = join(work, 'replay');
  const sink = new FileSink({ dir });
  const entries = [deadLetter({ payload: 'a' }), deadLetter({ payload: 'b' })];
  await sink.write(entries);
  // Someone else's file linked into the folder: never read as dead letters.
  const outside = join(work, 'outside.jsonl');
  writeFileSync(outside, `${JSON.stringify(deadLetter({ partitionKey: 'outside' }))}\n`);
  symlinkSync(outside, join(dir, 'shardId-000000000009.2020-01-01T00-00-00.000Z-deadbeef.jsonl'));

  const first = await replayAll(dir);
  assert.deepEqual(first.items.map((i) => i.entry.partitionKey), ['k1', 'k1'], 'the symlinked file is skipped');
  await first.items[0]!.ack();
  await first.src.close();
  const replayed = join(dir, 'replayed');
  assert.equal(mode(replayed), 0o700);
  const copies = readdirSync(replayed);
  assert.ok(copies.length > 0);
  for (const f of copies) assert.equal(mode(join(replayed, f)), 0o600, f);
  // A copy older than the retention goes at the end of the next replay; a fresh one stays.
  const old = copies.find((f) => f.endsWith('.jsonl'))!;
  const eightDaysAgo = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
  utimesSync(join(replayed, old), eightDaysAgo, eightDaysAgo);
  await sink.write([deadLetter({ payload: 'c' })]);
  const second = await replayAll(dir);
  await second.items.at(-1)!.ack();
  await second.src.close();
  const left = readdirSync(replayed).filter((f) => f.endsWith('.jsonl'));
  assert.ok(!left.includes(old), `${old} expired`);
  assert.equal(left.length, 1, 'the fresh copy stays (default 7 days)');
  // keepReplayedDays: 0 deletes the copies once the replay is done with them.
  const third = await replayAll(dir, { keepReplayedDays: 0 });
  for (const it of third.items) await it.ack();
  await third.src.close();
  assert.deepEqual(readdirSync(replayed).filter((f) => f.endsWith('.jsonl')), []);
  assert.throws(() => openDeadLetters(`file:${dir}`, testEnv(), { keepReplayedDays: -1 }), { code: FailureErrorCode.REPLAY_OPTIONS });
  // `kcl-ts replay --keep-replayed <days>`
  for (const [from, keepReplayed, message] of [
    [`file:${dir}`, 'soon', /--keep-replayed must be a number of days >= 0, got `soon`/],
    ['sqs:http://127.0.0.1:9/1/q', '3', /--keep-replayed goes with --from file:/],
  ] as const) {
    const cap = captureIO(work, testEnv());
    assert.equal(await runReplay({ from, toStream: 's', keepReplayed }, cap.io), 2);
    assert.match(cap.stderr(), message);
  }
});

test('replay holds summaries, not payloads: the payload is read again by load()', async () => {
  const dir = join(work, 'summaries');
  const big = deadLetter({ partitionKey: 'big', data: Buffer.alloc(300_000, 7).toString('base64') });
  await new FileSink({ dir }).write([big, deadLetter({ payload: 'small' })]);
  const { src, items } = await replayAll(dir, { readOnly: true });
  try {
    assert.equal(items.length, 2);
    for (const it of items) assert.equal('data' in it.entry, false, 'no payload held while listing');
    assert.equal(items[0]!.entry.bytes, 300_000);
    const loaded = await items[0]!.load();
    assert.deepEqual(loaded, big);
  } finally {
    await src.close();
  }
});

test('readLines: offsets and lines across chunk boundaries, a last line without newline, never the whole file', async () => {
  const path = join(work, 'lines.txt');
  const lines = ['a', '', 'bcdefghij', 'x'.repeat(25), 'tail'];
  writeFileSync(path, lines.join('\n'));
  const got = [];
  for await (const { offset, line } of readLines(path, 4)) got.push([offset, line.toString()]);
  let at = 0;
  const expected = lines.map((l) => {
    const row = [at, l];
    at += l.length + 1;
    return row;
  });
  assert.deepEqual(got, expected);
});
