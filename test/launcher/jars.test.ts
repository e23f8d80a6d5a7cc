// The pinned daemon jars: pom ↔ lock consistency, verification of a folder against the lock (missing,
// corrupt), the cache (verified, reinstalled when corrupt), installation with Maven (real and fake `mvn`)
// and the checksum-verified download from a Maven repository (a local HTTP server over ~/.m2/repository).
//
// The installed cache (~/.cache/kcl-ts, made by `kcl-ts jars`) is only read: tests work on copies made of
// hard links, and "corrupting" a copied file always replaces it (write + rename), never writes through it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join, normalize } from 'node:path';
import { LauncherError, LauncherErrorCode } from '../../src/launcher/errors.js';
import {
  cacheRoot,
  ensureJars,
  JAR_SETS,
  pinnedArtifact,
  readLock,
  verifyJars,
  type JarLock,
  type JarOptions,
  type JarSet,
  type ResolvedJars,
} from '../../src/launcher/jars.js';
import { packageRoot } from '../../src/launcher/package-root.js';
import { rejectsWith, tempDir } from '../helpers.js';

const MULTILANG_JAR = 'amazon-kinesis-client-multilang-3.1.3.jar';
const M2 = join(process.env.HOME ?? homedir(), '.m2', 'repository');
const work = tempDir('kcl-ts-jars-');

/** The sets these tests install from and copy (others in JAR_SETS only get the lock checks). */
const USED = ['kcl-multilang', 'elasticmq'] as const satisfies readonly JarSet[];
type UsedSet = (typeof USED)[number];
/** The verified installed caches (installed first when missing: that runs mvn). */
const installed = {} as Record<UsedSet, ResolvedJars>;

before(async () => {
  for (const set of USED) installed[set] = await ensureJars(set, { env: process.env });
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A copy of `src` at `dst` made of hard links (plain copies across file systems). */
function linkTree(src: string, dst: string): string {
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) {
    try {
      linkSync(join(src, f), join(dst, f));
    } catch (err) {
      if (!['EXDEV', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      copyFileSync(join(src, f), join(dst, f));
    }
  }
  return dst;
}

/** Replaces `path` by a new file holding `bytes` (never writes through a hard link). */
function replaceFile(path: string, bytes: Buffer): void {
  writeFileSync(`${path}.new`, bytes);
  renameSync(`${path}.new`, path);
}

/** The bytes of `path` with one byte flipped in the middle (same size). */
function flippedCopy(path: string): Buffer {
  const bytes = Buffer.from(readFileSync(path));
  const i = Math.floor(bytes.length / 2);
  bytes[i] = bytes[i]! ^ 0xff;
  return bytes;
}


function lockedFile(set: JarSet, file: string) {
  const f = readLock(set).files.find((l) => l.file === file);
  assert.ok(f, `${file} is in the ${set} lock`);
  return f;
}

/** An executable shell script in `work`. */
function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

// ---- pom and lock ---------------------------------------------------------------------------------------

test('pinnedArtifact reads the pom; each lock is for that artifact', () => {
  assert.equal(pinnedArtifact('kcl-multilang'), 'software.amazon.kinesis:amazon-kinesis-client-multilang:3.1.3');
  assert.equal(pinnedArtifact('elasticmq'), 'org.elasticmq:elasticmq-server_2.13:1.7.1');
  for (const set of JAR_SETS) assert.equal(readLock(set).artifact, pinnedArtifact(set), set);
});

test('every lock entry: sha256 of 64 hex chars, positive size, Maven path ending with the file name; files unique', () => {
  const counts: Partial<Record<JarSet, number>> = { 'kcl-multilang': 131, elasticmq: 39 };
  for (const set of JAR_SETS) {
    const lock = readLock(set);
    assert.ok(lock.files.length > 0, set);
    if (counts[set] !== undefined) assert.equal(lock.files.length, counts[set], set);
    assert.equal(new Set(lock.files.map((f) => f.file)).size, lock.files.length, `${set}: file names are unique`);
    for (const f of lock.files) {
      assert.match(f.sha256, /^[0-9a-f]{64}$/, `${set} ${f.file}`);
      assert.ok(Number.isInteger(f.size) && f.size > 0, `${set} ${f.file} size ${f.size}`);
      assert.ok(f.path.endsWith(`/${f.file}`), `${set} ${f.path} ends with /${f.file}`);
      assert.ok(!f.path.startsWith('/') && !f.path.includes('..'), `${set} ${f.path} is relative to a repository root`);
      assert.ok(!f.file.includes('/'), `${set} ${f.file} is flat`);
    }
    // The pinned artifact itself is locked, at its Maven coordinates.
    const [group, artifact, version] = pinnedArtifact(set).split(':') as [string, string, string];
    const main = `${group.replace(/\./g, '/')}/${artifact}/${version}/${artifact}-${version}.jar`;
    assert.ok(lock.files.some((f) => f.path === main), `${set} locks ${main}`);
  }
  assert.ok(readLock('kcl-multilang').files.some((f) => f.file === MULTILANG_JAR));
});

test('cacheRoot: KCL_TS_CACHE, else $XDG_CACHE_HOME/kcl-ts, else ~/.cache/kcl-ts', () => {
  assert.equal(cacheRoot({ KCL_TS_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/kcl-ts');
  assert.equal(cacheRoot({ HOME: '/h' }), '/h/.cache/kcl-ts');
  assert.equal(cacheRoot({}), join(homedir(), '.cache', 'kcl-ts'));
});

// ---- verifyJars on a small lock --------------------------------------------------------------------------

test('verifyJars reports missing, wrong-size and wrong-checksum files, in lock order', async () => {
  const dir = join(work, 'small');
  mkdirSync(dir);
  const a = Buffer.from('first file');
  const b = Buffer.from('second file');
  const lock: JarLock = {
    artifact: 'g:a:1',
    files: [
      { file: 'a.jar', path: 'g/a/1/a.jar', sha256: sha256(a), size: a.length },
      { file: 'b.jar', path: 'g/b/1/b.jar', sha256: sha256(b), size: b.length },
      { file: 'c.jar', path: 'g/c/1/c.jar', sha256: sha256(b), size: b.length },
    ],
  };
  writeFileSync(join(dir, 'a.jar'), a);
  writeFileSync(join(dir, 'b.jar'), b);
  writeFileSync(join(dir, 'c.jar'), b);
  assert.deepEqual(await verifyJars(dir, lock), []);

  const bad = Buffer.from('SECOND FILE');
  writeFileSync(join(dir, 'b.jar'), bad);
  writeFileSync(join(dir, 'c.jar'), Buffer.concat([b, Buffer.from('!')]));
  rmSync(join(dir, 'a.jar'));
  assert.deepEqual(await verifyJars(dir, lock), [
    'a.jar is missing',
    `b.jar has sha256 ${sha256(bad)}, expected ${sha256(b)}`,
    `c.jar has ${b.length + 1} bytes, expected ${b.length}`,
  ]);
});

// ---- ensureJars with `dir` (a copy of the installed multilang jars) --------------------------------------

test('ensureJars with dir: a verified copy → classpath of the 131 jars, source cache', async () => {
  const dir = linkTree(installed['kcl-multilang'].dir, join(work, 'dir-ok'));
  const jars = await ensureJars('kcl-multilang', { env: {}, dir, mvn: '/nonexistent/mvn' });
  assert.equal(jars.set, 'kcl-multilang');
  assert.equal(jars.artifact, 'software.amazon.kinesis:amazon-kinesis-client-multilang:3.1.3');
  assert.equal(jars.dir, dir);
  assert.equal(jars.source, 'cache');
  assert.equal(jars.classpath.length, 131);
  assert.ok(jars.classpath.includes(join(dir, MULTILANG_JAR)));
  for (const entry of jars.classpath) assert.ok(entry.startsWith(`${dir}/`) && entry.endsWith('.jar') && existsSync(entry), entry);
});

test('ensureJars with dir: a deleted jar → JARS_MISSING naming it and what to do', async () => {
  const dir = linkTree(installed['kcl-multilang'].dir, join(work, 'dir-missing'));
  rmSync(join(dir, MULTILANG_JAR));
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_MISSING);
  assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_JARS_MISSING');
  assert.ok(err.message.includes(`${MULTILANG_JAR} is missing`), err.message);
  assert.ok(err.message.includes(dir), err.message);
  assert.match(err.message, /amazon-kinesis-client-multilang:3\.1\.3/);
  assert.match(err.message, /Run `kcl-ts jars`/);
  assert.match(err.message, /--jars/);
});

test('ensureJars with dir: an empty folder → JARS_MISSING listing 5 files and how many more', async () => {
  const dir = join(work, 'dir-empty');
  mkdirSync(dir);
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_MISSING);
  assert.equal(err.message.match(/ is missing/g)?.length, 5, err.message);
  assert.match(err.message, /\(\+126 more\)/);
});

test('ensureJars with dir: a jar with one byte changed → JARS_CHECKSUM naming it, expected and actual sha256', async () => {
  const dir = linkTree(installed['kcl-multilang'].dir, join(work, 'dir-corrupt'));
  const path = join(dir, MULTILANG_JAR);
  const bad = flippedCopy(path);
  replaceFile(path, bad);
  const locked = lockedFile('kcl-multilang', MULTILANG_JAR);
  assert.equal(bad.length, locked.size);
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_CHECKSUM);
  assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_JARS_CHECKSUM');
  assert.ok(err.message.includes(`${MULTILANG_JAR} has sha256 ${sha256(bad)}, expected ${locked.sha256}`), err.message);
  assert.match(err.message, /Run `kcl-ts jars`/);
  // The installed cache behind the hard links is untouched.
  assert.equal(sha256(readFileSync(join(installed['kcl-multilang'].dir, MULTILANG_JAR))), locked.sha256);
});

test('ensureJars with dir: a jar with a byte appended → JARS_CHECKSUM naming it, expected and actual size', async () => {
  const dir = linkTree(installed['kcl-multilang'].dir, join(work, 'dir-appended'));
  const path = join(dir, MULTILANG_JAR);
  replaceFile(path, Buffer.concat([readFileSync(path), Buffer.from([0])]));
  const { size } = lockedFile('kcl-multilang', MULTILANG_JAR);
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_CHECKSUM);
  assert.ok(err.message.includes(`${MULTILANG_JAR} has ${size + 1} bytes, expected ${size}`), err.message);
});

test('ensureJars with dir: missing and corrupt files together → JARS_CHECKSUM naming both', async () => {
  const dir = linkTree(installed['kcl-multilang'].dir, join(work, 'dir-mixed'));
  const other = readLock('kcl-multilang').files[0]!.file;
  rmSync(join(dir, other));
  replaceFile(join(dir, MULTILANG_JAR), flippedCopy(join(dir, MULTILANG_JAR)));
  const err = await rejectsWith(ensureJars('kcl-multilang', { env: {}, dir }), LauncherErrorCode.JARS_CHECKSUM);
  assert.ok(err.message.includes(`${other} is missing`), err.message);
  assert.ok(err.message.includes(`${MULTILANG_JAR} has sha256`), err.message);
});

// ---- the cache (KCL_TS_CACHE) and Maven -------------------------------------------------------------------

/** A temp cache holding a hard-link copy of the installed `set`; returns env, cache root and set folder. */
function cacheCopy(name: string, set: UsedSet) {
  const root = join(work, name);
  const dir = linkTree(installed[set].dir, join(root, installed[set].dir.split('/').pop()!));
  return { root, dir, env: { ...process.env, KCL_TS_CACHE: root, KCL_TS_MAVEN_REPO: undefined } };
}

test('ensureJars: a verified cache is used as is (no Maven, no download)', async () => {
  const { dir, env } = cacheCopy('cache-ok', 'elasticmq');
  assert.equal(dir, join(env.KCL_TS_CACHE!, 'elasticmq-1.7.1'));
  const log: string[] = [];
  const jars = await ensureJars('elasticmq', { env, mvn: '/nonexistent/mvn', log: (l) => log.push(l) });
  assert.equal(jars.source, 'cache');
  assert.equal(jars.dir, dir);
  assert.equal(jars.classpath.length, 39);
  assert.ok(jars.classpath.every((e) => e.endsWith('.jar')));
  assert.deepEqual(log, []);
});

test('ensureJars: a corrupt cached jar is detected and reinstalled with Maven (real mvn)', async () => {
  const { root, dir, env } = cacheCopy('cache-corrupt', 'kcl-multilang');
  const path = join(dir, MULTILANG_JAR);
  replaceFile(path, flippedCopy(path));
  const log: string[] = [];
  const jars = await ensureJars('kcl-multilang', { env, log: (l) => log.push(l) });
  assert.equal(jars.source, 'maven');
  assert.equal(jars.dir, dir);
  assert.equal(jars.classpath.length, 131);
  assert.deepEqual(await verifyJars(dir, readLock('kcl-multilang')), []);
  assert.equal(sha256(readFileSync(path)), lockedFile('kcl-multilang', MULTILANG_JAR).sha256);
  const joined = log.join('\n');
  assert.match(joined, new RegExp(`failed verification \\(${MULTILANG_JAR.replace(/\./g, '\\.')} has sha256 [0-9a-f]{64}, expected`));
  assert.match(joined, /reinstalling/);
  assert.match(joined, /installed 131 files of software\.amazon\.kinesis:amazon-kinesis-client-multilang:3\.1\.3 \(maven\), checksums verified/);
  assert.deepEqual(readdirSync(root), ['kcl-multilang-3.1.3'], 'no partial folder left');
});

/** A fake `mvn` recording its cwd and arguments, then running `body` with $out = -DoutputDirectory. */
function fakeMvn(name: string, body: string): { mvn: string; record: string } {
  const record = join(work, `${name}.record`);
  const mvn = script(
    name,
    `pwd > '${record}'\nfor a in "$@"; do echo "$a" >> '${record}'; case "$a" in -DoutputDirectory=*) out="\${a#-DoutputDirectory=}";; esac; done\n${body}`,
  );
  return { mvn, record };
}

test('ensureJars: Maven runs copy-dependencies in maven/<set> into a partial folder, renamed once verified; extra files are logged', async () => {
  const root = join(work, 'cache-fake-mvn');
  const env = { ...process.env, KCL_TS_CACHE: root };
  const { mvn, record } = fakeMvn('mvn-copy', `ln '${installed.elasticmq.dir}'/* "$out"/ && echo x > "$out/extra-not-locked.txt"`);
  const log: string[] = [];
  const jars = await ensureJars('elasticmq', { env, mvn, log: (l) => log.push(l) });
  assert.equal(jars.source, 'maven');
  const dir = join(root, 'elasticmq-1.7.1');
  assert.equal(jars.dir, dir);
  const [cwd, ...args] = readFileSync(record, 'utf8').trim().split('\n');
  assert.equal(cwd, join(packageRoot(), 'maven', 'elasticmq'));
  assert.deepEqual(args.slice(0, 4), ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime']);
  assert.equal(args[4], `-DoutputDirectory=${dir}.partial-${process.pid}`);
  assert.match(log.join('\n'), /ignoring files not in the lock: extra-not-locked\.txt/);
  assert.deepEqual(await verifyJars(dir, readLock('elasticmq')), []);
  assert.deepEqual(readdirSync(root), ['elasticmq-1.7.1']);
});

test('ensureJars: Maven failing → JARS_INSTALL_FAILED with its exit code, its output logged, nothing cached', async () => {
  const root = join(work, 'cache-mvn-fails');
  const { mvn } = fakeMvn('mvn-fail', 'echo "[ERROR] Failed to execute goal: could not resolve dependencies" >&2\nexit 1');
  const log: string[] = [];
  const err = await rejectsWith(
    ensureJars('elasticmq', { env: { KCL_TS_CACHE: root }, mvn, repoUrl: 'http://127.0.0.1:9', log: (l) => log.push(l) }),
    LauncherErrorCode.JARS_INSTALL_FAILED,
  );
  assert.match(err.message, /Maven failed \(exit 1\) resolving org\.elasticmq:elasticmq-server_2\.13:1\.7\.1/);
  assert.match(log.join('\n'), /\[ERROR\] Failed to execute goal/);
  assert.deepEqual(readdirSync(root), []);
});

test('ensureJars: Maven "succeeding" without the files → JARS_CHECKSUM, nothing cached', async () => {
  const root = join(work, 'cache-mvn-empty');
  const { mvn } = fakeMvn('mvn-empty', 'exit 0');
  const err = await rejectsWith(ensureJars('elasticmq', { env: { KCL_TS_CACHE: root }, mvn }), LauncherErrorCode.JARS_CHECKSUM);
  assert.match(err.message, /Installed jars of org\.elasticmq:elasticmq-server_2\.13:1\.7\.1 do not match jars\.lock\.json: .* is missing/);
  assert.deepEqual(readdirSync(root), []);
});

test('ensureJars: Maven killed by a signal is a failed install, not "Maven not found"', async () => {
  const root = join(work, 'cache-mvn-killed');
  const { mvn } = fakeMvn('mvn-killed', 'kill -KILL $$');
  await rejectsWith(ensureJars('elasticmq', { env: { KCL_TS_CACHE: root }, mvn }), LauncherErrorCode.JARS_INSTALL_FAILED);
});

// ---- download without Maven --------------------------------------------------------------------------------

interface Repo {
  url: string;
  requests: string[];
  close(): Promise<void>;
}
/**
 * A Maven repository over HTTP serving ~/.m2/repository (same layout as a remote one). `tweak` may
 * replace the bytes of a path or answer with a status code.
 */
async function mavenRepo(tweak?: (path: string, file: string) => Buffer | number | undefined): Promise<Repo> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    requests.push(path);
    const file = join(M2, normalize(path));
    const tweaked = tweak?.(path, file);
    if (typeof tweaked === 'number') {
      res.writeHead(tweaked).end();
    } else if (tweaked) {
      res.writeHead(200, { 'content-length': tweaked.length }).end(tweaked);
    } else if (file.startsWith(`${M2}/`) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Options for the download path: no Maven, a fresh cache. */
function downloadOpts(name: string, extra: Partial<JarOptions> = {}): JarOptions & { root: string; log: (l: string) => void; lines: string[] } {
  const root = join(work, name);
  const lines: string[] = [];
  return { env: { KCL_TS_CACHE: root }, mvn: '/nonexistent/mvn', root, lines, log: (l: string) => lines.push(l), ...extra };
}

test('ensureJars without Maven: downloads every locked file from repoUrl, verifies it, source download', async () => {
  const repo = await mavenRepo();
  try {
    const opts = downloadOpts('cache-download', { repoUrl: `${repo.url}/` });
    const jars = await ensureJars('elasticmq', opts);
    const lock = readLock('elasticmq');
    assert.equal(jars.source, 'download');
    assert.equal(jars.dir, join(opts.root, 'elasticmq-1.7.1'));
    assert.equal(jars.classpath.length, 39);
    assert.deepEqual(await verifyJars(jars.dir, lock), []);
    assert.deepEqual(repo.requests, lock.files.map((f) => f.path), 'one request per locked file, at its Maven path (no double slash)');
    assert.deepEqual(readdirSync(jars.dir).sort(), lock.files.map((f) => f.file).sort());
    assert.deepEqual(readdirSync(opts.root), ['elasticmq-1.7.1']);
    const joined = opts.lines.join('\n');
    assert.match(joined, new RegExp(`downloading 39 files of org\\.elasticmq:elasticmq-server_2\\.13:1\\.7\\.1 from ${repo.url}\\n`));
    assert.match(joined, /installed 39 files of org\.elasticmq:elasticmq-server_2\.13:1\.7\.1 \(download\), checksums verified/);
    // Next time, the cache is used.
    const again = await ensureJars('elasticmq', { ...opts, repoUrl: 'http://127.0.0.1:9' });
    assert.equal(again.source, 'cache');
  } finally {
    await repo.close();
  }
});

test('ensureJars without Maven: one corrupted file served → JARS_CHECKSUM naming it, nothing left in the cache (KCL_TS_MAVEN_REPO)', async () => {
  const lock = readLock('elasticmq');
  const victim = lock.files[lock.files.length - 1]!; // the last one: every other file was written by then
  const repo = await mavenRepo((path, file) => (path === victim.path ? flippedCopy(file) : undefined));
  try {
    const opts = downloadOpts('cache-download-corrupt');
    opts.env.KCL_TS_MAVEN_REPO = repo.url;
    const err = await rejectsWith(ensureJars('elasticmq', opts), LauncherErrorCode.JARS_CHECKSUM);
    const actual = sha256(flippedCopy(join(M2, victim.path)));
    assert.ok(err.message.includes(`${repo.url}/${victim.path} has sha256 ${actual}, expected ${victim.sha256}`), err.message);
    assert.match(err.message, /refusing it/);
    assert.equal(repo.requests.length, lock.files.length);
    assert.deepEqual(readdirSync(opts.root), [], 'no cache folder, no partial folder');
  } finally {
    await repo.close();
  }
});

test('ensureJars without Maven: HTTP 404 → JARS_INSTALL_FAILED naming the URL, nothing left in the cache', async () => {
  const victim = readLock('elasticmq').files[3]!;
  const repo = await mavenRepo((path) => (path === victim.path ? 404 : undefined));
  try {
    const opts = downloadOpts('cache-download-404', { repoUrl: repo.url });
    const err = await rejectsWith(ensureJars('elasticmq', opts), LauncherErrorCode.JARS_INSTALL_FAILED);
    assert.ok(err.message.includes(`${repo.url}/${victim.path} failed: HTTP 404`), err.message);
    assert.equal(repo.requests.length, 4, 'stops at the first failure');
    assert.deepEqual(readdirSync(opts.root), []);
  } finally {
    await repo.close();
  }
});

test('ensureJars without Maven: an unreachable repository → LauncherError naming the URL', async () => {
  const repo = await mavenRepo();
  await repo.close(); // nothing listens there any more
  const opts = downloadOpts('cache-download-refused', { repoUrl: repo.url });
  const err = await rejectsWith(ensureJars('elasticmq', opts), LauncherErrorCode.JARS_INSTALL_FAILED);
  assert.ok(err.message.includes(repo.url), err.message);
});

test('ensureJars: no Maven and no repository URL → NO_MAVEN saying to install Maven or pass --repo', async () => {
  const opts = downloadOpts('cache-no-maven');
  const err = await rejectsWith(ensureJars('elasticmq', opts), LauncherErrorCode.NO_MAVEN);
  assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_NO_MAVEN');
  assert.match(err.message, /Cannot install org\.elasticmq:elasticmq-server_2\.13:1\.7\.1/);
  assert.match(err.message, /Maven \(`\/nonexistent\/mvn`\) was not found/);
  assert.match(err.message, /Install Maven/);
  assert.match(err.message, /--repo/);
  assert.match(err.message, /KCL_TS_MAVEN_REPO/);
  assert.deepEqual(readdirSync(opts.root), []);
});

test('the installed cache was not modified by these tests', async () => {
  for (const set of USED) assert.deepEqual(await verifyJars(installed[set].dir, readLock(set)), [], set);
});
