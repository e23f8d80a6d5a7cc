// kcl-ts validate for the source a file selects (kcl-ts.source): DynamoDB Streams files (stream ARN
// mistakes, options that do not apply) and Kinesis files that hold DynamoDB ARNs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../src/launcher/properties.js';
import { sourceOf } from '../../src/launcher/source.js';
import { parseStreamArn } from '../../src/launcher/validate-source.js';
import { validateProperties, type Diagnostic } from '../../src/launcher/validate.js';

const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';
const BASE = [
  'executableName = /bin/sh consumer.sh',
  'applicationName = app',
  'kcl-ts.source = dynamodb-streams',
  `streamArn = ${STREAM}`,
  'AWSCredentialsProvider = DefaultCredentialsProvider',
  'regionName = us-east-1',
  'shutdownGraceMillis = 20000',
  'metricsLevel = NONE',
  'disableWorkerMetrics = true',
];

/** BASE with keys replaced (`key = value`), removed (`-key`) or added. */
function check(...changes: string[]): Diagnostic[] {
  const lines = [...BASE];
  for (const change of changes) {
    const key = change.replace(/^-/, '').split(/\s*=/)[0]!;
    const i = lines.findIndex((l) => l.split(/\s*=/)[0] === key);
    if (i >= 0) lines.splice(i, 1);
    if (!change.startsWith('-')) lines.push(change);
  }
  return validateProperties(parseProperties(lines.join('\n')), { env: { PATH: '/bin:/usr/bin' }, cwd: '/', fileDir: '/', isExecutable: () => true }).filter(
    (d) => d.level !== 'info' && d.key !== 'executableName',
  );
}

function single(diags: Diagnostic[]): Diagnostic {
  assert.equal(diags.length, 1, JSON.stringify(diags, null, 1));
  return diags[0]!;
}

test('a complete DynamoDB Streams file is valid; sourceOf reads kcl-ts.source (kinesis when unset)', () => {
  assert.deepEqual(check(), []);
  assert.deepEqual(check(`kcl-ts.dynamoDBStreamsEndpoint = http://localhost:8000`, 'dynamoDBEndpoint = http://localhost:8000'), []);
  assert.equal(sourceOf(parseProperties(BASE.join('\n'))), 'dynamodb-streams');
  assert.equal(sourceOf(parseProperties('streamName = x')), 'kinesis');
  assert.equal(sourceOf(parseProperties('kcl-ts.source = kinesis ')), 'kinesis');
  assert.equal(sourceOf(parseProperties('kcl-ts.source = dynamodb')), undefined);
});

test('a table ARN in place of the stream ARN: error naming the stream ARN form and how to get it', () => {
  const d = single(check('streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders'));
  assert.equal(d.level, 'error');
  assert.equal(d.key, 'streamArn');
  assert.match(d.message, /is a table ARN, not a stream ARN/);
  assert.match(d.fix!, /table\/orders\/stream\/<label>/);
  assert.match(d.fix!, /describe-table --table-name orders --query Table\.LatestStreamArn/);
});

test('a bare name, a Kinesis ARN or a malformed ARN in place of the stream ARN: errors', () => {
  const bare = single(check('-streamArn', 'streamName = orders'));
  assert.equal(bare.key, 'streamName');
  assert.match(bare.message, /`streamName = orders` is not a stream ARN/);
  assert.match(bare.fix!, /table\/orders\/stream/);
  assert.match(single(check('streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/orders')).message, /is a Kinesis stream ARN/);
  // The account must have 12 digits (the adapter's rule).
  assert.match(single(check('streamArn = arn:aws:dynamodb:us-east-1:1234:table/orders/stream/x')).message, /is not a DynamoDB stream ARN/);
});

test('a missing stream ARN: one error (not the Kinesis "streamName" one)', () => {
  const d = single(check('-streamArn'));
  assert.equal(d.key, 'streamArn');
  assert.match(d.message, /streamArn is missing/);
});

test('the stream ARN from streamName works like streamArn', () => {
  assert.deepEqual(check('-streamArn', `streamName = ${STREAM}`), []);
});

test('timestamp start, fan-out, a Kinesis endpoint, another region, a bad endpoint URL: each reported', () => {
  assert.match(single(check('initialPositionInStreamExtended = 1735689600')).message, /TRIM_HORIZON or LATEST only/);
  assert.match(single(check('retrievalMode = FANOUT')).message, /no enhanced fan-out/);
  assert.match(single(check('kinesisEndpoint = http://localhost:4568')).message, /kinesisEndpoint is ignored/);
  const region = single(check('regionName = eu-west-1'));
  assert.equal(region.key, 'regionName');
  assert.match(region.message, /stream is in us-east-1/);
  const url = single(check('kcl-ts.dynamoDBStreamsEndpoint = localhost:8000'));
  assert.equal(url.level, 'error');
  assert.match(url.message, /is not an http\(s\) URL/);
});

test('a local dynamoDBEndpoint without the streams endpoint: warning that the stream is read from AWS', () => {
  const d = single(check('dynamoDBEndpoint = http://localhost:8000'));
  assert.equal(d.level, 'warning');
  assert.match(d.message, /read from AWS/);
  assert.match(d.fix!, /kcl-ts\.dynamoDBStreamsEndpoint/);
});

test('kcl-ts keys: an unknown source is an error, an unknown key a warning with a suggestion; never "unknown daemon key"', () => {
  const source = single(check('kcl-ts.source = dynamodb'));
  assert.equal(source.level, 'error');
  assert.match(source.fix!, /kinesis, dynamodb-streams/);
  const typo = single(check('kcl-ts.dynamodbstreamsendpoint = http://localhost:8000'));
  assert.equal(typo.level, 'warning');
  assert.match(typo.message, /did you mean `kcl-ts\.dynamoDBStreamsEndpoint`/);
});

test('Kinesis files: a DynamoDB ARN without kcl-ts.source is an error; the streams endpoint is ignored', () => {
  const d = single(check('-kcl-ts.source'));
  assert.equal(d.level, 'error');
  assert.match(d.fix!, /kcl-ts\.source = dynamodb-streams/);
  const kinesis = check('-kcl-ts.source', '-streamArn', 'streamName = orders', 'kcl-ts.dynamoDBStreamsEndpoint = http://localhost:8000');
  assert.match(single(kinesis).message, /only read with `kcl-ts\.source = dynamodb-streams`/);
});

test('parseStreamArn: region, account, table and label', () => {
  assert.deepEqual(parseStreamArn(STREAM), { region: 'us-east-1', account: '123456789012', table: 'orders', label: '2026-01-01T00:00:00.000' });
  assert.equal(parseStreamArn('arn:aws:dynamodb:us-east-1:123456789012:table/orders'), undefined);
});

test('kcl-ts.streamViewType: one of the four view types; ignored (warning) in a Kinesis file', () => {
  assert.deepEqual(check('kcl-ts.streamViewType = NEW_AND_OLD_IMAGES'), []);
  const bad = single(check('kcl-ts.streamViewType = NEW_AND_OLD'));
  assert.equal(bad.level, 'error');
  assert.match(bad.fix!, /KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES/);
  assert.match(single(check('-kcl-ts.source', '-streamArn', 'streamName = orders', 'kcl-ts.streamViewType = NEW_IMAGE')).message, /only read with/);
});
