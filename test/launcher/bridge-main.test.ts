// The real bridge (java dev.kclts.streams.StreamsBridge) refuses a properties file it cannot serve at
// startup, before any AWS call, with exit 1 and a message naming the key and the fix (the same checks
// kcl-ts validate makes; a file can reach the bridge without them when started by hand).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBridgeJar } from '../../src/launcher/bridge-jar.js';
import { ensureJars } from '../../src/launcher/jars.js';
import { findJava } from '../../src/launcher/java.js';
import { BRIDGE_MAIN_CLASS } from '../../src/launcher/source.js';
import { tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-bridge-main-');
let classpath: string;
let java: string;
before(async () => {
  const jars = await ensureJars('streams-bridge', { env: process.env });
  classpath = [(await ensureBridgeJar({ env: process.env })).jar, ...jars.classpath].join(':');
  java = findJava(undefined, process.env, process.cwd()).path;
});
after(() => rmSync(work, { recursive: true, force: true }));

const BASE = ['executableName = node consumer.js', 'applicationName = app', 'AWSCredentialsProvider = DefaultCredentialsProvider', 'regionName = us-east-1'];
const STREAM = 'streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';

function bridge(name: string, lines: string[]): { status: number | null; stderr: string } {
  const file = join(work, `${name}.properties`);
  writeFileSync(file, lines.join('\n'));
  const r = spawnSync(java, ['-cp', classpath, BRIDGE_MAIN_CLASS, '-p', file], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, AWS_REGION: 'us-east-1' } });
  return { status: r.status, stderr: r.stderr };
}

test('the bridge refuses a table ARN, a missing source, a bad endpoint and bad arguments: exit 1, a clear message', () => {
  const table = bridge('table', [...BASE, 'kcl-ts.source = dynamodb-streams', 'streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders']);
  assert.equal(table.status, 1);
  assert.match(table.stderr, /kcl-ts streams bridge: streamArn `arn:aws:dynamodb:us-east-1:123456789012:table\/orders` is a table ARN, not a stream ARN/);
  assert.match(table.stderr, /describe-table --table-name orders --query Table\.LatestStreamArn/);

  const noSource = bridge('nosource', [...BASE, STREAM]);
  assert.equal(noSource.status, 1);
  assert.match(noSource.stderr, /kcl-ts\.source is not set: this bridge reads DynamoDB Streams only/);

  const endpoint = bridge('endpoint', [...BASE, 'kcl-ts.source = dynamodb-streams', STREAM, 'kcl-ts.dynamoDBStreamsEndpoint = localhost:8000']);
  assert.equal(endpoint.status, 1);
  assert.match(endpoint.stderr, /kcl-ts\.dynamoDBStreamsEndpoint `localhost:8000` is not an absolute URL/);

  const args = spawnSync(java, ['-cp', classpath, BRIDGE_MAIN_CLASS], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(args.status, 1);
  assert.match(args.stderr, /usage: -p <app\.properties>/);
});
