// Java discovery: `java -version` parsing on real outputs, and findJava against fake `java` scripts
// (shell scripts that print what the real one prints, to stderr) found via --java, JAVA_HOME and PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LauncherError, LauncherErrorCode } from '../../src/launcher/errors.js';
import { findJava, javaClasspath, parseJavaMajor, whichSync } from '../../src/launcher/java.js';
import { daemonArgs } from '../../src/launcher/run.js';
import { tempDir } from '../helpers.js';

const OPENJDK_17 = `openjdk version "17.0.15" 2025-04-15
OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)
OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)`;
const OPENJDK_21 = `openjdk version "21.0.2" 2024-01-16
OpenJDK Runtime Environment (build 21.0.2+13-58)
OpenJDK 64-Bit Server VM (build 21.0.2+13-58, mixed mode, sharing)`;
const OPENJDK_21_GA = `openjdk version "21" 2023-09-19
OpenJDK Runtime Environment (build 21+35-2513)
OpenJDK 64-Bit Server VM (build 21+35-2513, mixed mode, sharing)`;
const TEMURIN_17 = `openjdk version "17.0.10" 2024-01-16
OpenJDK Runtime Environment Temurin-17.0.10+7 (build 17.0.10+7)
OpenJDK 64-Bit Server VM Temurin-17.0.10+7 (build 17.0.10+7, mixed mode, sharing)`;
const CORRETTO_11 = `openjdk version "11.0.22" 2024-01-16 LTS
OpenJDK Runtime Environment Corretto-11.0.22.7.1 (build 11.0.22+7-LTS)
OpenJDK 64-Bit Server VM Corretto-11.0.22.7.1 (build 11.0.22+7-LTS, mixed mode)`;
const ORACLE_8 = `java version "1.8.0_402"
Java(TM) SE Runtime Environment (build 1.8.0_402-b08)
Java HotSpot(TM) 64-Bit Server VM (build 25.402-b08, mixed mode)`;
const TEMURIN_8 = `openjdk version "1.8.0_402"
OpenJDK Runtime Environment (Temurin)(build 1.8.0_402-b06)
OpenJDK 64-Bit Server VM (Temurin)(build 25.402-b06, mixed mode)`;
const OPENJDK_11_0_2 = `openjdk version "11.0.2" 2019-01-15
OpenJDK Runtime Environment 18.9 (build 11.0.2+9)
OpenJDK 64-Bit Server VM 18.9 (build 11.0.2+9, mixed mode)`;
const EARLY_ACCESS_23 = `openjdk version "23-ea" 2024-09-17
OpenJDK Runtime Environment (build 23-ea+25-2094)`;
const JAVA_9 = `java version "9.0.4"
Java(TM) SE Runtime Environment (build 9.0.4+11)`;
/** What a real JVM prints when JAVA_TOOL_OPTIONS is set (common in container images). */
const TOOL_OPTIONS_17 = `Picked up JAVA_TOOL_OPTIONS: -Xmx512m -XX:+UseContainerSupport\n${OPENJDK_17}`;

test('parseJavaMajor: real `java -version` outputs', () => {
  const cases: [string, number][] = [
    [OPENJDK_17, 17],
    [OPENJDK_21, 21],
    [OPENJDK_21_GA, 21],
    [TEMURIN_17, 17],
    [CORRETTO_11, 11],
    [ORACLE_8, 8],
    [TEMURIN_8, 8],
    [OPENJDK_11_0_2, 11],
    [EARLY_ACCESS_23, 23],
    [JAVA_9, 9],
    [TOOL_OPTIONS_17, 17],
    ['java version "1.7.0_80"', 7],
  ];
  for (const [output, major] of cases) assert.equal(parseJavaMajor(output), major, output.split('\n')[0]);
});

test('parseJavaMajor: garbage gives undefined', () => {
  for (const output of [
    '',
    'bash: java: command not found',
    'Error: could not open `/usr/lib/jvm/java-17/lib/jvm.cfg\'',
    'openjdk version 17.0.1',
    'version "abc"',
    'version ""',
    '\x00\x01\x02',
  ]) {
    assert.equal(parseJavaMajor(output), undefined, JSON.stringify(output));
  }
});

// ---- fake installations -------------------------------------------------------------------------------

const root = tempDir('kcl-ts-java-');
let counter = 0;

/** A folder `<root>/<name>/bin` with an executable `java` shell script running `body`; returns the bin folder. */
function fakeJava(body: string, name = `jdk${++counter}`): { home: string; bin: string; java: string } {
  const home = join(root, name);
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const java = join(bin, 'java');
  writeFileSync(java, `#!/bin/sh\n${body}\n`);
  chmodSync(java, 0o755);
  return { home, bin, java };
}
/** A `java` that prints `output` to stderr, like the real one (shell builtins only: the env may have no PATH). */
function printingJava(output: string, name?: string) {
  const quoted = output.split('\n').map((l) => `'${l.replace(/'/g, `'\\''`)}'`);
  return fakeJava(`printf '%s\\n' ${quoted.join(' ')} >&2`, name);
}

const java17 = printingJava(OPENJDK_17);
const java21 = printingJava(OPENJDK_21);
const java8 = printingJava(ORACLE_8);
const java11 = printingJava(OPENJDK_11_0_2);
const javaSilent = fakeJava('exit 0');
const javaGarbage = fakeJava('echo "Error occurred during initialization of VM" >&2; exit 1');
const emptyDir = join(root, 'empty');
mkdirSync(emptyDir);

function catchLauncherError(fn: () => unknown): LauncherError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LauncherError, `expected a LauncherError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a LauncherError, nothing was thrown');
}

test('findJava: --java with an absolute path', () => {
  const found = findJava(java17.java, { PATH: java21.bin }, root);
  assert.deepEqual(found, { path: java17.java, major: 17, versionLine: 'openjdk version "17.0.15" 2025-04-15' });
});

test('findJava: --java wins over JAVA_HOME and PATH', () => {
  const found = findJava(java17.java, { JAVA_HOME: java21.home, PATH: java21.bin }, root);
  assert.equal(found.path, java17.java);
  assert.equal(found.major, 17);
});

test('findJava: --java relative to cwd, and a bare name looked up on PATH', () => {
  const rel = findJava(join('.', java17.java.slice(root.length + 1)), {}, root);
  assert.equal(rel.path, java17.java);
  const byName = findJava('java', { PATH: [emptyDir, java21.bin].join(delimiter) }, root);
  assert.equal(byName.path, join(java21.bin, 'java'));
  assert.equal(byName.major, 21);
});

test('findJava: --java that does not exist names it, not a fallback', () => {
  const err = catchLauncherError(() => findJava('/nonexistent/bin/java', { JAVA_HOME: java17.home, PATH: java17.bin }, root));
  assert.equal(err.code, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.match(err.message, /--java \/nonexistent\/bin\/java/);
  assert.match(err.message, /Install Java 11\+/);
});

test('findJava: JAVA_HOME/bin/java before PATH', () => {
  const found = findJava(undefined, { JAVA_HOME: java17.home, PATH: java21.bin }, root);
  assert.equal(found.path, java17.java);
  assert.equal(found.major, 17);
  assert.equal(found.versionLine, 'openjdk version "17.0.15" 2025-04-15');
});

test('findJava: JAVA_HOME without bin/java falls back to PATH', () => {
  const found = findJava(undefined, { JAVA_HOME: emptyDir, PATH: java21.bin }, root);
  assert.equal(found.path, java21.java);
  assert.equal(found.major, 21);
});

test('findJava: PATH order; directories, non-executable files and empty entries are skipped', () => {
  const notExec = join(root, 'notexec');
  mkdirSync(notExec);
  writeFileSync(join(notExec, 'java'), `#!/bin/sh\necho 'openjdk version "99"' >&2\n`);
  chmodSync(join(notExec, 'java'), 0o644);
  const dirNamedJava = join(root, 'dirjava');
  mkdirSync(join(dirNamedJava, 'java'), { recursive: true });
  const PATH = ['', notExec, dirNamedJava, java11.bin, java21.bin].join(delimiter);
  const found = findJava(undefined, { PATH }, root);
  assert.equal(found.path, java11.java);
  assert.equal(found.major, 11, 'Java 11 is the oldest accepted');
});

test('findJava: nothing found → JAVA_NOT_FOUND naming JAVA_HOME and PATH and what to install', () => {
  const unset = catchLauncherError(() => findJava(undefined, { PATH: [emptyDir, '/nonexistent'].join(delimiter) }, root));
  assert.equal(unset.code, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.equal(unset.code, 'KCLTS_ERR_LAUNCHER_JAVA_NOT_FOUND');
  assert.equal(unset.name, 'LauncherError');
  assert.match(unset.message, /JAVA_HOME \(unset\)/);
  assert.match(unset.message, /java on PATH/);
  assert.match(unset.message, /Install Java 11\+/);
  assert.match(unset.message, /openjdk-17-jre-headless/);
  assert.match(unset.message, /--java/);

  const set = catchLauncherError(() => findJava(undefined, { JAVA_HOME: emptyDir }, root));
  assert.equal(set.code, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.ok(set.message.includes(`JAVA_HOME (${join(emptyDir, 'bin', 'java')})`), set.message);
  assert.match(set.message, /PATH/);
});

test('findJava: Java 8 → JAVA_TOO_OLD naming the version and what to do', () => {
  for (const env of [{ JAVA_HOME: java8.home }, { PATH: java8.bin }]) {
    const err = catchLauncherError(() => findJava(undefined, env, root));
    assert.equal(err.code, LauncherErrorCode.JAVA_TOO_OLD);
    assert.equal(err.code, 'KCLTS_ERR_LAUNCHER_JAVA_TOO_OLD');
    assert.ok(err.message.includes(java8.java), err.message);
    assert.match(err.message, /is Java 8 /);
    assert.ok(err.message.includes('java version "1.8.0_402"'), err.message);
    assert.match(err.message, /needs Java 11\+/);
    assert.match(err.message, /JAVA_HOME/);
    assert.match(err.message, /--java/);
  }
  const ten = printingJava('openjdk version "10.0.2" 2018-07-17');
  assert.equal(catchLauncherError(() => findJava(ten.java, {}, root)).code, LauncherErrorCode.JAVA_TOO_OLD);
});

test('findJava: a too-old JAVA_HOME is an error, not skipped for a newer java on PATH', () => {
  const err = catchLauncherError(() => findJava(undefined, { JAVA_HOME: java8.home, PATH: java17.bin }, root));
  assert.equal(err.code, LauncherErrorCode.JAVA_TOO_OLD);
});

test('findJava: a `java` that prints nothing → clear error', () => {
  const err = catchLauncherError(() => findJava(javaSilent.java, {}, root));
  assert.equal(err.code, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.ok(err.message.includes(javaSilent.java), err.message);
  assert.match(err.message, /did not report a Java version/);
  assert.match(err.message, /said: nothing/);
  assert.match(err.message, /pass --java with a working Java 11\+/);
});

test('findJava: a broken `java` → its own words in the error', () => {
  const err = catchLauncherError(() => findJava(undefined, { PATH: javaGarbage.bin }, root));
  assert.equal(err.code, LauncherErrorCode.JAVA_NOT_FOUND);
  assert.match(err.message, /did not report a Java version/);
  assert.match(err.message, /Error occurred during initialization of VM/);
});

test('findJava: version printed on stdout is read too; `-version` is what is asked; env is passed', () => {
  const args = join(root, 'args.txt');
  const j = fakeJava(`echo "$@" > ${args}; echo "openjdk version \\"$FAKE_MAJOR.0.1\\""`);
  const found = findJava(j.java, { FAKE_MAJOR: '19' }, root);
  assert.equal(found.major, 19);
  assert.equal(found.versionLine, 'openjdk version "19.0.1"');
  assert.equal(readFileSync(args, 'utf8'), '-version\n');
});

test('findJava: versionLine is the version line when JAVA_TOOL_OPTIONS makes the JVM print "Picked up …" first', () => {
  const j = printingJava(TOOL_OPTIONS_17);
  const found = findJava(j.java, {}, root);
  assert.equal(found.major, 17);
  assert.equal(found.versionLine, 'openjdk version "17.0.15" 2025-04-15');
});

test('whichSync: names with a slash are resolved against cwd; PATH entries in order', () => {
  assert.equal(whichSync(java17.java, undefined, '/'), java17.java);
  assert.equal(whichSync(`./${java17.java.slice(root.length + 1)}`, undefined, root), java17.java);
  assert.equal(whichSync('./nope/java', java17.bin, root), undefined, 'a path is not looked up on PATH');
  assert.equal(whichSync('java', `${java21.bin}${delimiter}${java17.bin}`, root), java21.java);
  assert.equal(whichSync('java', undefined, root), undefined);
  assert.equal(whichSync('java', '', root), undefined);
  assert.equal(whichSync('java', emptyDir, root), undefined);
});

// ---- the classpath (issue 14, item 1) ---------------------------------------------------------------------

test('daemonArgs: only the verified jars on the classpath, never the properties folder (a class placed next to app.properties must not load)', () => {
  const args = daemonArgs(['/cache/kcl/a.jar', '/cache/kcl/b.jar'], 'app/app.properties', {}, '/srv');
  const cp = args[args.indexOf('-cp') + 1]!;
  assert.equal(cp, '/cache/kcl/a.jar:/cache/kcl/b.jar');
  assert.ok(!cp.split(':').includes('/srv/app'), cp);
  assert.equal(args[args.indexOf('-p') + 1], '/srv/app/app.properties', 'the daemon reads the properties by absolute path');
});

test('daemonArgs: a `:` in a jar path is refused (Java would split it into two unverified entries)', () => {
  const err = catchLauncherError(() => daemonArgs(['/home/u/cache:evil/kcl/a.jar'], '/etc/app.properties', {}));
  assert.equal(err.code, LauncherErrorCode.JARS_PATH_UNSAFE);
  assert.ok(err.message.includes('"/home/u/cache:evil/kcl/a.jar"'), err.message);
  assert.match(err.message, /contains `:`/);
  assert.match(err.message, /KCL_TS_CACHE/);
});

test('javaClasspath: relative paths, folders and wildcards are refused; jars are joined with `:`', () => {
  assert.equal(javaClasspath(['/a/x.jar', '/b/y.jar']), '/a/x.jar:/b/y.jar');
  for (const bad of ['rel/x.jar', '/etc/app', '/cache/*', '']) {
    assert.equal(catchLauncherError(() => javaClasspath(['/a/x.jar', bad])).code, LauncherErrorCode.JARS_PATH_UNSAFE, bad);
  }
});
