// `kcl-ts doctor -p FILE` against real dynalite: missing KCL tables on an emulator that cannot add the GSI
// are a problem with the fix; created tables are ok; a table with other keys is a problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctorChecks, runDoctor } from '../../src/launcher/doctor.js';
import { awsJson } from '../../src/local/aws-json.js';
import { createKclTables, kclTableNames } from '../../src/local/kcl-tables.js';
import { useDynalite } from './dynalite-fixture.js';

const dynamo = useDynalite('kcl-ts-doctor-tables-');
const { work } = dynamo;

function io() {
  let out = '';
  return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, env: {}, cwd: work }, out: () => out };
}

function properties(app: string): string {
  const file = join(work, `${app}.properties`);
  writeFileSync(file, [`applicationName = ${app}`, 'streamName = s', `executableName = ${process.execPath} consumer.js`, `dynamoDBEndpoint = ${dynamo.endpoint}`, ''].join('\n'));
  return file;
}

async function tablesCheck(file: string) {
  const checks = await doctorChecks({ propertiesFile: file, io: io().io });
  return checks.filter((c) => c.name === 'tables');
}

test('doctor: missing tables on dynalite (which cannot add the GSI) → a problem naming the index, with `kcl-ts tables create`; the probe table is gone again', async () => {
  const file = properties('fresh');
  const [check] = await tablesCheck(file);
  assert.ok(check, 'a tables check');
  assert.equal(check.ok, false);
  assert.match(check.detail, /table fresh does not exist; table fresh-CoordinatorState does not exist; table fresh-WorkerMetricStats does not exist/);
  assert.match(check.detail, /cannot add the lease table's LeaseOwnerToLeaseKeyIndex the way the daemon does \(.*provisionedThroughput.*\)/);
  assert.match(check.fix ?? '', new RegExp(`kcl-ts tables create -p ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  const { TableNames } = await awsJson<{ TableNames: string[] }>(dynamo.endpoint, 'dynamodb', 'ListTables', {});
  assert.deepEqual(TableNames.filter((t) => t.startsWith('kcl-ts-doctor-probe')), []);

  const printed = io();
  assert.equal(await runDoctor({ propertiesFile: file, io: printed.io }), 1);
  assert.match(printed.out(), /^problem  tables: .*\n {11}fix: run `kcl-ts tables create -p /m);
});

test('doctor: after `tables create` the tables check is ok', async () => {
  await createKclTables(dynamo.endpoint, kclTableNames({ applicationName: 'ready' }));
  const [check] = await tablesCheck(properties('ready'));
  assert.deepEqual(check, {
    ok: true,
    name: 'tables',
    detail: `ready (with its LeaseOwnerToLeaseKeyIndex), ready-CoordinatorState and ready-WorkerMetricStats are ready on ${dynamo.endpoint}`,
  });
});

test('doctor: a lease table with other keys → a problem saying the daemon cannot use it', async () => {
  await createKclTables(dynamo.endpoint, { lease: 'other-x', coordinatorState: 'other-CoordinatorState', workerMetrics: 'other-WorkerMetricStats' });
  await awsJson(dynamo.endpoint, 'dynamodb', 'CreateTable', {
    TableName: 'other',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const [check] = await tablesCheck(properties('other'));
  assert.equal(check?.ok, false);
  assert.match(check!.detail, /table other has key schema \(id HASH\), KCL 3 needs \(leaseKey HASH\)/);
  assert.match(check!.fix ?? '', /^delete them and run `kcl-ts tables create/);
});
