// The local DynamoDB Streams layer, driven only through the real AWS SDK v3 clients
// (@aws-sdk/client-dynamodb and @aws-sdk/client-dynamodb-streams) over HTTP, as a user's code would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startDynamoDbStreamsEmulator, type DynamoDbStreamsEmulator } from '../../src/local/ddb-streams/index.js';

let emu: DynamoDbStreamsEmulator;
let ddb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let tableNo = 0;

function clients(endpoint: string): { ddb: DynamoDBClient; streams: DynamoDBStreamsClient } {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  };
  return { ddb: new DynamoDBClient(config), streams: new DynamoDBStreamsClient(config) };
}

before(async () => {
  emu = await startDynamoDbStreamsEmulator({ port: 0 });
  ({ ddb, streams } = clients(emu.endpoint));
});

after(async () => {
  ddb.destroy();
  streams.destroy();
  await emu.close();
});

/** A new table `pk` (S) + optional `sk` (N), with a stream of `view` (or none); returns its name and stream ARN. */
async function table(view: StreamViewType | undefined, client = ddb, range = false): Promise<{ name: string; arn: string | undefined }> {
  const name = `table-${++tableNo}`;
  const out = await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(range ? [{ AttributeName: 'sk', AttributeType: 'N' as const }] : [])],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
      ...(view ? { StreamSpecification: { StreamEnabled: true, StreamViewType: view } } : {}),
    }),
  );
  return { name, arn: out.TableDescription?.LatestStreamArn };
}

/** Every record of every shard, parents before children (shards come back in that order). */
async function readAll(arn: string, client = streams): Promise<_Record[]> {
  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: arn }));
  const out: _Record[] = [];
  for (const shard of StreamDescription!.Shards!) {
    let it = (await client.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (it) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: it }));
      out.push(...page.Records!);
      if (page.Records!.length === 0) break; // an open shard read to its tip
      it = page.NextShardIterator;
    }
  }
  return out;
}

test('CreateTable with a StreamSpecification: LatestStreamArn/Label in CreateTable and DescribeTable; ListStreams lists it', async () => {
  const { name, arn } = await table('NEW_AND_OLD_IMAGES');
  assert.match(arn!, new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${name}/stream/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
  assert.equal(Table!.LatestStreamArn, arn);
  assert.equal(Table!.LatestStreamLabel, arn!.split('/stream/')[1]);
  assert.deepEqual(Table!.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  const listed = await streams.send(new ListStreamsCommand({ TableName: name }));
  assert.deepEqual(listed.Streams, [{ StreamArn: arn, TableName: name, StreamLabel: Table!.LatestStreamLabel }]);
  const { StreamDescription: d } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  assert.equal(d!.StreamStatus, 'ENABLED');
  assert.equal(d!.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.equal(d!.TableName, name);
  assert.deepEqual(d!.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
  assert.equal(d!.Shards!.length, 1);
  assert.ok(d!.Shards![0]!.SequenceNumberRange!.StartingSequenceNumber);
  assert.equal(d!.Shards![0]!.SequenceNumberRange!.EndingSequenceNumber, undefined);
  assert.ok(d!.CreationRequestDateTime instanceof Date);
});

test('PutItem, UpdateItem, DeleteItem and BatchWriteItem record INSERT/MODIFY/REMOVE with exact old and new images', async () => {
  const { name, arn } = await table('NEW_AND_OLD_IMAGES', ddb, true);
  const before = Math.floor(Date.now() / 1000);
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '1' } } }));
  await ddb.send(new UpdateItemCommand({ TableName: name, Key: { pk: { S: 'a' }, sk: { N: '1' } }, UpdateExpression: 'SET v = :v, b = :b', ExpressionAttributeValues: { ':v': { N: '2' }, ':b': { B: Buffer.from([1, 2, 3]) } } }));
  // Not recorded: an identical put, a failed conditional write, and a delete of a missing item.
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '2' }, b: { B: Buffer.from([1, 2, 3]) } } }));
  await assert.rejects(
    ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' })),
    { name: 'ConditionalCheckFailedException' },
  );
  await ddb.send(new DeleteItemCommand({ TableName: name, Key: { pk: { S: 'nope' }, sk: { N: '0' } } }));
  await ddb.send(
    new BatchWriteItemCommand({
      RequestItems: {
        [name]: [
          { PutRequest: { Item: { pk: { S: 'b' }, sk: { N: '2' }, tags: { SS: ['x', 'y'] } } } },
          { DeleteRequest: { Key: { pk: { S: 'a' }, sk: { N: '1' } } } },
        ],
      },
    }),
  );
  const records = await readAll(arn!);
  assert.deepEqual(
    records.map((r) => [r.eventName, r.dynamodb!.Keys, r.dynamodb!.OldImage, r.dynamodb!.NewImage]),
    [
      ['INSERT', { pk: { S: 'a' }, sk: { N: '1' } }, undefined, { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '1' } }],
      ['MODIFY', { pk: { S: 'a' }, sk: { N: '1' } }, { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '1' } }, { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '2' }, b: { B: new Uint8Array([1, 2, 3]) } }],
      ['INSERT', { pk: { S: 'b' }, sk: { N: '2' } }, undefined, { pk: { S: 'b' }, sk: { N: '2' }, tags: { SS: ['x', 'y'] } }],
      ['REMOVE', { pk: { S: 'a' }, sk: { N: '1' } }, { pk: { S: 'a' }, sk: { N: '1' }, v: { N: '2' }, b: { B: new Uint8Array([1, 2, 3]) } }, undefined],
    ],
  );
  const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
  assert.deepEqual([...seqs].sort((x, y) => (x < y ? -1 : 1)), seqs, 'sequence numbers increase');
  for (const r of records) {
    assert.equal(r.eventSource, 'aws:dynamodb');
    assert.equal(r.eventVersion, '1.1');
    assert.equal(r.awsRegion, 'us-east-1');
    assert.match(r.eventID!, /^[0-9a-f]{32}$/);
    assert.equal(r.dynamodb!.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(r.dynamodb!.SizeBytes! > 0);
    assert.ok(r.dynamodb!.ApproximateCreationDateTime!.getTime() >= before * 1000);
  }
});

test('each StreamViewType gets the images it asks for', async () => {
  const cases: [StreamViewType, boolean, boolean][] = [
    ['KEYS_ONLY', false, false],
    ['NEW_IMAGE', true, false],
    ['OLD_IMAGE', false, true],
    ['NEW_AND_OLD_IMAGES', true, true],
  ];
  for (const [view, hasNew, hasOld] of cases) {
    const { name, arn } = await table(view);
    await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'k' }, v: { S: 'one' } } }));
    await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'k' }, v: { S: 'two' } } }));
    const [, modify] = await readAll(arn!);
    assert.equal(modify!.eventName, 'MODIFY', view);
    assert.deepEqual(modify!.dynamodb!.Keys, { pk: { S: 'k' } }, view);
    assert.deepEqual(modify!.dynamodb!.NewImage, hasNew ? { pk: { S: 'k' }, v: { S: 'two' } } : undefined, view);
    assert.deepEqual(modify!.dynamodb!.OldImage, hasOld ? { pk: { S: 'k' }, v: { S: 'one' } } : undefined, view);
    assert.equal(modify!.dynamodb!.StreamViewType, view);
  }
});

test('GetShardIterator: TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER', async () => {
  const { name, arn } = await table('KEYS_ONLY');
  for (let i = 0; i < 5; i++) await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: `k${i}` } } }));
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  const ShardId = StreamDescription!.Shards![0]!.ShardId;
  const read = async (ShardIteratorType: 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER', SequenceNumber?: string) => {
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ShardIteratorType, SequenceNumber }));
    const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
    return { keys: page.Records!.map((r) => r.dynamodb!.Keys!.pk!.S), next: page.NextShardIterator, seqs: page.Records!.map((r) => r.dynamodb!.SequenceNumber!) };
  };
  const all = await read('TRIM_HORIZON');
  assert.deepEqual(all.keys, ['k0', 'k1', 'k2', 'k3', 'k4']);
  assert.deepEqual((await read('AT_SEQUENCE_NUMBER', all.seqs[2])).keys, ['k2', 'k3', 'k4']);
  assert.deepEqual((await read('AFTER_SEQUENCE_NUMBER', all.seqs[2])).keys, ['k3', 'k4']);
  assert.deepEqual((await read('AFTER_SEQUENCE_NUMBER', all.seqs[4])).keys, []);
  const latest = await read('LATEST');
  assert.deepEqual(latest.keys, []);
  assert.ok(latest.next, 'an open shard always gives a next iterator');
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'k5' } } }));
  const after = await streams.send(new GetRecordsCommand({ ShardIterator: latest.next }));
  assert.deepEqual(after.Records!.map((r) => r.dynamodb!.Keys!.pk!.S), ['k5'], 'LATEST sees only later records');
  await assert.rejects(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER' })), { name: 'ValidationException' });
  await assert.rejects(
    streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: '999999999999999999999' })),
    { name: 'ValidationException' },
  );
  await assert.rejects(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: 'shardId-nope', ShardIteratorType: 'LATEST' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(streams.send(new DescribeStreamCommand({ StreamArn: `${arn}x` })), { name: 'ResourceNotFoundException' });
  await assert.rejects(streams.send(new GetRecordsCommand({ ShardIterator: 'garbage' })), { name: 'ValidationException' });
});

test('GetRecords returns at most 1,000 records a call; a Limit above 1,000 is a ValidationException', async () => {
  const { name, arn } = await table('KEYS_ONLY');
  for (let i = 0; i < 1250; i += 25) {
    await ddb.send(new BatchWriteItemCommand({ RequestItems: { [name]: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: { S: `k${i + j}` } } } })) } }));
  }
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  const ShardId = StreamDescription!.Shards![0]!.ShardId;
  const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
  await assert.rejects(streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1001 })), { name: 'ValidationException' });
  const first = await streams.send(new GetRecordsCommand({ ShardIterator }));
  assert.equal(first.Records!.length, 1000);
  const second = await streams.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator }));
  assert.equal(second.Records!.length, 250);
  assert.equal(second.Records![249]!.dynamodb!.Keys!.pk!.S, 'k1249');
  const limited = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 7 }));
  assert.equal(limited.Records!.length, 7);
});

test('concurrent writes to one item: images chain exactly (writes are serialised per table)', async () => {
  const { name, arn } = await table('NEW_AND_OLD_IMAGES');
  await Promise.all(
    Array.from({ length: 40 }, () =>
      ddb.send(new UpdateItemCommand({ TableName: name, Key: { pk: { S: 'counter' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } })),
    ),
  );
  const records = await readAll(arn!);
  assert.equal(records.length, 40);
  records.forEach((r, i) => {
    assert.equal(r.eventName, i === 0 ? 'INSERT' : 'MODIFY');
    assert.equal(r.dynamodb!.NewImage!.n!.N, String(i + 1));
    assert.equal(r.dynamodb!.OldImage?.n?.N, i === 0 ? undefined : String(i));
  });
});

test('UpdateTable switches a stream on and off; a disabled stream ends its shard; re-enabling makes a new stream', async () => {
  const { name, arn: none } = await table(undefined);
  assert.equal(none, undefined);
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'before' } } }));
  const on = await ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }));
  const arn = on.TableDescription!.LatestStreamArn!;
  assert.ok(arn);
  await assert.rejects(ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } })), { name: 'ValidationException' });
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'during' } } }));
  const off = await ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: false } }));
  assert.equal(off.TableDescription!.LatestStreamArn, arn, 'the latest stream stays named');
  assert.equal(off.TableDescription!.StreamSpecification, undefined);
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'after' } } }));
  const { StreamDescription: d } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  assert.equal(d!.StreamStatus, 'DISABLED');
  const shard = d!.Shards![0]!;
  assert.ok(shard.SequenceNumberRange!.EndingSequenceNumber, 'the shard is closed');
  const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
  assert.deepEqual(page.Records!.map((r) => r.dynamodb!.Keys!.pk!.S), ['during']);
  assert.equal(page.NextShardIterator, undefined, 'a closed shard read to its end has no next iterator');
  const again = await ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } }));
  assert.notEqual(again.TableDescription!.LatestStreamArn, arn);
  assert.equal((await streams.send(new ListStreamsCommand({ TableName: name }))).Streams!.length, 2);
  await ddb.send(new DeleteTableCommand({ TableName: name }));
  const gone = await streams.send(new DescribeStreamCommand({ StreamArn: again.TableDescription!.LatestStreamArn }));
  assert.equal(gone.StreamDescription!.StreamStatus, 'DISABLED', 'DeleteTable disables the stream');
});

test('a table without a stream: writes pass through and nothing is listed', async () => {
  const { name } = await table(undefined);
  await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'x' } } }));
  assert.deepEqual((await streams.send(new ListStreamsCommand({ TableName: name }))).Streams, []);
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
  assert.equal(Table!.LatestStreamArn, undefined);
  assert.equal(Table!.ItemCount !== undefined, true);
});

test('rollover by record count: a chain of child shards with lineage, SequenceNumberRange and SHARD_END', async () => {
  const rolling = await startDynamoDbStreamsEmulator({ port: 0, rollover: { records: 5 } });
  const c = clients(rolling.endpoint);
  try {
    const { name, arn } = await table('KEYS_ONLY', c.ddb);
    for (let i = 0; i < 12; i++) await c.ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: `k${i}` } } }));
    const { StreamDescription } = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const shards: Shard[] = StreamDescription!.Shards!;
    assert.equal(shards.length, 3);
    assert.equal(shards[0]!.ParentShardId, undefined);
    assert.equal(shards[1]!.ParentShardId, shards[0]!.ShardId);
    assert.equal(shards[2]!.ParentShardId, shards[1]!.ShardId);
    assert.ok(shards[0]!.SequenceNumberRange!.EndingSequenceNumber);
    assert.ok(shards[1]!.SequenceNumberRange!.EndingSequenceNumber);
    assert.equal(shards[2]!.SequenceNumberRange!.EndingSequenceNumber, undefined);
    assert.ok(BigInt(shards[1]!.SequenceNumberRange!.StartingSequenceNumber!) > BigInt(shards[0]!.SequenceNumberRange!.EndingSequenceNumber!));
    // What the adapter asks at SHARD_END: the children of the shard it finished.
    const children = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn, ShardFilter: { Type: 'CHILD_SHARDS', ShardId: shards[0]!.ShardId } }));
    assert.deepEqual(children.StreamDescription!.Shards!.map((s) => s.ShardId), [shards[1]!.ShardId]);
    // Paging with Limit/ExclusiveStartShardId.
    const page1 = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn, Limit: 2 }));
    assert.equal(page1.StreamDescription!.Shards!.length, 2);
    assert.equal(page1.StreamDescription!.LastEvaluatedShardId, shards[1]!.ShardId);
    const page2 = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn, Limit: 2, ExclusiveStartShardId: shards[1]!.ShardId }));
    assert.deepEqual(page2.StreamDescription!.Shards!.map((s) => s.ShardId), [shards[2]!.ShardId]);
    assert.equal(page2.StreamDescription!.LastEvaluatedShardId, undefined);
    // The parent read in pages of 3: 3 records with a next iterator, then 2 without one (SHARD_END).
    const { ShardIterator } = await c.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shards[0]!.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const p1 = await c.streams.send(new GetRecordsCommand({ ShardIterator, Limit: 3 }));
    assert.equal(p1.Records!.length, 3);
    assert.ok(p1.NextShardIterator);
    const p2 = await c.streams.send(new GetRecordsCommand({ ShardIterator: p1.NextShardIterator, Limit: 3 }));
    assert.equal(p2.Records!.length, 2);
    assert.equal(p2.NextShardIterator, undefined);
    const all = await readAll(arn!, c.streams);
    assert.deepEqual(all.map((r) => r.dynamodb!.Keys!.pk!.S), Array.from({ length: 12 }, (_, i) => `k${i}`));
  } finally {
    c.ddb.destroy();
    c.streams.destroy();
    await rolling.close();
  }
});

test('rollover by time: the open shard closes once it is older than ageMs', async () => {
  const rolling = await startDynamoDbStreamsEmulator({ port: 0, rollover: { ageMs: 100 } });
  const c = clients(rolling.endpoint);
  try {
    const { name, arn } = await table('KEYS_ONLY', c.ddb);
    await c.ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'first' } } }));
    await new Promise((r) => setTimeout(r, 150));
    await c.ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'second' } } }));
    const { StreamDescription } = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const shards = StreamDescription!.Shards!;
    assert.ok(shards.length >= 2);
    assert.equal(shards[1]!.ParentShardId, shards[0]!.ShardId);
    assert.deepEqual((await readAll(arn!, c.streams)).map((r) => r.dynamodb!.Keys!.pk!.S), ['first', 'second']);
  } finally {
    c.ddb.destroy();
    c.streams.destroy();
    await rolling.close();
  }
});
