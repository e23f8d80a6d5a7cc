import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, segmentsToString } from '../../src/protocol/line-splitter.js';
import { ProtocolErrorCode } from '../../src/protocol/errors.js';

function splitAll(chunks: Buffer[], max?: number): string[] {
  const s = new LineSplitter(max);
  const out: string[] = [];
  const onLine = (segments: Buffer[], bytes: number) => {
    assert.equal(segments.reduce((n, b) => n + b.length, 0), bytes, 'byte count matches the pieces');
    out.push(segmentsToString(segments, bytes));
  };
  for (const c of chunks) s.push(c, onLine);
  s.end(onLine);
  return out;
}

function chunked(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

test('splits lines within and across chunks', () => {
  assert.deepEqual(splitAll([Buffer.from('a\nb'), Buffer.from('c\n'), Buffer.from('d\ne\n')]), ['a', 'bc', 'd', 'e']);
});

test('a line spread over many chunks is handed on as views of them, in order, without copies', () => {
  const line = 'x'.repeat(200_000) + 'END';
  assert.deepEqual(splitAll(chunked(Buffer.from(`${line}\nnext\n`), 65536)), [line, 'next']);
  const chunks = chunked(Buffer.from(`${line}\n`), 65536);
  let pieces: Buffer[] = [];
  new LineSplitter().push(chunks[0]!, () => undefined);
  const s = new LineSplitter();
  for (const c of chunks) s.push(c, (segments) => (pieces = segments));
  assert.equal(pieces.length, chunks.length);
  pieces.forEach((p, i) => assert.equal(p.buffer, chunks[i]!.buffer, `piece ${i} shares memory with its chunk`));
});

test('multi-byte UTF-8 characters cut by chunk boundaries decode correctly', () => {
  const text = '€uro 日本語 emoji 😀 ü';
  const bytes = Buffer.from(`${text}\n`);
  for (let cut = 1; cut < bytes.length - 1; cut++) {
    assert.deepEqual(splitAll([bytes.subarray(0, cut), bytes.subarray(cut)]), [text], `cut at byte ${cut}`);
  }
  assert.deepEqual(splitAll(chunked(bytes, 1)), [text]);
});

test('skips blank lines and drops a trailing CR', () => {
  assert.deepEqual(splitAll([Buffer.from('\n\na\r\n\r\nb\n')]), ['a', 'b']);
});

test('flushes a last line without newline at end', () => {
  assert.deepEqual(splitAll([Buffer.from('a\nlast')]), ['a', 'last']);
});

test('a line over the maximum is an error naming the limit', () => {
  const s = new LineSplitter(1024);
  assert.throws(
    () => {
      s.push(Buffer.alloc(600, 97), () => undefined);
      s.push(Buffer.alloc(600, 97), () => undefined);
    },
    (err: Error & { code?: string }) => err.code === ProtocolErrorCode.LINE_TOO_LONG && /1024 bytes/.test(err.message),
  );
});

test('property: any chunking of any lines yields the same lines', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length > 0), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
      (lines, sizes) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const chunks: Buffer[] = [];
        for (let i = 0, k = 0; i < bytes.length; k++) {
          const n = sizes[k % sizes.length]!;
          chunks.push(bytes.subarray(i, i + n));
          i += n;
        }
        assert.deepEqual(splitAll(chunks), lines);
      },
    ),
  );
});

test('segmentsToString gives the UTF-8 text of the joined pieces, ASCII or not, however they are cut', () => {
  const text = fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 6 }), (s, cuts) => {
      const bytes = Buffer.from(s);
      const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((from, i, all) => bytes.subarray(from, all[i + 1] ?? bytes.length)).filter((p) => p.length > 0);
      assert.equal(segmentsToString(pieces, bytes.length), bytes.toString('utf8'));
    }),
    { numRuns: 500 },
  );
  // ASCII pieces longer than the 512 KB decoding step, and a non-ASCII byte in the last piece only.
  const big = Buffer.alloc(1_300_000, 'a');
  big.write('{"k":"', 0);
  assert.equal(segmentsToString([big, Buffer.from('"}')]), `${big.toString('latin1')}"}`);
  assert.equal(segmentsToString([big, Buffer.from('é"}')]), `${big.toString('latin1')}é"}`);
});
