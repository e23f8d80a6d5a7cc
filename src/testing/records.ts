import type { WireRecord } from '../protocol/index.js';

/** One record to build; everything has a sensible default. */
export interface RecordSpec {
  /** Payload: a Buffer, a string (UTF-8), or any other value (JSON-encoded). */
  data?: unknown;
  partitionKey?: string;
  sequenceNumber?: string;
  subSequenceNumber?: number;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp?: number;
}

/** A batch to build with {@link RecordFactory.batch}. */
export interface BatchSpec {
  /** Number of records. */
  count: number;
  /**
   * Partition keys: a count (`key-0` … `key-(n-1)`, round robin), a list (round robin), or a function of
   * the record index.
   * @default 1
   */
  keys?: number | readonly string[] | ((index: number) => string);
  /**
   * Payload size in bytes (filler text), or a function of the index returning the payload.
   * @default 100
   */
  size?: number;
  data?: (index: number) => unknown;
  /**
   * Records per sequence number, as after KPL de-aggregation (sub-sequence numbers 0 … n-1).
   * @default 1
   */
  aggregate?: number;
}

/** A realistic 56-digit Kinesis sequence number to start from. */
export const FIRST_SEQUENCE = '49590338271490256608559692538361571095921575989136588898';

function toBase64(data: unknown): string {
  if (Buffer.isBuffer(data)) return data.toString('base64');
  if (typeof data === 'string') return Buffer.from(data, 'utf8').toString('base64');
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64');
}

/**
 * Builds protocol records with strictly increasing sequence numbers, as one shard delivers them.
 * Use one factory per shard.
 */
export class RecordFactory {
  #next: bigint;
  #now: number;

  constructor(options: { firstSequence?: string; arrivalMs?: number } = {}) {
    this.#next = BigInt(options.firstSequence ?? FIRST_SEQUENCE);
    this.#now = options.arrivalMs ?? Date.UTC(2026, 0, 1);
  }

  /** The sequence number the next record will get. */
  peekSequence(): string {
    return this.#next.toString();
  }

  /** One record; takes the next sequence number unless the spec gives one. */
  record(spec: RecordSpec = {}): WireRecord {
    const sequenceNumber = spec.sequenceNumber ?? (this.#next++).toString();
    return {
      action: 'record',
      data: toBase64(spec.data ?? ''),
      partitionKey: spec.partitionKey ?? 'key-0',
      sequenceNumber,
      subSequenceNumber: spec.subSequenceNumber ?? 0,
      approximateArrivalTimestamp: spec.approximateArrivalTimestamp ?? this.#now++,
    };
  }

  /** A batch of records with keys, sizes and optional aggregation. */
  batch(spec: BatchSpec): WireRecord[] {
    const { count, keys = 1, size = 100, aggregate = 1 } = spec;
    const keyOf =
      typeof keys === 'function'
        ? keys
        : typeof keys === 'number'
          ? (i: number) => `key-${i % keys}`
          : (i: number) => keys[i % keys.length]!;
    const filler = 'x'.repeat(size);
    const out: WireRecord[] = new Array(count);
    let seq = '';
    for (let i = 0; i < count; i++) {
      const sub = i % aggregate;
      if (sub === 0) seq = (this.#next++).toString();
      out[i] = this.record({
        data: spec.data ? spec.data(i) : filler,
        partitionKey: keyOf(i),
        sequenceNumber: seq,
        subSequenceNumber: aggregate > 1 ? sub : 0,
      });
    }
    return out;
  }
}
