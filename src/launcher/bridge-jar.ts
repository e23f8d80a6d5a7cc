/**
 * The DynamoDB Streams bridge's own jar (maven/streams-bridge): built with Maven from the sources in the
 * package, kept at maven/streams-bridge/dist/ with a lock naming the sources it was built from and its
 * checksum. The npm package ships it (the `prepack` script builds it), so a user needs only a JRE; in a git
 * checkout `kcl-ts jars streams-bridge` (or the first `kcl-ts run` of a dynamodb-streams file) builds it.
 * Every use verifies it: sources unchanged since the build, jar bytes as recorded.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LauncherError, LauncherErrorCode } from './errors.js';
import { runTool, sha256File, type JarOptions } from './jars.js';
import { packageRoot } from './package-root.js';

export const BRIDGE_JAR = 'kcl-ts-streams-bridge.jar';

/** dist/bridge.lock.json: what the shipped or built jar was made from. */
export interface BridgeLock {
  /** sha256 over pom.xml and every file under src/ (see {@link bridgeSourcesHash}). */
  sources: string;
  jar: { file: string; sha256: string; size: number };
}

/** Where the bridge jar is, and how it got there. */
export interface ResolvedBridge {
  jar: string;
  source: 'verified' | 'built';
}

/** maven/streams-bridge in the package. */
export function bridgeDir(): string {
  return join(packageRoot(), 'maven', 'streams-bridge');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** sha256 over the bridge's pom.xml and sources: each file's relative path, a NUL, its bytes, a NUL. */
export function bridgeSourcesHash(dir: string = bridgeDir()): string {
  const hash = createHash('sha256');
  const files = [join(dir, 'pom.xml'), ...filesUnder(join(dir, 'src'))].map((f) => relative(dir, f)).sort();
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(dir, f))).update('\0');
  return hash.digest('hex');
}

function readBridgeLock(dir: string): BridgeLock | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'dist', 'bridge.lock.json'), 'utf8')) as BridgeLock;
  } catch {
    return undefined;
  }
}

/** Why the jar in dist/ cannot be used, or undefined when it can. */
export async function bridgeJarProblem(dir: string = bridgeDir()): Promise<string | undefined> {
  const lock = readBridgeLock(dir);
  const jar = join(dir, 'dist', BRIDGE_JAR);
  if (!lock || !existsSync(jar)) return `${relative(packageRoot(), jar)} is not built`;
  if (lock.sources !== bridgeSourcesHash(dir)) return `${relative(packageRoot(), jar)} was built from other sources than maven/streams-bridge holds now`;
  const size = statSync(jar).size;
  if (size !== lock.jar.size) return `${BRIDGE_JAR} has ${size} bytes, expected ${lock.jar.size}`;
  const sum = await sha256File(jar);
  if (sum !== lock.jar.sha256) return `${BRIDGE_JAR} has sha256 ${sum}, expected ${lock.jar.sha256}`;
  return undefined;
}

/** Builds the bridge jar with Maven into dist/ and writes its lock. */
export async function buildBridgeJar(opts: JarOptions, dir: string = bridgeDir()): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const mvn = opts.mvn ?? 'mvn';
  log(`building the DynamoDB Streams bridge with Maven in ${dir}`);
  const sources = bridgeSourcesHash(dir);
  const code = await runTool(opts.spawn ?? nodeSpawn, mvn, ['-q', '-B', 'package'], dir, opts.env, log);
  if (code === 'not-found') {
    throw new LauncherError(
      LauncherErrorCode.NO_MAVEN,
      `Cannot build the DynamoDB Streams bridge: Maven (\`${mvn}\`) was not found. Install Maven (e.g. apt-get install maven) ` +
        'and run `kcl-ts jars streams-bridge`, or install kcl-ts from npm (its package ships the built bridge)',
    );
  }
  if (code !== 0) throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `Maven failed (exit ${code}) building the DynamoDB Streams bridge; see the output above`);
  const built = join(dir, 'target', BRIDGE_JAR);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const jar = join(dir, 'dist', BRIDGE_JAR);
  copyFileSync(built, `${jar}.partial-${process.pid}`);
  renameSync(`${jar}.partial-${process.pid}`, jar);
  const lock: BridgeLock = { sources, jar: { file: BRIDGE_JAR, sha256: await sha256File(jar), size: statSync(jar).size } };
  writeFileSync(join(dir, 'dist', 'bridge.lock.json'), `${JSON.stringify(lock, null, 1)}\n`);
  log(`built ${BRIDGE_JAR} (${lock.jar.size} bytes, sha256 ${lock.jar.sha256})`);
  return jar;
}

/**
 * The verified bridge jar: the one in dist/ when its lock matches the sources and its bytes, else a fresh
 * Maven build (`rebuild` forces one).
 * @throws {LauncherError} when it must be built and Maven is missing or fails
 */
export async function ensureBridgeJar(opts: JarOptions & { rebuild?: boolean }, dir: string = bridgeDir()): Promise<ResolvedBridge> {
  const problem = opts.rebuild ? 'a rebuild was asked for' : await bridgeJarProblem(dir);
  if (problem === undefined) return { jar: join(dir, 'dist', BRIDGE_JAR), source: 'verified' };
  opts.log?.(`DynamoDB Streams bridge: ${problem}`);
  // One build at a time per folder (two `kcl-ts run`s, or test files, may find it stale together); whoever
  // waited finds the jar built and verified.
  const release = await buildLock(dir);
  try {
    if (!opts.rebuild && (await bridgeJarProblem(dir)) === undefined) return { jar: join(dir, 'dist', BRIDGE_JAR), source: 'built' };
    return { jar: await buildBridgeJar(opts, dir), source: 'built' };
  } finally {
    release();
  }
}

/** Build lock: the folder target/.kcl-ts-build-lock (mkdir is atomic); a lock older than 10 minutes is stale. */
async function buildLock(dir: string): Promise<() => void> {
  const lock = join(dir, 'target', '.kcl-ts-build-lock');
  mkdirSync(join(dir, 'target'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
