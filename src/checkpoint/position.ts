/** A place in a shard: sequence number (decimal string, up to 128 bits) and sub-sequence number. */
export interface Position {
  sequenceNumber: string;
  subSequenceNumber?: number | null;
}

/**
 * Compares two non-negative decimal integer strings numerically without BigInt: by length once leading
 * zeros are ignored, then by characters. Sequence numbers are compared per record on the hot path.
 * @returns a negative number, zero or a positive number, as `a` is below, equal to or above `b`.
 */
export function compareDecimal(a: string, b: string): number {
  if (a === b) return 0;
  // Fast path (every Kinesis sequence number): digit strings of one length (leading zeros or not) are
  // in numeric order as text.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the fast path only saves time (the loop below gives the same answer); a !== b here, so `a <= b` is `a < b`
  if (a.length === b.length) return a < b ? -1 : 1;
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la - lb;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Orders positions as the daemon does: by sequence number as an integer, then sub-sequence number.
 * Sequence numbers of one shard may differ in length, so plain string comparison is not enough.
 */
export function comparePositions(a: Position, b: Position): number {
  return compareDecimal(a.sequenceNumber, b.sequenceNumber) || (a.subSequenceNumber ?? 0) - (b.subSequenceNumber ?? 0);
}
