/** A place in a shard: sequence number (decimal string, up to 128 bits) and sub-sequence number. */
export interface Position {
  sequenceNumber: string;
  subSequenceNumber?: number | null;
}

/**
 * Orders positions as the daemon does: by sequence number as a big integer, then sub-sequence number.
 * Sequence numbers of one shard may differ in length, so string comparison is not enough.
 */
export function comparePositions(a: Position, b: Position): number {
  if (a.sequenceNumber !== b.sequenceNumber) {
    const sa = BigInt(a.sequenceNumber);
    const sb = BigInt(b.sequenceNumber);
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  return (a.subSequenceNumber ?? 0) - (b.subSequenceNumber ?? 0);
}
