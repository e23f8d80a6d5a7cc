/**
 * Scans the JSON number grammar from `i` in `b`: the index after the number; `end` when the input ends
 * inside or right after it (the caller decides whether more may follow); `-(k + 1)` when byte `k` breaks
 * the grammar (at `end`, `-(end + 1)` is never returned: running out is reported as `end`).
 *
 * The digit loops are written out, each keeping the current byte in `c`: a shared skipDigits() helper
 * re-reading `b[i]` measured about 25% slower (20,000 timestamps, sequence numbers and decimals, one run).
 */
export function scanNumber(b: ArrayLike<number>, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return end;
  let c = b[i]!;
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) {
    do i++;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39);
  } else return -(i + 1);
  if (i >= end) return end;
  c = b[i]!;
  if (c === 0x2e) {
    i++;
    if (i >= end) return end;
    c = b[i]!;
    if (c < 0x30 || c > 0x39) return -(i + 1);
    do i++;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39);
    if (i >= end) return end;
    c = b[i]!;
  }
  if (c === 0x65 || c === 0x45) {
    i++;
    if (i >= end) return end;
    c = b[i]!;
    if (c === 0x2b || c === 0x2d) {
      i++;
      if (i >= end) return end;
      c = b[i]!;
    }
    if (c < 0x30 || c > 0x39) return -(i + 1);
    do i++;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39);
  }
  return i;
}
