// DynamoDB Streams end to end on the real bridge (maven/streams-bridge: KCL 3 + the DynamoDB Streams
// Kinesis Adapter driving the MultiLangDaemon's child-process record processor), started by the real
// `kcl-ts run`, against the local streams emulator (src/local/ddb-streams) with shard rollover.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsJson } from '../../src/local/aws-json.js';
import { startDynamoDbStreamsEmulator, type DynamoDbStreamsEmulator } from '../../src/local/ddb-streams/index.js';
import { createStreamTable, localStreamsProperties } from '../../src/local/ddb-streams/local-run.js';
import { clearLeaderLock, createLeaseTable, scanLeases, type Lease } from '../../src/local/lease-table.js';
import { fixtureDir, launch, waitFor, type App } from './stack.js';
import { tempDir } from '../helpers.js';

/** A change the producer made, as the processor logs it. */
interface Change {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  id: string;
  v: number;
}
interface Processed extends Change {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  hasNew: boolean;
  hasOld: boolean;
}

const ROLLOVER = 400;
let emu: DynamoDbStreamsEmulator;
let work: string;

before(async () => {
  work = tempDir('kcl-ts-e2e-ddb-');
  emu = await startDynamoDbStreamsEmulator({ port: 0, rollover: { records: ROLLOVER } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

interface StreamsApp extends App {
  table: string;
  streamArn: string;
}

/** A table with a NEW_AND_OLD_IMAGES stream, the KCL tables with a lease per shard, and the bridge's properties. */
async function createStreamsApp(name: string): Promise<StreamsApp> {
  const table = `${name}-items`;
  const streamArn = await createStreamTable(emu.endpoint, table);
  await createLeaseTable(emu.endpoint, name, emu.store.stream(streamArn).shards.map((s) => s.id));
  const out = join(work, name);
  mkdirSync(out, { recursive: true });
  const propertiesFile = join(out, `${name}.properties`);
  writeFileSync(propertiesFile, localStreamsProperties({ app: name, streamArn, consumer: join(fixtureDir, 'e2e-dynamodb-processor.js'), endpoint: emu.endpoint }));
  return { name, stream: streamArn, out, propertiesFile, table, streamArn };
}

/** A deterministic random source (so a failure can be replayed). */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/**
 * Makes `count` changes: first inserts items 0..items-1, then random updates, deletes and re-inserts.
 * Every write is one change; `v` counts each item's writes (a REMOVE carries the last v, its old image).
 */
async function change(app: StreamsApp, state: Map<string, ItemState>, count: number, items: number, seed: number): Promise<Change[]> {
  const next = random(seed);
  const made: Change[] = [];
  for (let i = 0; i < count; i++) {
    const id = state.size < items ? `item-${state.size}` : `item-${Math.floor(next() * items)}`;
    const item = state.get(id) ?? { v: 0, exists: false };
    state.set(id, item);
    if (item.exists && next() < 0.25) {
      await awsJson(emu.endpoint, 'dynamodb', 'DeleteItem', { TableName: app.table, Key: { id: { S: id } } });
      item.exists = false;
      made.push({ eventName: 'REMOVE', id, v: item.v });
      continue;
    }
    // A re-inserted item continues its count (v repeats for one item only on its REMOVE).
    item.v++;
    await awsJson(emu.endpoint, 'dynamodb', 'PutItem', { TableName: app.table, Item: { id: { S: id }, v: { N: String(item.v) }, pad: { S: 'x'.repeat(50) } } });
    made.push({ eventName: item.exists ? 'MODIFY' : 'INSERT', id, v: item.v });
    item.exists = true;
  }
  return made;
}
interface ItemState {
  v: number;
  exists: boolean;
}

const processed = (app: App): Processed[] => {
  try {
    return readFileSync(join(app.out, 'records.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Processed);
  } catch {
    return [];
  }
};

const byItem = <T extends Change>(list: readonly T[]): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const c of list) m.set(c.id, [...(m.get(c.id) ?? []), `${c.eventName}:${c.v}`]);
  return m;
};

const leasesOf = (app: StreamsApp): Promise<Lease[]> => scanLeases(emu.endpoint, app.name);

test('1,000 changes on 200 items across shard rollovers: each processed once, per item in order, parent before child, checkpoints at the ends; SIGTERM, restart and a batch run reprocess nothing', async () => {
  const app = await createStreamsApp('e2e-ddb');
  const state = new Map<string, ItemState>();
  let launcher = launch(app);
  const made = await change(app, state, 1000, 200, 17);
  const shards = emu.store.stream(app.streamArn).shards;
  assert.equal(shards.length, Math.ceil(1000 / ROLLOVER), 'the emulator rolled the stream over to child shards');
  await waitFor('1,000 changes processed', () => processed(app).length >= 1000, 240_000, launcher);

  // Every change exactly once, with the images of its kind, and the item's primary key as partition key.
  const done = processed(app);
  assert.equal(done.length, 1000);
  assert.equal(new Set(done.map((r) => r.sequenceNumber)).size, 1000, 'no change processed twice');
  assert.deepEqual(byItem(done), byItem(made), 'per item: every change, in the order it was made');
  for (const r of done) {
    assert.equal(r.partitionKey, JSON.stringify({ id: { S: r.id } }));
    assert.deepEqual([r.hasNew, r.hasOld], r.eventName === 'INSERT' ? [true, false] : r.eventName === 'REMOVE' ? [false, true] : [true, true], `${r.eventName} images`);
  }
  // Parent before child: all of a shard's changes were finished before any of its child's.
  const order = shards.map((s) => s.id);
  const firstOf = (id: string) => done.findIndex((r) => r.shardId === id);
  const lastOf = (id: string) => done.map((r) => r.shardId).lastIndexOf(id);
  for (let i = 1; i < order.length; i++) assert.ok(lastOf(order[i - 1]!) < firstOf(order[i]!), `${order[i - 1]} finished before ${order[i]} began`);

  // Checkpoints: closed shards at SHARD_END, the open one at its last change.
  const lastSeq = [...done].sort((a, b) => a.sequenceNumber.localeCompare(b.sequenceNumber)).at(-1)!.sequenceNumber;
  await waitFor(
    'checkpoints at the last records',
    async () => {
      const leases = await leasesOf(app);
      return order.every((id, i) => leases.find((l) => l.leaseKey === id)?.checkpoint === (i < order.length - 1 ? 'SHARD_END' : lastSeq));
    },
    30_000,
    launcher,
  );

  // SIGTERM: a graceful stop, exit 0.
  launcher.child.kill('SIGTERM');
  assert.equal(await launcher.exited, 0, launcher.output().slice(-3000));
  assert.match(launcher.output(), /run summary \(signal\)/);
  // The stop did not wait out shutdownGraceMillis for the consumers of ended shards (their leases stay).
  assert.doesNotMatch(launcher.output(), /Encountered an error during shutdown|did not complete within shutdownGraceMillis/);

  // Restart: only the new changes are processed.
  await clearLeaderLock(emu.endpoint, app.name);
  launcher = launch(app);
  const more = await change(app, state, 100, 200, 23);
  await waitFor('100 more changes processed', () => processed(app).length >= 1100, 180_000, launcher);
  launcher.child.kill('SIGTERM');
  assert.equal(await launcher.exited, 0, launcher.output().slice(-3000));
  const after = processed(app);
  assert.equal(after.length, 1100, 'nothing processed again after the restart');
  assert.equal(new Set(after.map((r) => r.sequenceNumber)).size, 1100);
  assert.deepEqual(byItem(after.slice(1000)), byItem(more));

  // A batch run: --max-runtime stops it gracefully, exit 0, with a summary of what it did.
  const batch = await change(app, state, 50, 200, 31);
  await clearLeaderLock(emu.endpoint, app.name);
  const summaryFile = join(app.out, 'summary.json');
  launcher = launch(app, { args: ['--max-runtime', '45s', '--summary', summaryFile] });
  assert.equal(await launcher.exited, 0, launcher.output().slice(-3000));
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { reason: string; exitCode: number; shards: { processed: number }[] };
  assert.equal(summary.reason, 'max-runtime');
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.shards.reduce((n, s) => n + s.processed, 0), 50);
  assert.equal(processed(app).length, 1150);
  assert.deepEqual(byItem(processed(app).slice(1100)), byItem(batch));
});

test('--stop-on-failure: a failing change stops the batch run with exit 10, the checkpoint never past it; a restart resumes right after the checkpoint', async () => {
  const app = await createStreamsApp('e2e-ddb-stop');
  const state = new Map<string, ItemState>();
  const made = await change(app, state, 120, 10, 5);
  const failing = made[70]!;
  writeFileSync(join(app.out, 'poison.txt'), `${failing.id}:${failing.v}:${failing.eventName}\n`);
  const seqs = emu.store.stream(app.streamArn).shards.flatMap((s) => s.records.map((r) => r.dynamodb.SequenceNumber));
  const summaryFile = join(app.out, 'summary.json');
  const launcher = launch(app, { args: ['--stop-on-failure', '--summary', summaryFile, '--max-runtime', '3m'] });
  assert.equal(await launcher.exited, 10, launcher.output().slice(-3000));
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { reason: string; shards: { stoppedOnFailure: boolean; failure?: { sequenceNumber: string }; lastCheckpoint?: { sequenceNumber: string } }[] };
  assert.equal(summary.reason, 'stop-on-failure');
  const stopped = summary.shards.find((s) => s.stoppedOnFailure)!;
  assert.equal(stopped.failure!.sequenceNumber, seqs[70]);
  const lease = (await leasesOf(app)).find((l) => l.leaseKey === emu.store.stream(app.streamArn).shards[0]!.id)!;
  // The checkpoint is the watermark: never past the failed change, every change up to it finished, and the
  // one after it did not (the failed change itself, or another item's change the stop left unstarted; with
  // 16 handlers at once that can be a few before the failure).
  const at = seqs.indexOf(lease.checkpoint!);
  assert.ok(at >= 0 && at < 70, `checkpoint at or before the change before the failed one (index ${at})`);
  const firstRun = new Set(processed(app).map((r) => r.sequenceNumber));
  assert.deepEqual(seqs.slice(0, at + 1).filter((s) => !firstRun.has(s)), [], 'changes up to the checkpoint all finished');
  assert.ok(!firstRun.has(seqs[at + 1]!), 'the change after the checkpoint did not finish: the checkpoint is as far as it can safely go');
  assert.equal(stopped.lastCheckpoint!.sequenceNumber, lease.checkpoint);

  // Fixed: the restart resumes at the failed change; nothing before the checkpoint is processed again.
  rmSync(join(app.out, 'poison.txt'));
  const before = processed(app).length;
  await clearLeaderLock(emu.endpoint, app.name);
  const again = launch(app);
  await waitFor('the rest processed', () => processed(app).slice(before).some((r) => r.sequenceNumber === seqs[119]), 180_000, again);
  again.child.kill('SIGTERM');
  assert.equal(await again.exited, 0, again.output().slice(-4000));
  const resumed = new Set(processed(app).slice(before).map((r) => r.sequenceNumber));
  assert.deepEqual(seqs.slice(0, at + 1).filter((s) => resumed.has(s)), [], 'nothing up to the checkpoint is processed again');
  assert.deepEqual(seqs.slice(at + 1).filter((s) => !resumed.has(s)), [], 'resumes right after the checkpoint: every later change, the failed one included');
});
