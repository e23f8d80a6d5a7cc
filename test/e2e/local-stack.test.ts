// `kcl-ts local --consumer FILE --records N` end to end (real daemon, kinesis-local, dynalite): the run
// ends on what the lease table says, failures and dead letters show as they happen, and a run that
// cannot finish says why and exits non-zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertPortFree } from '../../src/local/process.js';
import { fixture, randomPort, tempDir } from '../helpers.js';
import { repoRoot } from './stack.js';

const port = () => String(randomPort());

/** Runs `kcl-ts local --consumer <fixture local-consumer> ...args` with the fixture's mode; resolves with its exit code and output. */
async function local(mode: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const work = tempDir('kcl-ts-e2e-local-');
  try {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'kcl-ts.js'), 'local', '--consumer', fixture('local-consumer'), '--rate', '50', '--kinesis-port', port(), '--dynamodb-port', port(), '--work-dir', work, ...args],
      { env: { ...process.env, LOCAL_FIXTURE_MODE: mode, LOCAL_FIXTURE_DIR: work }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, out };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('a shard that stops on a failed record shows at once (record, error), in the status line, and ends a --records run with exit 10 and the reason', async () => {
  const { code, out } = await local('stop-shard', ['--records', '60']);
  assert.equal(code, 10, out.slice(-3000));
  assert.match(out, /\nshardId-\d+ STOPPED on a failed record \(onFailure 'stop-shard'\): key customer-6, sequence …\d{8}: .*cannot process order-7\. Nothing after it is checkpointed/);
  assert.match(out, /\nput \d+\/60 · processed \d+ · checkpointed \d+ · dead-lettered 0 · failed 1 · checkpoints: .*STOPPED/);
  assert.match(out, /\nkcl-ts local: FAILED: shardId-\d+ stopped on a failed record, so \d+ of 60 records \(from the failed one on\) can never be checkpointed\n/);
  assert.doesNotMatch(out, /done: all/);
  // The records it names are exactly those of the stopped shard past its final checkpoint.
  const [, shard, lost] = /FAILED: (shardId-\d+) stopped on a failed record, so (\d+) of 60/.exec(out)!;
  const [, done, put] = new RegExp(`not checkpointed before the stop \\(.*${shard}: (\\d+) of (\\d+) at `).exec(out)!;
  assert.equal(Number(lost), Number(put) - Number(done), out.slice(-1500));
});

test('dead letters show as they happen; checkpoints pass them, so a --records run completes with exit 0 (completion read from the lease table, not the consumer)', async () => {
  const { code, out } = await local('dead-letter', ['--records', '60']);
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /\nshardId-\d+: \d record\(s\) dead-lettered \(\d in all\)\n/);
  assert.match(out, /\nput 60\/60 · processed 58 · checkpointed 60 · dead-lettered 2 · failed 0 · checkpoints: /);
  assert.match(out, /\nall 60 records checkpointed: shutting down\n/);
  assert.match(out, /\nkcl-ts local: done: all 60 records checkpointed\nemulators stopped\n$/);
});

test('records that are never checkpointed end a --records run at --timeout with exit 124 and how far each shard got', async () => {
  const { code, out } = await local('hang', ['--records', '40', '--timeout', '25s']);
  assert.equal(code, 124, out.slice(-3000));
  assert.match(out, /\nkcl-ts local: FAILED: timed out after 25 s with \d+ of 40 records checkpointed \(shardId-\d+: \d+ of \d+ at [^)]+\)\n/);
  assert.match(out, /\nemulators stopped\n$/);
});

test('Ctrl-C while the stack starts stops it after the current step: the emulators do not outlive it (exit 130)', async () => {
  const work = tempDir('kcl-ts-e2e-local-');
  const [kinesisPort, dynamodbPort] = [port(), port()];
  try {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kcl-ts.js'), 'local', '--kinesis-port', kinesisPort, '--dynamodb-port', dynamodbPort, '--work-dir', work], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => {
      const onData = (c: Buffer) => {
        out += c.toString();
        if (out.includes('Kinesis emulator (kinesis-local) on')) {
          child.stdout.off('data', onData);
          child.stdout.on('data', (more: Buffer) => (out += more.toString()));
          child.kill('SIGINT'); // dynalite is starting now
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    });
    const code = await exited;
    assert.equal(code, 130, out);
    assert.match(out, /SIGINT: stopping once the current start-up step is done\n(.|\n)*emulators stopped\n$/);
    assert.doesNotMatch(out, /kcl-ts: starting/, 'the daemon never started');
    for (const p of [kinesisPort, dynamodbPort]) await assertPortFree(Number(p), 'emulator', 'x');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
