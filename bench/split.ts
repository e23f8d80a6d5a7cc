// Line splitting + decoding of large processRecords lines: our Buffer splitter vs split2 vs readline.
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import split2 from 'split2';
import { LineSplitter } from '../src/protocol/line-splitter.js';
import { decodeMessage } from '../src/protocol/codec.js';
import { FakeDaemon, RecordFactory } from '../src/testing/index.js';

const CHUNK = 64 * 1024;

/** A processRecords line of about `mb` megabytes made of 1 KB records, cut into 64 KB chunks. */
export function makeChunks(mb: number): { chunks: Buffer[]; bytes: number; records: number } {
  const perRecord = 1500; // ~1 KB payload → ~1.37 KB base64 + JSON fields
  const count = Math.max(1, Math.round((mb * 1024 * 1024) / perRecord));
  const records = new RecordFactory().batch({ count, keys: 100, size: 1024 });
  const buf = Buffer.from(`${FakeDaemon.encodeBatch(records).line}\n`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) chunks.push(Buffer.from(buf.subarray(i, i + CHUNK)));
  return { chunks, bytes: buf.length, records: count };
}

function viaLineSplitter(chunks: Buffer[]): Promise<string> {
  const s = new LineSplitter();
  let out = '';
  for (const c of chunks) s.push(c, (l) => (out = l));
  return Promise.resolve(out);
}

function viaSplit2(chunks: Buffer[]): Promise<string> {
  return new Promise((resolve) => {
    const s = split2();
    s.on('data', (l: string) => resolve(l));
    for (const c of chunks) s.write(c);
  });
}

async function viaReadline(chunks: Buffer[]): Promise<string> {
  const rl = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  for await (const line of rl) return line;
  return '';
}

const SPLITTERS = { lineSplitter: viaLineSplitter, split2: viaSplit2, readline: viaReadline } as const;

async function timeOnce(fn: (c: Buffer[]) => Promise<string>, chunks: Buffer[], decode: boolean): Promise<number> {
  const t0 = process.hrtime.bigint();
  const line = await fn(chunks);
  if (decode) {
    const m = decodeMessage(line);
    if (m.action !== 'processRecords') throw new Error('bad decode');
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Median of `runs` timings. */
async function median(fn: (c: Buffer[]) => Promise<string>, chunks: Buffer[], decode: boolean, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeOnce(fn, chunks, decode));
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

export async function benchSplit(sizesMb = [1, 4, 15], runs = 5): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  for (const mb of sizesMb) {
    const { chunks, bytes, records } = makeChunks(mb);
    const row: Record<string, unknown> = { lineMB: Math.round((bytes / 1048576) * 10) / 10, records };
    for (const [name, fn] of Object.entries(SPLITTERS)) row[`${name}SplitMs`] = await median(fn, chunks, false, runs);
    row.lineSplitterSplitAndDecodeMs = await median(viaLineSplitter, chunks, true, runs);
    row.split2VsLineSplitter = Math.round(((row.split2SplitMs as number) / Math.max(0.1, row.lineSplitterSplitMs as number)) * 10) / 10;
    results.push(row);
  }
  return { name: 'split', chunkBytes: CHUNK, runs, results };
}
