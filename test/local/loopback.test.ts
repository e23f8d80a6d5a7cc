// Every emulator kcl-ts starts (kinesis-local, dynalite; in the tests also ElasticMQ and s3rver) listens on
// 127.0.0.1 only: they accept any credentials, so they must not be reachable from the network. Read from
// the kernel's socket table (/proc/net/tcp and tcp6), so a listener on 0.0.0.0 or :: is seen even on a
// machine with no other interface.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDynalite, startKinesis } from '../../src/local/emulators.js';
import { startElasticMq, startS3 } from '../failure/emulators.js';
import { randomPort, tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-loopback-');
after(() => rmSync(work, { recursive: true, force: true }));

const LINUX = existsSync('/proc/net/tcp');

/** Decodes a /proc/net/tcp{,6} local address (little-endian words) to text. */
function decode(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  if (hex === '0'.repeat(32)) return '::';
  if (hex === `${'0'.repeat(24)}01000000`) return '::1';
  if (hex.startsWith(`${'0'.repeat(16)}FFFF0000`)) return `::ffff:${decode(hex.slice(24))}`;
  return hex;
}

/** The addresses that listen on TCP `port`, from the kernel's tables. */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, portHex] = cols[1]!.split(':') as [string, string];
      if (parseInt(portHex, 16) === port) found.push(decode(addr));
    }
  }
  return found.sort();
}

const LOOPBACK = new Set(['127.0.0.1', '::ffff:127.0.0.1', '::1']);

/** Something listens on `port`, and only on loopback addresses (Java binds v4-mapped ::ffff:127.0.0.1). */
function assertLoopbackOnly(port: number, what: string): void {
  const found = listeners(port);
  assert.ok(found.length > 0, `${what}: nothing listens on ${port}`);
  assert.deepEqual(found.filter((a) => !LOOPBACK.has(a)), [], `${what} on ${port} listens on ${found.join(', ')}`);
}


test('the loopback preload: a plain listen(), listen(0.0.0.0) and listen({ host: "::" }) all land on 127.0.0.1', { skip: !LINUX && 'needs /proc/net/tcp' }, async () => {
  const preload = pathToFileURL(join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'local', 'loopback-preload.js')).href;
  const script = `
    const net = require('node:net');
    const a = net.createServer().listen(0);
    const b = net.createServer().listen(0, '0.0.0.0');
    const c = net.createServer().listen({ port: 0, host: '::' });
    const d = net.createServer().listen(0, '127.0.0.1', 511);
    setTimeout(() => { console.log(JSON.stringify([a, b, c, d].map((s) => s.address()))); process.exit(0); }, 300);`;
  const child = spawn(process.execPath, ['--import', preload, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  const addresses = JSON.parse(out) as { address: string; port: number }[];
  assert.deepEqual(addresses.map((a) => a.address), ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
});

test('kinesis-local (plain and TLS ports) and dynalite listen on 127.0.0.1 only', { skip: !LINUX && 'needs /proc/net/tcp' }, async () => {
  const port = randomPort();
  const [kinesis, dynamo] = await Promise.all([
    startKinesis({ port, tlsPort: port + 1, env: process.env, logFile: join(work, 'kinesis.log') }),
    startDynalite({ port: port + 2, env: process.env, logFile: join(work, 'dynamodb.log') }),
  ]);
  try {
    assertLoopbackOnly(port, 'kinesis-local');
    assertLoopbackOnly(port + 1, 'kinesis-local (TLS)');
    assertLoopbackOnly(port + 2, 'dynalite');
  } finally {
    await Promise.all([kinesis.process.stop(), dynamo.process.stop()]);
  }
});

test('the test emulators ElasticMQ and s3rver listen on 127.0.0.1 only', { skip: !LINUX && 'needs /proc/net/tcp' }, async () => {
  const [sqs, s3] = await Promise.all([startElasticMq(work), startS3(['b'])]);
  try {
    assertLoopbackOnly(Number(new URL(sqs.endpoint).port), 'ElasticMQ');
    assertLoopbackOnly(Number(new URL(s3.endpoint).port), 's3rver');
  } finally {
    await Promise.all([sqs.stop(), s3.stop()]);
  }
});
