import { randomBytes } from 'node:crypto';
import { invalid, notFound } from './api-error.js';
import { recordSize } from './item-size.js';
import type { ItemChange, KeySchemaElement, StreamRecordJson, StreamViewType } from './types.js';

/** When the open shard of a stream is closed and a child shard opened (both optional; neither by default). */
export interface RolloverOptions {
  /** Close the open shard once it holds this many records. */
  records?: number;
  /** Close the open shard once it is this old (checked on every write and every Streams API call). */
  ageMs?: number;
}

/** One shard. Records are never trimmed, so an index into `records` stays valid for the shard's life. */
export interface StoredShard {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly createdMs: number;
  /** First sequence number of the shard (the next number the stream hands out when the shard opens). */
  readonly start: bigint;
  /** Last sequence number; set when the shard closes. */
  end: bigint | undefined;
  readonly records: StreamRecordJson[];
  /** `BigInt(records[i].dynamodb.SequenceNumber)`, kept for binary search. */
  readonly seqs: bigint[];
}

/** One stream of a table. */
export interface StoredStream {
  readonly arn: string;
  readonly label: string;
  readonly tableName: string;
  readonly keySchema: readonly KeySchemaElement[];
  readonly viewType: StreamViewType;
  readonly createdMs: number;
  status: 'ENABLED' | 'DISABLED';
  /** In creation order: a parent always comes before its child. */
  readonly shards: StoredShard[];
  /** Appended records go here; undefined once the stream is disabled. */
  open: StoredShard | undefined;
}

/** Sequence numbers are 21-digit decimals, as long as real ones, increasing across a whole stream. */
export const formatSequence = (n: bigint): string => n.toString().padStart(21, '0');

/** How the four iterator types position a reader; see {@link StreamStore.position}. */
export type IteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';

/**
 * The streams, shards and records of the local DynamoDB Streams layer; no I/O.
 *
 * Invariants: a stream has at most one open shard, and every shard but the first is the child of the
 * shard that was open before it; sequence numbers increase strictly along that chain (a child's numbers
 * are all greater than its parent's); a closed shard's `end` is its last record's number (its `start`
 * when it closed empty), and it never gets another record.
 */
export class StreamStore {
  readonly #streams = new Map<string, StoredStream>();
  readonly #rollover: RolloverOptions;
  readonly #region: string;
  readonly #now: () => number;
  #nextSeq = 1n;

  constructor(opts: { rollover?: RolloverOptions; region?: string; now?: () => number } = {}) {
    this.#rollover = opts.rollover ?? {};
    this.#region = opts.region ?? 'us-east-1';
    this.#now = opts.now ?? Date.now;
  }

  /** Creates an ENABLED stream with one open shard for a table (given by its ARN and key schema). */
  create(table: { name: string; arn: string; keySchema: readonly KeySchemaElement[] }, viewType: StreamViewType): StoredStream {
    let ms = this.#now();
    let label = new Date(ms).toISOString().slice(0, -1);
    // Labels are timestamps: two streams of one table in the same millisecond would share an ARN.
    while (this.#streams.has(`${table.arn}/stream/${label}`)) label = new Date(++ms).toISOString().slice(0, -1);
    const stream: StoredStream = {
      arn: `${table.arn}/stream/${label}`,
      label,
      tableName: table.name,
      keySchema: table.keySchema,
      viewType,
      createdMs: this.#now(),
      status: 'ENABLED',
      shards: [],
      open: undefined,
    };
    stream.open = this.#openShard(stream, undefined);
    this.#streams.set(stream.arn, stream);
    return stream;
  }

  /** Disables a stream: its open shard closes, no shard opens; records stay readable. */
  disable(arn: string): void {
    const stream = this.stream(arn);
    if (stream.open) this.#close(stream.open);
    stream.open = undefined;
    stream.status = 'DISABLED';
  }

  /** The stream with this ARN, after any rollover that is due. */
  stream(arn: string): StoredStream {
    const stream = this.#streams.get(arn);
    if (!stream) throw notFound(`Requested resource not found: Stream: ${arn} not found`);
    this.#rolloverIfDue(stream, false);
    return stream;
  }

  /** Every stream (of one table, if given), in creation order. */
  list(tableName?: string): StoredStream[] {
    const all = [...this.#streams.values()].filter((s) => tableName === undefined || s.tableName === tableName);
    for (const s of all) this.#rolloverIfDue(s, false);
    return all;
  }

  /** Appends one item change with the images the stream's view type asks for; returns the record. */
  append(arn: string, change: ItemChange): StreamRecordJson {
    const stream = this.stream(arn);
    this.#rolloverIfDue(stream, true);
    const shard = stream.open;
    if (!shard) throw new Error(`stream ${arn} is disabled: nothing may be appended to it`);
    const seq = this.#nextSeq++;
    const view = stream.viewType;
    const newImage = view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES' ? change.newImage : undefined;
    const oldImage = view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES' ? change.oldImage : undefined;
    const record: StreamRecordJson = {
      eventID: randomBytes(16).toString('hex'),
      eventName: change.oldImage === undefined ? 'INSERT' : change.newImage === undefined ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.#region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(this.#now() / 1000),
        Keys: change.keys,
        ...(newImage ? { NewImage: newImage } : {}),
        ...(oldImage ? { OldImage: oldImage } : {}),
        SequenceNumber: formatSequence(seq),
        SizeBytes: recordSize(change.keys, newImage, oldImage),
        StreamViewType: view,
      },
    };
    shard.records.push(record);
    shard.seqs.push(seq);
    return record;
  }

  /** The shard `shardId` of a stream. */
  shard(stream: StoredStream, shardId: string): StoredShard {
    const shard = stream.shards.find((s) => s.id === shardId);
    if (!shard) throw notFound(`Requested resource not found: Shard: ${shardId} in Stream: ${stream.arn} not found`);
    return shard;
  }

  /**
   * The index of the first record an iterator of this type reads: 0 (TRIM_HORIZON), after the last record
   * (LATEST), the record with `sequenceNumber` or the first after it. A sequence number outside the
   * shard's range is a ValidationException, as in DynamoDB Streams.
   */
  position(shard: StoredShard, type: IteratorType, sequenceNumber: string | undefined): number {
    if (type === 'TRIM_HORIZON') return 0;
    if (type === 'LATEST') return shard.records.length;
    if (sequenceNumber === undefined) throw invalid(`SequenceNumber is required for ShardIteratorType ${type}`);
    if (!/^\d{1,40}$/.test(sequenceNumber)) throw invalid(`Invalid SequenceNumber: ${sequenceNumber}`);
    const seq = BigInt(sequenceNumber);
    const last = shard.end ?? shard.seqs.at(-1) ?? shard.start;
    if (seq < shard.start || seq > last) {
      throw invalid(`Invalid SequenceNumber ${sequenceNumber} for shard ${shard.id}: it holds ${formatSequence(shard.start)} to ${formatSequence(last)}`);
    }
    // First index whose number is >= seq (AT) or > seq (AFTER).
    const after = type === 'AFTER_SEQUENCE_NUMBER';
    let lo = 0;
    let hi = shard.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = shard.seqs[mid]!;
      if (s < seq || (after && s === seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #openShard(stream: StoredStream, parent: StoredShard | undefined): StoredShard {
    const createdMs = this.#now();
    const shard: StoredShard = {
      id: `shardId-${String(createdMs).padStart(20, '0')}-${randomBytes(4).toString('hex')}`,
      parentId: parent?.id,
      createdMs,
      start: this.#nextSeq,
      end: undefined,
      records: [],
      seqs: [],
    };
    stream.shards.push(shard);
    return shard;
  }

  #close(shard: StoredShard): void {
    const last = shard.seqs.at(-1);
    // An empty shard's range is [start, start]; that number is used up so the child starts after it.
    if (last === undefined && this.#nextSeq === shard.start) this.#nextSeq++;
    shard.end = last ?? shard.start;
  }

  /** Closes the open shard and opens its child when a rollover limit is reached (`writing`: a record is about to be added). */
  #rolloverIfDue(stream: StoredStream, writing: boolean): void {
    const open = stream.open;
    if (!open) return;
    const { records, ageMs } = this.#rollover;
    const full = writing && records !== undefined && open.records.length >= records;
    const old = ageMs !== undefined && this.#now() - open.createdMs >= ageMs;
    if (!full && !old) return;
    this.#close(open);
    stream.open = this.#openShard(stream, open);
  }
}
