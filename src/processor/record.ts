import { KclTsError, excerpt } from '../errors.js';
import type { Block, LineHold, WireRecord } from '../protocol/index.js';
import { decodeDynamoDbChange, type DynamoDBChange, type DynamoDBItem, type DynamoDBRecordOptions } from './dynamodb-record.js';

/** Error codes of the record area. */
export const RecordErrorCode = {
  /** `record.json()` found data that is not valid JSON. */
  INVALID_JSON: 'KCLTS_ERR_RECORD_INVALID_JSON',
  /** `record.dynamodb()` found data that is not a DynamoDB Streams record. */
  NOT_DYNAMODB: 'KCLTS_ERR_RECORD_NOT_DYNAMODB',
  /** An optional package a record helper needs (`@aws-sdk/util-dynamodb`) is not installed. */
  MISSING_PACKAGE: 'KCLTS_ERR_RECORD_MISSING_PACKAGE',
} as const;

/** Identifies a record for logs, dead letters and checkpoints. */
export interface RecordRef {
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
}

/** A record's data could not be decoded as the handler asked. */
export class RecordDecodeError extends KclTsError {
  readonly record: RecordRef;
  constructor(code: string, message: string, record: RecordRef, cause?: unknown) {
    super(code, message, { cause });
    this.record = record;
  }
}

/**
 * One Kinesis record. The payload is base64 on the wire and decoded only when `data`, `text()` or
 * `json()` is first used, so a processor that routes on the partition key never pays for decoding.
 */
export class KinesisRecord implements RecordRef {
  readonly partitionKey: string;
  /** Decimal sequence number (up to 128 bits), kept as a string. */
  readonly sequenceNumber: string;
  /** Position inside a KPL aggregate; 0 for plain records. Checkpoints carry it. */
  readonly subSequenceNumber: number;
  /** Hash key the producer set explicitly, if any. */
  readonly explicitHashKey: string | undefined;
  readonly #arrivalMs: number | undefined;
  /**
   * The base64 payload: text, or its bytes (a view of stdin memory) for records of large lines; null
   * once only the decoded `#data` is kept.
   */
  #base64: string | Buffer | null;
  #data: Buffer | undefined;
  /** The pooled stdin block `#base64` is a view of, held until release(). */
  #block: Block | undefined;

  /**
   * @param wire the record as decoded from the protocol line.
   * @param hold the line's hold on pooled stdin memory (kcl-ts internal): a payload that is a view of
   *   it keeps its block until {@link KinesisRecord.release}.
   */
  constructor(wire: WireRecord, hold?: LineHold) {
    this.partitionKey = wire.partitionKey;
    this.sequenceNumber = wire.sequenceNumber;
    this.subSequenceNumber = wire.subSequenceNumber ?? 0;
    const data = wire.data;
    this.#base64 = data;
    if (hold !== undefined && typeof data !== 'string') this.#block = hold.retainFor(data);
    this.explicitHashKey = wire.explicitHashKey ?? undefined;
    this.#arrivalMs = wire.approximateArrivalTimestamp ?? undefined;
  }

  /** The payload exactly as the daemon sent it (base64 text). */
  get base64(): string {
    const b = this.#base64;
    if (typeof b === 'string') return b;
    if (b === null) return (this.#base64 = this.#data!.toString('base64'));
    return (this.#base64 = b.toString('latin1'));
  }

  /** Payload size in bytes, computed from the base64 length without decoding. */
  get size(): number {
    const b = this.#base64;
    if (b === null) return this.#data!.length;
    const n = b.length;
    if (n === 0) return 0;
    const last = typeof b === 'string' ? b.charCodeAt(n - 1) : b[n - 1];
    const prev = typeof b === 'string' ? b.charCodeAt(n - 2) : b[n - 2];
    return (n / 4) * 3 - (last === 61 ? (prev === 61 ? 2 : 1) : 0);
  }

  /**
   * Copies the payload out of the stdin chunk it is a view of (records of large lines read from a plain
   * stream), so that holding this record does not hold the whole 64 KB chunk. kcl-ts calls it for records
   * that wait in queues. Records in pooled stdin blocks keep their view: the pool's memory is bounded
   * and counted by the per-key runtime's backpressure.
   * @internal
   */
  detach(): void {
    const view = this.#base64;
    if (view === null || typeof view === 'string' || this.#block !== undefined) return;
    // An own allocation, outside the V8 heap and outside Buffer's shared pool (measured: lower peak RSS
    // than a heap string when many records wait, bench/dispatch.ts rss).
    const own = Buffer.allocUnsafeSlow(view.length);
    view.copy(own);
    this.#base64 = own;
  }

  /**
   * Gives back the pooled stdin memory this record's payload lies in, so it can be reused. The record
   * stays fully usable: a payload not decoded yet is copied out first. kcl-ts calls it when it is done
   * with a record (after `processRecords`, or when a handler finished); calling it again does nothing.
   * @internal
   */
  release(): void {
    const block = this.#block;
    if (block === undefined) return;
    this.#block = undefined;
    if (this.#data !== undefined) this.#base64 = null;
    else this.#base64 = (this.#base64 as Buffer).toString('latin1');
    block.release();
  }

  /** The payload bytes (decoded on first use, then cached). */
  get data(): Buffer {
    if (this.#data !== undefined) return this.#data;
    // A view is read without caching its text (that would be a second copy of the payload).
    const b = this.#base64!;
    return (this.#data = Buffer.from(typeof b === 'string' ? b : b.toString('latin1'), 'base64'));
  }

  /** When Kinesis accepted the record, if the daemon reported it. */
  get approximateArrivalTimestamp(): Date | undefined {
    return this.#arrivalMs === undefined ? undefined : new Date(this.#arrivalMs);
  }

  /** The payload as UTF-8 text. */
  text(): string {
    return this.data.toString('utf8');
  }

  /**
   * The payload parsed as JSON. The type parameter is not checked at run time.
   * @throws {RecordDecodeError} naming the record when the payload is not JSON.
   */
  json<T = unknown>(): T {
    const text = this.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RecordDecodeError(
        RecordErrorCode.INVALID_JSON,
        `Record ${this.sequenceNumber}/${this.subSequenceNumber} (partition key ${JSON.stringify(this.partitionKey)}) ` +
          `is not JSON: ${(err as Error).message}; data: ${excerpt(text, 80)}`,
        this.ref(),
        err,
      );
    }
  }

  /**
   * The DynamoDB Streams change this record carries (source `dynamodb-streams`): event name, keys and
   * images as plain JavaScript values (unmarshalled by `@aws-sdk/util-dynamodb`), sequence number and
   * creation time. The type parameters are not checked at run time.
   * @throws {RecordDecodeError} `NOT_DYNAMODB` when the data is not a stream record.
   */
  dynamodb<Item extends object = DynamoDBItem, Keys extends object = DynamoDBItem>(options?: DynamoDBRecordOptions): DynamoDBChange<Item, Keys> {
    return decodeDynamoDbChange<Item, Keys>(this.json(), this.ref(), options);
  }

  /** A plain reference to this record, for logs. */
  ref(): RecordRef {
    return { partitionKey: this.partitionKey, sequenceNumber: this.sequenceNumber, subSequenceNumber: this.subSequenceNumber };
  }
}
