// The npm package ships the DynamoDB Streams bridge built and locked: `npm pack` (whose prepack builds the
// jar when missing or stale) lists dist/kcl-ts-streams-bridge.jar, its lock and the sources the lock is
// checked against, and leaves Maven's target/ out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeJarProblem, ensureBridgeJar } from '../../src/launcher/bridge-jar.js';
import { repoRoot } from '../e2e/stack.js';

test('npm pack: the built bridge jar, its lock and sources ship; target/ does not; prepack builds it', async () => {
  await ensureBridgeJar({ env: process.env }); // as prepack does (a Maven build only when missing or stale)
  assert.equal(await bridgeJarProblem(), undefined);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.prepack!, /kcl-ts\.js jars streams-bridge/);
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(packed.status, 0, packed.stderr);
  const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  const bridge = files.filter((f) => f.startsWith('maven/streams-bridge/'));
  for (const f of ['dist/kcl-ts-streams-bridge.jar', 'dist/bridge.lock.json', 'jars.lock.json', 'pom.xml', 'src/main/java/dev/kclts/streams/StreamsBridge.java']) {
    assert.ok(bridge.includes(`maven/streams-bridge/${f}`), `ships ${f}`);
  }
  assert.deepEqual(bridge.filter((f) => f.includes('/target/')), []);
});
