// Failure handling end to end on the real MultiLangDaemon: dead letters and their replay, stop-shard
// with a restart from the checkpoint, and the batch run's exit code and summary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { putRecords } from '../../src/local/kinesis.js';
import { clearLeaderLock, scanLeases } from '../../src/local/lease-table.js';
import type { DeadLetter } from '../../src/failure/index.js';
import { AWS_ENV, lastPerShard, createApp, createStream, launch, processed, repoRoot, startEmulators, waitFor, type App, type Emulators } from './stack.js';

let emu: Emulators;

before(async () => {
  emu = await startEmulators();
});

after(async () => {
  await emu?.stop();
});

const entries = (count: number, keys: number) => Array.from({ length: count }, (_, i) => ({ partitionKey: `key-${i % keys}`, data: `record-${i}` }));

function deadLetters(app: App): DeadLetter[] {
  const dir = join(app.out, 'dlq');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DeadLetter));
}


function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kcl-ts.js'), ...args], { env: { ...process.env, ...AWS_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

test("'dead-letter': the sink holds exactly the failing records, checkpoints pass them; replay puts them back and they are processed", async () => {
  const shards = await createStream(emu.kinesis, 'dl', 2);
  const app = await createApp(emu, 'e2e-dl', 'dl', shards, 'e2e-failing-processor');
  const poison = ['record-7', 'record-42', 'record-43', 'record-150', 'record-299'];
  writeFileSync(join(app.out, 'poison.txt'), poison.join('\n'));
  const env = { E2E_POLICY: 'dead-letter' };
  let launcher = launch(app, { env });
  const puts = await putRecords(emu.kinesis, 'dl', entries(300, 30));
  await waitFor('295 processed and 5 dead-lettered', () => processed(app).length >= 295 && deadLetters(app).length >= 5, 120_000, launcher);
  const dl = deadLetters(app);
  assert.deepEqual(dl.map((d) => Buffer.from(d.data, 'base64').toString()).sort(), [...poison].sort());
  assert.ok(dl.every((d) => d.application === 'e2e-dl' && d.stream === 'dl' && d.attempts === 2 && /poison record/.test(d.error.message)));
  assert.equal(processed(app).length, 295);
  const last = lastPerShard(puts);
  await waitFor(
    'checkpoints at the last records, past the dead letters',
    async () => {
      const leases = await scanLeases(emu.dynamodb, app.name);
      return [...last].every(([shard, seq]) => leases.find((l) => l.leaseKey === shard)?.checkpoint === seq);
    },
    20_000,
    launcher,
  );
  launcher.child.kill('SIGTERM');
  assert.equal(await launcher.exited, 0);

  // The cause is fixed: replay the dead letters into the stream, and the running app processes them.
  rmSync(join(app.out, 'poison.txt'));
  const dry = await cli(['replay', '--from', `file:${join(app.out, 'dlq')}`, '--to-stream', 'dl', '--endpoint', emu.kinesis, '--dry-run']);
  assert.equal(dry.code, 0, dry.out);
  assert.equal(deadLetters(app).length, 5, '--dry-run changes nothing');
  const replayed = await cli(['replay', '--from', `file:${join(app.out, 'dlq')}`, '--to-stream', 'dl', '--endpoint', emu.kinesis]);
  assert.equal(replayed.code, 0, replayed.out);
  assert.match(replayed.out, /5 dead letters, 5 replayed, 0 failed/);
  assert.equal(deadLetters(app).length, 0, 'replayed entries are removed from the dead letters');
  await clearLeaderLock(emu.dynamodb, app.name);
  launcher = launch(app, { env });
  await waitFor('the replayed records processed', () => processed(app).length >= 300, 120_000, launcher);
  assert.deepEqual(processed(app).slice(295).map((r) => r.data).sort(), [...poison].sort());
  launcher.child.kill('SIGTERM');
  assert.equal(await launcher.exited, 0);
});

test("'stop-shard': the lease checkpoint stays at the watermark before the first failure, the batch run exits 10 with a summary, a restart resumes there", async () => {
  const [shard] = await createStream(emu.kinesis, 'ss', 1);
  const app = await createApp(emu, 'e2e-ss', 'ss', [shard!], 'e2e-failing-processor');
  writeFileSync(join(app.out, 'poison.txt'), 'record-60\n');
  const summaryFile = join(app.out, 'summary.json');
  const puts = await putRecords(emu.kinesis, 'ss', entries(120, 10));
  const launcher = launch(app, { env: { E2E_POLICY: 'stop-shard' }, args: ['--stop-on-failure', '--summary', summaryFile, '--max-runtime', '3m'] });
  const code = await launcher.exited;
  assert.equal(code, 10, launcher.output().slice(-3000));
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { reason: string; shards: { shardId: string; stoppedOnFailure: boolean; failure?: { sequenceNumber: string }; lastCheckpoint?: { sequenceNumber: string } }[] };
  assert.equal(summary.reason, 'stop-on-failure');
  const failedAt = puts[60]!.sequenceNumber;
  assert.equal(summary.shards[0]!.stoppedOnFailure, true);
  assert.equal(summary.shards[0]!.failure!.sequenceNumber, failedAt);
  const lease = (await scanLeases(emu.dynamodb, app.name)).find((l) => l.leaseKey === shard)!;
  // The checkpoint is the watermark: never past the failure, every record up to it finished, the next one
  // did not (the failure, or another key's record the stop left unstarted).
  const at = puts.findIndex((p) => p.sequenceNumber === lease.checkpoint);
  assert.ok(at >= 0 && at < 60, `checkpoint at or before the record before the first failure (index ${at})`);
  const firstRun = new Set(processed(app).map((r) => Number(r.data.split('-')[1])));
  for (let i = 0; i <= at; i++) assert.ok(firstRun.has(i), `record ${i}, before the checkpoint, finished`);
  assert.ok(!firstRun.has(at + 1), 'the record after the checkpoint did not finish: the checkpoint is as far as it can safely go');
  assert.equal(summary.shards[0]!.lastCheckpoint!.sequenceNumber, lease.checkpoint);

  // Fixed: restart; processing resumes at the failed record, nothing before the checkpoint again.
  rmSync(join(app.out, 'poison.txt'));
  const before = processed(app).length;
  await clearLeaderLock(emu.dynamodb, app.name);
  const again = launch(app, { env: { E2E_POLICY: 'stop-shard' } });
  await waitFor('the rest processed', () => processed(app).slice(before).some((r) => r.data === 'record-119'), 120_000, again);
  const resumed = processed(app).slice(before);
  const indexes = resumed.map((r) => Number(r.data.split('-')[1]));
  assert.equal(Math.min(...indexes), at + 1, 'resumes right after the checkpoint: nothing up to it is processed again');
  assert.ok(indexes.includes(60), 'the failed record is processed after the restart');
  again.child.kill('SIGTERM');
  assert.equal(await again.exited, 0);
});
