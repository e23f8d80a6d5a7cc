import {
  CheckpointError,
  CheckpointErrorCode,
  type CheckpointChannel,
  type CheckpointPosition,
} from '../protocol/index.js';
import { describeValue } from '../errors.js';

/** A checkpoint position given as an object, e.g. a {@link KinesisRecord}. */
export interface CheckpointTarget {
  sequenceNumber: string;
  subSequenceNumber?: number;
}

/**
 * Records progress in the lease table through the daemon. Valid only while the call it was passed to
 * is running (the daemon listens for checkpoints only then); every call resolves when the daemon has
 * answered, and rejects with a typed {@link CheckpointError} otherwise.
 */
export interface Checkpointer {
  /** At the latest record delivered; during `shardEnded`, SHARD_END. */
  checkpoint(): Promise<void>;
  /** At a sequence number (and sub-sequence number for de-aggregated records). */
  checkpoint(sequenceNumber: string, subSequenceNumber?: number): Promise<void>;
  /** At a record: `checkpoint(record)`. */
  checkpoint(target: CheckpointTarget): Promise<void>;
}

const DECIMAL = /^\d+$/;

function badArgument(what: string, position: CheckpointPosition): CheckpointError {
  return new CheckpointError(CheckpointErrorCode.BAD_ARGUMENT, what, position);
}

/** Turns the checkpoint() arguments into a position, or says what was wrong with them. */
export function toPosition(a?: string | CheckpointTarget, b?: number): CheckpointPosition {
  if (a === undefined) return { sequenceNumber: null, subSequenceNumber: null };
  const seq = typeof a === 'object' && a !== null ? a.sequenceNumber : a;
  const sub = typeof a === 'object' && a !== null ? a.subSequenceNumber : b;
  const position: CheckpointPosition = { sequenceNumber: typeof seq === 'string' ? seq : null, subSequenceNumber: sub ?? 0 };
  if (typeof seq !== 'string' || !DECIMAL.test(seq)) {
    throw badArgument(`Expected a decimal sequence number string to checkpoint at, got ${describeValue(seq)}`, position);
  }
  if (!Number.isSafeInteger(position.subSequenceNumber) || (position.subSequenceNumber ?? 0) < 0) {
    throw badArgument(`Expected \`subSequenceNumber\` to be an integer >= 0, got ${describeValue(sub)}`, position);
  }
  return position;
}

/**
 * The checkpointer handed to one processor call. `close()` ends its validity when the call returns.
 * `shardEndCheckpointed` tells the session whether a SHARD_END checkpoint succeeded during shardEnded.
 */
export class ScopedCheckpointer implements Checkpointer {
  readonly #channel: CheckpointChannel;
  readonly #action: string;
  #open = true;
  #nullCheckpointed = false;

  constructor(channel: CheckpointChannel, action: string) {
    this.#channel = channel;
    this.#action = action;
  }

  /** True once a checkpoint with no position succeeded through this checkpointer. */
  get nullCheckpointed(): boolean {
    return this.#nullCheckpointed;
  }

  checkpoint(a?: string | CheckpointTarget, b?: number): Promise<void> {
    let position: CheckpointPosition;
    try {
      position = toPosition(a, b);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#open) {
      return Promise.reject(
        new CheckpointError(
          CheckpointErrorCode.NOT_LISTENING,
          `The checkpointer of a \`${this.#action}\` call was used after that call returned; the daemon only ` +
            'listens for checkpoints while a call runs: await checkpoint() inside the call',
          position,
        ),
      );
    }
    return this.#channel.checkpoint(position).then(() => {
      if (position.sequenceNumber === null) this.#nullCheckpointed = true;
    });
  }

  /** Ends validity: later calls reject with `KCLTS_ERR_CHECKPOINT_NOT_LISTENING`. */
  close(): void {
    this.#open = false;
  }
}
