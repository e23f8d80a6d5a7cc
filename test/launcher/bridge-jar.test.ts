// The DynamoDB Streams bridge jar: verified against dist/bridge.lock.json (the sources it was built from
// and its bytes), rebuilt with Maven when missing or stale, a clear error without Maven. Works on copies
// of maven/streams-bridge with a stand-in `mvn` (the real Maven build runs in CI: `kcl-ts jars streams-bridge`).
import { test, after } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRIDGE_JAR, bridgeDir, bridgeJarProblem, bridgeSourcesHash, ensureBridgeJar, type BridgeLock } from '../../src/launcher/bridge-jar.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import { rejectsWith, tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-bridge-');
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the bridge's pom and sources (no dist/, no target/). */
function copyOfBridge(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  cpSync(join(bridgeDir(), 'pom.xml'), join(dir, 'pom.xml'));
  cpSync(join(bridgeDir(), 'src'), join(dir, 'src'), { recursive: true });
  return dir;
}

/** A stand-in `mvn` that "builds" target/kcl-ts-streams-bridge.jar (and counts its runs). */
function fakeMaven(): string {
  const path = join(work, 'mvn');
  writeFileSync(path, `#!/bin/sh\necho run >> "${work}/mvn.runs"\nmkdir -p target && printf 'jar bytes' > target/${BRIDGE_JAR}\n`);
  chmodSync(path, 0o755);
  return path;
}
const runs = () => (existsSync(join(work, 'mvn.runs')) ? readFileSync(join(work, 'mvn.runs'), 'utf8').split('\n').filter(Boolean).length : 0);

test('not built: Maven builds it into dist/ with a lock of its sources and bytes; then it is verified, not rebuilt', async () => {
  const dir = copyOfBridge('build');
  assert.match((await bridgeJarProblem(dir))!, /is not built/);
  const log: string[] = [];
  const mvn = fakeMaven();
  const built = await ensureBridgeJar({ env: process.env, mvn, log: (l) => log.push(l) }, dir);
  assert.deepEqual(built, { jar: join(dir, 'dist', BRIDGE_JAR), source: 'built' });
  const lock = JSON.parse(readFileSync(join(dir, 'dist', 'bridge.lock.json'), 'utf8')) as BridgeLock;
  assert.equal(lock.sources, bridgeSourcesHash(dir));
  assert.deepEqual(lock.jar, { file: BRIDGE_JAR, sha256: createHash('sha256').update('jar bytes').digest('hex'), size: 9 });
  assert.ok(log.some((l) => /building the DynamoDB Streams bridge with Maven/.test(l)));
  assert.equal(await bridgeJarProblem(dir), undefined);
  assert.equal((await ensureBridgeJar({ env: process.env, mvn }, dir)).source, 'verified');
  assert.equal(runs(), 1);
  // --rebuild builds anyway.
  assert.equal((await ensureBridgeJar({ env: process.env, mvn, rebuild: true }, dir)).source, 'built');
  assert.equal(runs(), 2);
});

test('a changed source or pom makes the jar stale; changed jar bytes fail the checksum', async () => {
  const dir = copyOfBridge('stale');
  await ensureBridgeJar({ env: process.env, mvn: fakeMaven() }, dir);
  appendFileSync(join(dir, 'src', 'main', 'java', 'dev', 'kclts', 'streams', 'ItemKeys.java'), '\n// edited\n');
  assert.match((await bridgeJarProblem(dir))!, /was built from other sources/);
  await ensureBridgeJar({ env: process.env, mvn: fakeMaven() }, dir);
  assert.equal(await bridgeJarProblem(dir), undefined);
  writeFileSync(join(dir, 'dist', BRIDGE_JAR), 'JAR BYTES'); // same size, other bytes
  assert.match((await bridgeJarProblem(dir))!, /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
  writeFileSync(join(dir, 'dist', BRIDGE_JAR), 'jar bytes!');
  assert.match((await bridgeJarProblem(dir))!, /has 10 bytes, expected 9/);
});

test('to be built without Maven: NO_MAVEN, saying to install Maven or use the npm package', async () => {
  const dir = copyOfBridge('nomaven');
  const err = await rejectsWith(ensureBridgeJar({ env: process.env, mvn: join(work, 'no-such-mvn') }, dir), LauncherErrorCode.NO_MAVEN);
  assert.match(err.message, /Maven .* was not found/);
  assert.match(err.message, /kcl-ts jars streams-bridge/);
  assert.match(err.message, /package ships the built bridge/);
});

test('a failing Maven build: JARS_INSTALL_FAILED with its exit code', async () => {
  const dir = copyOfBridge('fails');
  const mvn = join(work, 'mvn-fails');
  writeFileSync(mvn, '#!/bin/sh\necho "[ERROR] COMPILATION ERROR" >&2\nexit 1\n');
  chmodSync(mvn, 0o755);
  const log: string[] = [];
  const err = await rejectsWith(ensureBridgeJar({ env: process.env, mvn, log: (l) => log.push(l) }, dir), LauncherErrorCode.JARS_INSTALL_FAILED);
  assert.match(err.message, /Maven failed \(exit 1\) building the DynamoDB Streams bridge/);
  assert.ok(log.some((l) => l.includes('COMPILATION ERROR')));
});

test('two callers finding it stale at once: one Maven build, both get the verified jar', async () => {
  const dir = copyOfBridge('concurrent');
  const mvn = fakeMaven();
  const before = runs();
  const [a, b] = await Promise.all([ensureBridgeJar({ env: process.env, mvn }, dir), ensureBridgeJar({ env: process.env, mvn }, dir)]);
  assert.equal(a.jar, b.jar);
  assert.equal(runs() - before, 1);
  assert.equal(await bridgeJarProblem(dir), undefined);
});
