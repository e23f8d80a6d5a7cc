import { KclTsError } from '../errors.js';
import { comparePositions, type Position } from './position.js';

/** Error codes of the checkpoint-tracking area. */
export const TrackerErrorCode = {
  /** Records were delivered out of (sequence, sub-sequence) order. */
  OUT_OF_ORDER: 'KCLTS_ERR_TRACKER_OUT_OF_ORDER',
  /** `settle()` was called with a ticket `accept()` never returned (a bug in the caller). */
  UNKNOWN_TICKET: 'KCLTS_ERR_TRACKER_UNKNOWN_TICKET',
} as const;

/**
 * The checkpoint watermark of one shard: the highest accepted record such that it and every record
 * accepted before it are settled (processed, or dead-lettered). Records are accepted in delivery order,
 * which the daemon guarantees is (sequence number, sub-sequence number) order; the tracker checks it.
 *
 * Invariant: entries `#head …` of the arrays are the accepted records not yet passed by the watermark,
 * in order; `#settled[i]` says whether entry i settled. The watermark only moves forward, past a prefix
 * of settled entries; an unsettled entry (running, queued, failed) holds it, whatever settles after it.
 *
 * Only positions are kept (sequence strings and sub-sequence numbers, not the records): a finished
 * record waiting behind a slow one must not keep its payload alive.
 */
export class CheckpointTracker {
  #sequences: string[] = [];
  #subSequences: number[] = [];
  #settled: boolean[] = [];
  /** Ticket number of entry 0 of the arrays. */
  #base = 0;
  #head = 0;
  #last: Position | undefined;
  #watermark: Position | undefined;
  #passed = 0;

  /**
   * Accepts records in delivery order and returns the ticket of the first; the others follow it.
   * @throws {KclTsError} `KCLTS_ERR_TRACKER_OUT_OF_ORDER` when a record is not after the previous one.
   */
  accept(records: readonly Position[]): number {
    // Check the whole batch first, so that a rejected batch leaves nothing half accepted.
    let prev = this.#last;
    for (const r of records) {
      if (prev && comparePositions(r, prev) <= 0) {
        throw new KclTsError(
          TrackerErrorCode.OUT_OF_ORDER,
          `Record ${r.sequenceNumber}/${r.subSequenceNumber ?? 0} was delivered after ${prev.sequenceNumber}/${prev.subSequenceNumber ?? 0}; ` +
            'records of a shard must arrive in sequence order',
        );
      }
      prev = r;
    }
    const first = this.#base + this.#sequences.length;
    for (const r of records) {
      this.#sequences.push(r.sequenceNumber);
      this.#subSequences.push(r.subSequenceNumber ?? 0);
      this.#settled.push(false);
    }
    if (prev) this.#last = { sequenceNumber: prev.sequenceNumber, subSequenceNumber: prev.subSequenceNumber ?? 0 };
    return first;
  }

  /**
   * Marks the record with `ticket` settled; the watermark moves if it was the oldest unsettled one.
   * Settling a ticket again, or one the watermark already passed, changes nothing.
   * @throws {KclTsError} `KCLTS_ERR_TRACKER_UNKNOWN_TICKET` for a ticket `accept()` has not issued: it
   *   would otherwise mark a record accepted later as settled before it ever ran.
   */
  settle(ticket: number): void {
    const issued = this.#base + this.#settled.length;
    if (!Number.isInteger(ticket) || ticket < 0 || ticket >= issued) {
      throw new KclTsError(
        TrackerErrorCode.UNKNOWN_TICKET,
        `settle(${String(ticket)}): no record has this ticket (tickets are integers from 0; the next one accept() ` +
          `issues is ${issued}); settle only tickets that accept() returned`,
      );
    }
    const i = ticket - this.#base;
    // Stryker disable next-line ConditionalExpression: equivalent (entries before #head are settled); keeps stale tickets (< #base after compaction) off the arrays
    if (i < this.#head) return;
    this.#settled[i] = true;
    if (i !== this.#head) return;
    let h = this.#head;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent (#settled[length] is undefined); the bound avoids reading past the array
    while (h < this.#settled.length && this.#settled[h]) h++;
    this.#watermark = this.#at(h - 1);
    this.#passed += h - this.#head;
    this.#head = h;
    this.#compact();
  }

  /** The position to checkpoint: every record up to it is settled. Undefined before the first one. */
  get watermark(): Position | undefined {
    return this.#watermark;
  }

  /** Accepted records the watermark has not passed yet (unsettled, or settled after an unsettled one). */
  get pending(): number {
    return this.#sequences.length - this.#head;
  }

  /** Records the watermark has passed since the tracker was created. */
  get passed(): number {
    return this.#passed;
  }

  /** The oldest record holding the watermark back, if any. */
  get oldestUnsettled(): Position | undefined {
    return this.#head < this.#sequences.length ? this.#at(this.#head) : undefined;
  }

  /** True when every accepted record settled. */
  get allSettled(): boolean {
    return this.#head === this.#sequences.length;
  }

  #at(i: number): Position {
    return { sequenceNumber: this.#sequences[i]!, subSequenceNumber: this.#subSequences[i]! };
  }

  /** Drops the passed prefix once it is at least half of the arrays (amortised O(1) per record). */
  // Stryker disable next-line BlockStatement: when compaction happens changes memory and cost only, not what the API returns (bench/ measures those)
  #compact(): void {
    // Stryker disable next-line all: as above (how often compaction runs is not observable through the API)
    if (this.#head < 1024 || this.#head * 2 < this.#sequences.length) return;
    this.#sequences = this.#sequences.slice(this.#head);
    this.#subSequences = this.#subSequences.slice(this.#head);
    this.#settled = this.#settled.slice(this.#head);
    this.#base += this.#head;
    this.#head = 0;
  }
}
