import { compareDecimal } from '../checkpoint/position.js';
import type { PutResult } from './kinesis.js';
import type { Lease } from './lease-table.js';

/** How far the checkpoint of one shard covers the records put into it. */
export interface ShardCompletion {
  shardId: string;
  /** Records put into the shard. */
  put: number;
  /** Of those, the records at or before the shard's lease checkpoint. */
  checkpointed: number;
  /** The lease's checkpoint (a sequence number or a sentinel such as TRIM_HORIZON), if it has a lease. */
  checkpoint?: string;
}

/**
 * Counts the produced records that the daemon's lease checkpoints cover: a record counts once its shard's
 * lease checkpoint is at or after its sequence number (or is SHARD_END). This works for any consumer,
 * because it reads what the daemon stored, not what the consumer says about itself.
 *
 * The records come from {@link putRecords} and are never KPL-aggregated (sub-sequence 0), so a checkpoint
 * at a record's sequence number covers it.
 *
 * Invariant: every per-shard list is sorted ascending by sequence number (Kinesis numbers grow within a
 * shard; `add` keeps the order even if results arrive out of order).
 */
export class CheckpointCompletion {
  readonly #byShard = new Map<string, string[]>();
  #put = 0;

  /** Records put so far. */
  get put(): number {
    return this.#put;
  }

  /** Remembers where records landed. */
  add(results: readonly PutResult[]): void {
    for (const r of results) {
      let list = this.#byShard.get(r.shardId);
      if (!list) this.#byShard.set(r.shardId, (list = []));
      const last = list[list.length - 1];
      if (last === undefined || compareDecimal(last, r.sequenceNumber) < 0) {
        list.push(r.sequenceNumber);
      } else {
        list.splice(upperBound(list, r.sequenceNumber), 0, r.sequenceNumber);
      }
      this.#put++;
    }
  }

  /** Per shard (every shard with a lease or a record), sorted by shard id. */
  shards(leases: readonly Lease[]): ShardCompletion[] {
    const ids = new Set([...this.#byShard.keys(), ...leases.map((l) => l.leaseKey)]);
    return [...ids].sort().map((shardId) => {
      const list = this.#byShard.get(shardId) ?? [];
      const checkpoint = leases.find((l) => l.leaseKey === shardId)?.checkpoint;
      return { shardId, put: list.length, checkpointed: covered(list, checkpoint), checkpoint };
    });
  }

  /** Records put into `shardId` at or after `sequence` (those a shard stopped at `sequence` never checkpoints). */
  fromSequence(shardId: string, sequence: string): number {
    const list = this.#byShard.get(shardId) ?? [];
    return list.length - lowerBound(list, sequence);
  }

  /** Records covered by the checkpoints of `leases`. */
  checkpointed(leases: readonly Lease[]): number {
    return this.shards(leases).reduce((n, s) => n + s.checkpointed, 0);
  }
}

/** How many of the sorted `list` a checkpoint covers: all at SHARD_END, none at another sentinel. */
function covered(list: readonly string[], checkpoint: string | undefined): number {
  if (checkpoint === 'SHARD_END') return list.length;
  if (checkpoint === undefined || !/^\d+$/.test(checkpoint)) return 0;
  return upperBound(list, checkpoint);
}

/** The number of entries of the sorted `list` that are < `sequence`. */
function lowerBound(list: readonly string[], sequence: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareDecimal(list[mid]!, sequence) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of entries of the sorted `list` that are <= `sequence`. */
function upperBound(list: readonly string[], sequence: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareDecimal(list[mid]!, sequence) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
