// `kcl-ts local` in a user's project that installed kcl-ts from the packed tarball (not this repository):
// `npm pack`, `npm install <tarball>` into a new project, `npx kcl-ts local --records 20`. The emulators are
// not dependencies of kcl-ts: the run installs the pinned set (emulators/package-lock.json) into an empty
// KCL_TS_EMULATORS_DIR with npm ci, then processes the records. Needs the npm registry (or npm's cache).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../e2e/stack.js';
import { randomPort, tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-tarball-');
after(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its scripts. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.toLowerCase().startsWith('npm_') || ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(k.toLowerCase())) env[k] = v;
  }
  for (const k of ['KCL_TS_LOG_DEST', 'NODE_OPTIONS']) delete env[k];
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      output += `\n[test] killed after ${timeoutMs} ms`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function du(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += du(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

test('a project that installed the packed tarball runs `npx kcl-ts local --records 20` to completion', { timeout: 300_000 }, async (t) => {
  const env = userEnv({ KCL_TS_EMULATORS_DIR: join(work, 'emulators') });
  const pack = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], repoRoot, env, 60_000);
  assert.equal(pack.code, 0, pack.output);
  const tarball = join(work, pack.output.trim().split('\n').pop()!);
  assert.ok(existsSync(tarball), tarball);
  const list = await run('tar', ['tzf', tarball], work, env, 30_000);
  assert.match(list.output, /^package\/emulators\/package-lock\.json$/m, 'the pinned emulator set ships in the tarball');
  assert.match(list.output, /^package\/dist\/local\/loopback-preload\.js$/m);
  assert.doesNotMatch(list.output, /dynamodb[-_ ]?local/i, 'nothing of DynamoDB Local in the package');

  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'tarball-user', version: '1.0.0', private: true, type: 'module' })}\n`);
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], project, env, 180_000);
  assert.equal(install.code, 0, install.output);
  assert.ok(!existsSync(join(project, 'node_modules', 'kinesis-local')) && !existsSync(join(project, 'node_modules', 'dynalite')), 'no emulator comes with kcl-ts');
  t.diagnostic(`project node_modules after installing kcl-ts: ${(du(join(project, 'node_modules')) / 1e6).toFixed(1)} MB`);

  const port = randomPort();
  const local = await run('npx', ['kcl-ts', 'local', '--records', '20', '--rate', '50', '--kinesis-port', String(port), '--dynamodb-port', String(port + 2), '--work-dir', join(work, 'local-run')], project, env, 240_000);
  assert.equal(local.code, 0, local.output.slice(-4000));
  assert.match(local.output, /installing the emulators kinesis-local@[\d.]+, dynalite@[\d.]+/);
  assert.match(local.output, /DynamoDB emulator \(dynalite\) on http:\/\/127\.0\.0\.1:/);
  assert.match(local.output, /first record [\d.]+ s after the emulators were up/);
  assert.match(local.output, /daemon stopped \(exit 0\); final: put 20\/20 · processed 20 · checkpointed 20 · /);
  t.diagnostic(`emulators installed on demand: ${(du(join(work, 'emulators')) / 1e6).toFixed(1)} MB`);
});
