// The ordering rule of replay into Kinesis, with a scripted PutRecords (partial failures on demand).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopback, putInOrder, type PutItem, type PutOutcome } from '../../src/failure/replay/kinesis.js';
import { deadLetter } from './emulators.js';

const item = (key: string, text: string, bytes?: number): PutItem => ({ entry: deadLetter({ partitionKey: key, payload: text }), data: bytes ? Buffer.alloc(bytes) : Buffer.from(text) });

function run(items: PutItem[], fail: (text: string, attempt: number) => string | undefined, maxAttempts = 3) {
  const stored: string[] = [];
  const report: string[] = [];
  const calls: number[] = [];
  const tries = new Map<string, number>();
  const call = async (chunk: readonly PutItem[]): Promise<PutOutcome[]> => {
    calls.push(chunk.length);
    return chunk.map((c) => {
      const text = c.data.length > 100 ? `big${c.data.length}` : c.data.toString();
      const n = (tries.get(text) ?? 0) + 1;
      tries.set(text, n);
      const code = fail(text, n);
      if (code) return { errorCode: code, errorMessage: 'scripted' };
      stored.push(text);
      return { shardId: 's', sequenceNumber: String(stored.length) };
    });
  };
  const events = {
    put: async (p: PutItem) => void report.push(`ok ${p.data.length > 100 ? 'big' : p.data.toString()}`),
    failed: (p: PutItem, why: string) => void report.push(`failed ${p.data.length > 100 ? 'big' : p.data.toString()}: ${why}`),
    skipped: (p: PutItem) => void report.push(`skipped ${p.data.toString()}`),
  };
  return putInOrder(items, call, events, maxAttempts).then(() => ({ stored, report, calls }));
}

test('a throttled record is retried from the first failure on, so later records of its key never overtake it', async () => {
  const items = ['a1', 'b1', 'a2', 'b2', 'a3'].map((t) => item(t[0]!, t));
  const { stored, report } = await run(items, (t, n) => (t === 'b1' && n === 1 ? 'ProvisionedThroughputExceededException' : undefined));
  // a2, b2, a3 succeeded in the first call too but are sent again after b1: duplicates, never reordering.
  assert.deepEqual(stored, ['a1', 'a2', 'b2', 'a3', 'b1', 'a2', 'b2', 'a3']);
  assert.deepEqual(report, ['ok a1', 'ok b1', 'ok a2', 'ok b2', 'ok a3']);
});

test('a record that keeps failing is reported failed, the rest of its key skipped, other keys go on', async () => {
  const items = ['a1', 'b1', 'a2', 'b2', 'a3'].map((t) => item(t[0]!, t));
  const { report } = await run(items, (t) => (t === 'a2' ? 'InternalFailure' : undefined));
  assert.deepEqual(report, ['ok a1', 'ok b1', 'failed a2: InternalFailure: scripted', 'ok b2', 'skipped a3']);
});

test('calls hold at most 500 records and 5 MiB; a record over 1 MiB fails alone, in its turn', async () => {
  const many = Array.from({ length: 1200 }, (_, i) => item(`k${i % 7}`, `r${i}`));
  assert.deepEqual((await run(many, () => undefined)).calls, [500, 500, 200]);
  const heavy = Array.from({ length: 12 }, (_, i) => item(`k${i}`, `h${i}`, 900_000));
  assert.deepEqual((await run(heavy, () => undefined)).calls, [5, 5, 2]);
  const { report } = await run([item('k', 'x1'), item('k', 'huge', 1_048_577), item('k', 'x2'), item('j', 'y1')], () => undefined);
  assert.deepEqual(report, ['ok x1', 'failed big: 1048578 bytes of data and partition key: more than Kinesis takes in one record (1048576)', 'skipped x2', 'ok y1']);
});

test('only loopback endpoints count as emulators (the unsigned client is never used for AWS)', () => {
  for (const e of ['http://localhost:4568', 'http://127.0.0.1:1', 'http://[::1]:4566']) assert.equal(isLoopback(e), true, e);
  for (const e of ['https://kinesis.us-east-1.amazonaws.com', 'http://localstack:4566', 'http://10.0.0.5:4566', 'not a url']) assert.equal(isLoopback(e), false, e);
});
