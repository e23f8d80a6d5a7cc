// kcl-ts replay against real emulators: kinesis-local (target), ElasticMQ + s3rver (sources).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runReplay } from '../../src/failure/replay.js';
import { createSink } from '../../src/failure/sinks/create.js';
import { FileSink } from '../../src/failure/sinks/file.js';
import type { DeadLetter } from '../../src/failure/types.js';
import { awsJson } from '../../src/local/aws-json.js';
import { startKinesis } from '../../src/local/emulators.js';
import type { ServiceProcess } from '../../src/local/process.js';
import { tempDir } from '../helpers.js';
import { bigPayload, captureIO, createQueue, deadLetter, queueDepth, randomPort, startElasticMq, startS3, testEnv } from './emulators.js';

let kinesis: { process: ServiceProcess; endpoint: string };
let sqs: { endpoint: string; stop(): Promise<void> };
let s3: { endpoint: string; stop(): Promise<void> };
const BUCKET = 'kcl-ts-replay';
const work = tempDir('kcl-ts-replay-');

before(async () => {
  const port = randomPort();
  [kinesis, sqs, s3] = await Promise.all([
    startKinesis({ port, tlsPort: port + 1, env: testEnv(), logFile: join(work, 'kinesis.log'), streams: { replayed: 2, dry: 1, handlerless: 1, big1: 1, big2: 1, big3: 1 } }),
    startElasticMq(work),
    startS3([BUCKET]),
  ]);
});
after(async () => {
  await Promise.all([kinesis?.process.stop(), sqs?.stop(), s3?.stop()]);
});

const env = () => testEnv({ KCL_TS_SQS_ENDPOINT: sqs.endpoint, KCL_TS_S3_ENDPOINT: s3.endpoint, KCL_TS_SQS_LARGE_PAYLOAD_BUCKET: BUCKET });

interface Got {
  key: string;
  data: Buffer;
  shardId: string;
}

/** Every record of a stream, per shard in order. */
async function readStream(stream: string): Promise<Got[]> {
  const { Shards } = await awsJson<{ Shards: { ShardId: string }[] }>(kinesis.endpoint, 'kinesis', 'ListShards', { StreamName: stream });
  const got: Got[] = [];
  for (const { ShardId } of Shards) {
    let { ShardIterator: it } = await awsJson<{ ShardIterator: string }>(kinesis.endpoint, 'kinesis', 'GetShardIterator', {
      StreamName: stream,
      ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    for (;;) {
      const res = await awsJson<{ Records: { PartitionKey: string; Data: string }[]; NextShardIterator: string; MillisBehindLatest: number }>(
        kinesis.endpoint,
        'kinesis',
        'GetRecords',
        { ShardIterator: it },
      );
      for (const r of res.Records) got.push({ key: r.PartitionKey, data: Buffer.from(r.Data, 'base64'), shardId: ShardId });
      if (res.Records.length === 0 && res.MillisBehindLatest === 0) break;
      it = res.NextShardIterator;
    }
  }
  return got;
}

const texts = (got: Got[], key: string) => got.filter((g) => g.key === key).map((g) => g.data.toString());

/** Dead letters of 3 keys over 2 original shards, in original order, and a shuffled copy. */
function scenario(n = 30): { ordered: DeadLetter[]; shuffled: DeadLetter[] } {
  const ordered = Array.from({ length: n }, (_, i) =>
    deadLetter({ shardId: `shardId-00000000000${i % 2}`, partitionKey: `key-${i % 3}`, payload: `r${String(i).padStart(3, '0')}`, subSequenceNumber: 0 }),
  );
  // Original order: shard, then sequence (deadLetter() hands out increasing sequence numbers).
  ordered.sort((a, b) => (a.shardId !== b.shardId ? (a.shardId < b.shardId ? -1 : 1) : a.sequenceNumber < b.sequenceNumber ? -1 : 1));
  const shuffled = [...ordered].sort((a, b) => (a.data < b.data ? 1 : -1));
  return { ordered, shuffled };
}

test('replay file → kinesis-local: per-key order kept, one report line per record, entries removed after success', async () => {
  const dir = tempDir();
  const { ordered, shuffled } = scenario();
  const sink = new FileSink({ dir, maxBytes: 2000 });
  for (let i = 0; i < shuffled.length; i += 4) await sink.write(shuffled.slice(i, i + 4));
  const cap = captureIO(work, env());
  const code = await runReplay({ from: `file:${dir}`, toStream: 'replayed', endpoint: kinesis.endpoint }, cap.io);
  assert.equal(code, 0, cap.stderr());
  const lines = cap.stdout().trim().split('\n');
  assert.equal(lines.length, 31);
  assert.match(lines[0]!, /^replayed shardId-000000000000\/\d+\/0 key="key-0" → replayed \(shardId-\d+\/\d+\)$/);
  assert.equal(lines[30], 'replay: 30 dead letters, 30 replayed, 0 failed, 0 skipped');
  const got = await readStream('replayed');
  assert.equal(got.length, 30);
  for (const key of ['key-0', 'key-1', 'key-2']) {
    assert.deepEqual(texts(got, key), ordered.filter((e) => e.partitionKey === key).map((e) => Buffer.from(e.data, 'base64').toString()), key);
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.jsonl')), [], 'all replayed entries left their files');
  assert.equal(readdirSync(join(dir, 'replayed')).filter((f) => f.endsWith('.jsonl')).length > 0, true);
});

test('--dry-run lists what would be replayed and changes nothing (file, SQS, S3)', async () => {
  const dir = tempDir();
  const queueUrl = await createQueue(sqs.endpoint, 'dry');
  const { ordered } = scenario(5);
  for (const spec of [`file:${dir}`, `sqs:${queueUrl}`, `s3://${BUCKET}/dry/`]) await createSink(spec, env()).write(ordered);
  const before = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
  for (const from of [`file:${dir}`, `sqs:${queueUrl}`, `s3://${BUCKET}/dry/`]) {
    const cap = captureIO(work, env());
    assert.equal(await runReplay({ from, toStream: 'dry', endpoint: kinesis.endpoint, dryRun: true }, cap.io), 0, cap.stderr());
    const lines = cap.stdout().trim().split('\n');
    assert.equal(lines.length, 6, cap.stdout());
    assert.match(lines[0]!, /^would replay shardId-000000000000\/\d+\/0 key="key-0" \(4 bytes, failed at .*: boom; .*\) → stream dry$/);
    assert.match(lines[5]!, /^dry run: 5 dead letters in .* would be replayed to stream dry; nothing was changed$/);
  }
  assert.deepEqual(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]), before);
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 5, inFlight: 0 });
  assert.deepEqual(await readStream('dry'), []);
  const cap = captureIO(work, env());
  assert.equal(await runReplay({ from: `s3://${BUCKET}/dry/`, toStream: 'dry', endpoint: kinesis.endpoint }, cap.io), 0, cap.stderr());
  assert.equal((await readStream('dry')).length, 5);
});

test('handler mode: original order per key; a failure skips the rest of its key and leaves them stored; a second run finishes', async () => {
  const dir = tempDir();
  const log = join(tempDir(), 'calls.jsonl');
  const { ordered, shuffled } = scenario(12);
  await new FileSink({ dir }).write(shuffled);
  const failing = Buffer.from(ordered.filter((e) => e.partitionKey === 'key-1')[1]!.data, 'base64').toString();
  const handler = join(import.meta.dirname, 'fixtures', 'replay-handler.js');
  // The handler module is the user's code: it reads the process environment, not the CLI's io.env.
  process.env.REPLAY_LOG = log;
  process.env.REPLAY_FAIL = failing;
  const cap = captureIO(work, env());
  assert.equal(await runReplay({ from: `file:${dir}`, handler }, cap.io), 1);
  delete process.env.REPLAY_FAIL;
  const out = cap.stdout();
  assert.match(out, new RegExp(`FAILED shardId-\\d+/\\d+/0 key="key-1" → handler .*replay-handler.js#handle: Error: cannot handle ${failing}`));
  assert.equal((out.match(/^SKIPPED .*key="key-1": an earlier record of this partition key failed/gm) ?? []).length, 2);
  assert.match(out, /replay: 12 dead letters, 9 replayed, 1 failed, 2 skipped/);
  assert.match(cap.stderr(), /"msg":"replayed"/);
  const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(calls.map((c) => c.text), ordered.map((e) => Buffer.from(e.data, 'base64').toString()).filter((t, i) => ordered[i]!.partitionKey !== 'key-1' || ordered.filter((e) => e.partitionKey === 'key-1').indexOf(ordered[i]!) < 1));
  assert.deepEqual({ ...calls[0], text: undefined, seq: undefined }, { key: 'key-0', text: undefined, seq: undefined, sub: 0, shardId: 'shardId-000000000000', attempt: 1, aborted: false, arrival: '2025-01-01T00:00:00.000Z' });

  const again = captureIO(work, env());
  assert.equal(await runReplay({ from: `file:${dir}`, handler, export: 'other' }, again.io), 0, again.stderr());
  delete process.env.REPLAY_LOG;
  assert.match(again.stdout(), /replay: 3 dead letters, 3 replayed, 0 failed, 0 skipped/);
  const all = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; text: string });
  assert.deepEqual(all.slice(9).map((c) => c.text), ordered.filter((e) => e.partitionKey === 'key-1').slice(1).map((e) => Buffer.from(e.data, 'base64').toString()));
});

test('a replay that fails changes nothing: missing stream, bad handler, bad flags', async () => {
  const dir = tempDir();
  const { shuffled } = scenario(4);
  await new FileSink({ dir }).write(shuffled);
  const snapshot = () => readdirSync(dir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).sort();
  const before = snapshot();
  const cap = captureIO(work, env());
  assert.equal(await runReplay({ from: `file:${dir}`, toStream: 'no-such-stream', endpoint: kinesis.endpoint }, cap.io), 1);
  assert.equal((cap.stdout().match(/^FAILED .*ResourceNotFoundException/gm) ?? []).length, 4, cap.stdout());
  assert.deepEqual(snapshot(), before);
  assert.equal(existsSync(join(dir, 'replayed', 'x')), false);

  const bad = captureIO(work, env());
  assert.equal(await runReplay({ from: `file:${dir}`, handler: './nope.js' }, bad.io), 2);
  assert.match(bad.stderr(), /Cannot load the handler module .*nope\.js/);
  const noExport = captureIO(work, env());
  assert.equal(await runReplay({ from: `file:${dir}`, handler: join(import.meta.dirname, 'fixtures', 'replay-handler.js'), export: 'missing' }, noExport.io), 2);
  assert.match(noExport.stderr(), /exports no function `missing`; it exports: default, handle, other/);
  for (const flags of [{ toStream: 'x' }, { from: `file:${dir}` }, { from: `file:${dir}`, toStream: 'x', handler: 'y' }, { from: 'nope:', toStream: 'x' }]) {
    const c = captureIO(work, env());
    assert.equal(await runReplay(flags, c.io), 2, JSON.stringify(flags));
  }
  assert.deepEqual(snapshot(), before);
});

test('a 1 MB record round-trips through every sink and replay', async () => {
  const queueUrl = await createQueue(sqs.endpoint, 'big');
  const specs = [`file:${tempDir()}`, `sqs:${queueUrl}`, `s3://${BUCKET}/big/`];
  for (const [i, spec] of specs.entries()) {
    const payload = bigPayload(1_000_000, 10 + i);
    const big = deadLetter({ partitionKey: 'k', data: payload.toString('base64') });
    const small = deadLetter({ partitionKey: 'k', payload: 'after the big one' });
    await createSink(spec, env()).write([big, small]);
    const cap = captureIO(work, env());
    assert.equal(await runReplay({ from: spec, toStream: `big${i + 1}`, endpoint: kinesis.endpoint }, cap.io), 0, `${spec}: ${cap.stdout()}${cap.stderr()}`);
    const got = await readStream(`big${i + 1}`);
    assert.equal(got.length, 2, spec);
    assert.ok(got[0]!.data.equals(payload), `${spec}: the 1 MB payload is intact`);
    assert.equal(got[1]!.data.toString(), 'after the big one');
  }
  assert.deepEqual(await queueDepth(sqs.endpoint, queueUrl), { visible: 0, inFlight: 0 });
});
