import type { Logger } from 'pino';
import { describeValue, KclTsError } from '../errors.js';
import type { KinesisRecord } from './record.js';

/** What a handler gets besides its record(s). */
export interface RecordContext {
  /** The shard this process owns. */
  readonly shardId: string;
  /** Aborted when the lease is lost (or a shutdown drain times out): stop side effects quickly. */
  readonly signal: AbortSignal;
  /** 1 for the first try of this record. */
  readonly attempt: number;
  /** A pino child logger bound to the shard, partition key and sequence number. */
  readonly log: Logger;
}

/** Handles one record. Records of one partition key are handled one at a time, in order. */
export type RecordHandler = (record: KinesisRecord, ctx: RecordContext) => unknown;

/** Handles the records of one partition key from one batch, in order (a per-key sub-batch). */
export type BatchHandler = (records: KinesisRecord[], ctx: RecordContext) => unknown;

/** When to checkpoint the watermark (at the start of a message, when it moved). */
export interface CheckpointInterval {
  /** Once at least this many records were passed by the watermark since the last checkpoint. */
  records?: number;
  /** Once at least this long passed since the last checkpoint. */
  ms?: number;
}

/** Options of the per-record runtime: `run({ handle, ... })` or `run({ handleBatch, ... })`. */
export interface HandlerOptions {
  /** Called once per record. Give exactly one of `handle` and `handleBatch`. */
  handle?: RecordHandler;
  /** Called once per partition key per batch with that key's records. */
  handleBatch?: BatchHandler;
  /**
   * Handler calls running at once in this shard (across partition keys).
   * @default 64
   */
  concurrency?: number;
  /**
   * Accepted but unfinished records above which the reply to the daemon is held back (backpressure).
   * @default 20000
   */
  maxInFlightRecords?: number;
  /**
   * Accepted but unfinished payload bytes above which the reply to the daemon is held back.
   * @default 16777216 (16 MiB: one full batch of 10,000 x 1 KB records, and the next waits)
   */
  maxInFlightBytes?: number;
  /**
   * When to checkpoint: unset checkpoints at every message once the watermark moved (every batch).
   * @default undefined
   */
  checkpointInterval?: CheckpointInterval;
  /**
   * How long shutdownRequested and shardEnded wait for queued and running work. Keep it below the
   * daemon's shutdownGraceMillis.
   * @default 15000
   */
  drainTimeoutMs?: number;
  /**
   * After leaseLost, how long running handlers get to notice `ctx.signal` before the reply.
   * @default 2000
   */
  leaseLostGraceMs?: number;
  /**
   * Interval of the stats log line (in-flight, queued, keys, millisBehindLatest, checkpoint lag); 0 turns it off.
   * @default 30000
   */
  statsIntervalMs?: number;
}

/** The options with every default applied. */
export type ResolvedHandlerOptions = Required<Omit<HandlerOptions, 'handle' | 'handleBatch' | 'checkpointInterval'>> &
  Pick<HandlerOptions, 'handle' | 'handleBatch' | 'checkpointInterval'>;

/** Error codes of option checks. */
export const OptionErrorCode = { BAD_OPTION: 'KCLTS_ERR_RUN_BAD_OPTION' } as const;

function bad(message: string): KclTsError {
  return new KclTsError(OptionErrorCode.BAD_OPTION, message);
}

function integer(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw bad(`Expected \`${name}\` to be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks the options once, at start, and applies the defaults.
 * @throws {KclTsError} `KCLTS_ERR_RUN_BAD_OPTION` naming the option, what was expected and what came.
 */
export function resolveHandlerOptions(o: HandlerOptions): ResolvedHandlerOptions {
  const given = [o.handle, o.handleBatch].filter((h) => h !== undefined);
  if (given.length !== 1) {
    throw bad(`Expected exactly one of \`handle\` and \`handleBatch\`, got ${given.length === 0 ? 'neither' : 'both'}`);
  }
  for (const name of ['handle', 'handleBatch'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw bad(`Expected \`${name}\` to be a function, got ${describeValue(o[name])}`);
  }
  const interval = o.checkpointInterval;
  if (interval !== undefined) {
    if (typeof interval !== 'object' || interval === null) throw bad(`Expected \`checkpointInterval\` to be an object, got ${describeValue(interval)}`);
    integer('checkpointInterval.records', interval.records, 1, 1);
    integer('checkpointInterval.ms', interval.ms, 0, 0);
  }
  return {
    handle: o.handle,
    handleBatch: o.handleBatch,
    checkpointInterval: interval,
    concurrency: integer('concurrency', o.concurrency, 1, 64),
    maxInFlightRecords: integer('maxInFlightRecords', o.maxInFlightRecords, 1, 20_000),
    maxInFlightBytes: integer('maxInFlightBytes', o.maxInFlightBytes, 1, 16 * 1024 * 1024),
    drainTimeoutMs: integer('drainTimeoutMs', o.drainTimeoutMs, 0, 15_000),
    leaseLostGraceMs: integer('leaseLostGraceMs', o.leaseLostGraceMs, 0, 2_000),
    statsIntervalMs: integer('statsIntervalMs', o.statsIntervalMs, 0, 30_000),
  };
}
