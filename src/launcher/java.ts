import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { LauncherError, LauncherErrorCode } from './errors.js';

/** Oldest Java the KCL 3 daemon runs on. */
export const MIN_JAVA = 11;

export interface JavaInfo {
  path: string;
  major: number;
  /** The first line of `java -version`. */
  versionLine: string;
}

/** True when `path` is an executable regular file. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks `name` up in a PATH string. */
export function whichSync(name: string, pathVar: string | undefined, cwd: string): string | undefined {
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(cwd, name);
    return isExecutableFile(p) ? p : undefined;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/** The major version in `java -version` output: `"17.0.15"` → 17, `"1.8.0_402"` → 8. */
export function parseJavaMajor(output: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

/**
 * Finds Java: `explicit` (--java), else `$JAVA_HOME/bin/java`, else `java` on PATH; checks it is >= 11.
 * @throws {LauncherError} naming every place looked at and what to install.
 */
export function findJava(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): JavaInfo {
  const looked: string[] = [];
  let path: string | undefined;
  if (explicit) {
    path = whichSync(explicit, env.PATH, cwd);
    looked.push(`--java ${explicit}`);
  } else {
    if (env.JAVA_HOME) {
      const candidate = join(env.JAVA_HOME, 'bin', 'java');
      looked.push(`JAVA_HOME (${candidate})`);
      if (isExecutableFile(candidate)) path = candidate;
    } else looked.push('JAVA_HOME (unset)');
    if (!path) {
      path = whichSync('java', env.PATH, cwd);
      looked.push('java on PATH');
    }
  }
  if (!path) {
    throw new LauncherError(
      LauncherErrorCode.JAVA_NOT_FOUND,
      `No Java found (looked at: ${looked.join(', ')}). Install Java ${MIN_JAVA}+ — 17 is tested, e.g. ` +
        '`apt-get install openjdk-17-jre-headless` — or pass --java /path/to/bin/java',
    );
  }
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', env, timeout: 30_000 });
  const output = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const major = parseJavaMajor(output);
  // The version line, not e.g. "Picked up JAVA_TOOL_OPTIONS: …" that a JVM prints before it.
  const lines = output.split('\n').map((l) => l.trim());
  const versionLine = lines.find((l) => / version "/.test(l)) ?? lines.find((l) => l.length > 0) ?? '';
  if (major === undefined) {
    throw new LauncherError(
      LauncherErrorCode.JAVA_NOT_FOUND,
      `${path} did not report a Java version (\`java -version\` said: ${versionLine || r.error?.message || 'nothing'}); pass --java with a working Java ${MIN_JAVA}+`,
    );
  }
  if (major < MIN_JAVA) {
    throw new LauncherError(
      LauncherErrorCode.JAVA_TOO_OLD,
      `${path} is Java ${major} (${versionLine}); the KCL 3 MultiLangDaemon needs Java ${MIN_JAVA}+ (17 is tested). ` +
        'Install a newer JDK/JRE and set JAVA_HOME, or pass --java',
    );
  }
  return { path, major, versionLine };
}

/**
 * The `-cp` value for verified jar paths, and nothing else: no folder (a folder on the classpath lets any
 * class or `META-INF/services` file placed in it run inside the JVM). Java splits `-cp` on `:` with no
 * way to escape it, so a path holding one would become two entries, neither of them verified: such a
 * path is refused, as are relative paths (resolved against the JVM's working directory) and wildcards.
 * @throws {LauncherError} `JARS_PATH_UNSAFE` naming the entry and what to do.
 */
export function javaClasspath(entries: readonly string[]): string {
  for (const entry of entries) {
    let why: string | undefined;
    if (entry.includes(':') || entry.includes(delimiter)) why = 'it contains `:`, which Java reads as the separator of two classpath entries';
    else if (!isAbsolute(entry)) why = 'it is not an absolute path';
    else if (!entry.endsWith('.jar')) why = 'it is not a .jar file (only verified jars go on the classpath)';
    if (why) {
      throw new LauncherError(
        LauncherErrorCode.JARS_PATH_UNSAFE,
        `Cannot put ${JSON.stringify(entry)} on the JVM classpath: ${why}. Keep the jars in a folder whose path has no \`:\` ` +
          '(set KCL_TS_CACHE, or pass --jars with such a folder)',
      );
    }
  }
  return entries.join(':');
}
