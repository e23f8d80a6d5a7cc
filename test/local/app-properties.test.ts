import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInit } from '../../src/launcher/init.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import { readLocalApp } from '../../src/local/app-properties.js';
import { runLocal } from '../../src/local/stack.js';
import { rejectsWith, tempDir } from '../helpers.js';

const quiet = (cwd: string) => ({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd });

test('kcl-ts local -p reads the app, its stream and the emulator ports from an init --local file', () => {
  const cwd = tempDir('kcl-ts-app-');
  try {
    runInit({ dir: '.', name: 'orders-app', stream: 'orders', local: true }, quiet(cwd));
    assert.deepEqual(readLocalApp('orders-app.properties', cwd), {
      file: join(cwd, 'orders-app.properties'),
      applicationName: 'orders-app',
      leaseTable: 'orders-app',
      streamName: 'orders',
      kinesisPort: 4568,
      dynamodbPort: 8000,
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('kcl-ts local -p refuses files it cannot run locally, naming the key and the fix', async () => {
  const cwd = tempDir('kcl-ts-app-');
  try {
    const file = join(cwd, 'a.properties');
    const write = (lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);
    const base = ['applicationName = a', 'streamName = s', 'kinesisEndpoint = http://localhost:4568', 'dynamoDBEndpoint = http://127.0.0.1:8000'];
    write(base.filter((l) => !l.startsWith('streamName')));
    assert.throws(() => readLocalApp(file, cwd), (e: Error & { code?: string }) => e.code === LauncherErrorCode.PROPERTIES_INVALID && /has no `streamName`/.test(e.message));
    write([...base.slice(0, 3), 'dynamoDBEndpoint = https://dynamodb.eu-west-1.amazonaws.com']);
    assert.throws(() => readLocalApp(file, cwd), /`dynamoDBEndpoint` is `https:\/\/dynamodb\.eu-west-1\.amazonaws\.com`.*set `dynamoDBEndpoint = http:\/\/127\.0\.0\.1:8000`/);
    write(base.slice(0, 2));
    assert.throws(() => readLocalApp(file, cwd), /`kinesisEndpoint` is not set/);
    assert.throws(() => readLocalApp('missing.properties', cwd), /Cannot read .*missing\.properties.*kcl-ts init --local/);
    write(base);
    const err = await rejectsWith(runLocal({ properties: file, stream: 'x', kinesisPort: 1, io: quiet(cwd) }), LauncherErrorCode.PROPERTIES_INVALID);
    assert.match(err.message, /come from that file .*: drop --stream, --kinesis-port$/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
