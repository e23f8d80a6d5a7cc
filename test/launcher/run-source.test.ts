// `kcl-ts run` picks what to start from the properties' source (kcl-ts.source): the MultiLangDaemon for
// Kinesis, the DynamoDB Streams bridge (its verified jar first on the classpath, then its locked set) for
// dynamodb-streams; a wrong stream ARN stops it before Java. Uses the fake `java` of run.test.ts.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBridgeJar } from '../../src/launcher/bridge-jar.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import type { CliIO } from '../../src/launcher/io.js';
import { ensureJars } from '../../src/launcher/jars.js';
import { runDaemon } from '../../src/launcher/run.js';
import { BRIDGE_MAIN_CLASS, DAEMON_MAIN_CLASS } from '../../src/launcher/source.js';
import { EXIT_DAEMON_GAVE_UP } from '../../src/launcher/summary.js';
import { fixture, rejectsWith, tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-run-source-');
const JAVA = join(root, 'java');
writeFileSync(JAVA, `#!/bin/sh\nexec '${process.execPath}' '${fixture('fake-java')}' "$@"\n`);
chmodSync(JAVA, 0o755);
writeFileSync(join(root, 'consumer.mjs'), '');
const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';
const COMMON = [
  `executableName = ${process.execPath} ${join(root, 'consumer.mjs')}`,
  'applicationName = app',
  'AWSCredentialsProvider = DefaultCredentialsProvider',
  'regionName = us-east-1',
  'shutdownGraceMillis = 20000',
  'retrievalMode = POLLING',
];

let bridgeJars: string;
let multilangJars: string;
let bridgeJar: string;
before(async () => {
  bridgeJars = (await ensureJars('streams-bridge', { env: process.env })).dir;
  multilangJars = (await ensureJars('kcl-multilang', { env: process.env })).dir;
  bridgeJar = (await ensureBridgeJar({ env: process.env })).jar;
});
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
async function run(properties: string, jarsDir: string): Promise<{ code: number; argv: string[]; env: Record<string, string>; stderr: string }> {
  const dir = join(root, `run${++counter}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.properties'), properties);
  const record = join(dir, 'record.json');
  let stderr = '';
  const io: CliIO = {
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
    env: { PATH: '/usr/bin:/bin', FAKE_JAVA_RECORD: record, FAKE_JAVA_MODE: 'exit:0' },
    cwd: dir,
  };
  const code = await runDaemon({ propertiesFile: 'app.properties', java: JAVA, jarsDir, io, preflight: false });
  const rec = existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; env: Record<string, string> }) : { argv: [], env: {} };
  return { code, ...rec, stderr };
}

test('kcl-ts.source = dynamodb-streams: the bridge main class, its jar first, then the streams-bridge set', async () => {
  const r = await run([...COMMON, 'kcl-ts.source = dynamodb-streams', `streamArn = ${STREAM}`].join('\n'), bridgeJars);
  assert.equal(r.code, EXIT_DAEMON_GAVE_UP, r.stderr); // the fake JVM exits 0 by itself: a daemon that gave up
  const cp = r.argv[r.argv.indexOf('-cp') + 1]!.split(':');
  assert.equal(cp[0], bridgeJar);
  assert.ok(cp.includes(join(bridgeJars, 'dynamodb-streams-kinesis-adapter-2.0.1.jar')));
  assert.ok(cp.includes(join(bridgeJars, 'amazon-kinesis-client-multilang-3.1.3.jar')));
  assert.equal(cp.length, 1 + 134, 'bridge jar + the locked set, nothing else (no properties folder)');
  assert.equal(r.argv[r.argv.indexOf('-cp') + 2], BRIDGE_MAIN_CLASS);
  assert.equal(r.env.KCL_TS_SOURCE, 'dynamodb-streams');
  assert.equal(r.env.KCL_TS_STREAM, STREAM);
  assert.match(r.stderr, /kcl-ts: starting kcl-ts streams bridge \(com\.amazonaws:dynamodb-streams-kinesis-adapter:2\.0\.1\)/);
});

test('no kcl-ts.source: the MultiLangDaemon, as before', async () => {
  const r = await run([...COMMON, 'streamName = orders'].join('\n'), multilangJars);
  assert.equal(r.code, EXIT_DAEMON_GAVE_UP, r.stderr); // the fake JVM exits 0 by itself: a daemon that gave up
  assert.equal(r.argv[r.argv.indexOf('-cp') + 2], DAEMON_MAIN_CLASS);
  assert.equal(r.env.KCL_TS_SOURCE, 'kinesis');
});

test('a table ARN in place of the stream ARN: PROPERTIES_INVALID before Java starts, the diagnostic printed', async () => {
  const dir = join(root, 'invalid');
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.properties'), [...COMMON, 'kcl-ts.source = dynamodb-streams', 'streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders'].join('\n'));
  let stderr = '';
  const calls = join(dir, 'calls.jsonl');
  const io: CliIO = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env: { PATH: '/usr/bin:/bin', FAKE_JAVA_CALLS: calls }, cwd: dir };
  await rejectsWith(runDaemon({ propertiesFile: 'app.properties', java: JAVA, jarsDir: bridgeJars, io }), LauncherErrorCode.PROPERTIES_INVALID);
  assert.match(stderr, /is a table ARN, not a stream ARN/);
  assert.equal(existsSync(calls), false, 'java never ran');
});
