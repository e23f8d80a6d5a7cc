import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProperties } from '../../src/launcher/properties.js';
import { formatDiagnostics, loadAndValidate, runValidate, validateProperties, type Diagnostic } from '../../src/launcher/validate.js';
import { isLocalEndpoint } from '../../src/launcher/validate-traps.js';
import type { CliIO } from '../../src/launcher/io.js';
import { tempDir } from '../helpers.js';

/** A working directory with consumer.mjs, and a PATH holding an executable `node`. */
const root = tempDir('kcl-ts-validate-');
const bin = join(root, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'node'), '#!/bin/sh\n');
chmodSync(join(bin, 'node'), 0o755);
writeFileSync(join(root, 'consumer.mjs'), '');
const env = { PATH: bin };

const BASE = [
  `executableName = node ${join(root, 'consumer.mjs')}`,
  'applicationName = app',
  'streamName = orders',
  'AWSCredentialsProvider = DefaultCredentialsProvider',
  'regionName = us-east-1',
  'shutdownGraceMillis = 20000',
  'retrievalMode = POLLING',
].join('\n');

function check(text: string, ctx: Partial<Parameters<typeof validateProperties>[1]> = {}): Diagnostic[] {
  return validateProperties(parseProperties(text), { env, cwd: root, fileDir: root, ...ctx });
}
/** BASE with some keys replaced or added. */
function withBase(extra: string, ctx?: Partial<Parameters<typeof validateProperties>[1]>): Diagnostic[] {
  const keys = new Set(extra.split('\n').map((l) => l.split(/[=:\s]/)[0]));
  const base = BASE.split('\n').filter((l) => !keys.has(l.split(/[=:\s]/)[0]));
  return check([...base, extra].join('\n'), ctx);
}
function only(diags: Diagnostic[], key: string): Diagnostic {
  const found = diags.filter((d) => d.key === key);
  assert.equal(found.length, 1, `one diagnostic for ${key}: ${JSON.stringify(diags, null, 1)}`);
  return found[0]!;
}
function expect(diags: Diagnostic[], key: string, level: Diagnostic['level'], ...words: (string | RegExp)[]): Diagnostic {
  const d = only(diags, key);
  assert.equal(d.level, level, d.message);
  for (const w of words) assert.match(`${d.message} ${d.fix ?? ''}`, typeof w === 'string' ? new RegExp(w.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')) : w);
  return d;
}
function none(diags: Diagnostic[], key: string): void {
  assert.deepEqual(diags.filter((d) => d.key === key), []);
}

test('a fully valid file gives no diagnostics', () => {
  assert.deepEqual(check(BASE), []);
});

test('required keys: executableName, applicationName, streamName or streamArn, AWSCredentialsProvider', () => {
  const diags = check('applicationName =\nregionName = us-east-1\nshutdownGraceMillis = 20000\nretrievalMode = POLLING');
  expect(diags, 'executableName', 'error', 'missing');
  expect(diags, 'applicationName', 'error', 'Application name is required');
  expect(diags, 'streamName', 'error', 'streamArn');
  expect(diags, 'AWSCredentialsProvider', 'error', 'credentials');
  none(withBase('streamName =\nstreamArn = arn:aws:kinesis:us-east-1:123456789012:stream/orders'), 'streamName');
});

test('AWSCredentialsProvider matches in any case; the DynamoDB provider alone does not satisfy it', () => {
  const base = BASE.replace('AWSCredentialsProvider', 'awscredentialsprovider');
  assert.deepEqual(check(base), []);
  const dynamoOnly = check(BASE.replace('AWSCredentialsProvider', 'AWSCredentialsProviderDynamoDB'));
  expect(dynamoOnly, 'AWSCredentialsProvider', 'error', 'missing');
  expect(check(`${BASE}\nawsCredentialsProvider = X`), 'awsCredentialsProvider', 'warning', 'hash order');
});

test('unknown keys are errors with a did-you-mean (case-insensitive, distance <= 3)', () => {
  const diags = check(`${BASE}\nregionname = us-east-1\nshutdownGraceMilis = 1\ncompletelyMadeUpSetting = 1\nKinesisClient.endpointOverride = x`);
  expect(diags, 'regionname', 'error', 'unknown key', 'regionName', 'silently ignores', 'no effect', '--allow-unknown-keys');
  expect(diags, 'shutdownGraceMilis', 'error', 'did you mean `shutdownGraceMillis`', 'rename it to shutdownGraceMillis');
  assert.doesNotMatch(only(diags, 'completelyMadeUpSetting').message, /did you mean/);
  expect(diags, 'completelyMadeUpSetting', 'error', 'remove it');
  expect(diags, 'KinesisClient.endpointOverride', 'error', 'kinesisClient.endpointOverride');
});

test('allowUnknownKeys: unknown keys are warnings', () => {
  const diags = check(`${BASE}\nshutdownGraceMilis = 1`, { allowUnknownKeys: true });
  const d = expect(diags, 'shutdownGraceMilis', 'warning', 'shutdownGraceMillis');
  assert.doesNotMatch(d.fix!, /--allow-unknown-keys/);
});

test('nested keys under the known prefixes are accepted', () => {
  assert.deepEqual(check(`${BASE}\nkinesisClient.endpointOverride = http://x\nfanoutConfig.consumerName = c`), []);
});

test('duplicate keys warn with their lines: last wins, hash order', () => {
  const d = expect(check(`${BASE}\nmaxRecords = 100\nmaxRecords = 200`), 'maxRecords', 'warning', 'lines 8, 9', 'last', 'hash order');
  assert.equal(d.line, 9);
});

test('executableName: tabs, quotes, $ and shell operators warn', () => {
  const consumer = join(root, 'consumer.mjs');
  const glued = withBase(`executableName = node\t${consumer}`).filter((d) => d.key === 'executableName');
  assert.deepEqual(glued.map((d) => d.level), ['warning', 'error'], 'a tab, and no program called "node<TAB>/..."');
  const tab = withBase(`executableName = node ${consumer}\t--x`).filter((d) => d.key === 'executableName');
  assert.equal(tab.length, 1);
  assert.match(tab[0]!.message, /tab/);
  for (const bad of [`"${consumer}"`, '$HOME/x', '| tee log', '> out.log', '&& echo hi']) {
    const d = withBase(`executableName = node ${consumer} ${bad}`).find((x) => /without a shell/.test(x.message));
    assert.ok(d, bad);
    assert.equal(d.level, 'warning');
  }
});

test('executableName: a bare program is searched in PATH', () => {
  const d = expect(withBase('executableName = nodee app.js'), 'executableName', 'error', 'nodee', 'not found', bin, 'absolute path');
  assert.match(d.message, /searched PATH/);
  expect(check(BASE, { env: {} }), 'executableName', 'error', 'PATH is not set');
  assert.deepEqual(check(BASE, { env: { PATH: '/fake' }, isExecutable: (p) => p === '/fake/node' }), []);
});

test('executableName: a path program must exist (relative to the daemon cwd) and be executable', () => {
  expect(withBase('executableName = ./run.sh'), 'executableName', 'error', 'not found', join(root, 'run.sh'), "daemon's working directory");
  const abs = expect(withBase('executableName = /opt/nowhere/run.sh'), 'executableName', 'error', 'not found at /opt/nowhere/run.sh', 'correct the path');
  assert.doesNotMatch(abs.fix!, /use an absolute path/, 'it already is one');
  writeFileSync(join(root, 'plain.sh'), '');
  expect(withBase('executableName = ./plain.sh'), 'executableName', 'error', 'not an executable', 'chmod +x');
  expect(withBase('executableName ='), 'executableName', 'error', 'empty');
});

test('executableName: node script paths must exist relative to the daemon cwd', () => {
  expect(withBase('executableName = node dist/missing.js'), 'executableName', 'error', 'dist/missing.js', 'not found', 'kcl-ts run', root);
  expect(withBase('executableName = node --import tsx ./src/c.ts'), 'executableName', 'error', './src/c.ts');
  none(withBase('executableName = node --enable-source-maps consumer.mjs extra.js'), 'executableName');
  none(withBase('executableName = node -e 1'), 'executableName');

  const sub = join(root, 'conf');
  mkdirSync(join(sub, 'dist'), { recursive: true });
  writeFileSync(join(sub, 'dist', 'c.js'), '');
  expect(withBase('executableName = node dist/c.js', { fileDir: sub }), 'executableName', 'error', 'relative to the properties file', sub);

  mkdirSync(join(root, 'my app'), { recursive: true });
  writeFileSync(join(root, 'my app', 'c.mjs'), '');
  expect(withBase(`executableName = node ${join(root, 'my app', 'c.mjs')}`), 'executableName', 'error', 'contains a space');
});

test('numbers: unparsable values are errors, 0 for primitive keys is ignored', () => {
  expect(withBase('maxRecords = abc'), 'maxRecords', 'error', 'not a valid int', 'silently ignore');
  expect(withBase('maxRecords = 99999999999'), 'maxRecords', 'error', 'not a valid int');
  expect(withBase('retryGetRecordsInSeconds = 1.5'), 'retryGetRecordsInSeconds', 'error', 'silently use 0');
  expect(withBase('workerMetricsEMAAlpha = half'), 'workerMetricsEMAAlpha', 'error', 'double');
  expect(withBase('failoverTimeMillis = 0'), 'failoverTimeMillis', 'warning', 'ignored', 'skips 0');
  none(withBase('retryGetRecordsInSeconds = 0'), 'retryGetRecordsInSeconds');
  none(withBase('maxRecords = 500   '), 'maxRecords');
  none(withBase('workerMetricsEMAAlpha = 0.5'), 'workerMetricsEMAAlpha');
});

test('booleans: only true/false/yes/no/y/n/on/off/1/0; false is ignored for primitive boolean keys', () => {
  expect(withBase('disableWorkerMetrics = enabled'), 'disableWorkerMetrics', 'error', 'not a boolean', 'false');
  expect(withBase('disableWorkerMetrics = true  '), 'disableWorkerMetrics', 'error', 'trailing whitespace');
  expect(withBase('cleanupLeasesUponShardCompletion = false'), 'cleanupLeasesUponShardCompletion', 'warning', 'cannot be switched off');
  expect(withBase('ignoreUnexpectedChildShards = OFF'), 'ignoreUnexpectedChildShards', 'warning', 'ignores false');
  for (const v of ['false', 'No', 'Y', 'on', '1', '0']) none(withBase(`isGracefulLeaseHandoffEnabled = ${v}`), 'isGracefulLeaseHandoffEnabled');
});

test('enums: case-insensitive; a bad value lists the accepted ones; AT_TIMESTAMP explains the fix', () => {
  none(withBase('metricsLevel = summary'), 'metricsLevel');
  expect(withBase('metricsLevel = FULL'), 'metricsLevel', 'error', 'NONE, SUMMARY, DETAILED', 'startup');
  expect(withBase('metricsLevel = NONE '), 'metricsLevel', 'error', 'trailing whitespace');
  expect(withBase('initialPositionInStream = at_timestamp'), 'initialPositionInStream', 'error', 'startup fails', 'initialPositionInStreamExtended = <epoch seconds>');
  expect(withBase('retrievalMode = STREAMING'), 'retrievalMode', 'error', 'FANOUT, POLLING, DEFAULT');
});

test('maxRecords above 10000 fails startup; idleTimeBetweenReadsInMillis below 200 is raised', () => {
  expect(withBase('maxRecords = 10001'), 'maxRecords', 'error', 'startup fails');
  none(withBase('maxRecords = 10000'), 'maxRecords');
  expect(withBase('idleTimeBetweenReadsInMillis = 100'), 'idleTimeBetweenReadsInMillis', 'warning', 'raises it to 200');
});

test('shutdownGraceMillis: unset or 0, and not above failoverTimeMillis in POLLING mode', () => {
  expect(check(BASE.replace('shutdownGraceMillis = 20000', '')), 'shutdownGraceMillis', 'warning', 'no shutdownRequested', '20000', 'failoverTimeMillis');
  expect(withBase('shutdownGraceMillis = 0'), 'shutdownGraceMillis', 'warning', 'unset or 0');
  expect(withBase('shutdownGraceMillis = 10000'), 'shutdownGraceMillis', 'warning', 'failoverTimeMillis (10000)', 'TimeoutException');
  expect(withBase('shutdownGraceMillis = 20000\nfailoverTimeMillis = 30000'), 'shutdownGraceMillis', 'warning', 'failoverTimeMillis (30000)');
  none(withBase('shutdownGraceMillis = 10000\nretrievalMode = FANOUT'), 'shutdownGraceMillis');
  expect(withBase('shutdownGraceMillis = soon'), 'shutdownGraceMillis', 'error', 'not a whole number');
});

test('local endpoints want metricsLevel = NONE and disableWorkerMetrics = true', () => {
  const diags = withBase('kinesisEndpoint = http://localhost:4568').filter((d) => d.key === 'kinesisEndpoint');
  assert.deepEqual(diags.map((d) => d.level), ['warning', 'warning']);
  assert.match(diags[0]!.message, /unset \(DETAILED\).*no CloudWatch/);
  assert.match(diags[1]!.message, /EC2 instance metadata/);
  const both = withBase('dynamoDBEndpoint = 127.0.0.1:8000\nmetricsLevel = SUMMARY\ndisableWorkerMetrics = false');
  expect(both, 'metricsLevel', 'warning', 'metricsLevel = NONE');
  expect(both, 'disableWorkerMetrics', 'warning', 'EC2', 'disableWorkerMetrics = true');
  none(withBase('kinesisEndpoint = http://127.0.0.1:4568\nmetricsLevel = none\ndisableWorkerMetrics = true'), 'kinesisEndpoint');
  assert.deepEqual(withBase('kinesisEndpoint = https://kinesis.eu-west-1.amazonaws.com'), []);
});

test('isLocalEndpoint uses the host name', () => {
  for (const e of ['http://localhost:4566', 'http://127.0.0.1:4568', '127.0.0.2:8000', 'http://[::1]:8000', 'http://0.0.0.0:4567', 'http://kinesis.localhost']) {
    assert.ok(isLocalEndpoint(e), e);
  }
  for (const e of ['https://kinesis.us-east-1.amazonaws.com', 'http://10.0.0.5:4568', 'not a url at all']) assert.ok(!isLocalEndpoint(e), e);
});

test('timeoutInSeconds is a note about Runtime.halt; 0 is an error', () => {
  expect(withBase('timeoutInSeconds = 60'), 'timeoutInSeconds', 'info', 'Runtime.halt(1)', '60 s');
  const zero = withBase('timeoutInSeconds = 0').filter((d) => d.key === 'timeoutInSeconds');
  assert.deepEqual(zero.map((d) => d.level), ['error']);
});

test('streamName and streamArn both set: streamArn wins', () => {
  expect(withBase('streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/orders'), 'streamName', 'info', 'streamArn wins');
});

test('retrievalMode unset: DEFAULT picks POLLING when a polling key is set, else FANOUT', () => {
  const fanout = check(BASE.replace('retrievalMode = POLLING', ''));
  expect(fanout, 'retrievalMode', 'info', 'here FANOUT', 'costs');
  const polling = check(BASE.replace('retrievalMode = POLLING', 'maxRecords = 500'));
  expect(polling, 'retrievalMode', 'info', 'here POLLING (because of maxRecords)');
});

test('initialPositionInStreamExtended: epoch seconds; both position keys set warns', () => {
  none(withBase('initialPositionInStreamExtended = 1735689600'), 'initialPositionInStreamExtended');
  expect(withBase('initialPositionInStreamExtended = 1735689600000'), 'initialPositionInStreamExtended', 'warning', 'milliseconds', '1735689600');
  expect(withBase('initialPositionInStreamExtended = 2025-01-01'), 'initialPositionInStreamExtended', 'error', 'startup fails');
  expect(withBase('initialPositionInStreamExtended = 1735689600\ninitialPositionInStream = LATEST'), 'initialPositionInStream', 'warning', 'hash order');
});

test('maxActiveThreads: unparsable fails startup; a fixed pool is noted', () => {
  expect(withBase('maxActiveThreads = many'), 'maxActiveThreads', 'error', 'startup fails');
  expect(withBase('maxActiveThreads = 4'), 'maxActiveThreads', 'info', 'fixed thread pool');
  none(withBase('maxActiveThreads = 0'), 'maxActiveThreads');
});

test('formatDiagnostics: file:line: level: message (fix: ...), then a summary', () => {
  const text = formatDiagnostics('app.properties', [
    { level: 'error', key: 'a', line: 12, message: 'bad', fix: 'do this' },
    { level: 'warning', message: 'meh' },
    { level: 'info', line: 3, message: 'fyi' },
  ]);
  assert.equal(text, 'app.properties:12: error: bad (fix: do this)\napp.properties: warning: meh\napp.properties:3: info: fyi\n1 error, 1 warning, 1 info');
  assert.equal(formatDiagnostics('x', []), '0 errors, 0 warnings');
});

function fakeIo(cwd: string, ioEnv: NodeJS.ProcessEnv = env): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: ioEnv,
    cwd,
    out: () => out,
    err: () => err,
  };
}

test('loadAndValidate: an unreadable file is one error naming the path', () => {
  const { parsed, diagnostics } = loadAndValidate('nope.properties', fakeIo(root));
  assert.equal(parsed, undefined);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.level, 'error');
  assert.match(diagnostics[0]!.message, new RegExp(`${join(root, 'nope.properties')}.*no such file`));
  assert.match(loadAndValidate('.', fakeIo(root)).diagnostics[0]!.message, /directory/);
});

test('loadAndValidate reads ISO-8859-1 like the daemon and warns about non-ASCII lines', () => {
  const file = join(root, 'utf8.properties');
  writeFileSync(file, `${BASE}\n# café\napplicationName = caf\\u00e9`);
  const { parsed, diagnostics } = loadAndValidate(file, fakeIo(root));
  assert.equal(parsed!.entries.get('applicationName')!.value, 'café');
  const d = diagnostics.find((x) => /ISO-8859-1/.test(x.message));
  assert.equal(d?.level, 'warning');
  assert.equal(d?.line, 8);
});

test('runValidate prints ok or the diagnostics and returns 1 only on errors', () => {
  writeFileSync(join(root, 'good.properties'), BASE);
  const good = fakeIo(root);
  assert.equal(runValidate('good.properties', good), 0);
  assert.equal(good.out(), 'ok: good.properties is valid\n');

  writeFileSync(join(root, 'warn.properties'), `${BASE}\nregionname = x`);
  const typo = fakeIo(root);
  assert.equal(runValidate('warn.properties', typo), 1, 'an unknown key is an error, as in kcl-ts run');
  assert.match(typo.out(), /^warn\.properties:8: error: unknown key/m);
  const warned = fakeIo(root);
  assert.equal(runValidate('warn.properties', warned, { allowUnknownKeys: true }), 0);
  assert.match(warned.out(), /^warn\.properties:8: warning: unknown key/m);

  writeFileSync(join(root, 'bad.properties'), `${BASE}\nmaxRecords = 20000`);
  const bad = fakeIo(root);
  assert.equal(runValidate('bad.properties', bad), 1);
  assert.match(bad.out(), /bad\.properties:8: error: maxRecords \(20000\).*\n1 error, 0 warnings\n$/);
  assert.equal(bad.err(), '');
});
