// A real dynalite for the test file that calls useDynalite(): started before its tests (on a random
// port), stopped after them, with a work folder for its log and the test's files, removed at the end.
import { after, before } from 'node:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDynalite } from '../../src/local/emulators.js';
import type { ServiceProcess } from '../../src/local/process.js';
import { randomPort, tempDir } from '../helpers.js';

/** The running dynalite of this test file. */
export interface DynaliteFixture {
  /** The work folder (dynamodb.log and whatever the tests write). */
  readonly work: string;
  /** dynalite's endpoint URL (set once `before` ran). */
  readonly endpoint: string;
}

/** Registers the `before`/`after` hooks that start and stop dynalite; read `endpoint` inside tests. */
export function useDynalite(prefix: string): DynaliteFixture {
  const work = tempDir(prefix);
  let dynamo: { process: ServiceProcess; endpoint: string } | undefined;
  before(async () => {
    dynamo = await startDynalite({ port: randomPort(), env: process.env, logFile: join(work, 'dynamodb.log') });
  });
  after(async () => {
    await dynamo?.process.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return {
    work,
    get endpoint() {
      if (!dynamo) throw new Error('dynalite is not started yet: read endpoint inside a test');
      return dynamo.endpoint;
    },
  };
}
