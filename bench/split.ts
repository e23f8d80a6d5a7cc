// Split + decode of large processRecords lines arriving in 64 KB chunks: kcl-ts (segments +
// parseSegments) vs split2, readline and the two earlier kcl-ts splitters, each followed by JSON.parse.
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import split2 from 'split2';
import { LineSplitter } from '../src/protocol/line-splitter.js';
import { decodeLine, decodeMessage } from '../src/protocol/codec.js';
import { FakeDaemon, RecordFactory } from '../src/testing/index.js';
import { BufferConcatSplitter } from './variants/buffer-concat-splitter.js';
import { StringDecoderSplitter } from './variants/string-decoder-splitter.js';

const CHUNK = 64 * 1024;

/** A processRecords line of about `mb` megabytes made of 1 KB records, cut into 64 KB chunks. */
export function makeChunks(mb: number): { chunks: Buffer[]; bytes: number; records: number } {
  const perRecord = 1500; // ~1 KB payload → ~1.37 KB base64 + JSON fields
  const count = Math.max(1, Math.round((mb * 1024 * 1024) / perRecord));
  const records = new RecordFactory().batch({ count, keys: 100, size: 1024 });
  const buf = FakeDaemon.encodeBatch(records).bytes;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) chunks.push(Buffer.from(buf.subarray(i, i + CHUNK)));
  return { chunks, bytes: buf.length, records: count };
}

type Pipeline = (chunks: Buffer[], decode: boolean) => Promise<unknown>;

const parse = (line: string, decode: boolean): unknown => (decode ? decodeMessage(line) : line);

const PIPELINES: Record<string, Pipeline> = {
  kclTs: (chunks, decode) => {
    const s = new LineSplitter();
    let out: unknown;
    for (const c of chunks) s.push(c, (segments, bytes) => (out = decode ? decodeLine(segments, bytes) : segments));
    return Promise.resolve(out);
  },
  split2: (chunks, decode) =>
    new Promise((resolve) => {
      const s = split2();
      s.on('data', (l: string) => resolve(parse(l, decode)));
      for (const c of chunks) s.write(c);
    }),
  readline: async (chunks, decode) => {
    const rl = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
    for await (const line of rl) return parse(line, decode);
    return undefined;
  },
  bufferConcat: (chunks, decode) => {
    const s = new BufferConcatSplitter();
    let out: unknown;
    for (const c of chunks) s.push(c, (l) => (out = parse(l, decode)));
    return Promise.resolve(out);
  },
  stringDecoderJoin: (chunks, decode) => {
    const s = new StringDecoderSplitter();
    let out: unknown;
    for (const c of chunks) s.push(c, (l) => (out = parse(l, decode)));
    return Promise.resolve(out);
  },
};

async function median(fn: Pipeline, chunks: Buffer[], decode: boolean, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    if ((await fn(chunks, decode)) === undefined) throw new Error('no line');
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

export async function benchSplit(sizesMb = [1, 4, 15], runs = 5): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  for (const mb of sizesMb) {
    const { chunks, bytes, records } = makeChunks(mb);
    const row: Record<string, unknown> = { lineMB: Math.round((bytes / 1048576) * 10) / 10, records };
    for (const [name, fn] of Object.entries(PIPELINES)) {
      // split2 is quadratic: one run of it at 15 MB takes seconds, so it gets fewer runs there.
      const n = name === 'split2' && mb > 4 ? 1 : runs;
      row[`${name}SplitMs`] = await median(fn, chunks, false, n);
      row[`${name}SplitDecodeMs`] = await median(fn, chunks, true, n);
    }
    row.split2VsKclTsSplitDecode = Math.round(((row.split2SplitDecodeMs as number) / (row.kclTsSplitDecodeMs as number)) * 10) / 10;
    results.push(row);
  }
  return { name: 'split', chunkBytes: CHUNK, runs, results };
}
