// Peak RSS of splitting (and decoding) a file of 10,000 x 1 KB batch lines in a fresh process per variant.
import { spawnSync } from 'node:child_process';
import { createReadStream, openSync, writeSync, closeSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../src/protocol/line-splitter.js';
import { decodeLine } from '../src/protocol/codec.js';
import { StringDecoderSplitter } from './variants/string-decoder-splitter.js';
import { KinesisRecord } from '../src/processor/record.js';
import { FakeDaemon, RecordFactory } from '../src/testing/index.js';
import { BufferConcatSplitter } from './variants/buffer-concat-splitter.js';

type Mode = 'split' | 'records';

type Wire = ConstructorParameters<typeof KinesisRecord>[0];

async function child(file: string, variant: string, mode: Mode): Promise<void> {
  let n = 0;
  const records = (m: unknown) => {
    if (mode === 'split') return;
    n += (m as { records: Wire[] }).records.map((w) => new KinesisRecord(w)).length;
  };
  const onText = (line: string) => records(mode === 'split' ? undefined : JSON.parse(line));
  const kcl = new LineSplitter();
  const legacy = variant === 'bufferConcat' ? new BufferConcatSplitter() : new StringDecoderSplitter();
  for await (const chunk of createReadStream(file, { highWaterMark: 65536 })) {
    if (variant === 'kclTs') kcl.push(chunk as Buffer, (segments, bytes) => records(mode === 'split' ? undefined : decodeLine(segments, bytes)));
    else legacy.push(chunk as Buffer, onText);
  }
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(JSON.stringify({ peakRssMb: Math.round(Number(hwm?.[1]) / 1024), records: n }));
}

export function benchMemory(batches = 20): Record<string, unknown> {
  const file = join(mkdtempSync(join(tmpdir(), 'kcl-ts-bench-')), 'batches.jsonl');
  const f = new RecordFactory();
  const fd = openSync(file, 'w');
  for (let i = 0; i < batches; i++) writeSync(fd, FakeDaemon.encodeBatch(f.batch({ count: 10_000, keys: 100, size: 1024 })).bytes);
  closeSync(fd);
  const results: Record<string, unknown>[] = [];
  for (const variant of ['kclTs', 'bufferConcat', 'stringDecoderJoin']) {
    for (const mode of ['split', 'records'] as Mode[]) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), file, variant, mode], { encoding: 'utf8' });
      results.push({ variant, mode, ...(JSON.parse(r.stdout) as object) });
    }
  }
  return { name: 'memory', batches, recordBytes: 1024, results };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.length === 5) {
  await child(process.argv[2]!, process.argv[3]!, process.argv[4] as Mode);
}
