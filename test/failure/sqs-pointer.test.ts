// Issue 14, item 2: an SQS dead-letter message is input anyone allowed to send to the queue controls.
// Its S3 pointer (claim check) is followed only into the configured large-payload bucket and only to the
// key the sink writes for that entry; a missing object skips that entry with a report; an object that is
// not a dead letter is never echoed. Against ElasticMQ and s3rver.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { objectKey } from '../../src/failure/format.js';
import { runReplay } from '../../src/failure/replay.js';
import { createS3, putJson } from '../../src/failure/sinks/s3.js';
import { createSqs } from '../../src/failure/sinks/sqs.js';
import type { DeadLetter } from '../../src/failure/types.js';
import { tempDir } from '../helpers.js';
import { captureIO, createQueue, deadLetter, listKeys, queueDepth, startElasticMq, startS3, testEnv } from './emulators.js';

let sqs: { endpoint: string; stop(): Promise<void> };
let s3: { endpoint: string; stop(): Promise<void> };
const BUCKET = 'kcl-ts-dlq-payloads';
const OTHER = 'someone-elses-bucket';
const SECRET = 'jane.doe@example.com IBAN DE89370400440532013000';
const work = tempDir('kcl-ts-sqs-pointer-');

before(async () => {
  [sqs, s3] = await Promise.all([startElasticMq(work), startS3([BUCKET, OTHER])]);
});
after(async () => {
  await Promise.all([sqs?.stop(), s3?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

const env = () => testEnv({ KCL_TS_SQS_ENDPOINT: sqs.endpoint, KCL_TS_S3_ENDPOINT: s3.endpoint, KCL_TS_SQS_LARGE_PAYLOAD_BUCKET: BUCKET });

async function putObject(bucket: string, key: string, body: string): Promise<void> {
  const s = await createS3({ endpoint: s3.endpoint, forcePathStyle: true }, testEnv(), 'test');
  try {
    await putJson(s, bucket, key, body);
  } finally {
    s.client.destroy();
  }
}

async function send(queueUrl: string, bodies: string[]): Promise<void> {
  const q = await createSqs({ endpoint: sqs.endpoint }, testEnv(), 'test');
  try {
    for (const MessageBody of bodies) await q.client.send(new q.sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
  } finally {
    q.client.destroy();
  }
}

/** The body the SQS sink sends for a claim check: every field but `data`, plus `dataRef`. */
const claim = (e: DeadLetter, bucket: string, key: string) => {
  const { data: _data, ...rest } = e;
  return JSON.stringify({ ...rest, dataRef: { bucket, key } });
};

test('replay from SQS follows a claim check only into the configured bucket and key layout; missing and non-JSON objects are skipped without echo', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'pointer');
  // 1. A crafted pointer into another bucket, at an object that is a valid dead letter for the same entry.
  const foreign = deadLetter({ partitionKey: 'foreign', payload: 'not yours' });
  const foreignKey = objectKey('sqs-payloads/', foreign);
  await putObject(OTHER, foreignKey, JSON.stringify(foreign));
  // 2. The right bucket, but a key other than the one the sink writes for this entry.
  const elsewhere = deadLetter({ partitionKey: 'elsewhere' });
  await putObject(BUCKET, 'secrets/elsewhere.json', JSON.stringify(elsewhere));
  // 3. The right bucket and key, but the object is not JSON (and holds personal data).
  const garbage = deadLetter({ partitionKey: 'garbage' });
  await putObject(BUCKET, objectKey('sqs-payloads/', garbage), SECRET);
  // 4. The right bucket and key, but no object there.
  const missing = deadLetter({ partitionKey: 'missing' });
  // 5. A proper claim check, and 6. an inline entry: both replayed.
  const good = deadLetter({ partitionKey: 'good', payload: 'large one' });
  await putObject(BUCKET, objectKey('sqs-payloads/', good), JSON.stringify(good));
  const inline = deadLetter({ partitionKey: 'inline', payload: 'small one' });
  await send(queueUrl, [
    claim(foreign, OTHER, foreignKey),
    claim(elsewhere, BUCKET, 'secrets/elsewhere.json'),
    claim(garbage, BUCKET, objectKey('sqs-payloads/', garbage)),
    claim(missing, BUCKET, objectKey('sqs-payloads/', missing)),
    claim(good, BUCKET, objectKey('sqs-payloads/', good)),
    JSON.stringify(inline),
  ]);

  const log = join(work, 'calls.jsonl');
  process.env.REPLAY_LOG = log;
  const cap = captureIO(work, env());
  const code = await runReplay({ from: `sqs:${queueUrl}`, handler: join(import.meta.dirname, 'fixtures', 'replay-handler.js') }, cap.io);
  delete process.env.REPLAY_LOG;
  const report = `${cap.stdout()}${cap.stderr()}`;
  assert.equal(code, 1, report);
  assert.match(cap.stdout(), /replay: 6 dead letters, 2 replayed, 0 failed, 4 skipped/);
  const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key).sort();
  assert.deepEqual(calls, ['good', 'inline'], 'only the two genuine entries reached the handler');
  assert.match(report, new RegExp(`SKIPPED SQS message .*: SQS message .* points to s3://${OTHER}/.*, outside the configured large-payload bucket ${BUCKET}: not followed`));
  assert.match(report, /points to s3:\/\/kcl-ts-dlq-payloads\/secrets\/elsewhere\.json, not sqs-payloads\/.*, the key the SQS sink writes for .*: not followed/);
  assert.match(report, /s3:\/\/kcl-ts-dlq-payloads\/sqs-payloads\/.* is not JSON \(unexpected token; 48 bytes, not shown\)/);
  assert.match(report, /s3:\/\/kcl-ts-dlq-payloads\/sqs-payloads\/.* does not exist \(any more\)/);
  assert.ok(!report.includes('jane.doe') && !report.includes('IBAN'), 'no bytes of the object echoed');
  // The foreign object was neither handed out nor deleted; the skipped messages stay in the queue.
  assert.deepEqual(await listKeys(s3.endpoint, OTHER), [foreignKey]);
  assert.deepEqual(await listKeys(s3.endpoint, BUCKET, 'secrets/'), ['secrets/elsewhere.json']);
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 4, inFlight: 0 });
});

test('without a configured large-payload bucket a claim check is skipped, not followed', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'pointer-unset');
  const e = deadLetter({ partitionKey: 'big' });
  const key = objectKey('sqs-payloads/', e);
  await putObject(BUCKET, key, JSON.stringify(e));
  await send(queueUrl, [claim(e, BUCKET, key)]);
  const cap = captureIO(work, testEnv({ KCL_TS_SQS_ENDPOINT: sqs.endpoint, KCL_TS_S3_ENDPOINT: s3.endpoint }));
  assert.equal(await runReplay({ from: `sqs:${queueUrl}`, toStream: 'x', endpoint: 'http://127.0.0.1:9', dryRun: true }, cap.io), 1);
  assert.match(cap.stderr(), /no large-payload bucket is configured \(set KCL_TS_SQS_LARGE_PAYLOAD_BUCKET/);
  assert.deepEqual(await listKeys(s3.endpoint, BUCKET, key), [key]);
});
