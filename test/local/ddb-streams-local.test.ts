// `kcl-ts local --source dynamodb-streams` without Java: runLocalStreams with a stand-in for the bridge
// that reads the generated properties, follows the stream's shard lineage (parents first) through the
// Streams API and feeds the real demo consumer over the multilang protocol, as maven/streams-bridge/RECORDS.md says
// the bridge does. The real bridge on this stack is covered by the bridge's own e2e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DaemonRunOptions } from '../../src/launcher/run.js';
import { awsJson } from '../../src/local/aws-json.js';
import { runLocalStreams } from '../../src/local/ddb-streams/local-run.js';
import { dynamodbPartitionKey } from '../../src/processor/index.js';
import type { WireRecord } from '../../src/protocol/index.js';
import { FakeDaemon } from '../../src/testing/index.js';
import { tempDir } from '../helpers.js';

interface StreamRecord {
  dynamodb: { Keys: Record<string, unknown>; SequenceNumber: string; ApproximateCreationDateTime: number };
}

const toWire = (r: StreamRecord): WireRecord => ({
  action: 'record',
  data: Buffer.from(JSON.stringify(r)).toString('base64'),
  partitionKey: dynamodbPartitionKey(r.dynamodb.Keys),
  sequenceNumber: r.dynamodb.SequenceNumber,
  subSequenceNumber: 0,
  approximateArrivalTimestamp: r.dynamodb.ApproximateCreationDateTime * 1000,
});

/** Stands in for the bridge: one shard at a time, a shard only after its parent reached SHARD_END. */
function fakeBridge(seen: { properties: Record<string, string>; shardOrder: string[] }) {
  return async (o: DaemonRunOptions): Promise<number> => {
    const props = Object.fromEntries(
      readFileSync(o.propertiesFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes(' = '))
        .map((l) => [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)]),
    );
    seen.properties = props;
    const endpoint = props['kcl-ts.dynamoDBStreamsEndpoint']!;
    const arn = props.streamArn!;
    const [command, ...args] = props.executableName!.split(' ');
    let stop = false;
    o.signals!.on('SIGTERM', () => (stop = true));
    o.onStart?.(undefined as unknown as ChildProcess);
    const ended = new Set<string>();
    while (!stop) {
      const { StreamDescription } = await awsJson<{ StreamDescription: { Shards: { ShardId: string; ParentShardId?: string }[] } }>(endpoint, 'dynamodbstreams', 'DescribeStream', { StreamArn: arn });
      const shard = StreamDescription.Shards.find((s) => !ended.has(s.ShardId) && (!s.ParentShardId || ended.has(s.ParentShardId)))!;
      seen.shardOrder.push(shard.ShardId);
      const child = FakeDaemon.spawn(command!, args, { env: o.io.env });
      await child.initialize(shard.ShardId);
      let { ShardIterator: it } = await awsJson<{ ShardIterator?: string }>(endpoint, 'dynamodbstreams', 'GetShardIterator', { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
      for (;;) {
        const page = await awsJson<{ Records: StreamRecord[]; NextShardIterator?: string }>(endpoint, 'dynamodbstreams', 'GetRecords', { ShardIterator: it });
        if (page.Records.length > 0) await child.processRecords(page.Records.map(toWire));
        if (!page.NextShardIterator) {
          await child.shardEnded();
          ended.add(shard.ShardId);
          break;
        }
        if (stop) {
          await child.shutdownRequested();
          await child.leaseLost(); // as the daemon does after a graceful shutdown
          break;
        }
        it = page.NextShardIterator;
        if (page.Records.length === 0) await sleep(50);
      }
      const exit = await child.close();
      assert.equal(exit, 0, child.stderrLines.join("\n") + readFileSync(o.io.env.KCL_TS_LOG_DEST!, "utf8").slice(-3000));
    }
    return 0;
  };
}

test('kcl-ts local --source dynamodb-streams: table with a stream, bridge properties, demo changes processed in item order across shard rollovers', async () => {
  const work = tempDir('kcl-ts-local-streams-');
  const out: string[] = [];
  const seen = { properties: {} as Record<string, string>, shardOrder: [] as string[] };
  try {
    const code = await runLocalStreams({
      io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => true }, env: { ...process.env }, cwd: process.cwd() },
      dynamodbPort: 0,
      workDir: work,
      records: 60,
      rate: 100,
      rolloverRecords: 25,
      consumer: undefined,
      daemon: fakeBridge(seen),
    });
    assert.equal(code, 0, out.join(''));
    assert.equal(seen.properties['kcl-ts.source'], 'dynamodb-streams');
    assert.match(seen.properties.streamArn!, /^arn:aws:dynamodb:us-east-1:\d{12}:table\/kcl-ts-demo\/stream\//);
    assert.equal(seen.properties['kcl-ts.dynamoDBStreamsEndpoint'], seen.properties.dynamoDBEndpoint);
    assert.equal(seen.properties.applicationName, 'kcl-ts-demo-app');
    assert.ok(seen.shardOrder.length >= 3, `60 changes at 25 per shard span 3 shards (${seen.shardOrder.length})`);
    const lines = readFileSync(join(work, 'processed.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { shardId: string; id: string; eventName: string; version: number; partitionKey: string });
    assert.equal(lines.length, 60);
    const byItem = new Map<string, string[]>();
    for (const l of lines) (byItem.get(l.id) ?? byItem.set(l.id, []).get(l.id)!).push(`${l.eventName}:${l.version}`);
    assert.equal(byItem.size, 10);
    for (const [id, changes] of byItem) assert.deepEqual(changes, ['INSERT:0', 'MODIFY:1', 'MODIFY:2', 'MODIFY:3', 'MODIFY:4', 'REMOVE:4'], id);
    const shardsSeen = [...new Set(lines.map((l) => l.shardId))];
    assert.deepEqual(shardsSeen, seen.shardOrder.slice(0, shardsSeen.length), 'parents processed before children');
    assert.ok(out.join('').includes('all 60 changes processed'), out.join(''));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
