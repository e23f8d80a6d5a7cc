import type { Checkpointer } from './checkpointer.js';
import type { KinesisRecord } from './record.js';

/** What `initialize` tells the processor. */
export interface InitializeInput {
  shardId: string;
  /** Where processing resumes: a sequence number or `TRIM_HORIZON`/`LATEST`/`AT_TIMESTAMP`. */
  sequenceNumber: string | undefined;
  subSequenceNumber: number | undefined;
}

/** One batch from `processRecords`. */
export interface ProcessRecordsInput {
  records: KinesisRecord[];
  /** How far behind the tip of the shard this batch is, if the daemon says. */
  millisBehindLatest: number | undefined;
}

/** Context given to the shutdown-type calls. */
export interface ShardInput {
  shardId: string;
}

/**
 * The low-level processor: one instance per shard (per child process), called one message at a time.
 * Each call's returned promise must settle before the daemon gets its status reply.
 */
export interface RecordProcessor {
  /** The shard this process owns. No checkpointing is possible here. */
  initialize?(input: InitializeInput): void | Promise<void>;
  /** A batch. Checkpoint (awaited) inside the call; the checkpointer is invalid after it returns. */
  processRecords(input: ProcessRecordsInput, checkpointer: Checkpointer): void | Promise<void>;
  /** Another worker took the lease: no checkpoint is possible; stop side effects quickly. */
  leaseLost?(input: ShardInput): void | Promise<void>;
  /**
   * The shard was fully read after a split or merge. Call `checkpointer.checkpoint()` (SHARD_END) once
   * every record is processed, or child shards never start. See the `autoCheckpointShardEnd` option.
   */
  shardEnded?(input: ShardInput, checkpointer: Checkpointer): void | Promise<void>;
  /** The worker is shutting down: checkpoint what is done. A leaseLost follows. */
  shutdownRequested?(input: ShardInput, checkpointer: Checkpointer): void | Promise<void>;
}

/**
 * Marks a processor that keeps records past `processRecords` and calls `record.release()` on each when
 * done with it (the per-key runtime does). Without it the session releases a batch's records once
 * `processRecords` settles. Releasing only affects memory reuse: a released record stays valid.
 * @internal
 */
export const kReleasesRecords: unique symbol = Symbol('kcl-ts.releasesRecords');

/** @internal */
export function ownsRecords(processor: RecordProcessor): boolean {
  return (processor as { [kReleasesRecords]?: boolean })[kReleasesRecords] === true;
}
