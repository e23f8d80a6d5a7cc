import { setTimeout as sleep } from 'node:timers/promises';
import { awsJson } from './aws-json.js';

/** A record to put. */
export interface PutEntry {
  partitionKey: string;
  data: Buffer | string;
}

/** Where a put record landed. */
export interface PutResult {
  partitionKey: string;
  shardId: string;
  sequenceNumber: string;
}

interface PutRecordsResponse {
  FailedRecordCount?: number;
  Records: { ShardId?: string; SequenceNumber?: string; ErrorCode?: string }[];
}

/**
 * Puts records in order, up to 500 per PutRecords call, re-putting failed entries. Records of one key
 * keep their order because each call waits for the previous one and a failed entry is retried before
 * any later entry of the same call's successors is sent.
 */
export async function putRecords(endpoint: string, stream: string, entries: readonly PutEntry[]): Promise<PutResult[]> {
  const results: PutResult[] = [];
  for (let i = 0; i < entries.length; ) {
    const chunk = entries.slice(i, i + 500);
    const res = await awsJson<PutRecordsResponse>(endpoint, 'kinesis', 'PutRecords', {
      StreamName: stream,
      Records: chunk.map((e) => ({
        PartitionKey: e.partitionKey,
        Data: (typeof e.data === 'string' ? Buffer.from(e.data) : e.data).toString('base64'),
      })),
    });
    // Keep the prefix that succeeded; retry from the first failure so per-key order holds.
    let ok = 0;
    while (ok < res.Records.length && !res.Records[ok]!.ErrorCode) {
      const r = res.Records[ok]!;
      results.push({ partitionKey: chunk[ok]!.partitionKey, shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! });
      ok++;
    }
    if (ok < chunk.length) await sleep(50);
    i += ok;
  }
  return results;
}

export async function listShards(endpoint: string, stream: string): Promise<{ ShardId: string; ParentShardId?: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange: { EndingSequenceNumber?: string } }[]> {
  const res = await awsJson<{ Shards: never[] }>(endpoint, 'kinesis', 'ListShards', { StreamName: stream });
  return res.Shards;
}

/** Splits `shardId` at the middle of its hash range and waits until the stream is ACTIVE again. */
export async function splitShardInHalf(endpoint: string, stream: string, shardId: string): Promise<void> {
  const shard = (await listShards(endpoint, stream)).find((s) => s.ShardId === shardId);
  if (!shard) throw new Error(`no shard ${shardId} in ${stream}`);
  const start = BigInt(shard.HashKeyRange.StartingHashKey);
  const end = BigInt(shard.HashKeyRange.EndingHashKey);
  await awsJson(endpoint, 'kinesis', 'SplitShard', {
    StreamName: stream,
    ShardToSplit: shardId,
    NewStartingHashKey: ((start + end) / 2n).toString(),
  });
  for (let i = 0; i < 100; i++) {
    const s = await awsJson<{ StreamDescriptionSummary: { StreamStatus: string } }>(endpoint, 'kinesis', 'DescribeStreamSummary', { StreamName: stream });
    if (s.StreamDescriptionSummary.StreamStatus === 'ACTIVE') return;
    await sleep(100);
  }
  throw new Error(`stream ${stream} did not become ACTIVE after splitting ${shardId}`);
}
