// `kcl-ts tables create` (through the real CLI entry) and the shared table module, against real dynalite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { awsJson } from '../../src/local/aws-json.js';
import { LocalErrorCode } from '../../src/local/errors.js';
import { checkKclTables, kclTableNames, kclTableSchemas, type CreateTableInput } from '../../src/local/kcl-tables.js';
import { putLeases, scanLeases } from '../../src/local/lease-table.js';
import { useDynalite } from './dynalite-fixture.js';

const dynamo = useDynalite('kcl-ts-tables-');
const { work } = dynamo;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {}, cwd: work };
  const code = await main(argv, io);
  return { code, out, err };
}

function properties(name: string, lines: string[]): string {
  const file = join(work, `${name}.properties`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

type Described = { Table: { KeySchema: unknown; AttributeDefinitions: { AttributeName: string }[]; BillingModeSummary?: { BillingMode: string }; GlobalSecondaryIndexes?: { IndexName: string; KeySchema: unknown; Projection: unknown; IndexStatus: string }[] } };

test('tables create: the three tables with the exact KCL 3.1.3 schemas; a second run keeps them and their items', async () => {
  const file = properties('orders', ['applicationName = orders', 'streamName = s', `dynamoDBEndpoint = ${dynamo.endpoint}`]);
  const first = await cli('tables', 'create', '-p', file);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /^created  orders\ncreated  orders-CoordinatorState\ncreated  orders-WorkerMetricStats\nok: /);

  const lease = (await awsJson<Described>(dynamo.endpoint, 'dynamodb', 'DescribeTable', { TableName: 'orders' })).Table;
  assert.deepEqual(lease.KeySchema, [{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
  assert.deepEqual(lease.AttributeDefinitions.map((a) => a.AttributeName).sort(), ['leaseKey', 'leaseOwner']);
  assert.equal(lease.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(lease.GlobalSecondaryIndexes?.length, 1);
  const gsi = lease.GlobalSecondaryIndexes![0]!;
  assert.equal(gsi.IndexName, 'LeaseOwnerToLeaseKeyIndex');
  assert.deepEqual(gsi.KeySchema, [
    { AttributeName: 'leaseOwner', KeyType: 'HASH' },
    { AttributeName: 'leaseKey', KeyType: 'RANGE' },
  ]);
  assert.deepEqual(gsi.Projection, { ProjectionType: 'KEYS_ONLY' });
  assert.equal(gsi.IndexStatus, 'ACTIVE');
  const coordinator = (await awsJson<Described>(dynamo.endpoint, 'dynamodb', 'DescribeTable', { TableName: 'orders-CoordinatorState' })).Table;
  assert.deepEqual(coordinator.KeySchema, [{ AttributeName: 'key', KeyType: 'HASH' }]);
  assert.equal(coordinator.GlobalSecondaryIndexes, undefined);
  const metrics = (await awsJson<Described>(dynamo.endpoint, 'dynamodb', 'DescribeTable', { TableName: 'orders-WorkerMetricStats' })).Table;
  assert.deepEqual(metrics.KeySchema, [{ AttributeName: 'wid', KeyType: 'HASH' }]);

  await putLeases(dynamo.endpoint, 'orders', ['shardId-000000000000']);
  await awsJson(dynamo.endpoint, 'dynamodb', 'UpdateItem', {
    TableName: 'orders',
    Key: { leaseKey: { S: 'shardId-000000000000' } },
    UpdateExpression: 'SET checkpoint = :c',
    ExpressionAttributeValues: { ':c': { S: '49600000000000000000000000001' } },
  });
  const second = await cli('tables', 'create', '-p', file);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /^exists   orders\nexists   orders-CoordinatorState\nexists   orders-WorkerMetricStats\n/);
  // putLeases never overwrites a lease: the checkpoint survives
  await putLeases(dynamo.endpoint, 'orders', ['shardId-000000000000', 'shardId-000000000001']);
  const leases = await scanLeases(dynamo.endpoint, 'orders');
  assert.deepEqual(leases.map((l) => [l.leaseKey, l.checkpoint]), [
    ['shardId-000000000000', '49600000000000000000000000001'],
    ['shardId-000000000001', 'TRIM_HORIZON'],
  ]);
});

test('tables create: table names from tableName / coordinatorStateTableName / workerMetricsTableName, endpoint from --endpoint', async () => {
  const file = properties('named', ['applicationName = named', 'tableName = named-leases', 'coordinatorStateTableName = named-coord', 'workerMetricsTableName = named-wm']);
  const res = await cli('tables', 'create', '-p', file, '--endpoint', dynamo.endpoint);
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(await checkKclTables(dynamo.endpoint, { lease: 'named-leases', coordinatorState: 'named-coord', workerMetrics: 'named-wm' }), []);
  const { TableNames } = await awsJson<{ TableNames: string[] }>(dynamo.endpoint, 'dynamodb', 'ListTables', {});
  assert.ok(!TableNames.includes('named'), 'no table under the application name');
});

test('tables create --print: one aws CLI command per table whose JSON is exactly the schema created', async () => {
  const file = properties('printed', ['applicationName = printed', 'regionName = eu-west-1', 'dynamoDBEndpoint = http://127.0.0.1:8000']);
  const res = await cli('tables', 'create', '-p', file, '--print');
  assert.equal(res.code, 0, res.err);
  const commands = res.out.split(/\n(?=aws )/);
  assert.equal(commands.length, 3);
  const parsed = commands.map((c) => {
    const m = /^aws dynamodb create-table --region 'eu-west-1' --endpoint-url 'http:\/\/127\.0\.0\.1:8000' --cli-input-json '([^']*)'\n+$/.exec(c);
    assert.ok(m, c);
    return JSON.parse(m[1]!) as CreateTableInput;
  });
  assert.deepEqual(parsed, kclTableSchemas(kclTableNames({ applicationName: 'printed' })));
  const { TableNames } = await awsJson<{ TableNames: string[] }>(dynamo.endpoint, 'dynamodb', 'ListTables', {});
  assert.ok(!TableNames.some((t) => t.startsWith('printed')), '--print creates nothing');
});

test('tables create: no endpoint → TABLES_NO_ENDPOINT pointing at --print; an endpoint down → says so; no applicationName → names the key', async () => {
  const aws = await cli('tables', 'create', '-p', properties('aws', ['applicationName = aws', 'regionName = us-east-1']));
  assert.equal(aws.code, 1);
  assert.match(aws.err, /has no dynamoDBEndpoint and no --endpoint was given.*--print/);
  assert.match(aws.err, new RegExp(`\\[${LocalErrorCode.TABLES_NO_ENDPOINT}\\]`));
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const down = await cli('tables', 'create', '-p', properties('down', ['applicationName = down', `dynamoDBEndpoint = http://127.0.0.1:${closed}`]));
  assert.equal(down.code, 1);
  assert.match(down.err, new RegExp(`^kcl-ts: Cannot reach DynamoDB at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\): start the emulator`));
  const nameless = await cli('tables', 'create', '-p', properties('nameless', ['streamName = s']), '--endpoint', dynamo.endpoint);
  assert.equal(nameless.code, 1);
  assert.match(nameless.err, /has no applicationName/);
});

test('tables create: an existing lease table without the GSI → TABLES_INVALID naming the index (dynalite cannot add it)', async () => {
  await awsJson(dynamo.endpoint, 'dynamodb', 'CreateTable', {
    TableName: 'old',
    AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const res = await cli('tables', 'create', '-p', properties('old', ['applicationName = old']), '--endpoint', dynamo.endpoint);
  assert.equal(res.code, 1);
  assert.match(res.err, /table old has no global secondary index LeaseOwnerToLeaseKeyIndex/);
  assert.match(res.err, new RegExp(`\\[${LocalErrorCode.TABLES_INVALID}\\]`));
});
