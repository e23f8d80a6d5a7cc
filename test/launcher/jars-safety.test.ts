// Issue 14: the Maven-free download never holds a body in memory (Content-Length checked against the
// lock, the body streamed with a cap and hashed on the way), and verified jars are what Java opens (real
// paths, no symlink out of the folder). Uses the kcl-multilang set only; the installed cache is only read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import { ensureJars, readLock, verifyJars, type ResolvedJars } from '../../src/launcher/jars.js';
import { main } from '../../src/cli/main.js';
import { rejectsWith, tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-jars-safety-');
let installed: ResolvedJars;

before(async () => {
  installed = await ensureJars('kcl-multilang', { env: process.env });
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the installed set made of hard links (plain copies across file systems). */
function linkTree(dst: string): string {
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(installed.dir)) {
    try {
      linkSync(join(installed.dir, f), join(dst, f));
    } catch {
      copyFileSync(join(installed.dir, f), join(dst, f));
    }
  }
  return dst;
}

/** A server answering every request with `answer`; counts the body bytes it managed to send. */
async function serve(answer: (res: ServerResponse, sent: { bytes: number }) => void): Promise<{ url: string; sent: { bytes: number }; close(): Promise<void> }> {
  const sent = { bytes: 0 };
  const server: Server = createServer((_req, res) => answer(res, sent));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Streams up to `total` zero bytes (without a Content-Length unless given), as fast as the client takes them. */
function endless(total: number, headers: Record<string, string> = {}) {
  return (res: ServerResponse, sent: { bytes: number }) => {
    res.writeHead(200, { 'content-type': 'application/java-archive', ...headers });
    const chunk = Buffer.alloc(64 * 1024);
    const pump = () => {
      while (sent.bytes < total) {
        sent.bytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  };
}

const downloadOpts = (name: string, repoUrl: string) => ({ env: { KCL_TS_CACHE: join(work, name) }, mvn: '/nonexistent/mvn', repoUrl });

test('download: a body larger than the locked size is cut off after the size, not read whole (600 MB offered)', async () => {
  const first = readLock('kcl-multilang').files[0]!;
  const offered = 600 * 1024 * 1024;
  const server = await serve(endless(offered));
  try {
    const rssBefore = process.memoryUsage().rss;
    const opts = downloadOpts('cache-endless', server.url);
    const err = await rejectsWith(ensureJars('kcl-multilang', opts), LauncherErrorCode.JARS_CHECKSUM);
    assert.ok(err.message.includes(`${server.url}/${first.path} sends more than the ${first.size} bytes the lock records: refusing it`), err.message);
    // What was sent before the client hung up: the locked size plus what socket buffers held.
    assert.ok(server.sent.bytes < 32 * 1024 * 1024, `server sent ${server.sent.bytes} bytes`);
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'the body was not held in memory');
    assert.deepEqual(readdirSync(opts.env.KCL_TS_CACHE), [], 'nothing cached, no partial folder');
  } finally {
    await server.close();
  }
});

test('download: a Content-Length other than the locked size is refused before the body is read', async () => {
  const first = readLock('kcl-multilang').files[0]!;
  const server = await serve(endless(600 * 1024 * 1024, { 'content-length': String(600 * 1024 * 1024) }));
  try {
    const opts = downloadOpts('cache-length', server.url);
    const err = await rejectsWith(ensureJars('kcl-multilang', opts), LauncherErrorCode.JARS_CHECKSUM);
    assert.ok(err.message.includes(`${server.url}/${first.path} announces ${600 * 1024 * 1024} bytes (Content-Length), the lock records ${first.size}`), err.message);
    assert.ok(server.sent.bytes < 32 * 1024 * 1024, `server sent ${server.sent.bytes} bytes`);
    assert.deepEqual(readdirSync(opts.env.KCL_TS_CACHE), []);
  } finally {
    await server.close();
  }
});

test('download: a body shorter than the locked size is refused', async () => {
  const first = readLock('kcl-multilang').files[0]!;
  const server = await serve((res) => res.writeHead(200).end(Buffer.alloc(10)));
  try {
    const err = await rejectsWith(ensureJars('kcl-multilang', downloadOpts('cache-short', server.url)), LauncherErrorCode.JARS_CHECKSUM);
    assert.ok(err.message.includes(`${first.path} has 10 bytes, the lock records ${first.size}`), err.message);
  } finally {
    await server.close();
  }
});

test('verify: a jar that is a symlink out of the folder is refused, even when it points at the right bytes', async () => {
  const dir = linkTree(join(work, 'symlinked'));
  const jar = 'amazon-kinesis-client-multilang-3.1.3.jar';
  const outside = join(work, 'outside');
  mkdirSync(outside);
  copyFileSync(join(installed.dir, jar), join(outside, jar));
  rmSync(join(dir, jar));
  symlinkSync(join(outside, jar), join(dir, jar));
  const problems = await verifyJars(dir, readLock('kcl-multilang'));
  assert.deepEqual(problems, [`${jar} is a symbolic link to ${realpathSync(join(outside, jar))}, outside ${realpathSync(dir)}: refusing it`]);
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_CHECKSUM);
  assert.match(err.message, /is a symbolic link to .*, outside .*: refusing it/);
});

test('verify: the classpath names the real paths that were verified (a folder reached through a symlink)', async () => {
  const real = linkTree(join(work, 'real-jars'));
  const link = join(work, 'link-to-jars');
  symlinkSync(real, link);
  const jars = await ensureJars('kcl-multilang', { env: {}, dir: link });
  assert.equal(jars.classpath.length, 131);
  assert.ok(jars.classpath.every((p) => p.startsWith(`${realpathSync(real)}/`)), jars.classpath[0]);
});

test('`kcl-ts jars --classpath` prints only a classpath java reads as the verified jars: a folder with `:` in its path is refused', async () => {
  const io = (dir: string) => {
    let out = '';
    let err = '';
    return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: process.env, cwd: dir }, out: () => out, err: () => err };
  };
  const plain = linkTree(join(work, 'plain-cp'));
  const ok = io(work);
  assert.equal(await main(['jars', '--classpath', '--dir', plain], ok.io), 0, ok.err());
  const entries = ok.out().trim().split(':');
  assert.equal(entries.length, readLock('kcl-multilang').files.filter((f) => f.file.endsWith('.jar')).length);
  const colon = linkTree(join(work, 'a:b'));
  const bad = io(work);
  assert.equal(await main(['jars', '--classpath', '--dir', colon], bad.io), 1);
  assert.equal(bad.out(), '', 'no classpath printed');
  assert.match(bad.err(), /contains `:`.*\[KCLTS_ERR_LAUNCHER_JARS_PATH_UNSAFE\]/s);
});

