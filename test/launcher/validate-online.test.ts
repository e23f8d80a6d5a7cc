// kcl-ts validate --online for DynamoDB Streams, through the real AWS SDK clients against the local
// streams emulator: a table without a stream, a table name or ARN in place of the stream ARN, a stream
// that is not the table's current one or does not exist, a disabled stream, a view type without the
// images kcl-ts.streamViewType asks for.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { awsJson } from '../../src/local/aws-json.js';
import { startDynamoDbStreamsEmulator, type DynamoDbStreamsEmulator } from '../../src/local/ddb-streams/index.js';
import { parseProperties } from '../../src/launcher/properties.js';
import { checkStreamOnline, runValidateOnline, sdkStreamsApi } from '../../src/launcher/validate-online.js';
import type { Diagnostic } from '../../src/launcher/validate.js';
import { tempDir } from '../helpers.js';

let emu: DynamoDbStreamsEmulator;
const work = tempDir('kcl-ts-validate-online-');
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };
const arns: Record<string, string> = {};

async function table(name: string, viewType?: string): Promise<string | undefined> {
  const res = await awsJson<{ TableDescription: { LatestStreamArn?: string } }>(emu.endpoint, 'dynamodb', 'CreateTable', {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    ...(viewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: viewType } } : {}),
  });
  return res.TableDescription.LatestStreamArn;
}

before(async () => {
  emu = await startDynamoDbStreamsEmulator({ port: 0 });
  arns.both = (await table('both', 'NEW_AND_OLD_IMAGES'))!;
  arns.keys = (await table('keys', 'KEYS_ONLY'))!;
  await table('none');
  // A stream disabled, then a new one enabled: the first ARN is old and DISABLED.
  arns.old = (await table('again', 'NEW_IMAGE'))!;
  await awsJson(emu.endpoint, 'dynamodb', 'UpdateTable', { TableName: 'again', StreamSpecification: { StreamEnabled: false } });
  await awsJson(emu.endpoint, 'dynamodb', 'UpdateTable', { TableName: 'again', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

function file(stream: string, extra = ''): string {
  return [
    'kcl-ts.source = dynamodb-streams',
    `streamArn = ${stream}`,
    'regionName = us-east-1',
    `kcl-ts.dynamoDBStreamsEndpoint = ${emu.endpoint}`,
    extra,
  ].join('\n');
}

async function online(text: string): Promise<Diagnostic[]> {
  const parsed = parseProperties(text);
  return checkStreamOnline(parsed, await sdkStreamsApi(parsed, env));
}

test('an existing enabled stream: one info with its status and view type; enough images: no error', async () => {
  assert.deepEqual((await online(file(arns.both!))).map((d) => [d.level, d.message]), [['info', 'the stream is ENABLED with view type NEW_AND_OLD_IMAGES']]);
  assert.deepEqual(await online(file(arns.both!, 'kcl-ts.streamViewType = NEW_IMAGE')), []);
});

test('kcl-ts.streamViewType asks for images the stream does not carry: error on that key', async () => {
  const [d, ...rest] = await online(file(arns.keys!, 'kcl-ts.streamViewType = NEW_AND_OLD_IMAGES'));
  assert.deepEqual(rest, []);
  assert.equal(d!.level, 'error');
  assert.equal(d!.key, 'kcl-ts.streamViewType');
  assert.match(d!.message, /view type is KEYS_ONLY: its records have no new or old images/);
  assert.match(d!.fix!, /StreamViewType=NEW_AND_OLD_IMAGES/);
});

test('a table without a stream: error with the command that enables one', async () => {
  const diags = await online(file('arn:aws:dynamodb:us-east-1:000000000000:table/none'));
  assert.equal(diags.length, 1);
  assert.match(diags[0]!.message, /table none has no stream enabled/);
  assert.match(diags[0]!.fix!, /update-table --table-name none --stream-specification StreamEnabled=true/);
});

test('a table name in place of the stream ARN: error naming the stream ARN to set', async () => {
  const diags = await online(file('both'));
  assert.equal(diags.length, 1);
  assert.equal(diags[0]!.fix, `set streamArn = ${arns.both}`);
});

test('a stream that was replaced: warning naming the current one, and DISABLED', async () => {
  const diags = await online(file(arns.old!));
  assert.deepEqual(diags.map((d) => d.level), ['warning', 'warning']);
  assert.match(diags[0]!.message, /not table again's current stream/);
  assert.match(diags[1]!.message, /the stream is DISABLED/);
});

test('no such stream: error; an unreachable endpoint: a warning that the check could not be made', async () => {
  const missing = await online(file(`${arns.both}x`));
  assert.ok(missing.some((d) => d.level === 'error' && /there is no stream with this ARN/.test(d.message)));
  const parsed = parseProperties(file(arns.both!).replace(emu.endpoint, 'http://127.0.0.1:9'));
  const down = await checkStreamOnline(parsed, await sdkStreamsApi(parsed, env));
  assert.ok(down.length > 0 && down.every((d) => d.level === 'warning' && /could not/.test(d.message)), JSON.stringify(down));
});

test('runValidateOnline: offline and online findings together, exit 1 on an error', async () => {
  const path = join(work, 'app.properties');
  writeFileSync(path, `${file(arns.keys!, 'kcl-ts.streamViewType = NEW_IMAGE')}\nexecutableName = /bin/sh\napplicationName = a\nAWSCredentialsProvider = DefaultCredentialsProvider\nshutdownGraceMillis = 20000\n`);
  let out = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, env, cwd: work };
  assert.equal(await runValidateOnline(path, io), 1);
  assert.match(out, /view type is KEYS_ONLY/);
});
