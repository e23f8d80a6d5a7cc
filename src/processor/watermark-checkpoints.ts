import type { Logger } from 'pino';
import { comparePositions, type CheckpointTracker, type Position } from '../checkpoint/index.js';
import { CheckpointError, CheckpointShutdownError } from '../protocol/index.js';
import type { Checkpointer } from './checkpointer.js';
import type { CheckpointInterval } from './handler-options.js';
import type { StatusReporter } from './status.js';

/**
 * Checkpoints a tracker's watermark while the daemon listens: only when it moved and the interval is
 * due (or forced), never throwing. A ShutdownException means the lease is gone: no checkpoint, not
 * even SHARD_END, is attempted after it.
 */
export class WatermarkCheckpoints {
  readonly #tracker: CheckpointTracker;
  readonly #interval: CheckpointInterval | undefined;
  readonly #log: Logger;
  readonly #status: StatusReporter | undefined;
  #checkpointed: Position | undefined;
  #checkpointedAt = Date.now();
  #passedAtCheckpoint = 0;
  #disabled = false;

  constructor(tracker: CheckpointTracker, interval: CheckpointInterval | undefined, log: Logger, status?: StatusReporter) {
    this.#tracker = tracker;
    this.#interval = interval;
    this.#log = log;
    this.#status = status;
  }

  /** Milliseconds since the last checkpoint (or since start). */
  get ageMs(): number {
    return Date.now() - this.#checkpointedAt;
  }

  /** Checkpoints the watermark when it moved and (unless `force`) the checkpoint interval is due. */
  async checkpoint(checkpointer: Checkpointer, force: boolean): Promise<void> {
    const wm = this.#tracker.watermark;
    if (!wm || this.#disabled) return;
    if (this.#checkpointed && comparePositions(wm, this.#checkpointed) <= 0) return;
    const interval = this.#interval;
    if (!force && interval) {
      const byRecords = this.#tracker.passed - this.#passedAtCheckpoint >= (interval.records ?? Infinity);
      const byTime = Date.now() - this.#checkpointedAt >= (interval.ms ?? Infinity);
      if (!byRecords && !byTime) return;
    }
    const at = { sequenceNumber: wm.sequenceNumber, subSequenceNumber: wm.subSequenceNumber ?? 0 };
    if (await this.#guard(() => checkpointer.checkpoint(at), `${at.sequenceNumber}/${at.subSequenceNumber}`)) {
      this.#checkpointed = wm;
      this.#checkpointedAt = Date.now();
      this.#passedAtCheckpoint = this.#tracker.passed;
      this.#status?.update({ lastCheckpoint: at });
    }
  }

  /** Checkpoints SHARD_END (the caller checked that every record settled). */
  async shardEnd(checkpointer: Checkpointer): Promise<void> {
    if (this.#disabled) {
      this.#log.warn('shardEnded after a checkpoint was refused with ShutdownException: the lease is gone; SHARD_END not attempted');
      return;
    }
    if (await this.#guard(() => checkpointer.checkpoint(), 'SHARD_END')) {
      this.#status?.update({ lastCheckpoint: { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 } });
    }
  }

  /** Runs a checkpoint; failures are logged, never thrown (ShutdownException stops checkpointing). */
  async #guard(checkpoint: () => Promise<void>, what: string): Promise<boolean> {
    try {
      await checkpoint();
      return true;
    } catch (err) {
      if (err instanceof CheckpointShutdownError) {
        this.#disabled = true;
        this.#log.warn({ at: what }, 'checkpoint refused with ShutdownException: the lease is gone; no more checkpoints');
      } else if (err instanceof CheckpointError) {
        this.#log.error({ err, at: what }, 'checkpoint failed; the next message tries again');
      } else throw err;
      return false;
    }
  }
}
