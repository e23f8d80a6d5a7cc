// docker/ecs/task-definition.json and iam-policy.json, checked against each other, the image
// (docker/Dockerfile) and the properties file baked into it (docker/example-consumer/app.properties).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { objectKey } from '../../src/failure/format.js';
import { S3_SINK_DEFAULT_PREFIX } from '../../src/failure/sinks/s3.js';
import { SQS_LARGE_PAYLOAD_DEFAULT_PREFIX } from '../../src/failure/sinks/sqs.js';
import { parseLocation } from '../../src/failure/spec.js';
import { millis, readJson, readProperties, readText, repoRoot } from './files.js';

interface KeyValue {
  name: string;
  value: string;
}
interface Container {
  name: string;
  image: string;
  essential: boolean;
  stopTimeout: number;
  linuxParameters?: { initProcessEnabled?: boolean };
  readonlyRootFilesystem?: boolean;
  mountPoints?: { sourceVolume: string; containerPath: string }[];
  environment?: KeyValue[];
  secrets?: { name: string }[];
  healthCheck?: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
  logConfiguration?: { logDriver: string; options: Record<string, string> };
  entryPoint?: string[];
  command?: string[];
  user?: string;
}
interface TaskDefinition {
  family: string;
  requiresCompatibilities: string[];
  networkMode: string;
  cpu: string;
  memory: string;
  executionRoleArn: string;
  taskRoleArn: string;
  volumes?: { name: string }[];
  containerDefinitions: Container[];
}
interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const task = readJson<TaskDefinition>('docker', 'ecs', 'task-definition.json');
const policy = readJson<{ Version: string; Statement: Statement[] }>('docker', 'ecs', 'iam-policy.json');
const container = task.containerDefinitions[0]!;
const imageProps = readProperties('docker', 'example-consumer', 'app.properties');
const dockerfile = readText('docker', 'Dockerfile');
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const env = (name: string) => container.environment?.find((e) => e.name === name)?.value;

/** Fargate's valid task sizes: CPU units → allowed memory (MiB). */
function fargateMemory(cpu: number): number[] {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  const table: Record<number, number[]> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
  };
  return table[cpu] ?? [];
}

test('Fargate task: awsvpc, a valid CPU/memory pair, one essential container, task and execution roles', () => {
  assert.deepEqual(task.requiresCompatibilities, ['FARGATE']);
  assert.equal(task.networkMode, 'awsvpc');
  assert.ok(fargateMemory(Number(task.cpu)).includes(Number(task.memory)), `cpu ${task.cpu} / memory ${task.memory} is a Fargate size`);
  assert.equal(task.containerDefinitions.length, 1);
  assert.equal(container.essential, true);
  assert.match(task.taskRoleArn, /^arn:aws:iam::ACCOUNT_ID:role\/.+/);
  assert.match(task.executionRoleArn, /^arn:aws:iam::ACCOUNT_ID:role\/.+/);
  assert.notEqual(task.taskRoleArn, task.executionRoleArn, 'the app role is not the one that pulls images and writes logs');
  assert.match(container.image, /^ACCOUNT_ID\.dkr\.ecr\.REGION\.amazonaws\.com\/.+:IMAGE_TAG$/);
});

test('stopTimeout leaves the daemon time to stop gracefully: > shutdownGraceMillis + failoverTimeMillis, <= 120 s', () => {
  for (const [file, props] of [
    ['docker/example-consumer/app.properties', imageProps],
    ['properties/aws.properties', readProperties('properties', 'aws.properties')],
  ] as const) {
    const grace = millis(props, 'shutdownGraceMillis');
    const failover = millis(props, 'failoverTimeMillis');
    assert.ok(grace > failover, `${file}: shutdownGraceMillis ${grace} > failoverTimeMillis ${failover}`);
    assert.ok(container.stopTimeout * 1000 > grace + failover, `${file}: stopTimeout ${container.stopTimeout} s > ${grace + failover} ms`);
  }
  assert.ok(container.stopTimeout <= 120, 'Fargate caps stopTimeout at 120 s');
});

test('starts like the image: no entryPoint/command/user override; properties path as in the Dockerfile; init process; awslogs', () => {
  assert.equal(container.entryPoint, undefined);
  assert.equal(container.command, undefined);
  assert.equal(container.user, undefined, 'the image USER (non-root) applies');
  assert.match(dockerfile, new RegExp(`KCL_TS_PROPERTIES=${env('KCL_TS_PROPERTIES')}\\b`));
  assert.equal(container.linuxParameters?.initProcessEnabled, true);
  const xmx = /-Xmx(\d+)m/.exec(env('KCL_TS_JVM_OPTS') ?? '');
  assert.ok(xmx, 'a bounded JVM heap');
  assert.ok(Number(xmx[1]) <= Number(task.memory) / 3, `heap ${xmx[1]} MiB leaves room for the shard children in ${task.memory} MiB`);
  for (const e of container.environment ?? []) assert.doesNotMatch(e.name, /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/, 'credentials come from the task role');

  const log = container.logConfiguration;
  assert.equal(log?.logDriver, 'awslogs');
  assert.match(log?.options['awslogs-group'] ?? '', /^\/ecs\/.+/);
  assert.equal(log?.options['awslogs-region'], 'REGION');
  assert.ok(log?.options['awslogs-stream-prefix']);
  assert.equal(log?.options.mode, 'non-blocking', 'a slow log stream never blocks the shard children');
  assert.match(log?.options['max-buffer-size'] ?? '', /^\d+m$/);

  if (container.readonlyRootFilesystem) {
    const tmp = container.mountPoints?.find((m) => m.containerPath === '/tmp');
    assert.ok(tmp && task.volumes?.some((v) => v.name === tmp.sourceVolume), 'a writable /tmp for the JVM on a read-only root');
  }
});

test('the health check is the image HEALTHCHECK, inside the start period the daemon needs', () => {
  const hc = container.healthCheck!;
  assert.deepEqual(hc.command, ['CMD', 'node', '/opt/kcl-ts/docker/healthcheck.mjs']);
  assert.ok(existsSync(join(repoRoot, 'docker', 'healthcheck.mjs')));
  assert.match(dockerfile, /HEALTHCHECK[^\n]*\n\s*CMD \["node", "\/opt\/kcl-ts\/docker\/healthcheck\.mjs"\]/);
  assert.ok(hc.startPeriod >= 30 && hc.startPeriod <= 300, 'ECS allows 0-300 s');
  assert.ok(hc.interval >= 5 && hc.interval <= 300 && hc.timeout >= 2 && hc.timeout <= 60 && hc.retries >= 1 && hc.retries <= 10, 'within ECS limits');
  assert.ok(hc.timeout < hc.interval);
});

/** IAM wildcard match (`*` any run of characters, `?` one character), case-sensitive as for ARNs. */
function matches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

/** Whether some Allow statement grants `action` on `resource`. */
function allowed(action: string, resource: string): boolean {
  return policy.Statement.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => matches(a.toLowerCase(), action.toLowerCase())) &&
      list(s.Resource).some((r) => matches(r, resource)),
  );
}

test('IAM policy: named statements, no wildcard actions, resources scoped by placeholders', () => {
  assert.equal(policy.Version, '2012-10-17');
  const sids = policy.Statement.map((s) => s.Sid);
  assert.equal(new Set(sids).size, sids.length, 'Sids are unique');
  for (const s of policy.Statement) {
    assert.match(s.Sid, /^[A-Za-z0-9]+$/, 'IAM allows only alphanumeric Sids');
    assert.equal(s.Effect, 'Allow');
    for (const a of list(s.Action)) {
      assert.notEqual(a, '*', `${s.Sid}: no Action "*"`);
      assert.doesNotMatch(a, /^[a-z0-9-]+:\*$/, `${s.Sid}: no service-wide ${a}`);
      assert.doesNotMatch(a, /\*/, `${s.Sid}: no wildcard in ${a}`);
    }
    for (const r of list(s.Resource)) {
      if (r === '*') {
        assert.deepEqual(list(s.Action), ['cloudwatch:PutMetricData'], `${s.Sid}: only PutMetricData has no resource ARN`);
        assert.ok(s.Condition?.StringEquals?.['cloudwatch:namespace'], 'PutMetricData limited to the KCL namespace');
        continue;
      }
      assert.match(r, /^arn:aws:[a-z0-9-]+:(REGION)?:(ACCOUNT_ID)?:/, `${s.Sid}: ${r} uses the REGION/ACCOUNT_ID placeholders`);
      assert.doesNotMatch(r, /\d{12}/, `${s.Sid}: no real account id`);
    }
  }
});

test("IAM policy covers what KCL 3.1.3 calls, on the tables the image's applicationName creates", () => {
  const app = imageProps.get('applicationName')!;
  const stream = imageProps.get('streamName')!;
  const sub = (arn: string) => arn.replace('REGION', 'eu-west-1').replace('ACCOUNT_ID', '123456789012');
  const grants = (action: string, arn: string) => {
    // Placeholders as written in the policy, substituted the way the README says (APP_NAME, STREAM_NAME).
    const real = policy.Statement.map((s) => ({ ...s, Resource: list(s.Resource).map((r) => sub(r).replaceAll('APP_NAME', app).replaceAll('STREAM_NAME', stream)) }));
    return real.some((s) => list(s.Action).includes(action) && s.Resource.some((r) => matches(r, arn)));
  };
  const table = (name: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;
  const streamArn = `arn:aws:kinesis:eu-west-1:123456789012:stream/${stream}`;

  for (const a of ['DescribeStream', 'DescribeStreamSummary', 'ListShards', 'GetShardIterator', 'GetRecords', 'RegisterStreamConsumer']) {
    assert.ok(grants(`kinesis:${a}`, streamArn), `kinesis:${a} on the stream`);
  }
  for (const a of ['DescribeStreamConsumer', 'SubscribeToShard']) {
    assert.ok(grants(`kinesis:${a}`, `${streamArn}/consumer/${app}:1700000000`), `kinesis:${a} on the stream's consumers (FANOUT)`);
  }
  const itemActions = ['CreateTable', 'DescribeTable', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Scan'];
  for (const a of [...itemActions, 'UpdateTable']) assert.ok(grants(`dynamodb:${a}`, table(app)), `dynamodb:${a} on the lease table ${app}`);
  for (const suffix of ['-CoordinatorState', '-WorkerMetricStats']) {
    for (const a of itemActions) assert.ok(grants(`dynamodb:${a}`, table(app + suffix)), `dynamodb:${a} on ${app}${suffix}`);
  }
  assert.ok(grants('dynamodb:Query', `${table(app)}/index/LeaseOwnerToLeaseKeyIndex`), 'Query on the lease table GSI');
  assert.ok(grants('cloudwatch:PutMetricData', '*'));
  assert.equal(
    policy.Statement.find((s) => list(s.Action).includes('cloudwatch:PutMetricData'))?.Condition?.StringEquals?.['cloudwatch:namespace'],
    'APP_NAME',
    'KCL publishes under the applicationName namespace',
  );

  // Least privilege: nothing on other tables or streams, no table deletion.
  assert.ok(!allowed('dynamodb:GetItem', table('someone-elses-table')), 'no access to other tables');
  assert.ok(!allowed('dynamodb:DeleteTable', 'arn:aws:dynamodb:REGION:ACCOUNT_ID:table/APP_NAME'), 'KCL never deletes its tables');
  assert.ok(!allowed('kinesis:GetRecords', 'arn:aws:kinesis:REGION:ACCOUNT_ID:stream/another-stream'));
  assert.ok(!allowed('kinesis:PutRecord', 'arn:aws:kinesis:REGION:ACCOUNT_ID:stream/STREAM_NAME'), 'read-only on the stream');
});

test('optional statements (dead letters, dedup table, KMS) are clearly named as such', () => {
  const optional = policy.Statement.filter((s) => /^Optional/.test(s.Sid));
  const services = new Set(optional.flatMap((s) => list(s.Action).map((a) => a.split(':')[0])));
  assert.deepEqual([...services].sort(), ['dynamodb', 'kms', 's3', 'sqs']);
  for (const s of optional) assert.match(s.Sid, /DeleteIfUnused$/);
  assert.ok(allowed('sqs:SendMessage', 'arn:aws:sqs:REGION:ACCOUNT_ID:APP_NAME-dead-letter'));
  assert.ok(allowed('dynamodb:PutItem', 'arn:aws:dynamodb:REGION:ACCOUNT_ID:table/APP_NAME-dedup'));
});

// Issue 14, item 6: the policy grants exactly what the sinks write with their defaults.
test('IAM policy: the S3 sink and the SQS sink large payloads may write where their defaults put objects, and nowhere else', () => {
  const entry = { shardId: 'shardId-000000000000', sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 0 };
  // `s3://DEAD_LETTER_BUCKET` as users write it: the sink's default prefix.
  const s3Location = parseLocation('s3://dead-letter-bucket', {});
  assert.ok(s3Location.kind === 's3');
  assert.equal(s3Location.prefix, S3_SINK_DEFAULT_PREFIX);
  assert.ok(allowed('s3:PutObject', `arn:aws:s3:::DEAD_LETTER_BUCKET/${objectKey(s3Location.prefix, entry)}`), 'S3 sink default prefix');
  assert.ok(allowed('s3:PutObject', `arn:aws:s3:::DEAD_LETTER_BUCKET/${objectKey(SQS_LARGE_PAYLOAD_DEFAULT_PREFIX, entry)}`), 'SQS sink large payloads');
  assert.ok(!allowed('s3:PutObject', 'arn:aws:s3:::DEAD_LETTER_BUCKET/other/x.json'));
  assert.ok(!allowed('s3:GetObject', `arn:aws:s3:::DEAD_LETTER_BUCKET/${objectKey(S3_SINK_DEFAULT_PREFIX, entry)}`), 'the consumer only writes dead letters');
});

test('IAM policy: KMS for encrypted queues, buckets and streams, only through those services', () => {
  const kms = policy.Statement.find((s) => list(s.Action).some((a) => a.startsWith('kms:')));
  assert.ok(kms, 'a KMS statement');
  assert.deepEqual(list(kms.Action).sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
  assert.ok(allowed('kms:GenerateDataKey', 'arn:aws:kms:REGION:ACCOUNT_ID:key/KMS_KEY_ID'));
  const via = kms.Condition?.StringEquals?.['kms:ViaService'];
  assert.deepEqual([...list(via ?? [])].sort(), ['kinesis.REGION.amazonaws.com', 's3.REGION.amazonaws.com', 'sqs.REGION.amazonaws.com']);
});
