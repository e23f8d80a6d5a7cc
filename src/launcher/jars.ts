import { spawn as nodeSpawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { join } from 'node:path';
import { LauncherError, LauncherErrorCode } from './errors.js';
import { packageRoot } from './package-root.js';

/**
 * The Java components kcl-ts pins (one folder under maven/ each: pom.xml and jars.lock.json).
 * `streams-bridge` is the runtime classpath of kcl-ts's DynamoDB Streams bridge (the daemon's jars plus the
 * adapter's); the bridge's own jar is built from that folder's sources (see bridge-jar.ts).
 */
export type JarSet = 'kcl-multilang' | 'elasticmq' | 'streams-bridge';
export const JAR_SETS: readonly JarSet[] = ['kcl-multilang', 'elasticmq', 'streams-bridge'];

/** One file of a jar set, as recorded in jars.lock.json. */
export interface LockedFile {
  /** File name in the cache folder (flat, as `mvn dependency:copy-dependencies` writes it). */
  file: string;
  /** Path under a Maven repository root, for downloads without Maven. */
  path: string;
  sha256: string;
  size: number;
}

export interface JarLock {
  artifact: string;
  files: LockedFile[];
}

/** Where and how a jar set was made available. */
export interface ResolvedJars {
  set: JarSet;
  artifact: string;
  dir: string;
  /** Entries for `java -cp`. */
  classpath: string[];
  source: 'cache' | 'maven' | 'download';
}

export type SpawnLike = typeof nodeSpawn;

export interface JarOptions {
  env: NodeJS.ProcessEnv;
  /** Use this folder instead of the cache (must hold the verified jars). */
  dir?: string;
  /** `mvn` executable. @default 'mvn' */
  mvn?: string;
  /** Maven repository base URL for downloading without Maven (also `KCL_TS_MAVEN_REPO`). */
  repoUrl?: string;
  spawn?: SpawnLike;
  fetch?: typeof fetch;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

/** The pinned `group:artifact:version` of a jar set, read from its pom.xml (the one place it is recorded). */
export function pinnedArtifact(set: JarSet): string {
  const pom = readFileSync(join(packageRoot(), 'maven', set, 'pom.xml'), 'utf8');
  const dep = /<dependency>([\s\S]*?)<\/dependency>/.exec(pom)?.[1] ?? '';
  const tag = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(dep)?.[1]?.trim();
  return `${tag('groupId')}:${tag('artifactId')}:${tag('version')}`;
}

export function readLock(set: JarSet): JarLock {
  return JSON.parse(readFileSync(join(packageRoot(), 'maven', set, 'jars.lock.json'), 'utf8')) as JarLock;
}

/** `KCL_TS_CACHE`, else `$XDG_CACHE_HOME/kcl-ts`, else `~/.cache/kcl-ts`. */
export function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env.KCL_TS_CACHE ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'kcl-ts');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Checks a folder against the lock: every file present with its size and checksum. Returns the problems. */
export async function verifyJars(dir: string, lock: JarLock): Promise<string[]> {
  const problems: string[] = [];
  for (const f of lock.files) {
    const path = join(dir, f.file);
    if (!existsSync(path)) {
      problems.push(`${f.file} is missing`);
      continue;
    }
    const size = statSync(path).size;
    if (size !== f.size) {
      problems.push(`${f.file} has ${size} bytes, expected ${f.size}`);
      continue;
    }
    const sum = await sha256File(path);
    if (sum !== f.sha256) problems.push(`${f.file} has sha256 ${sum}, expected ${f.sha256}`);
  }
  return problems;
}

/** How a tool run ended: its exit code, or `not-found` when the executable could not be started. */
type RunResult = number | 'not-found';

/** Runs a tool with its output kept (the last 4,000 characters are logged when it fails). */
export function runTool(spawn: SpawnLike, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => {
      log(`${cmd}: ${err.message}`);
      resolve(err.code === 'ENOENT' || err.code === 'EACCES' ? 'not-found' : -1);
    });
    child.on('close', (code, signal) => {
      if (code !== 0 && tail) log(tail.trim());
      if (signal) log(`${cmd} was killed by ${signal}`);
      // A tool killed by a signal has no exit code: report it as a failure, never as "not found".
      resolve(code ?? 128 + (constants.signals[signal!] ?? 0));
    });
  });
}

async function installWithMaven(set: JarSet, target: string, opts: JarOptions, log: (l: string) => void): Promise<boolean> {
  const mvn = opts.mvn ?? 'mvn';
  log(`resolving ${pinnedArtifact(set)} with Maven into ${target}`);
  const code = await runTool(
    opts.spawn ?? nodeSpawn,
    mvn,
    ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${target}`],
    join(packageRoot(), 'maven', set),
    opts.env,
    log,
  );
  if (code === 'not-found') return false; // no mvn: try the download path
  if (code !== 0) {
    throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `Maven failed (exit ${code}) resolving ${pinnedArtifact(set)}; see the output above`);
  }
  return true;
}

async function installByDownload(lock: JarLock, target: string, repoUrl: string, opts: JarOptions, log: (l: string) => void): Promise<void> {
  const get = opts.fetch ?? fetch;
  const base = repoUrl.replace(/\/+$/, '');
  log(`downloading ${lock.files.length} files of ${lock.artifact} from ${base}`);
  for (const f of lock.files) {
    const url = `${base}/${f.path}`;
    let res: Response;
    try {
      res = await get(url);
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new LauncherError(
        LauncherErrorCode.JARS_INSTALL_FAILED,
        `Download of ${url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}; check the repository URL (--repo / KCL_TS_MAVEN_REPO) and the network`,
      );
    }
    if (!res.ok) {
      throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `Download of ${url} failed: HTTP ${res.status}`);
    }
    const body = Buffer.from(await res.arrayBuffer());
    const sum = createHash('sha256').update(body).digest('hex');
    if (sum !== f.sha256) {
      throw new LauncherError(LauncherErrorCode.JARS_CHECKSUM, `${url} has sha256 ${sum}, expected ${f.sha256}: refusing it`);
    }
    writeFileSync(join(target, f.file), body);
  }
}

function classpathOf(dir: string, lock: JarLock): string[] {
  return lock.files.filter((f) => f.file.endsWith('.jar')).map((f) => join(dir, f.file));
}

/**
 * Makes a jar set available and verified: the given folder, else the cache (verified against the lock),
 * else a fresh install with Maven, else a checksum-verified download from `repoUrl`.
 * @throws {LauncherError} naming the missing or corrupt files and what to do.
 */
export async function ensureJars(set: JarSet, opts: JarOptions): Promise<ResolvedJars> {
  const log = opts.log ?? (() => undefined);
  const lock = readLock(set);
  const artifact = pinnedArtifact(set);
  if (lock.artifact !== artifact) {
    throw new LauncherError(LauncherErrorCode.JARS_CHECKSUM, `maven/${set}/jars.lock.json is for ${lock.artifact} but pom.xml pins ${artifact}: regenerate the lock (npm run jars:lock)`);
  }
  if (opts.dir) {
    const problems = await verifyJars(opts.dir, lock);
    if (problems.length > 0) {
      throw new LauncherError(
        problems.every((p) => p.endsWith('missing')) ? LauncherErrorCode.JARS_MISSING : LauncherErrorCode.JARS_CHECKSUM,
        `The jars in ${opts.dir} do not match ${artifact}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}. ` +
          'Run `kcl-ts jars` to install verified jars, or point --jars at such a folder',
      );
    }
    return { set, artifact, dir: opts.dir, classpath: classpathOf(opts.dir, lock), source: 'cache' };
  }
  const dir = join(cacheRoot(opts.env), `${set}-${artifact.split(':').pop()}`);
  if (existsSync(dir)) {
    const problems = await verifyJars(dir, lock);
    if (problems.length === 0) return { set, artifact, dir, classpath: classpathOf(dir, lock), source: 'cache' };
    log(`cached jars in ${dir} failed verification (${problems[0]}); reinstalling`);
    rmSync(dir, { recursive: true, force: true });
  }
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    let source: ResolvedJars['source'] = 'maven';
    if (!(await installWithMaven(set, partial, opts, log))) {
      const repoUrl = opts.repoUrl ?? opts.env.KCL_TS_MAVEN_REPO;
      if (!repoUrl) {
        throw new LauncherError(
          LauncherErrorCode.NO_MAVEN,
          `Cannot install ${artifact}: Maven (\`${opts.mvn ?? 'mvn'}\`) was not found and no repository URL was given. ` +
            'Install Maven (e.g. apt-get install maven), or pass --repo <Maven Central or mirror base URL> (or set KCL_TS_MAVEN_REPO)',
        );
      }
      await installByDownload(lock, partial, repoUrl, opts, log);
      source = 'download';
    }
    // Maven may copy files the lock does not list (other platforms' natives are listed; nothing else should be).
    const extra = readdirSync(partial).filter((f) => !lock.files.some((l) => l.file === f));
    if (extra.length > 0) log(`ignoring files not in the lock: ${extra.join(', ')}`);
    const problems = await verifyJars(partial, lock);
    if (problems.length > 0) {
      throw new LauncherError(LauncherErrorCode.JARS_CHECKSUM, `Installed jars of ${artifact} do not match jars.lock.json: ${problems.slice(0, 5).join('; ')}`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    log(`installed ${lock.files.length} files of ${artifact} (${source}), checksums verified`);
    return { set, artifact, dir, classpath: classpathOf(dir, lock), source };
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * Regenerates maven/<set>/jars.lock.json from Maven's resolution (a maintainer task, after changing the pom).
 */
export async function writeLock(set: JarSet, opts: JarOptions): Promise<JarLock> {
  const log = opts.log ?? (() => undefined);
  const listFile = join(cacheRoot(opts.env), `${set}.dependency-list.txt`);
  mkdirSync(cacheRoot(opts.env), { recursive: true });
  const code = await runTool(
    opts.spawn ?? nodeSpawn,
    opts.mvn ?? 'mvn',
    ['-q', '-B', 'dependency:list', '-DincludeScope=runtime', '-DoutputAbsoluteArtifactFilename=true', `-DoutputFile=${listFile}`],
    join(packageRoot(), 'maven', set),
    opts.env,
    log,
  );
  if (code !== 0) throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `mvn dependency:list failed (exit ${code})`);
  const files: LockedFile[] = [];
  for (const line of readFileSync(listFile, 'utf8').split('\n')) {
    const m = /^\s+[^:\s]+:[^:\s]+:[^:\s]+(?::[^:\s]+)?:[^:\s]+:[^:\s]+:(\/.+\/repository\/)(.+)$/.exec(line);
    if (!m) continue;
    const abs = m[1]! + m[2]!;
    const file = m[2]!.split('/').pop()!;
    files.push({ file, path: m[2]!, sha256: await sha256File(abs), size: statSync(abs).size });
  }
  files.sort((a, b) => a.file.localeCompare(b.file));
  const lock = { artifact: pinnedArtifact(set), files };
  writeFileSync(join(packageRoot(), 'maven', set, 'jars.lock.json'), `${JSON.stringify(lock, null, 1)}\n`);
  return lock;
}
