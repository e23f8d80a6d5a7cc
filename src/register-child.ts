/**
 * Loaded by `kcl-ts run` in every shard process through `NODE_OPTIONS=--import <this file's URL>`, so
 * that stdout is claimed for the protocol even when the consumer forgot `import 'kcl-ts/register'`:
 * a `console.log` at module load then goes to the log instead of the daemon.
 *
 * - It takes itself out of `NODE_OPTIONS`, so programs the consumer starts keep their own stdout.
 * - It marks the guarded `process.stdout.write` with the real one ({@link UNGUARDED_WRITE}): a consumer
 *   built on another copy of kcl-ts (another install folder) then still writes its protocol lines to
 *   the real stdout, not into this copy's guard.
 * @packageDocumentation
 */
import { UNGUARDED_WRITE } from './protocol/writer.js';

const realWrite = process.stdout.write;
const self = import.meta.url;
const options = process.env.NODE_OPTIONS;
if (options?.includes(self)) {
  const rest = options.replace(`--import ${self}`, '').replace(`--import=${self}`, '').replace(/\s+/g, ' ').trim();
  if (rest) process.env.NODE_OPTIONS = rest;
  else delete process.env.NODE_OPTIONS;
}
await import('./register.js');
const guarded = process.stdout.write as typeof process.stdout.write & { [UNGUARDED_WRITE]?: unknown };
if (guarded !== realWrite) guarded[UNGUARDED_WRITE] = realWrite;
