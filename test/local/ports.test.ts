// "Emulator port busy": assertPortFree, and startKinesis / startDynalite refusing a busy port before they
// spawn anything.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import { startDynalite, startKinesis } from '../../src/local/emulators.js';
import { assertPortFree } from '../../src/local/process.js';
import { rejectsWith, tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-ports-');
after(() => rmSync(root, { recursive: true, force: true }));

/** A server holding a free port (on `host`, or every interface). */
async function hold(host?: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host) server.listen(0, host, resolve);
    else server.listen(0, resolve);
  });
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const h = await hold();
  await h.close();
  return h.port;
}


test('assertPortFree: a free port resolves, and is released again', async () => {
  const port = await freePort();
  await assertPortFree(port, 'the thing', '--thing-port');
  const again = createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(port, resolve);
  });
  await new Promise((resolve) => again.close(resolve));
});

for (const host of [undefined, '127.0.0.1']) {
  test(`assertPortFree: a port held on ${host ?? 'every interface'} → PORT_BUSY naming the port, the service and the flag`, async () => {
    const held = await hold(host);
    try {
      const err = await rejectsWith(assertPortFree(held.port, 'the Kinesis emulator', '--kinesis-port'), LauncherErrorCode.PORT_BUSY);
      assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_PORT_BUSY');
      assert.equal(
        err.message,
        `Port ${held.port} for the Kinesis emulator is already in use (another emulator, LocalStack, or an earlier run?). ` +
          'Stop it or choose another port with --kinesis-port',
      );
    } finally {
      await held.close();
    }
  });
}

test('startKinesis: port busy → PORT_BUSY naming --kinesis-port, before anything is spawned', async () => {
  const held = await hold();
  const logFile = join(root, 'kinesis.log');
  try {
    const err = await rejectsWith(startKinesis({ port: held.port, tlsPort: await freePort(), logFile, env: {} }), LauncherErrorCode.PORT_BUSY);
    assert.match(err.message, new RegExp(`^Port ${held.port} for the Kinesis emulator is already in use`));
    assert.match(err.message, /--kinesis-port/);
    assert.equal(existsSync(logFile), false, 'no process was started (it would have opened its log file)');
  } finally {
    await held.close();
  }
});

test('startKinesis: TLS port busy → PORT_BUSY naming it, before anything is spawned', async () => {
  const held = await hold();
  const logFile = join(root, 'kinesis-tls.log');
  try {
    const err = await rejectsWith(startKinesis({ port: await freePort(), tlsPort: held.port, logFile, env: {} }), LauncherErrorCode.PORT_BUSY);
    assert.match(err.message, new RegExp(`^Port ${held.port} for the Kinesis emulator \\(TLS\\) is already in use`));
    assert.match(err.message, /--kinesis-port/);
    assert.equal(existsSync(logFile), false);
  } finally {
    await held.close();
  }
});

test('startDynalite: port busy → PORT_BUSY naming --dynamodb-port, before anything is spawned', async () => {
  const held = await hold('127.0.0.1');
  const logFile = join(root, 'dynamodb.log');
  try {
    const err = await rejectsWith(startDynalite({ port: held.port, logFile, env: {} }), LauncherErrorCode.PORT_BUSY);
    assert.match(err.message, new RegExp(`^Port ${held.port} for the DynamoDB emulator \\(dynalite\\) is already in use`));
    assert.match(err.message, /Stop it or choose another port with --dynamodb-port$/);
    assert.equal(existsSync(logFile), false);
  } finally {
    await held.close();
  }
});
