import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LauncherError } from '../src/launcher/errors.js';

/** Absolute path of a compiled fixture script. */
export function fixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', `${name}.js`);
}

/** Every folder {@link tempDir} made in this process; removed when the process exits. */
const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh temporary directory, removed when this test process exits (each test file runs in its own
 * process, so `npm test` leaves no `kcl-ts-*` folders behind).
 */
export function tempDir(prefix = 'kcl-ts-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Parsed pino lines of a log file (empty if it does not exist). */
export function readLog(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * A random port for an emulator under test: 20000-31999, below Linux's ephemeral range (32768-60999 by
 * default), where the kernel picks the local ports of outgoing connections (a JVM's connections to the
 * emulators could otherwise already hold it).
 */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asserts that `promise` rejects with a LauncherError of `code`, and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<LauncherError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LauncherError, `expected a LauncherError ${code}, got ${String((err as Error)?.stack ?? err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a LauncherError ${code}, it resolved`);
}

/** True while `pid` runs (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** A small deterministic PRNG (xorshift32): `next(n)` is an integer in [0, n). */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** Polls `cond` every 10 ms; fails the test naming `what` if it is not true within `ms`. */
export async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A thrown value whose `message` getter throws (plain pino's error serializer throws on it). */
export const unreadableValue = (): { readonly message: string } => ({
  get message(): string {
    throw new Error('no message for you');
  },
});

/** An Error whose `message` getter throws. */
export class UnreadableError extends Error {
  override get message(): string {
    throw new Error('no message for you');
  }
}

