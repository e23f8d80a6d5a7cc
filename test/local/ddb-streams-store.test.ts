// StreamStore and StreamsApi without HTTP, on a fake clock: time rollover, iterator expiry, empty closed
// shards, the 1 MB page limit; and the emulator as a process (main.js) with a busy port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsJson } from '../../src/local/aws-json.js';
import { StreamsApiError } from '../../src/local/ddb-streams/api-error.js';
import { startDynamoDbStreamsEmulator } from '../../src/local/ddb-streams/index.js';
import { StreamStore } from '../../src/local/ddb-streams/store.js';
import { ITERATOR_TTL_MS, StreamsApi } from '../../src/local/ddb-streams/streams-api.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';

const table = { name: 'orders', arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders', keySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }] };
const put = (id: string, extra: Record<string, { S: string }> = {}) => ({ keys: { id: { S: id } }, oldImage: undefined, newImage: { id: { S: id }, ...extra } });

function clock(start = 1_700_000_000_000) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

test('time rollover on a fake clock: an empty open shard closes too, with an [n, n] range; numbers stay increasing', () => {
  const c = clock();
  const store = new StreamStore({ rollover: { ageMs: 1000 }, now: c.now });
  const api = new StreamsApi(store, c.now);
  const stream = store.create(table, 'KEYS_ONLY');
  store.append(stream.arn, put('a'));
  c.ms += 999;
  assert.equal(store.stream(stream.arn).shards.length, 1, 'not yet');
  c.ms += 1;
  const shards = store.stream(stream.arn).shards;
  assert.equal(shards.length, 2);
  c.ms += 1000; // the child closes empty
  assert.equal(store.stream(stream.arn).shards.length, 3);
  store.append(stream.arn, put('b'));
  const d = api.describeStream({ StreamArn: stream.arn }) as { StreamDescription: { Shards: { ShardId: string; ParentShardId?: string; SequenceNumberRange: { StartingSequenceNumber: string; EndingSequenceNumber?: string } }[] } };
  const [s0, s1, s2] = d.StreamDescription.Shards;
  assert.equal(s1!.ParentShardId, s0!.ShardId);
  assert.equal(s2!.ParentShardId, s1!.ShardId);
  assert.equal(s1!.SequenceNumberRange.StartingSequenceNumber, s1!.SequenceNumberRange.EndingSequenceNumber, 'empty shard: [n, n]');
  const n = (s: string | undefined) => BigInt(s!);
  assert.ok(n(s0!.SequenceNumberRange.EndingSequenceNumber) < n(s1!.SequenceNumberRange.StartingSequenceNumber));
  assert.ok(n(s1!.SequenceNumberRange.EndingSequenceNumber) < n(s2!.SequenceNumberRange.StartingSequenceNumber));
  assert.equal(store.stream(stream.arn).shards[2]!.records[0]!.dynamodb.SequenceNumber, s2!.SequenceNumberRange.StartingSequenceNumber);
  // The empty closed shard: no records and no next iterator.
  const { ShardIterator } = api.getShardIterator({ StreamArn: stream.arn, ShardId: s1!.ShardId, ShardIteratorType: 'TRIM_HORIZON' }) as { ShardIterator: string };
  assert.deepEqual(api.getRecords({ ShardIterator }), { Records: [] });
});

test('a shard iterator expires 15 minutes after it was issued; each page gives a fresh one', () => {
  const c = clock();
  const store = new StreamStore({ now: c.now });
  const api = new StreamsApi(store, c.now);
  const stream = store.create(table, 'NEW_IMAGE');
  const shardId = stream.shards[0]!.id;
  const { ShardIterator } = api.getShardIterator({ StreamArn: stream.arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }) as { ShardIterator: string };
  c.ms += ITERATOR_TTL_MS;
  const page = api.getRecords({ ShardIterator }) as { NextShardIterator: string };
  c.ms += ITERATOR_TTL_MS;
  api.getRecords({ ShardIterator: page.NextShardIterator });
  c.ms += 1;
  assert.throws(() => api.getRecords({ ShardIterator }), (err: unknown) => err instanceof StreamsApiError && err.type === 'ExpiredIteratorException');
});

test('GetRecords stops at 1 MB of records (but always returns at least one)', () => {
  const store = new StreamStore();
  const api = new StreamsApi(store);
  const stream = store.create(table, 'NEW_IMAGE');
  const big = 'x'.repeat(300 * 1024);
  for (let i = 0; i < 5; i++) store.append(stream.arn, put(`k${i}`, { blob: { S: big } }));
  const { ShardIterator } = api.getShardIterator({ StreamArn: stream.arn, ShardId: stream.shards[0]!.id, ShardIteratorType: 'TRIM_HORIZON' }) as { ShardIterator: string };
  const first = api.getRecords({ ShardIterator }) as { Records: unknown[]; NextShardIterator: string };
  assert.equal(first.Records.length, 3);
  const second = api.getRecords({ ShardIterator: first.NextShardIterator }) as { Records: unknown[] };
  assert.equal(second.Records.length, 2);
});

test('the emulator as a process: ready line on stderr, serves both APIs, SIGTERM stops it; a busy port is a clear error', async () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'local', 'ddb-streams', 'main.js');
  const child = spawn(process.execPath, [main, '--port', '0', '--rollover-records', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let err = '';
    child.stderr.setEncoding('utf8');
    while (!err.includes('\n')) {
      const [chunk] = (await once(child.stderr, 'data')) as [string];
      err += chunk;
    }
    const { endpoint } = JSON.parse(err) as { endpoint: string };
    await awsJson(endpoint, 'dynamodb', 'CreateTable', {
      TableName: 'orders',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
    });
    for (const id of ['a', 'b', 'c']) await awsJson(endpoint, 'dynamodb', 'PutItem', { TableName: 'orders', Item: { id: { S: id } } });
    const { Streams } = await awsJson<{ Streams: { StreamArn: string }[] }>(endpoint, 'dynamodbstreams', 'ListStreams', {});
    const d = await awsJson<{ StreamDescription: { Shards: unknown[] } }>(endpoint, 'dynamodbstreams', 'DescribeStream', { StreamArn: Streams[0]!.StreamArn });
    assert.equal(d.StreamDescription.Shards.length, 2, '--rollover-records 2 took effect');
    const port = Number(new URL(endpoint).port);
    const busy = await startDynamoDbStreamsEmulator({ port }).then(
      (e) => e.close().then(() => undefined),
      (e: unknown) => e,
    );
    assert.equal((busy as { code?: string })?.code, LauncherErrorCode.PORT_BUSY);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('startDynamoDbStreamsEmulator checks its options once, naming the bad one', async () => {
  for (const [opts, name] of [
    [{ port: -1 }, 'port'],
    [{ port: 0, rollover: { records: 0 } }, 'rollover.records'],
    [{ port: 0, rollover: { ageMs: 1.5 } }, 'rollover.ageMs'],
  ] as const) {
    await assert.rejects(startDynamoDbStreamsEmulator(opts), (err: unknown) => (err as { code?: string }).code === 'KCLTS_ERR_LOCAL_STREAMS_BAD_OPTION' && (err as Error).message.includes(`\`${name}\``));
  }
});
