import { setTimeout as sleep } from 'node:timers/promises';
import { awsJson, AwsCallError } from '../../local/aws-json.js';
import { awsClientConfig, awsErrorText, loadOptional } from '../aws.js';
import type { DeadLetter } from '../types.js';

/** One record of a PutRecords call. */
export interface PutItem {
  entry: DeadLetter;
  data: Buffer;
}

/** What PutRecords said about one record. */
export type PutOutcome = { shardId: string; sequenceNumber: string } | { errorCode: string; errorMessage: string };

/** Sends one PutRecords call; throws when the whole call failed. */
export type PutRecordsCall = (items: readonly PutItem[]) => Promise<PutOutcome[]>;

/** Kinesis target of a replay. */
export interface KinesisTarget {
  stream: string;
  /** Kinesis endpoint; a loopback one (an emulator) is called without the SDK and without signing. */
  endpoint?: string;
  region?: string;
}

/** Error types that no retry can fix. */
const FATAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'ValidationException',
  'InvalidArgumentException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

/** Whether an error of a whole PutRecords call is worth retrying. */
export function isRetryable(err: unknown): boolean {
  const name = err instanceof AwsCallError ? err.type : (err as Error)?.name;
  return !FATAL.has(name) && (err as { code?: string })?.code !== 'KCLTS_ERR_FAILURE_MISSING_PACKAGE';
}

/** True for loopback endpoints (emulators): the unsigned JSON client may be used there and only there. */
export function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || host === '0.0.0.0' || /^127\./.test(host);
  } catch {
    return false;
  }
}

const wire = (i: PutItem) => ({ PartitionKey: i.entry.partitionKey, Data: i.data, ...(i.entry.explicitHashKey ? { ExplicitHashKey: i.entry.explicitHashKey } : {}) });

/**
 * The PutRecords call for a target: the unsigned JSON client of src/local for a loopback endpoint
 * (it signs nothing, so it is never used for anything else), else `@aws-sdk/client-kinesis`.
 */
export async function putRecordsCall(target: KinesisTarget, env: NodeJS.ProcessEnv): Promise<{ call: PutRecordsCall; close(): void }> {
  if (target.endpoint && isLoopback(target.endpoint)) {
    const endpoint = target.endpoint;
    const call: PutRecordsCall = async (items) => {
      const res = await awsJson<{ Records: { ShardId?: string; SequenceNumber?: string; ErrorCode?: string; ErrorMessage?: string }[] }>(
        endpoint,
        'kinesis',
        'PutRecords',
        { StreamName: target.stream, Records: items.map((i) => ({ ...wire(i), Data: i.data.toString('base64') })) },
        target.region ?? env.AWS_REGION,
      );
      return res.Records.map((r) => (r.ErrorCode ? { errorCode: r.ErrorCode, errorMessage: r.ErrorMessage ?? '' } : { shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! }));
    };
    return { call, close: () => undefined };
  }
  const neededFor = 'Replaying dead letters into Kinesis';
  const sdk = await loadOptional<typeof import('@aws-sdk/client-kinesis')>('@aws-sdk/client-kinesis', neededFor);
  const client = new sdk.KinesisClient(await awsClientConfig({ endpoint: target.endpoint, region: target.region }, env, neededFor));
  const call: PutRecordsCall = async (items) => {
    const res = await client.send(new sdk.PutRecordsCommand({ StreamName: target.stream, Records: items.map(wire) }));
    return (res.Records ?? []).map((r) =>
      r.ErrorCode ? { errorCode: r.ErrorCode, errorMessage: r.ErrorMessage ?? '' } : { shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! },
    );
  };
  return { call, close: () => client.destroy() };
}

/** What happened to one record, reported as soon as it is known. */
export interface PutEvents {
  put(item: PutItem, where: { shardId: string; sequenceNumber: string }): Promise<void>;
  failed(item: PutItem, error: string): void;
  skipped(item: PutItem, reason: string): void;
}

/** Limits of one PutRecords call and record. */
const MAX_RECORDS = 500;
const MAX_CALL_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Puts `items` in the given order. Records of one key keep their order: a call waits for the previous
 * one, and after a partial failure everything from the first failed record on is sent again (records
 * after it may then be stored twice: at-least-once, like the rest of Kinesis). A record that still
 * fails after `maxAttempts` is reported failed and the later records of its key are skipped.
 */
export async function putInOrder(
  items: readonly PutItem[],
  call: PutRecordsCall,
  events: PutEvents,
  maxAttempts = 8,
  /** Keys whose records are skipped; failed keys are added (share it across calls of one replay). */
  blocked: Set<string> = new Set<string>(),
): Promise<void> {
  /** Indexes already reported failed before their turn (too large). */
  const settled = new Set<number>();
  let attempts = 0;
  /** Reports the records of blocked keys in [i, end) as skipped, and moves i to end. */
  const passTo = (end: number) => {
    for (; i < end; i++) {
      if (!settled.has(i) && blocked.has(items[i]!.entry.partitionKey)) events.skipped(items[i]!, 'an earlier record of this partition key failed');
    }
  };
  let i = 0;
  while (i < items.length) {
    // The next call: up to 500 records and 5 MiB from i on, leaving out records of blocked keys.
    const chunk: number[] = [];
    let bytes = 0;
    for (let j = i; j < items.length && chunk.length < MAX_RECORDS; j++) {
      const it = items[j]!;
      const size = it.data.length + Buffer.byteLength(it.entry.partitionKey);
      if (blocked.has(it.entry.partitionKey)) continue;
      if (size > MAX_RECORD_BYTES) {
        if (chunk.length > 0) break; // report it in order, once the records before it are put
        events.failed(it, `${size} bytes of data and partition key: more than Kinesis takes in one record (${MAX_RECORD_BYTES})`);
        blocked.add(it.entry.partitionKey);
        settled.add(j);
        continue;
      }
      if (chunk.length > 0 && bytes + size > MAX_CALL_BYTES) break;
      chunk.push(j);
      bytes += size;
    }
    passTo(chunk.length > 0 ? chunk[0]! : items.length);
    if (chunk.length === 0) break;
    let outcomes: PutOutcome[];
    try {
      outcomes = await call(chunk.map((j) => items[j]!));
    } catch (err) {
      attempts++;
      if (!isRetryable(err) || attempts >= maxAttempts) {
        // The whole call failed for good: so would every later call. Report everything left.
        const why = awsErrorText(err);
        const failedKeys: string[] = [];
        for (; i < items.length; i++) {
          if (settled.has(i)) continue;
          if (blocked.has(items[i]!.entry.partitionKey)) events.skipped(items[i]!, 'an earlier record of this partition key failed');
          else {
            events.failed(items[i]!, why);
            failedKeys.push(items[i]!.entry.partitionKey);
          }
        }
        for (const k of failedKeys) blocked.add(k); // later calls of this replay skip them
        return;
      }
      await sleep(Math.min(50 * 2 ** attempts, 2000));
      continue;
    }
    let k = 0;
    for (; k < chunk.length; k++) {
      const o = outcomes[k];
      if (!o || 'errorCode' in o) break;
      await events.put(items[chunk[k]!]!, o);
    }
    if (k === chunk.length) {
      attempts = 0;
      passTo(chunk[k - 1]! + 1);
      continue;
    }
    // Retry from the first failed record.
    const first = chunk[k]!;
    passTo(first);
    const o = outcomes[k] as { errorCode: string; errorMessage: string } | undefined;
    attempts = k > 0 ? 1 : attempts + 1;
    if (attempts >= maxAttempts) {
      events.failed(items[first]!, o ? `${o.errorCode}: ${o.errorMessage}` : 'PutRecords returned no result for it');
      blocked.add(items[first]!.entry.partitionKey);
      attempts = 0;
      i = first + 1;
      continue;
    }
    await sleep(Math.min(50 * 2 ** attempts, 2000));
  }
}
