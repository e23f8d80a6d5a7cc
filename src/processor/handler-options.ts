import type { Logger } from 'pino';
import { describeValue, KclTsError } from '../errors.js';
import type { DeadLetterSink, FailurePolicy } from '../failure/index.js';
import type { KinesisRecord } from './record.js';

/** What a handler gets besides its record(s). */
export interface RecordContext {
  /** The shard this process owns. */
  readonly shardId: string;
  /**
   * Aborted when the lease is lost (or a shutdown drain times out): stop side effects quickly. A call
   * that rejects once it is aborted is abandoned, not failed: no retry, no `onFailure`, no dead letter;
   * its record stays unfinished and is delivered again from the checkpoint.
   */
  readonly signal: AbortSignal;
  /** 1 for the first try of this record, 2 for the first retry, … */
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
   * Accepted but unfinished payload bytes above which the reply to the daemon is held back (any value
   * >= 1 works; waiting records may also keep up to 4 x this much pooled stdin memory).
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
   * daemon's shutdownGraceMillis. At the timeout running calls are aborted (`ctx.signal`) and queued
   * records dropped, all left unfinished (no checkpoint passes them), and later batches are answered
   * without being processed.
   * @default 15000
   */
  drainTimeoutMs?: number;
  /**
   * After leaseLost, how long running handlers get to notice `ctx.signal` before the reply.
   * @default 2000
   */
  leaseLostGraceMs?: number;
  /**
   * Retries of a failed handler call (with capped exponential backoff and jitter) before `onFailure`
   * decides. A `NonRetryableError` skips them. Retries of one key never hold up other keys.
   * @default 3
   */
  maxRetries?: number;
  /**
   * Delay before the first retry; doubles per retry, with jitter.
   * @default 200
   */
  retryBaseDelayMs?: number;
  /**
   * Upper bound of one retry delay (also of the delays between dead-letter sink retries).
   * @default 10000
   */
  retryMaxDelayMs?: number;
  /**
   * After the last retry: `'stop-shard'` holds the checkpoint before the record, starts no handler
   * call any more (queued records and retries are dropped; running calls finish) and takes no new
   * batches; `'dead-letter'` writes the record to `deadLetter` and, once the sink confirms, lets the
   * checkpoint pass it; or a function `(record, error, ctx) => 'dead-letter' | 'stop-shard' | 'skip'`
   * (`'skip'` logs the record at error level and lets the checkpoint pass it).
   * @default 'stop-shard'
   */
  onFailure?: FailurePolicy<RecordContext>;
  /** Where dead letters go (needed when `onFailure` can decide `'dead-letter'`). */
  deadLetter?: DeadLetterSink;
  /**
   * Interval of the stats log line (in-flight, queued, keys, millisBehindLatest, checkpoint lag); 0 turns it off.
   * @default 30000
   */
  statsIntervalMs?: number;
}

/** The options with every default applied. */
export type ResolvedHandlerOptions = Required<Omit<HandlerOptions, 'handle' | 'handleBatch' | 'checkpointInterval' | 'deadLetter'>> &
  Pick<HandlerOptions, 'handle' | 'handleBatch' | 'checkpointInterval' | 'deadLetter'>;

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
  const onFailure = o.onFailure ?? 'stop-shard';
  if (onFailure !== 'stop-shard' && onFailure !== 'dead-letter' && typeof onFailure !== 'function') {
    throw bad(`Expected \`onFailure\` to be 'stop-shard', 'dead-letter' or a function, got ${describeValue(onFailure)}`);
  }
  const sink = o.deadLetter;
  if (sink !== undefined && (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function')) {
    throw bad(`Expected \`deadLetter\` to be a sink with a write(entries) method, got ${describeValue(sink)}`);
  }
  if (onFailure === 'dead-letter' && !sink) {
    throw bad("`onFailure: 'dead-letter'` needs a `deadLetter` sink (e.g. new FileSink({ dir }) or createSink('file:/var/dlq'))");
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
    maxRetries: integer('maxRetries', o.maxRetries, 0, 3),
    retryBaseDelayMs: integer('retryBaseDelayMs', o.retryBaseDelayMs, 0, 200),
    retryMaxDelayMs: integer('retryMaxDelayMs', o.retryMaxDelayMs, 0, 10_000),
    onFailure,
    deadLetter: sink,
  };
}
