// End to end on the real MultiLangDaemon (KCL 3.1.3 from Maven Central), started by the real `kcl-ts run`
// launcher, against kinesis-local and dynalite. The tests of this file share the emulators and run
// in order; each app has its own stream and lease table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomPort, tempDir } from '../helpers.js';
import { putRecords, splitShardInHalf, type PutResult } from '../../src/local/kinesis.js';
import { clearLeaderLock, scanLeases } from '../../src/local/lease-table.js';
import {
  createApp,
  createStream,
  events,
  launch,
  processed,
  startEmulators,
  waitFor,
  type App,
  type Emulators,
  type Launcher,
  type ProcessedRecord,
  lastPerShard,
} from './stack.js';

let emu: Emulators;

before(async () => {
  emu = await startEmulators();
});

after(async () => {
  await emu?.stop();
});

/** Keys `key-0` … `key-(keys-1)`; the data of each record is `<key>:<n>` with n counting per key from `from`. */
function makeEntries(count: number, keys: number, from = 0): { partitionKey: string; data: string }[] {
  const counters = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const key = `key-${i % keys}`;
    const n = (counters.get(key) ?? from) + 1;
    counters.set(key, n);
    return { partitionKey: key, data: `${key}:${n}` };
  });
}

/** Per key, the counters in processing order must be strictly increasing. */
function assertPerKeyOrder(records: ProcessedRecord[]): void {
  const last = new Map<string, number>();
  for (const r of records) {
    const n = Number(r.data.split(':')[1]);
    const prev = last.get(r.partitionKey) ?? 0;
    assert.ok(n > prev, `key ${r.partitionKey}: record ${n} processed after ${prev}`);
    last.set(r.partitionKey, n);
  }
}


async function checkpointsEqual(app: App, expected: Map<string, string>): Promise<boolean> {
  const leases = await scanLeases(emu.dynamodb, app.name);
  return [...expected].every(([shard, seq]) => leases.find((l) => l.leaseKey === shard)?.checkpoint === seq);
}

async function stop(launcher: Launcher): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  launcher.child.kill('SIGTERM');
  const code = await launcher.exited;
  return { code, ms: Date.now() - t0 };
}

let main: App;
let firstPuts: PutResult[] = [];

test('2 shards, 5,000 records over 100 keys: all processed once, per-key order, checkpoints at the last records; SIGTERM shuts down cleanly', async () => {
  const shards = await createStream(emu.kinesis, 'orders', 2);
  main = await createApp(emu, 'e2e-main', 'orders', shards);
  const launcher = launch(main);
  await waitFor('both shards initialized', () => events(main).filter((e) => e.action === 'initialize').length === 2, 120_000, launcher);

  firstPuts = await putRecords(emu.kinesis, 'orders', makeEntries(5000, 100));
  assert.equal(new Set(firstPuts.map((p) => p.shardId)).size, 2, 'records spread over both shards');
  await waitFor('5,000 records processed', () => processed(main).length >= 5000, 120_000, launcher);

  const records = processed(main);
  assert.equal(records.length, 5000, 'no record processed twice');
  assert.deepEqual(new Set(records.map((r) => r.sequenceNumber)), new Set(firstPuts.map((p) => p.sequenceNumber)));
  assertPerKeyOrder(records);
  const last = lastPerShard(firstPuts);
  await waitFor('lease checkpoints at the last sequence numbers', () => checkpointsEqual(main, last), 20_000, launcher);

  const sigtermAt = Date.now();
  const { code, ms } = await stop(launcher);
  assert.equal(code, 0, `launcher exit code after SIGTERM\n${launcher.output().slice(-2000)}`);
  assert.ok(ms < 8000 + 5000, `shut down in ${ms} ms (shutdownGraceMillis 8000)`);
  const after = events(main).filter((e) => e.at >= sigtermAt);
  for (const shard of last.keys()) {
    assert.ok(after.some((e) => e.shardId === shard && e.action === 'shutdownRequested'), `${shard} got shutdownRequested`);
  }
  assert.ok(await checkpointsEqual(main, last), 'final checkpoints still at the last records');
});

test('a restart resumes after the checkpoint: nothing before it is processed again', async () => {
  assert.ok(main, 'runs after the first test');
  await clearLeaderLock(emu.dynamodb, main.name);
  const launcher = launch(main);
  const morePuts = await putRecords(emu.kinesis, 'orders', makeEntries(500, 100, 50));
  await waitFor('500 more records processed', () => processed(main).length >= 5500, 120_000, launcher);
  await waitFor('checkpoints at the new last records', () => checkpointsEqual(main, lastPerShard(morePuts)), 20_000, launcher);
  const records = processed(main);
  assert.equal(records.length, 5500, 'no record processed twice across the restart');
  assert.deepEqual(new Set(records.slice(5000).map((r) => r.sequenceNumber)), new Set(morePuts.map((p) => p.sequenceNumber)));
  assertPerKeyOrder(records);
  const { code } = await stop(launcher);
  assert.equal(code, 0);
});

test('resharding: the parent gets shardEnded and checkpoints SHARD_END, the child shards start and process', async () => {
  const [parent] = await createStream(emu.kinesis, 'reshard', 1);
  const app = await createApp(emu, 'e2e-split', 'reshard', [parent!]);
  const launcher = launch(app);
  await waitFor('the shard initialized', () => events(app).some((e) => e.action === 'initialize'), 120_000, launcher);
  await putRecords(emu.kinesis, 'reshard', makeEntries(200, 20));
  await waitFor('200 records processed', () => processed(app).length >= 200, 60_000, launcher);

  await splitShardInHalf(emu.kinesis, 'reshard', parent!);
  await waitFor('shardEnded on the parent', () => events(app).some((e) => e.action === 'shardEnded' && e.shardId === parent), 60_000, launcher);
  await waitFor(
    'SHARD_END checkpoint of the parent',
    async () => (await scanLeases(emu.dynamodb, app.name)).find((l) => l.leaseKey === parent)?.checkpoint === 'SHARD_END',
    20_000,
    launcher,
  );
  await waitFor('both child shards initialized', () => new Set(events(app).filter((e) => e.action === 'initialize' && e.shardId !== parent).map((e) => e.shardId)).size === 2, 60_000, launcher);

  const childPuts = await putRecords(emu.kinesis, 'reshard', makeEntries(200, 20, 10));
  await waitFor('records of the child shards processed', () => processed(app).length >= 400, 60_000, launcher);
  const children = new Set(processed(app).slice(200).map((r) => r.shardId));
  assert.ok(!children.has(parent!), 'new records come from the child shards');
  assert.deepEqual(children, new Set(childPuts.map((p) => p.shardId)));
  assertPerKeyOrder(processed(app));
  const { code } = await stop(launcher);
  assert.equal(code, 0);
});

test('run({ handle }) on the real daemon: 2 shards, 10,000 records over 200 keys, random latency: all processed once, per-key order, final checkpoints at the last records', async () => {
  const shards = await createStream(emu.kinesis, 'handled', 2);
  const app = await createApp(emu, 'e2e-handle', 'handled', shards, 'e2e-handle-processor');
  const launcher = launch(app);
  // The stream keeps the records; the app reads from TRIM_HORIZON whenever its leases start.
  const puts = await putRecords(emu.kinesis, 'handled', makeEntries(10_000, 200));
  await waitFor('10,000 records processed', () => processed(app).length >= 10_000, 180_000, launcher);
  const records = processed(app);
  assert.equal(records.length, 10_000, 'each record processed once');
  assert.deepEqual(new Set(records.map((r) => r.sequenceNumber)), new Set(puts.map((p) => p.sequenceNumber)));
  assertPerKeyOrder(records);
  const { code } = await stop(launcher);
  assert.equal(code, 0, launcher.output().slice(-2000));
  assert.ok(await checkpointsEqual(app, lastPerShard(puts)), 'final checkpoints at the last sequence numbers');
});

test('the README first command: `kcl-ts local --records 100` brings up the stack, processes the demo records, stops cleanly', async () => {
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const { repoRoot } = await import('./stack.js');
  const port = () => String(randomPort());
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kcl-ts.js'), 'local', '--records', '100', '--rate', '50', '--kinesis-port', port(), '--dynamodb-port', port(), '--work-dir', join(emu.work, 'local')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its work folder (made in the OS temp folder) lands in one of ours, removed when the tests end.
    env: { ...process.env, TMPDIR: tempDir('kcl-ts-readme-') },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const work = /work folder (\S+)/.exec(out)?.[1];
  try {
    assert.equal(code, 0, out.slice(-3000));
    assert.match(out, /all 100 records checkpointed: shutting down/);
    assert.match(out, /daemon stopped \(exit 0\); final: put 100\/100 · processed 100 · checkpointed 100 · /);
    assert.match(out, /kcl-ts local: done: all 100 records checkpointed\nemulators stopped\n$/);
    // The known-harmless daemon WARN lines stay in daemon.log and out of the view.
    const { readFileSync } = await import('node:fs');
    const daemonLog = readFileSync(join(work!, 'daemon.log'), 'utf8');
    for (const line of daemonLog.split('\n').filter((l) => / WARN .*Not able to assign all expiredOrUnAssignedLeases$/.test(l))) {
      assert.ok(!out.includes(line), `${line} is shown`);
    }
  } finally {
    if (work) (await import('node:fs')).rmSync(work, { recursive: true, force: true });
  }
});
