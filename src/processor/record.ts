import { KclTsError, excerpt } from '../errors.js';
import type { WireRecord } from '../protocol/index.js';

/** Error codes of the record area. */
export const RecordErrorCode = {
  /** `record.json()` found data that is not valid JSON. */
  INVALID_JSON: 'KCLTS_ERR_RECORD_INVALID_JSON',
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
  /** The base64 payload: text, or its bytes (a view of the stdin chunk) for records of large lines. */
  #base64: string | Buffer;
  #data: Buffer | undefined;

  constructor(wire: WireRecord) {
    this.partitionKey = wire.partitionKey;
    this.sequenceNumber = wire.sequenceNumber;
    this.subSequenceNumber = wire.subSequenceNumber ?? 0;
    this.#base64 = wire.data;
    this.explicitHashKey = wire.explicitHashKey ?? undefined;
    this.#arrivalMs = wire.approximateArrivalTimestamp ?? undefined;
  }

  /** The payload exactly as the daemon sent it (base64 text). */
  get base64(): string {
    const b = this.#base64;
    return typeof b === 'string' ? b : (this.#base64 = b.toString('latin1'));
  }

  /** Payload size in bytes, computed from the base64 length without decoding. */
  get size(): number {
    const b = this.#base64;
    const n = b.length;
    if (n === 0) return 0;
    const last = typeof b === 'string' ? b.charCodeAt(n - 1) : b[n - 1];
    const prev = typeof b === 'string' ? b.charCodeAt(n - 2) : b[n - 2];
    return (n / 4) * 3 - (last === 61 ? (prev === 61 ? 2 : 1) : 0);
  }

  /**
   * Copies the payload out of the stdin chunk it is a view of (records of large lines), so that holding
   * this record does not hold the whole 64 KB chunk. kcl-ts calls it for records that wait in queues.
   * @internal
   */
  detach(): void {
    const view = this.#base64;
    if (typeof view === 'string') return;
    // An own allocation, outside the V8 heap and outside Buffer's shared pool (measured: lower peak RSS
    // than a heap string when many records wait, bench/dispatch.ts rss).
    const own = Buffer.allocUnsafeSlow(view.length);
    view.copy(own);
    this.#base64 = own;
  }

  /** The payload bytes (decoded on first use, then cached). */
  get data(): Buffer {
    return (this.#data ??= Buffer.from(this.base64, 'base64'));
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

  /** A plain reference to this record, for logs. */
  ref(): RecordRef {
    return { partitionKey: this.partitionKey, sequenceNumber: this.sequenceNumber, subSequenceNumber: this.subSequenceNumber };
  }
}
