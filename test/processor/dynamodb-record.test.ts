// record.dynamodb() (the stream record JSON the bridge delivers → plain values) and per-item ordering
// for the dynamodb-streams source (partitionKey = the item's key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { NumberValueImpl } from '@aws-sdk/util-dynamodb';
import { DynamoDBRecordFactory, FakeDaemon } from '../../src/testing/index.js';
import { ExitCode, KinesisRecord, RecordDecodeError, RecordErrorCode } from '../../src/index.js';
import { dynamodbPartitionKey } from '../../src/processor/index.js';
import { awsJson } from '../../src/local/aws-json.js';
import { startDynamoDbStreamsEmulator } from '../../src/local/ddb-streams/index.js';

const wire = (data: unknown, partitionKey = 'k', sequenceNumber = '000000000000000000042') =>
  new KinesisRecord({ action: 'record', data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'), partitionKey, sequenceNumber, subSequenceNumber: 0 });

/** A record as the streams adapter's RecordObjectMapper writes it (creation time in epoch milliseconds). */
const adapterJson = {
  eventID: '7de3041dd709b024af6f29e4fa13d34c',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-1',
  dynamodb: {
    ApproximateCreationDateTime: 1767225600123,
    Keys: { pk: { S: 'user#1' }, sk: { N: '7' } },
    NewImage: {
      pk: { S: 'user#1' },
      sk: { N: '7' },
      name: { S: 'Ada' },
      score: { N: '12.5' },
      active: { BOOL: true },
      gone: { NULL: true },
      avatar: { B: Buffer.from([0, 1, 254, 255]).toString('base64') },
      tags: { SS: ['a', 'b'] },
      lucky: { NS: ['3', '7'] },
      history: { L: [{ S: 'x' }, { N: '1' }, { M: { deep: { B: Buffer.from('hi').toString('base64') } } }] },
      address: { M: { city: { S: 'Paris' }, zip: { N: '75001' } } },
    },
    OldImage: { pk: { S: 'user#1' }, sk: { N: '7' }, name: { S: 'Ad' } },
    SequenceNumber: '000000000000000000042',
    SizeBytes: 120,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
};

test('record.dynamodb(): event, keys and both images as plain values; sequence number and creation time typed', () => {
  const change = wire(adapterJson).dynamodb<{ name: string; score: number; avatar: Uint8Array; tags: Set<string>; history: unknown[]; address: { city: string; zip: number } }, { pk: string; sk: number }>();
  assert.equal(change.eventName, 'MODIFY');
  assert.equal(change.eventID, '7de3041dd709b024af6f29e4fa13d34c');
  assert.deepEqual(change.keys, { pk: 'user#1', sk: 7 });
  assert.deepEqual(change.oldImage, { pk: 'user#1', sk: 7, name: 'Ad' });
  const n = change.newImage!;
  assert.equal(n.name, 'Ada');
  assert.equal(n.score, 12.5);
  assert.deepEqual(Buffer.from(n.avatar), Buffer.from([0, 1, 254, 255]));
  assert.deepEqual(n.tags, new Set(['a', 'b']));
  assert.deepEqual((n as Record<string, unknown>).lucky, new Set([3, 7]));
  assert.equal((n as Record<string, unknown>).active, true);
  assert.equal((n as Record<string, unknown>).gone, null);
  assert.equal(Buffer.from((n.history[2] as { deep: Uint8Array }).deep).toString(), 'hi');
  assert.deepEqual(n.address, { city: 'Paris', zip: 75001 });
  assert.equal(change.sequenceNumber, '000000000000000000042');
  assert.equal(change.approximateCreationTime!.toISOString(), '2026-01-01T00:00:00.123Z');
  assert.equal(change.sizeBytes, 120);
  assert.equal(change.streamViewType, 'NEW_AND_OLD_IMAGES');
  assert.equal(change.awsRegion, 'eu-west-1');
  assert.equal(change.userIdentity, undefined);
});

test('record.dynamodb(): wire-form creation time in seconds, TTL deletions, KEYS_ONLY without images', () => {
  const ttl = {
    eventID: 'e',
    eventName: 'REMOVE',
    eventSource: 'aws:dynamodb',
    dynamodb: { ApproximateCreationDateTime: 1767225600, Keys: { id: { S: 'a' } }, SequenceNumber: '5', StreamViewType: 'KEYS_ONLY' },
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  };
  const change = wire(ttl).dynamodb();
  assert.equal(change.approximateCreationTime!.toISOString(), '2026-01-01T00:00:00.000Z');
  assert.deepEqual(change.userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
  assert.equal(change.newImage, undefined);
  assert.equal(change.oldImage, undefined);
  assert.deepEqual(change.keys, { id: 'a' });
});

test('record.dynamodb(): an empty image map (how the adapter writes a missing image) is no image', () => {
  const insert = { eventName: 'INSERT', dynamodb: { Keys: { id: { S: 'a' } }, NewImage: { id: { S: 'a' } }, OldImage: {}, SequenceNumber: '1' } };
  const change = wire(insert).dynamodb();
  assert.equal(change.oldImage, undefined);
  assert.deepEqual(change.newImage, { id: 'a' });
  const remove = { eventName: 'REMOVE', dynamodb: { Keys: { id: { S: 'a' } }, NewImage: {}, OldImage: { id: { S: 'a' } }, SequenceNumber: '2' } };
  assert.equal(wire(remove).dynamodb().newImage, undefined);
});

test('record.dynamodb(): big integers come as bigint; a decimal a double cannot hold needs wrapNumbers, and the error says so', () => {
  const big = { eventName: 'INSERT', dynamodb: { Keys: { id: { N: '12345678901234567890' } }, SequenceNumber: '1' } };
  assert.equal(wire(big).dynamodb().keys.id, 12345678901234567890n);
  const precise = { eventName: 'INSERT', dynamodb: { Keys: { id: { N: '12345678901234567890.5' } }, SequenceNumber: '1' } };
  assert.throws(
    () => wire(precise).dynamodb(),
    (err: unknown) => err instanceof RecordDecodeError && err.code === RecordErrorCode.NOT_DYNAMODB && /wrapNumbers: true/.test(err.message),
  );
  const keys = wire(precise).dynamodb({ wrapNumbers: true }).keys;
  assert.ok(keys.id instanceof NumberValueImpl);
  assert.equal(String(keys.id), '12345678901234567890.5');
});

test('record.dynamodb() on data that is not a stream record: a RecordDecodeError naming the record', () => {
  for (const data of [{ orderId: 1 }, { eventName: 'INSERT' }, { eventName: 'UPSERT', dynamodb: { Keys: {} } }, [1, 2]]) {
    assert.throws(
      () => wire(data, 'order-7', '99').dynamodb(),
      (err: unknown) => err instanceof RecordDecodeError && err.code === RecordErrorCode.NOT_DYNAMODB && err.record.sequenceNumber === '99' && /order-7/.test(err.message),
    );
  }
  assert.throws(() => wire('not json').dynamodb(), (err: unknown) => err instanceof RecordDecodeError && err.code === RecordErrorCode.INVALID_JSON);
});

test('records read from the local emulator decode with record.dynamodb()', async () => {
  const emu = await startDynamoDbStreamsEmulator({ port: 0 });
  try {
    const { TableDescription } = await awsJson<{ TableDescription: { LatestStreamArn: string } }>(emu.endpoint, 'dynamodb', 'CreateTable', {
      TableName: 'people',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    await awsJson(emu.endpoint, 'dynamodb', 'PutItem', { TableName: 'people', Item: { id: { S: 'p1' }, pic: { B: Buffer.from('png').toString('base64') }, n: { N: '1' } } });
    await awsJson(emu.endpoint, 'dynamodb', 'UpdateItem', { TableName: 'people', Key: { id: { S: 'p1' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '2' } } });
    const arn = TableDescription.LatestStreamArn;
    const { StreamDescription } = await awsJson<{ StreamDescription: { Shards: { ShardId: string }[] } }>(emu.endpoint, 'dynamodbstreams', 'DescribeStream', { StreamArn: arn });
    const { ShardIterator } = await awsJson<{ ShardIterator: string }>(emu.endpoint, 'dynamodbstreams', 'GetShardIterator', { StreamArn: arn, ShardId: StreamDescription.Shards[0]!.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
    const { Records } = await awsJson<{ Records: { dynamodb: { Keys: Record<string, unknown>; SequenceNumber: string } }[] }>(emu.endpoint, 'dynamodbstreams', 'GetRecords', { ShardIterator });
    const changes = Records.map((r) => wire(r, dynamodbPartitionKey(r.dynamodb.Keys), r.dynamodb.SequenceNumber).dynamodb<{ id: string; pic: Uint8Array; n: number }>());
    assert.deepEqual(changes.map((c) => [c.eventName, c.keys, c.oldImage?.n, c.newImage?.n]), [
      ['INSERT', { id: 'p1' }, undefined, 1],
      ['MODIFY', { id: 'p1' }, 1, 2],
    ]);
    assert.equal(Buffer.from(changes[1]!.newImage!.pic).toString(), 'png');
    assert.ok(Math.abs(changes[0]!.approximateCreationTime!.getTime() - Date.now()) < 60_000);
  } finally {
    await emu.close();
  }
});

test('dynamodbPartitionKey: the same key in any attribute order gives the same string; different keys differ', () => {
  assert.equal(dynamodbPartitionKey({ sk: { N: '7' }, pk: { S: 'a' } }), '{"pk":{"S":"a"},"sk":{"N":"7"}}');
  assert.equal(dynamodbPartitionKey({ pk: { S: 'a' }, sk: { N: '7' } }), dynamodbPartitionKey({ sk: { N: '7' }, pk: { S: 'a' } }));
  assert.notEqual(dynamodbPartitionKey({ pk: { S: 'a' }, sk: { N: '7' } }), dynamodbPartitionKey({ pk: { S: 'a' }, sk: { N: '8' } }));
});

test('ordering: changes to one item run in order, one at a time; different items run concurrently', async () => {
  const versions = new Map<string, number[]>();
  const busy = new Set<string>();
  let running = 0;
  let maxRunning = 0;
  const daemon = FakeDaemon.inProcess({
    statsIntervalMs: 0,
    concurrency: 16,
    async handle(record: KinesisRecord) {
      const change = record.dynamodb<{ id: string; version: number }, { id: string }>();
      const id = change.keys.id;
      assert.ok(!busy.has(id), `two changes of item ${id} at once`);
      busy.add(id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(Math.random() * 3);
      (versions.get(id) ?? versions.set(id, []).get(id)!).push(change.newImage?.version ?? -1);
      running--;
      busy.delete(id);
    },
  });
  const f = new DynamoDBRecordFactory();
  // 20 items × 15 changes, interleaved: INSERT, MODIFYs, and a REMOVE at the end of each item.
  const records = [];
  for (let v = 0; v < 15; v++) {
    for (let i = 0; i < 20; i++) {
      const id = `item-${i}`;
      const image = (version: number) => ({ id, version });
      if (v === 0) records.push(f.record({ keys: { id }, newImage: image(0) }));
      else if (v === 14) records.push(f.record({ keys: { id }, oldImage: image(13) }));
      else records.push(f.record({ keys: { id }, oldImage: image(v - 1), newImage: image(v) }));
    }
  }
  await daemon.initialize();
  for (let b = 0; b < records.length; b += 50) await daemon.processRecords(records.slice(b, b + 50));
  await daemon.shutdownRequested();
  assert.equal(versions.size, 20);
  for (const [id, seen] of versions) assert.deepEqual(seen, [...Array.from({ length: 14 }, (_, v) => v), -1], `order of ${id}`);
  assert.ok(maxRunning > 1, `different items ran concurrently (max ${maxRunning})`);
  assert.equal(daemon.checkpoints.at(-1)!.sequenceNumber, records.at(-1)!.sequenceNumber, 'checkpointed at the last change');
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
});
