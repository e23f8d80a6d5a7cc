import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FailureErrorCode } from '../../src/failure/errors.js';
import { createSink } from '../../src/failure/sinks/create.js';
import { FileSink } from '../../src/failure/sinks/file.js';
import { openDeadLetters } from '../../src/failure/sources.js';
import type { DeadLetter } from '../../src/failure/types.js';
import { tempDir } from '../helpers.js';
import { deadLetter, testEnv } from './emulators.js';

const jsonl = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const readAll = (dir: string) => jsonl(dir).flatMap((f) => lines(join(dir, f)).map((l) => JSON.parse(l) as DeadLetter));

async function collect(spec: string, opts = {}) {
  const src = openDeadLetters(spec, testEnv(), { settleMs: 0, ...opts });
  const items = [];
  for await (const it of src) items.push({ ...it, entry: await it.load() });
  return { src, items };
}

test('FileSink appends one line per entry to <shardId>.jsonl, one file per shard, durable on resolve', async () => {
  const dir = join(tempDir(), 'dlq');
  const sink = new FileSink({ dir });
  const a = deadLetter({ shardId: 'shardId-000000000000', payload: 'a' });
  const b = deadLetter({ shardId: 'shardId-000000000001', payload: 'b' });
  const c = deadLetter({ shardId: 'shardId-000000000000', payload: 'c' });
  await sink.write([a, b]);
  await sink.write([c]);
  await sink.write([]);
  assert.deepEqual(jsonl(dir), ['shardId-000000000000.jsonl', 'shardId-000000000001.jsonl']);
  assert.deepEqual(lines(join(dir, 'shardId-000000000000.jsonl')).map((l) => JSON.parse(l)), [a, c]);
  assert.deepEqual(lines(join(dir, 'shardId-000000000001.jsonl')).map((l) => JSON.parse(l)), [b]);
  assert.equal(sink.description, `file:${dir}`);
  assert.equal(createSink(`file:${dir}`, testEnv()).description, `file:${dir}`);
});

test('FileSink rotates by size: the full file is renamed <shardId>.<timestamp>-<random>.jsonl first; a write stays in one file', async () => {
  const dir = tempDir();
  const sink = new FileSink({ dir, maxBytes: 1500 });
  const entries = Array.from({ length: 12 }, (_, i) => deadLetter({ payload: `p${i}-${'y'.repeat(200)}` }));
  for (let i = 0; i < entries.length; i += 2) await sink.write(entries.slice(i, i + 2));
  const files = jsonl(dir);
  assert.ok(files.length >= 3, files.join());
  const rotated = files.filter((f) => f !== 'shardId-000000000000.jsonl');
  for (const f of rotated) assert.match(f, /^shardId-000000000000\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]{8}\.jsonl$/);
  for (const f of files) {
    const size = readFileSync(join(dir, f)).length;
    assert.ok(size <= 1500, `${f} has ${size} bytes`);
    assert.equal(lines(join(dir, f)).length % 2, 0, 'the two entries of a write are in one file');
  }
  // Nothing lost; the current file holds the newest entries.
  const bySeq = (a: DeadLetter, b: DeadLetter) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1);
  assert.deepEqual(readAll(dir).sort(bySeq), entries);
  assert.deepEqual(lines(join(dir, 'shardId-000000000000.jsonl')).map((l) => JSON.parse(l)), entries.slice(-lines(join(dir, 'shardId-000000000000.jsonl')).length));
});

test('FileSink: two processes writing the same shard file with rotation produce valid JSONL and lose nothing', async () => {
  const dir = tempDir();
  const writer = join(import.meta.dirname, 'fixtures', 'file-writer.js');
  const run = (tag: string) =>
    new Promise<number | null>((resolve) => spawn(process.execPath, [writer, dir, 'shardId-000000000007', '300', '20000', tag], { stdio: 'inherit' }).on('exit', resolve));
  assert.deepEqual(await Promise.all([run('A'), run('B')]), [0, 0]);
  const all = readAll(dir);
  assert.equal(all.length, 600);
  for (const tag of ['A', 'B']) {
    const mine = all.filter((e) => e.partitionKey === tag).map((e) => Number(e.sequenceNumber) - 1000);
    assert.deepEqual([...mine].sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i), `${tag}: every entry once`);
  }
  assert.ok(jsonl(dir).length > 2, 'rotated');
});

test('FileSink: a write that cannot be stored rejects with SINK_WRITE', async () => {
  const dir = tempDir();
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  await assert.rejects(new FileSink({ dir: file }).write([deadLetter()]), { code: FailureErrorCode.SINK_WRITE, message: /not-a-dir.*kcl-ts retries/s });
  if (process.getuid?.() !== 0) {
    const ro = tempDir();
    chmodSync(ro, 0o500);
    await assert.rejects(new FileSink({ dir: ro }).write([deadLetter()]), { code: FailureErrorCode.SINK_WRITE });
  }
  assert.throws(() => new FileSink({ dir: '' }), { code: FailureErrorCode.BAD_SPEC });
  assert.throws(() => new FileSink({ dir, maxBytes: 0 }), { message: /Expected `maxBytes` to be an integer >= 1, got `0` \(number\)/ });
});

test('createSink: spec errors name the accepted forms', () => {
  for (const bad of ['', 'ftp://x', 'file:', 'sqs:not-a-url', 's3://A_B/x']) {
    assert.throws(() => createSink(bad, testEnv()), { code: FailureErrorCode.BAD_SPEC, message: /file:\/path\/to\/dir/ }, bad);
  }
  const custom = { description: 'mine', write: async () => undefined };
  assert.equal(createSink(custom, testEnv()), custom);
});

test('file source: entries oldest first; acked ones move to replayed/, the rest stay; nothing lost when a replay stops halfway', async () => {
  const dir = tempDir();
  const sink = new FileSink({ dir, maxBytes: 1200 });
  const entries = Array.from({ length: 10 }, (_, i) => deadLetter({ payload: `e${i}-${'z'.repeat(150)}` }));
  for (const e of entries) await sink.write([e]);
  writeFileSync(join(dir, 'shardId-000000000000.jsonl'), 'not json\n', { flag: 'a' });

  const invalid: string[] = [];
  const first = await collect(`file:${dir}`, { onInvalid: (w: string) => invalid.push(w) });
  assert.deepEqual(first.items.map((i) => i.entry), entries);
  assert.equal(invalid.length, 1);
  // The current file was moved aside: a sink writing now starts a fresh file.
  assert.equal(existsSync(join(dir, 'shardId-000000000000.jsonl')), false);
  const late = deadLetter({ payload: 'late' });
  await sink.write([late]);
  // Ack half of them (a replay that failed halfway), then close.
  await Promise.all(first.items.slice(0, 5).map((i) => i.ack()));
  await first.src.close();
  assert.deepEqual(readAll(join(dir, 'replayed')), entries.slice(0, 5));

  const second = await collect(`file:${dir}`);
  assert.deepEqual(second.items.map((i) => i.entry), [...entries.slice(5), late]);
  for (const i of second.items) await i.ack();
  await second.src.close();
  assert.deepEqual(jsonl(dir).flatMap((f) => lines(join(dir, f))), ['not json'], 'only the invalid line is left');
  assert.deepEqual(readAll(join(dir, 'replayed')).sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1)), [...entries, late]);
});

test('file source: acks survive a crash before close (journal), and read-only changes nothing', async () => {
  const dir = tempDir();
  const sink = new FileSink({ dir });
  const entries = Array.from({ length: 4 }, () => deadLetter());
  await sink.write(entries);
  const before = readdirSync(dir).sort();
  const dry = await collect(`file:${dir}`, { readOnly: true });
  assert.equal(dry.items.length, 4);
  await assert.rejects(dry.items[0]!.ack(), { code: FailureErrorCode.SOURCE, message: /read-only/ });
  await dry.src.close();
  assert.deepEqual(readdirSync(dir).sort(), before);

  const crashed = await collect(`file:${dir}`);
  await crashed.items[0]!.ack();
  await crashed.items[1]!.ack();
  // no close(): the process died here
  const next = await collect(`file:${dir}`);
  assert.deepEqual(next.items.map((i) => i.entry), entries.slice(2));
  await next.src.close();
  assert.deepEqual(readAll(dir), entries.slice(2));
});
