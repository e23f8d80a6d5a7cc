// Where `kcl-ts local` finds its emulators (the install-on-demand path itself: test/local/tarball.test.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/launcher/package-root.js';
import { EMULATOR_PACKAGES, emulatorsInstallDir, findEmulator, pinnedEmulators } from '../../src/local/emulator-packages.js';
import { tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-emupkg-');
after(() => rmSync(work, { recursive: true, force: true }));

test('the pinned emulator set is exactly what this repository develops and tests with, and its lock pins both', () => {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string>; optionalDependencies?: Record<string, string>; files: string[] };
  const pins = pinnedEmulators();
  for (const name of EMULATOR_PACKAGES) {
    assert.match(pins[name], /^\d+\.\d+\.\d+$/, `${name} is pinned to an exact version`);
    assert.equal(pkg.devDependencies[name], pins[name], `devDependencies.${name}`);
    assert.equal(pkg.dependencies[name], undefined, `${name} is not a dependency of kcl-ts`);
    assert.equal(pkg.optionalDependencies?.[name], undefined, `${name} is not an optional dependency of kcl-ts`);
  }
  assert.ok(pkg.files.includes('emulators'), 'emulators/ ships in the package');
  const lock = JSON.parse(readFileSync(join(packageRoot(), 'emulators', 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
  for (const name of EMULATOR_PACKAGES) {
    assert.equal(lock.packages[`node_modules/${name}`]?.version, pins[name]);
    assert.match(lock.packages[`node_modules/${name}`]?.integrity ?? '', /^sha512-/);
  }
});

test("findEmulator: the user's project comes first; KCL_TS_EMULATORS_DIR or a cache folder named by the lock's hash", () => {
  const project = join(work, 'project');
  for (const name of EMULATOR_PACKAGES) {
    mkdirSync(join(project, 'node_modules', name), { recursive: true });
    writeFileSync(join(project, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '0.0.1' }));
  }
  writeFileSync(join(project, 'package.json'), '{}');
  for (const name of EMULATOR_PACKAGES) assert.equal(findEmulator(name, { env: {}, cwd: project }), join(project, 'node_modules', name));
  // elsewhere: this repository's own devDependencies
  assert.equal(findEmulator('dynalite', { env: {}, cwd: work }), join(packageRoot(), 'node_modules', 'dynalite'));
  assert.equal(emulatorsInstallDir({ KCL_TS_EMULATORS_DIR: '/x/y' }), '/x/y');
  assert.match(emulatorsInstallDir({ KCL_TS_CACHE: '/c' }), /^\/c\/emulators-[0-9a-f]{12}$/);
});
