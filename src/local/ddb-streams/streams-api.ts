import { StreamsApiError, invalid } from './api-error.js';
import { formatSequence, type IteratorType, type StoredShard, type StoredStream, type StreamStore } from './store.js';
import type { StreamRecordJson } from './types.js';

/** The DynamoDB Streams operations the layer serves (`X-Amz-Target: DynamoDBStreams_20120810.<name>`). */
export const STREAMS_OPERATIONS = ['ListStreams', 'DescribeStream', 'GetShardIterator', 'GetRecords'] as const;
export type StreamsOperation = (typeof STREAMS_OPERATIONS)[number];

/** GetRecords returns at most this many records, and at most {@link MAX_RECORDS_BYTES} of them. */
export const MAX_GET_RECORDS = 1000;
export const MAX_RECORDS_BYTES = 1024 * 1024;
/** Shard iterators expire 15 minutes after they were issued, as in DynamoDB Streams. */
export const ITERATOR_TTL_MS = 15 * 60 * 1000;

const ITERATOR_TYPES: readonly IteratorType[] = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'];

type Input = Record<string, unknown>;

function requiredString(input: Input, name: string): string {
  const v = input[name];
  if (typeof v !== 'string' || v.length === 0) throw invalid(`1 validation error detected: Value null at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

function optionalString(input: Input, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

function limit(input: Input, max: number): number {
  const v = input.Limit;
  if (v === undefined || v === null) return max;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw invalid(`1 validation error detected: Value '${String(v)}' at 'limit' failed to satisfy constraint: Member must have value ${v !== undefined && Number(v) > max ? `less than or equal to ${max}` : 'greater than or equal to 1'}`);
  }
  return v;
}

/** An iterator names its stream, shard and next record index, and when it was issued; it is opaque to clients. */
interface IteratorState {
  arn: string;
  shardId: string;
  position: number;
  issuedMs: number;
}

const encodeIterator = (s: IteratorState): string => Buffer.from(JSON.stringify([s.arn, s.shardId, s.position, s.issuedMs])).toString('base64url');

function decodeIterator(text: string): IteratorState {
  try {
    const [arn, shardId, position, issuedMs] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof arn === 'string' && typeof shardId === 'string' && Number.isInteger(position) && typeof issuedMs === 'number') {
      return { arn, shardId, position: position as number, issuedMs };
    }
  } catch {
    /* reported below */
  }
  throw invalid(`Invalid ShardIterator: ${text.slice(0, 60)}`);
}

function shardJson(shard: StoredShard): Record<string, unknown> {
  return {
    ShardId: shard.id,
    ...(shard.parentId ? { ParentShardId: shard.parentId } : {}),
    SequenceNumberRange: {
      StartingSequenceNumber: formatSequence(shard.start),
      ...(shard.end !== undefined ? { EndingSequenceNumber: formatSequence(shard.end) } : {}),
    },
  };
}

/** The DynamoDB Streams API over a {@link StreamStore}: input checked as DynamoDB Streams checks it. */
export class StreamsApi {
  readonly #store: StreamStore;
  readonly #now: () => number;

  constructor(store: StreamStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Runs one operation; throws {@link StreamsApiError} for the client. */
  call(operation: string, input: Input): Record<string, unknown> {
    switch (operation) {
      case 'ListStreams':
        return this.listStreams(input);
      case 'DescribeStream':
        return this.describeStream(input);
      case 'GetShardIterator':
        return this.getShardIterator(input);
      case 'GetRecords':
        return this.getRecords(input);
      default:
        throw new StreamsApiError('UnknownOperationException', `The local DynamoDB Streams layer does not serve ${operation}`);
    }
  }

  listStreams(input: Input): Record<string, unknown> {
    const max = limit(input, 100);
    const start = optionalString(input, 'ExclusiveStartStreamArn');
    let streams = this.#store.list(optionalString(input, 'TableName'));
    if (start !== undefined) streams = streams.slice(streams.findIndex((s) => s.arn === start) + 1);
    const page = streams.slice(0, max);
    return {
      Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })),
      ...(streams.length > max ? { LastEvaluatedStreamArn: page.at(-1)!.arn } : {}),
    };
  }

  describeStream(input: Input): Record<string, unknown> {
    const stream = this.#store.stream(requiredString(input, 'StreamArn'));
    const max = limit(input, 100);
    let shards: StoredShard[] = stream.shards;
    const filter = input.ShardFilter as { Type?: unknown; ShardId?: unknown } | undefined;
    if (filter !== undefined && filter !== null) {
      if (filter.Type !== 'CHILD_SHARDS') throw invalid(`ShardFilter.Type must be CHILD_SHARDS, got ${String(filter.Type)}`);
      if (typeof filter.ShardId !== 'string') throw invalid('ShardFilter.ShardId is required for CHILD_SHARDS');
      const parent = this.#store.shard(stream, filter.ShardId);
      shards = shards.filter((s) => s.parentId === parent.id);
    }
    const start = optionalString(input, 'ExclusiveStartShardId');
    if (start !== undefined) {
      this.#store.shard(stream, start); // an unknown shard is a ResourceNotFoundException
      shards = shards.slice(shards.findIndex((s) => s.id === start) + 1);
    }
    const page = shards.slice(0, max);
    return {
      StreamDescription: {
        ...describeStreamHeader(stream),
        Shards: page.map(shardJson),
        ...(shards.length > max ? { LastEvaluatedShardId: page.at(-1)!.id } : {}),
      },
    };
  }

  getShardIterator(input: Input): Record<string, unknown> {
    const stream = this.#store.stream(requiredString(input, 'StreamArn'));
    const shard = this.#store.shard(stream, requiredString(input, 'ShardId'));
    const type = requiredString(input, 'ShardIteratorType') as IteratorType;
    if (!ITERATOR_TYPES.includes(type)) {
      throw invalid(`1 validation error detected: Value '${type}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [${ITERATOR_TYPES.join(', ')}]`);
    }
    const position = this.#store.position(shard, type, optionalString(input, 'SequenceNumber'));
    return { ShardIterator: encodeIterator({ arn: stream.arn, shardId: shard.id, position, issuedMs: this.#now() }) };
  }

  /**
   * Up to `Limit` (at most 1,000) records and 1 MB from the iterator's position. A closed shard read to
   * its end returns no NextShardIterator (the reader moves on to the child shards); an open shard always
   * returns one, with or without records.
   */
  getRecords(input: Input): Record<string, unknown> {
    const max = limit(input, MAX_GET_RECORDS);
    const it = decodeIterator(requiredString(input, 'ShardIterator'));
    const now = this.#now();
    if (now - it.issuedMs > ITERATOR_TTL_MS) {
      throw new StreamsApiError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(it.issuedMs).toISOString()} while right now it is ${new Date(now).toISOString()}`);
    }
    const stream = this.#store.stream(it.arn);
    const shard = this.#store.shard(stream, it.shardId);
    const records: StreamRecordJson[] = [];
    let bytes = 0;
    let pos = it.position;
    while (pos < shard.records.length && records.length < max) {
      const r = shard.records[pos]!;
      bytes += r.dynamodb.SizeBytes;
      if (records.length > 0 && bytes > MAX_RECORDS_BYTES) break;
      records.push(r);
      pos++;
    }
    const ended = shard.end !== undefined && pos >= shard.records.length;
    return { Records: records, ...(ended ? {} : { NextShardIterator: encodeIterator({ ...it, position: pos, issuedMs: now }) }) };
  }
}

/** The fields of a StreamDescription other than its shards. */
export function describeStreamHeader(stream: StoredStream): Record<string, unknown> {
  return {
    StreamArn: stream.arn,
    StreamLabel: stream.label,
    StreamStatus: stream.status,
    StreamViewType: stream.viewType,
    CreationRequestDateTime: stream.createdMs / 1000,
    TableName: stream.tableName,
    KeySchema: stream.keySchema,
  };
}
