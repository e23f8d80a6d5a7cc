// Shared by the test/docker tests: where the repository and docker/ are, and how to read what they hold.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProperties } from '../../src/launcher/properties.js';

/** The repository root (build-test/test/docker → ../../..). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const dockerDir = join(repoRoot, 'docker');

export function readText(...path: string[]): string {
  return readFileSync(join(repoRoot, ...path), 'utf8');
}

export function readJson<T>(...path: string[]): T {
  return JSON.parse(readText(...path)) as T;
}

/** A .properties file as key → value (Java semantics, ISO-8859-1 as the daemon reads it). */
export function readProperties(...path: string[]): Map<string, string> {
  const parsed = parseProperties(readFileSync(join(repoRoot, ...path)).toString('latin1'));
  return new Map([...parsed.entries].map(([k, e]) => [k, e.value]));
}

/** A numeric property that must be present. */
export function millis(props: Map<string, string>, key: string): number {
  const value = Number(props.get(key));
  if (!Number.isFinite(value)) throw new Error(`${key} is missing or not a number: ${props.get(key)}`);
  return value;
}

/**
 * Shell-style words of a Dockerfile instruction's exec-form JSON array, or undefined when the instruction
 * is in shell form.
 */
export function execForm(args: string): string[] | undefined {
  const text = args.trim();
  if (!text.startsWith('[')) return undefined;
  const value = JSON.parse(text) as unknown;
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}
