// SQS (ElasticMQ) and S3 (s3rver) sinks and sources against the real emulators.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FailureErrorCode } from '../../src/failure/errors.js';
import { createSink } from '../../src/failure/sinks/create.js';
import { S3Sink } from '../../src/failure/sinks/s3.js';
import { SqsSink } from '../../src/failure/sinks/sqs.js';
import { openDeadLetters } from '../../src/failure/sources.js';
import type { DeadLetter } from '../../src/failure/types.js';
import { bigPayload, createQueue, deadLetter, listKeys, queueDepth, startElasticMq, startS3, testEnv } from './emulators.js';

let sqs: { endpoint: string; stop(): Promise<void> };
let s3: { endpoint: string; stop(): Promise<void> };
const BUCKET = 'kcl-ts-dlq';

before(async () => {
  [sqs, s3] = await Promise.all([startElasticMq(), startS3([BUCKET])]);
});
after(async () => {
  await Promise.all([sqs?.stop(), s3?.stop()]);
});

const env = () => testEnv({ KCL_TS_SQS_ENDPOINT: sqs.endpoint, KCL_TS_S3_ENDPOINT: s3.endpoint });
const bySeq = (a: DeadLetter, b: DeadLetter) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1);

/** Reads every entry, its payload loaded (sources hand out summaries and load payloads on demand). */
async function readAll(spec: string, opts = {}, extraEnv: Record<string, string> = {}) {
  const src = openDeadLetters(spec, { ...env(), ...extraEnv }, { waitTimeSeconds: 1, ...opts });
  const items = [];
  for await (const it of src) items.push({ ...it, entry: await it.load() });
  return { src, items };
}

test('SqsSink: entries in SendMessageBatch calls (more than 10); the source reads them all, ack deletes, the rest is released', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'dlq-small');
  const sink = createSink(`sqs:${queueUrl}`, env());
  assert.equal(sink.description, `sqs:${queueUrl}`);
  const entries = Array.from({ length: 23 }, (_, i) => deadLetter({ partitionKey: `k${i % 3}`, payload: `small ${i}` }));
  await sink.write(entries);
  await sink.close?.();
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 23, inFlight: 0 });

  const first = await readAll(`sqs:${queueUrl}`);
  assert.deepEqual(first.items.map((i) => i.entry).sort(bySeq), entries);
  // Ack 10 (as a replay that failed after them), close: the other 13 become visible at once.
  const acked = first.items.slice(0, 10);
  for (const i of acked) await i.ack();
  await first.src.close();
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 13, inFlight: 0 });
  const second = await readAll(`sqs:${queueUrl}`);
  const ackedIds = new Set(acked.map((i) => i.entry.sequenceNumber));
  assert.deepEqual(second.items.map((i) => i.entry).sort(bySeq), entries.filter((e) => !ackedIds.has(e.sequenceNumber)));
  await second.src.close();
});

test('SqsSink: a 1 MB record goes through S3 (claim check) and comes back whole; ack deletes message and object', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'dlq-large');
  const sink = new SqsSink({ queueUrl, endpoint: sqs.endpoint, largePayloadBucket: BUCKET, s3Endpoint: s3.endpoint, env: testEnv() });
  const big = deadLetter({ partitionKey: 'big', data: bigPayload(1_000_000, 1).toString('base64') });
  const small = deadLetter({ partitionKey: 'small' });
  await sink.write([big, small]);
  await sink.close();
  assert.deepEqual(await listKeys(s3.endpoint, BUCKET, 'sqs-payloads/'), [`sqs-payloads/${big.shardId}/${big.sequenceNumber}-0.json`]);

  const { src, items } = await readAll(`sqs:${queueUrl}`, {}, { KCL_TS_SQS_LARGE_PAYLOAD_BUCKET: BUCKET });
  const got = items.map((i) => i.entry).sort(bySeq);
  assert.deepEqual(got, [big, small]);
  assert.equal(Buffer.from(got[0]!.data, 'base64').length, 1_000_000);
  for (const i of items) await i.ack();
  await src.close();
  assert.deepEqual(await listKeys(s3.endpoint, BUCKET, 'sqs-payloads/'), []);
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 0, inFlight: 0 });
});

test('SqsSink: too large without largePayloadBucket, or a missing queue, rejects (the caller retries)', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'dlq-reject');
  const sink = new SqsSink({ queueUrl, endpoint: sqs.endpoint, env: testEnv() });
  const big = deadLetter({ data: bigPayload(300_000, 2).toString('base64') });
  await assert.rejects(sink.write([big]), (err: Error & { code?: string }) => {
    assert.equal(err.code, FailureErrorCode.ENTRY_TOO_LARGE);
    assert.match(err.message, /is 400\d{3} bytes, more than SQS takes in one message \(262144 bytes\)/);
    assert.match(err.message, /largePayloadBucket/);
    assert.match(err.message, /fails on every retry and the checkpoint stays before this record/);
    return true;
  });
  // Just under the limit fits (ElasticMQ enforces SQS's limit).
  const body = (n: number) => deadLetter({ data: 'A'.repeat(n) });
  const probe = JSON.stringify(body(0)).length;
  await sink.write([body(262_144 - probe - 10)]);
  const missing = new SqsSink({ queueUrl: `${sqs.endpoint}/000000000000/no-such-queue`, endpoint: sqs.endpoint, env: testEnv() });
  await assert.rejects(missing.write([deadLetter()]), { code: FailureErrorCode.SINK_WRITE, message: /Could not send 1 of 1 dead letters .*no-such-queue/ });
  await Promise.all([sink.close(), missing.close()]);
});

test('S3Sink: one object per dead letter; source lists, reads (1 MB too) and deletes on ack', async () => {
  const sink = createSink(`s3://${BUCKET}/dl`, env());
  assert.ok(sink instanceof S3Sink);
  assert.equal(sink.description, `s3://${BUCKET}/dl/`);
  const entries = [
    deadLetter({ shardId: 'shardId-000000000001', partitionKey: 'a' }),
    deadLetter({ shardId: 'shardId-000000000001', partitionKey: 'b', subSequenceNumber: 3 }),
    deadLetter({ shardId: 'shardId-000000000002', partitionKey: 'big', data: bigPayload(1_000_000, 3).toString('base64') }),
  ];
  await sink.write(entries);
  await sink.close?.();
  assert.deepEqual(
    await listKeys(s3.endpoint, BUCKET, 'dl/'),
    entries.map((e) => `dl/${e.shardId}/${e.sequenceNumber}-${e.subSequenceNumber}.json`).sort(),
  );
  const dry = await readAll(`s3://${BUCKET}/dl/`, { readOnly: true });
  await assert.rejects(dry.items[0]!.ack(), /read-only/);
  await dry.src.close();
  const { src, items } = await readAll(`s3://${BUCKET}/dl/`);
  assert.deepEqual(items.map((i) => i.entry).sort(bySeq), entries);
  await items[0]!.ack();
  await src.close();
  assert.equal((await listKeys(s3.endpoint, BUCKET, 'dl/')).length, 2);
});

test('S3Sink: a missing bucket rejects with SINK_WRITE', async () => {
  const sink = new S3Sink({ bucket: 'no-such-bucket', endpoint: s3.endpoint, env: testEnv() });
  await assert.rejects(sink.write([deadLetter()]), { code: FailureErrorCode.SINK_WRITE, message: /NoSuchBucket/ });
  await sink.close();
});
