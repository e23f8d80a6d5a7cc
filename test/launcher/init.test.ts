import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInit } from '../../src/launcher/init.js';
import { LOCAL_CREDENTIALS_EXPORT } from '../../src/launcher/init-next-steps.js';
import { LOCAL_AWS_ENV, LOCAL_TUNING } from '../../src/local/stack.js';
import { parseProperties } from '../../src/launcher/properties.js';
import { validateProperties } from '../../src/launcher/validate.js';
import type { CliIO } from '../../src/launcher/io.js';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { tempDir } from '../helpers.js';

const env = { PATH: dirname(process.execPath), AWS_REGION: 'eu-west-1' };

function fakeIo(cwd: string): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, cwd, out: () => out, err: () => err };
}

function validate(file: string, cwd: string) {
  return validateProperties(parseProperties(readFileSync(file, 'latin1')), { env, cwd, fileDir: dirname(file) });
}

test('init --local scaffolds consumer.mjs and a properties file that validates without warnings', () => {
  const cwd = tempDir();
  const io = fakeIo(cwd);
  assert.equal(runInit({ dir: 'svc', name: 'orders-app', stream: 'orders', local: true }, io), 0);
  const file = join(cwd, 'svc', 'orders-app.properties');
  const values = Object.fromEntries([...parseProperties(readFileSync(file, 'utf8')).entries].map(([k, e]) => [k, e.value]));
  assert.deepEqual(values, {
    executableName: `node ${join(cwd, 'svc', 'consumer.mjs')}`,
    applicationName: 'orders-app',
    streamName: 'orders',
    AWSCredentialsProvider: 'DefaultCredentialsProvider',
    regionName: 'eu-west-1',
    initialPositionInStream: 'TRIM_HORIZON',
    shutdownGraceMillis: '20000',
    callProcessRecordsEvenForEmptyRecordList: 'true',
    kinesisEndpoint: 'http://127.0.0.1:4568',
    dynamoDBEndpoint: 'http://127.0.0.1:8000',
    metricsLevel: 'NONE',
    disableWorkerMetrics: 'true',
    retrievalMode: 'POLLING',
    idleTimeBetweenReadsInMillis: '250',
    failoverTimeMillis: '4000',
    leaseAssignmentIntervalMillis: '1000',
    shardSyncIntervalMillis: '1000',
    parentShardPollIntervalMillis: '1000',
  });
  const text = readFileSync(file, 'utf8');
  assert.equal(text.match(/^# /gm)!.length, Object.keys(values).length + 1, 'a comment per key, plus the header');
  assert.deepEqual(validate(file, cwd), []);
  assert.match(io.out(), /created svc\/consumer\.mjs\ncreated svc\/orders-app\.properties\n/);
  assert.match(io.out(), /\n  npx kcl-ts validate -p svc\/orders-app\.properties\n  npx kcl-ts local -p svc\/orders-app\.properties --records 100 /);
  assert.equal(io.err(), '');
});

test('init --local has the local stack\'s tuning (the daemon alone starts as fast as `kcl-ts local`), except a longer shutdown grace', () => {
  const cwd = tempDir();
  assert.equal(runInit({ dir: '.', name: 'app', stream: 's', local: true }, fakeIo(cwd)), 0);
  const written = parseProperties(readFileSync(join(cwd, 'app.properties'), 'utf8'));
  for (const line of LOCAL_TUNING) {
    const [key, value] = line.split(' = ') as [string, string];
    if (key === 'shutdownGraceMillis') continue; // 20 s here: the user's handler may need it; the demo needs 8
    assert.equal(written.entries.get(key)?.value, value, key);
  }
});

test('init without --local validates with no errors or warnings (region defaults to us-east-1)', () => {
  const cwd = tempDir();
  const io = { ...fakeIo(cwd), env: { PATH: env.PATH } };
  assert.equal(runInit({ dir: '.', name: 'app', stream: 's' }, io), 0);
  const file = join(cwd, 'app.properties');
  assert.match(readFileSync(file, 'utf8'), /^regionName = us-east-1$/m);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /Endpoint/);
  assert.deepEqual(validate(file, cwd).map((d) => d.level), ['info'], 'only the retrievalMode note');
});

test('consumer.mjs is valid ESM that imports kcl-ts/register first', () => {
  const cwd = tempDir();
  runInit({ dir: cwd, name: 'app', stream: 's' }, fakeIo(cwd));
  const consumer = join(cwd, 'consumer.mjs');
  const imports = readFileSync(consumer, 'utf8').match(/^import .*$/gm)!;
  assert.match(imports[0]!, /^import 'kcl-ts\/register';/);
  assert.match(imports[1]!, /^import \{ run \} from 'kcl-ts';/);
  execFileSync(process.execPath, ['--check', consumer]);
});

test('init refuses to overwrite existing files unless forced', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'consumer.mjs'), 'mine');
  const io = fakeIo(cwd);
  assert.equal(runInit({ dir: '.', name: 'app', stream: 's' }, io), 1);
  assert.match(io.err(), new RegExp(`${join(cwd, 'consumer.mjs')} already exists.*--force`));
  assert.equal(readFileSync(join(cwd, 'consumer.mjs'), 'utf8'), 'mine');
  assert.ok(!existsSync(join(cwd, 'app.properties')), 'nothing written');
  assert.equal(runInit({ dir: '.', name: 'app', stream: 's', force: true }, fakeIo(cwd)), 0);
  assert.match(readFileSync(join(cwd, 'consumer.mjs'), 'utf8'), /kcl-ts\/register/);
});

test('init checks the application and stream names', () => {
  const cwd = tempDir();
  const io = fakeIo(cwd);
  assert.equal(runInit({ dir: '.', name: 'my app', stream: 'a/b' }, io), 1);
  assert.match(io.err(), /Expected `name` to be .*, got `my app` \(string\)/);
  assert.match(io.err(), /Expected `stream` to be .*, got `a\/b` \(string\)/);
  assert.ok(!existsSync(join(cwd, 'consumer.mjs')));
});

test('non-ASCII paths are written as \\u escapes (the daemon reads ISO-8859-1)', () => {
  const cwd = tempDir();
  assert.equal(runInit({ dir: 'café', name: 'app', stream: 's' }, fakeIo(cwd)), 0);
  const file = join(cwd, 'café', 'app.properties');
  assert.match(readFileSync(file, 'latin1'), /caf\\u00e9\/consumer\.mjs/);
  assert.ok(!readFileSync(file).some((b) => b > 0x7f));
  assert.deepEqual(validate(file, cwd).filter((d) => d.level !== 'info'), []);
});

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const built = existsSync(join(repoRoot, 'dist', 'index.js'));

test('the generated consumer runs under the daemon protocol and checkpoints', { skip: !built && 'needs `npm run build`' }, async () => {
  const cwd = tempDir();
  runInit({ dir: '.', name: 'app', stream: 's' }, fakeIo(cwd));
  mkdirSync(join(cwd, 'node_modules'));
  symlinkSync(repoRoot, join(cwd, 'node_modules', 'kcl-ts'), 'dir');
  const daemon = FakeDaemon.spawn(process.execPath, [join(cwd, 'consumer.mjs')], {
    cwd,
    env: { ...process.env, KCL_TS_LOG_DEST: join(cwd, 'log.jsonl') },
  });
  const batch = new RecordFactory().batch({ count: 3 });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  await daemon.leaseLost(); // the real daemon follows shutdownRequested with leaseLost
  assert.equal(await daemon.close(), 0);
  // run({ handle }) replies to processRecords once the records are accepted and checkpoints the
  // watermark at the next message: here shutdownRequested, at the last record.
  assert.deepEqual(daemon.checkpoints.map((c) => [c.sequenceNumber, c.during]), [[batch[2]!.sequenceNumber, 'shutdownRequested']]);
  assert.deepEqual(daemon.strayLines, []);
  assert.match(readFileSync(join(cwd, 'log.jsonl'), 'utf8'), new RegExp(batch[0]!.sequenceNumber));
});

/** The lines after `next:`. */
const steps = (out: string): string[] => out.slice(out.indexOf('next:\n') + 'next:\n'.length).split('\n').filter(Boolean);

test('init --local prints steps that work as typed: npx, an install line for what is missing, local -p with the generated file, fake credentials and tables for the daemon alone', () => {
  const cwd = tempDir('kcl-ts-init-');
  try {
    const io = fakeIo(cwd);
    assert.equal(runInit({ dir: 'svc', name: 'orders-app', stream: 'orders', local: true }, io), 0);
    const p = 'svc/orders-app.properties';
    assert.deepEqual(steps(io.out()), [
      // kcl-ts is not installed here (kcl-ts local installs the emulators itself on first use)
      '  npm install kcl-ts',
      `  npx kcl-ts validate -p ${p}`,
      `  npx kcl-ts local -p ${p} --records 100   # emulators + stream orders + tables + your consumer; puts 100 records, stops once all are checkpointed`,
      `  npx kcl-ts local -p ${p}   # the same, producing until Ctrl-C`,
      'with emulators you run yourself on those endpoints (stream created), the daemon alone:',
      `  ${LOCAL_CREDENTIALS_EXPORT}`,
      `  npx kcl-ts tables create -p ${p}`,
      `  npx kcl-ts run -p ${p}`,
    ]);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('init prints no install line when kcl-ts is installed; --dir outside the current folder installs there', () => {
  const cwd = tempDir('kcl-ts-init-');
  const elsewhere = tempDir('kcl-ts-init-');
  try {
    mkdirSync(join(cwd, 'node_modules'));
    symlinkSync(repoRoot, join(cwd, 'node_modules', 'kcl-ts'), 'dir');
    const io = fakeIo(cwd);
    assert.equal(runInit({ dir: '.', name: 'app', stream: 's', local: true }, io), 0);
    assert.equal(steps(io.out())[0], '  npx kcl-ts validate -p app.properties');
    const plain = fakeIo(cwd);
    assert.equal(runInit({ dir: 'plain', name: 'app', stream: 's' }, plain), 0);
    assert.deepEqual(steps(plain.out()), ['  npx kcl-ts validate -p plain/app.properties', '  npx kcl-ts run -p plain/app.properties']);
    const away = fakeIo(cwd);
    assert.equal(runInit({ dir: elsewhere, name: 'app', stream: 's' }, away), 0);
    assert.equal(steps(away.out())[0], `  npm install --prefix ${elsewhere} kcl-ts`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('the printed fake credentials are the ones kcl-ts local gives the daemon', () => {
  assert.equal(LOCAL_CREDENTIALS_EXPORT, `export ${Object.entries(LOCAL_AWS_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`);
});
