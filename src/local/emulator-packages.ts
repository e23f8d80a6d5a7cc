/**
 * Where the local emulators (npm packages kinesis-local and dynalite) come from. They are not dependencies
 * of kcl-ts: a production install or image must not carry ~26 MB of emulators. `kcl-ts local` looks for
 * them, in order,
 *   1. in the user's project (`npm install --save-dev kinesis-local dynalite`: offline, the project's versions),
 *   2. next to kcl-ts itself (this repository's devDependencies),
 *   3. in the kcl-ts cache, installed there on first use with `npm ci` from `emulators/package-lock.json`
 *      (pinned versions, integrity-checked by npm; install scripts off).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../launcher/jars.js';
import { packageRoot } from '../launcher/package-root.js';
import { LocalError, LocalErrorCode } from './errors.js';

/** The emulator packages of `kcl-ts local`. */
export type EmulatorPackage = 'kinesis-local' | 'dynalite';
export const EMULATOR_PACKAGES: readonly EmulatorPackage[] = ['kinesis-local', 'dynalite'];

/** Options of {@link findEmulator} and {@link ensureEmulators}. */
export interface EmulatorOptions {
  env: NodeJS.ProcessEnv;
  /** The user's project folder. */
  cwd: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** The folder of the pinned emulator set: package.json and package-lock.json. */
export function emulatorsManifestDir(): string {
  return join(packageRoot(), 'emulators');
}

/** The pinned `name → version` of the emulator set. */
export function pinnedEmulators(): Record<EmulatorPackage, string> {
  const pkg = JSON.parse(readFileSync(join(emulatorsManifestDir(), 'package.json'), 'utf8')) as { dependencies: Record<EmulatorPackage, string> };
  return pkg.dependencies;
}

/** `KCL_TS_EMULATORS_DIR`, else `<cache>/emulators-<first 12 hex of the lock's SHA-256>`: a new lock gets a new folder. */
export function emulatorsInstallDir(env: NodeJS.ProcessEnv): string {
  if (env.KCL_TS_EMULATORS_DIR) return env.KCL_TS_EMULATORS_DIR;
  const lock = readFileSync(join(emulatorsManifestDir(), 'package-lock.json'));
  return join(cacheRoot(env), `emulators-${createHash('sha256').update(lock).digest('hex').slice(0, 12)}`);
}

function resolveFrom(from: string, name: EmulatorPackage): string | undefined {
  try {
    return dirname(createRequire(from).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The folder of an installed emulator package (steps 1–3 above, no install), or undefined. */
export function findEmulator(name: EmulatorPackage, opts: Pick<EmulatorOptions, 'env' | 'cwd'>): string | undefined {
  return (
    resolveFrom(join(opts.cwd, 'package.json'), name) ??
    resolveFrom(import.meta.url, name) ??
    resolveFrom(join(emulatorsInstallDir(opts.env), 'package.json'), name)
  );
}

function manualFix(): string {
  const pins = pinnedEmulators();
  return `npm install --save-dev ${EMULATOR_PACKAGES.map((n) => `${n}@${pins[n]}`).join(' ')}`;
}

/** Runs `npm ci` in `dir`; rejects with the tail of its output. */
function npmCi(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (err) => reject(err));
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`npm ci ${signal ? `killed by ${signal}` : `exited ${code}`}: ${output.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

/**
 * The folders of both emulator packages; installs the pinned set into the cache first when they are found
 * nowhere. Fails with `EMULATOR_MISSING` and the command that installs them into the project.
 */
export async function ensureEmulators(opts: EmulatorOptions): Promise<Record<EmulatorPackage, string>> {
  const found = () => Object.fromEntries(EMULATOR_PACKAGES.map((n) => [n, findEmulator(n, opts)])) as Record<EmulatorPackage, string | undefined>;
  let dirs = found();
  if (EMULATOR_PACKAGES.every((n) => dirs[n])) return dirs as Record<EmulatorPackage, string>;

  const target = emulatorsInstallDir(opts.env);
  const pins = pinnedEmulators();
  const partial = `${target}.partial-${process.pid}`;
  opts.log?.(`kcl-ts local: installing the emulators ${EMULATOR_PACKAGES.map((n) => `${n}@${pins[n]}`).join(', ')} (npm, about 26 MB) into ${target}, once`);
  try {
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(emulatorsManifestDir(), f), join(partial, f));
    await npmCi(partial, opts.env);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'npm is not on PATH' : (err as Error).message;
    throw new LocalError(
      LocalErrorCode.EMULATOR_MISSING,
      `The local emulators are not installed and installing them failed (${why}). Install them into your project: ${manualFix()}`,
      { cause: err },
    );
  }
  dirs = found();
  const missing = EMULATOR_PACKAGES.filter((n) => !dirs[n]);
  if (missing.length > 0) {
    throw new LocalError(LocalErrorCode.EMULATOR_MISSING, `${missing.join(', ')} not found after installing into ${target}; install them into your project: ${manualFix()}`);
  }
  return dirs as Record<EmulatorPackage, string>;
}

/** Like {@link findEmulator}, but fails with `EMULATOR_MISSING` and the install command. */
export function emulatorDir(name: EmulatorPackage, opts: Pick<EmulatorOptions, 'env' | 'cwd'>): string {
  const dir = findEmulator(name, opts);
  if (!dir) throw new LocalError(LocalErrorCode.EMULATOR_MISSING, `The emulator npm package ${name} is not installed: run \`${manualFix()}\` (or \`kcl-ts local\`, which installs them into its cache)`);
  return dir;
}

