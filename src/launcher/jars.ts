import { spawn as nodeSpawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants, homedir } from 'node:os';
import { join, sep } from 'node:path';
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

/** The real path of `path`, or undefined when it (or what a symlink points to) does not exist. */
function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks a folder against the lock: every file present with its size and checksum. Each file is checked
 * at its resolved real path, which must lie inside the folder's real path (a symlink out of the folder
 * is refused: what Java opens must be what was verified). Returns the problems and, per locked file,
 * the real path that was verified.
 */
async function checkJars(dir: string, lock: JarLock): Promise<{ problems: string[]; paths: Map<string, string> }> {
  const problems: string[] = [];
  const paths = new Map<string, string>();
  const realDir = realPath(dir);
  for (const f of lock.files) {
    const path = realDir === undefined ? undefined : realPath(join(realDir, f.file));
    if (path === undefined) {
      problems.push(`${f.file} is missing`);
      continue;
    }
    if (!path.startsWith(`${realDir}${sep}`)) {
      problems.push(`${f.file} is a symbolic link to ${path}, outside ${realDir}: refusing it`);
      continue;
    }
    const size = statSync(path).size;
    if (size !== f.size) {
      problems.push(`${f.file} has ${size} bytes, expected ${f.size}`);
      continue;
    }
    const sum = await sha256File(path);
    if (sum !== f.sha256) problems.push(`${f.file} has sha256 ${sum}, expected ${f.sha256}`);
    else paths.set(f.file, path);
  }
  return { problems, paths };
}

/** Checks a folder against the lock (see {@link checkJars}). Returns the problems. */
export async function verifyJars(dir: string, lock: JarLock): Promise<string[]> {
  return (await checkJars(dir, lock)).problems;
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

/**
 * Downloads one locked file into `path`, never holding more than a chunk in memory: a Content-Length
 * other than the locked size is refused before the body is read, the body is hashed while it streams to
 * the file and cut off as soon as it grows past the locked size.
 */
async function downloadFile(get: typeof fetch, url: string, f: LockedFile, path: string): Promise<void> {
  const abort = new AbortController();
  let res: Response;
  try {
    res = await get(url, { signal: abort.signal });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new LauncherError(
      LauncherErrorCode.JARS_INSTALL_FAILED,
      `Download of ${url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}; check the repository URL (--repo / KCL_TS_MAVEN_REPO) and the network`,
    );
  }
  const refuse = (code: string, why: string) => {
    abort.abort();
    return new LauncherError(code, `${url} ${why}: refusing it`);
  };
  if (!res.ok) {
    abort.abort();
    throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `Download of ${url} failed: HTTP ${res.status}`);
  }
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) !== f.size) {
    throw refuse(LauncherErrorCode.JARS_CHECKSUM, `announces ${declared} bytes (Content-Length), the lock records ${f.size}`);
  }
  if (!res.body) throw refuse(LauncherErrorCode.JARS_INSTALL_FAILED, 'came without a body');
  const hash = createHash('sha256');
  let received = 0;
  const fh = await open(path, 'wx');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (received > f.size) throw refuse(LauncherErrorCode.JARS_CHECKSUM, `sends more than the ${f.size} bytes the lock records`);
      hash.update(chunk);
      await fh.write(chunk);
    }
  } catch (err) {
    abort.abort();
    if (err instanceof LauncherError) throw err;
    throw new LauncherError(LauncherErrorCode.JARS_INSTALL_FAILED, `Download of ${url} failed: ${(err as Error).message}`);
  } finally {
    await fh.close();
  }
  if (received !== f.size) throw refuse(LauncherErrorCode.JARS_CHECKSUM, `has ${received} bytes, the lock records ${f.size}`);
  const sum = hash.digest('hex');
  if (sum !== f.sha256) throw refuse(LauncherErrorCode.JARS_CHECKSUM, `has sha256 ${sum}, expected ${f.sha256}`);
}

async function installByDownload(lock: JarLock, target: string, repoUrl: string, opts: JarOptions, log: (l: string) => void): Promise<void> {
  const get = opts.fetch ?? fetch;
  const base = repoUrl.replace(/\/+$/, '');
  log(`downloading ${lock.files.length} files of ${lock.artifact} from ${base}`);
  for (const f of lock.files) await downloadFile(get, `${base}/${f.path}`, f, join(target, f.file));
}

/** The classpath: the verified real path of every locked jar (natives and poms stay off it). */
function classpathOf(paths: Map<string, string>, lock: JarLock): string[] {
  return lock.files.filter((f) => f.file.endsWith('.jar')).map((f) => paths.get(f.file)!);
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
    const { problems, paths } = await checkJars(opts.dir, lock);
    if (problems.length > 0) {
      throw new LauncherError(
        problems.every((p) => p.endsWith('missing')) ? LauncherErrorCode.JARS_MISSING : LauncherErrorCode.JARS_CHECKSUM,
        `The jars in ${opts.dir} do not match ${artifact}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}. ` +
          'Run `kcl-ts jars` to install verified jars, or point --jars at such a folder',
      );
    }
    return { set, artifact, dir: opts.dir, classpath: classpathOf(paths, lock), source: 'cache' };
  }
  const dir = join(cacheRoot(opts.env), `${set}-${artifact.split(':').pop()}`);
  if (existsSync(dir)) {
    const { problems, paths } = await checkJars(dir, lock);
    if (problems.length === 0) return { set, artifact, dir, classpath: classpathOf(paths, lock), source: 'cache' };
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
    // The files just verified, renamed with their folder: regular files, no symlinks.
    const realDir = realpathSync(dir);
    return { set, artifact, dir, classpath: classpathOf(new Map(lock.files.map((f) => [f.file, join(realDir, f.file)])), lock), source };
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
