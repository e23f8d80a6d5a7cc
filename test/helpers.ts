import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a compiled fixture script. */
export function fixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', `${name}.js`);
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'kcl-ts-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Parsed pino lines of a log file (empty if it does not exist). */
export function readLog(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
