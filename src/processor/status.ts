import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Record counts of a shard: processed, retries made, dead-lettered, skipped, failed under stop-shard,
 * and abandoned: left unfinished by our own abort, not failures (delivered again from the checkpoint).
 */
export interface ShardCounters {
  processed: number;
  retried: number;
  deadLettered: number;
  skipped: number;
  failed: number;
  /** Records dropped or aborted because the lease was lost (queued, or running when it was). */
  abandonedOnLeaseLoss?: number;
  /** Records dropped or aborted because a shutdown drain timed out. */
  abandonedOnDrainTimeout?: number;
  lastCheckpoint?: { sequenceNumber: string; subSequenceNumber: number };
}

/** What one shard process reports to the launcher (`kcl-ts run` summaries and --stop-on-failure). */
export interface ShardStatus extends ShardCounters {
  shardId: string;
  pid: number;
  /** `stopped-on-failure`: a record failed under the stop-shard policy; `ended`: the process exited. */
  state: 'running' | 'stopped-on-failure' | 'ended';
  /** The first record that failed under stop-shard, and why. */
  failure?: { partitionKey: string; sequenceNumber: string; subSequenceNumber: number; error: string };
  exitCode?: number;
  updatedAt: string;
}

/**
 * The side channel to the launcher: a JSON file per shard process in `KCL_TS_STATUS_DIR` (stdout is the
 * protocol's), replaced atomically (write + rename) on every update.
 */
export class StatusReporter {
  readonly #file: string;
  #status: ShardStatus;

  constructor(dir: string, shardId = 'unknown') {
    this.#file = join(dir, `shard-${process.pid}.json`);
    this.#status = {
      shardId,
      pid: process.pid,
      state: 'running',
      processed: 0,
      retried: 0,
      deadLettered: 0,
      skipped: 0,
      failed: 0,
      updatedAt: new Date().toISOString(),
    };
  }

  get status(): Readonly<ShardStatus> {
    return this.#status;
  }

  /** Adds to the counters and sets fields, then writes the file. */
  update(change: Partial<Omit<ShardStatus, 'pid' | 'updatedAt'>>): void {
    this.#status = { ...this.#status, ...change, updatedAt: new Date().toISOString() };
    this.write();
  }

  /** Increments one counter without writing (written with the next update). */
  count(counter: Exclude<keyof ShardCounters, 'lastCheckpoint'>, n = 1): void {
    this.#status[counter] = (this.#status[counter] ?? 0) + n;
  }

  write(): void {
    const tmp = `${this.#file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.#status));
      renameSync(tmp, this.#file);
    } catch {
      // The launcher went away or the folder is gone: the status is best effort, processing is not.
    }
  }
}
