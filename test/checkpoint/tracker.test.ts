// Property-based tests of the checkpoint watermark (CheckpointTracker) and of decimal/position ordering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CheckpointTracker, TrackerErrorCode, compareDecimal, comparePositions, type Position } from '../../src/checkpoint/index.js';
import { KclTsError } from '../../src/errors.js';
import { prng } from '../helpers.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** One step between two consecutive records: same sequence number (next sub-sequence) or a jump. */
const stepArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ sub: true as const }) },
  // Jumps of very different sizes, so that sequence numbers cross powers of ten (different lengths).
  { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 20n }).map((d) => ({ sub: false as const, d })) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 30n }).map((d) => ({ sub: false as const, d })) },
);

interface PositionsSpec {
  start: bigint;
  steps: ({ sub: true } | { sub: false; d: bigint })[];
  /** Per record: leading zeros to prepend (same number, different text), and whether sub 0 is omitted. */
  pads: number[];
  nullSub: boolean[];
}

const positionsArb = (maxLength: number, minLength = 0): fc.Arbitrary<PositionsSpec> =>
  fc
    .record({
      start: fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 10n ** 55n, max: 10n ** 56n - 1n })),
      steps: fc.array(stepArb, { minLength, maxLength }),
      pads: fc.array(fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }), {
        minLength: maxLength + 1,
        maxLength: maxLength + 1,
      }),
      nullSub: fc.array(fc.boolean(), { minLength: maxLength + 1, maxLength: maxLength + 1 }),
    });

/** Builds strictly increasing positions (the order the daemon delivers). */
/** A position as the tracker reports it (a value, sub-sequence number 0 when absent). */
function norm(p: Position | undefined): Position | undefined {
  return p && { sequenceNumber: p.sequenceNumber, subSequenceNumber: p.subSequenceNumber ?? 0 };
}

function buildPositions(spec: PositionsSpec): Position[] {
  const out: Position[] = [];
  let seq = spec.start;
  let sub = 0;
  const make = (i: number): Position => {
    const text = '0'.repeat(spec.pads[i] ?? 0) + seq.toString();
    if (sub === 0) {
      if (spec.nullSub[i]) return { sequenceNumber: text, subSequenceNumber: i % 2 === 0 ? null : undefined };
      return { sequenceNumber: text };
    }
    return { sequenceNumber: text, subSequenceNumber: sub };
  };
  out.push(make(0));
  spec.steps.forEach((s, k) => {
    if (s.sub) sub++;
    else {
      seq += s.d;
      sub = 0;
    }
    out.push(make(k + 1));
  });
  return out;
}

const asBig = (p: Position): [bigint, number] => [BigInt(p.sequenceNumber), p.subSequenceNumber ?? 0];


/**
 * A random interleaving of accepts (batches in order) and settles (random accepted tickets, some
 * repeated, some out of range, some never), checked against a model after every step.
 */
function checkRun(positions: Position[], seed: number, settleShare: number, locality: number): void {
  const rnd = prng(seed);
  const tracker = new CheckpointTracker();
  const settled: boolean[] = [];
  let accepted = 0;
  let prefix = 0; // model: length of the longest settled prefix
  let previous: Position | undefined;
  const unsettled: number[] = [];
  let steps = 0;

  const check = (): void => {
    const expected = prefix === 0 ? undefined : positions[prefix - 1];
    assert.deepEqual(tracker.watermark, norm(expected), `watermark after prefix ${prefix}`);
    assert.equal(tracker.passed, prefix);
    assert.equal(tracker.pending, accepted - prefix);
    assert.equal(tracker.allSettled, prefix === accepted);
    assert.deepEqual(tracker.oldestUnsettled, prefix < accepted ? norm(positions[prefix]) : undefined);
    const wm = tracker.watermark;
    if (wm) {
      // Never passes an unsettled record; never moves backwards.
      // (A full scan now and then; the model check above already pins the watermark to the prefix.)
      if (++steps % 64 === 0 || accepted < 200) {
        for (let i = 0; i < accepted && comparePositions(positions[i]!, wm) <= 0; i++) assert.ok(settled[i], `record ${i} unsettled but passed`);
      }
      if (prefix < accepted) assert.ok(comparePositions(positions[prefix]!, wm) > 0, 'the oldest unsettled record is after the watermark');
      if (previous) assert.ok(comparePositions(wm, previous) >= 0, 'watermark moved backwards');
      previous = wm;
    }
  };

  while (accepted < positions.length || unsettled.length > 0) {
    const doAccept = accepted < positions.length && (unsettled.length === 0 || rnd(100) >= settleShare);
    if (doAccept) {
      const size = 1 + rnd(Math.min(40, positions.length - accepted));
      const ticket = tracker.accept(positions.slice(accepted, accepted + size));
      assert.equal(ticket, accepted, 'tickets are consecutive from 0');
      for (let i = 0; i < size; i++) {
        settled.push(false);
        unsettled.push(accepted + i);
      }
      accepted += size;
    } else {
      // Mostly settle near the oldest unsettled record (as handlers finishing roughly in order do).
      const j = rnd(100) < locality ? rnd(Math.min(unsettled.length, 8)) : rnd(unsettled.length);
      const t = unsettled.splice(j, 1)[0]!;
      tracker.settle(t);
      settled[t] = true;
      while (prefix < accepted && settled[prefix]) prefix++;
      const noise = rnd(10);
      if (noise === 0 && t < prefix) tracker.settle(t); // settling twice changes nothing
      // Tickets never issued are rejected and change nothing (the check() below sees the same state).
      const unknown = [accepted, accepted + 5, -1, 0.5][noise - 1];
      if (unknown !== undefined) assert.throws(() => tracker.settle(unknown), { code: TrackerErrorCode.UNKNOWN_TICKET });
    }
    check();
  }
  assert.equal(tracker.allSettled, true);
  if (positions.length > 0) assert.deepEqual(tracker.watermark, norm(positions[positions.length - 1]));
}

test('tracker: the watermark is the last record of the longest settled prefix (random accepts and settle orders)', () => {
  fc.assert(
    fc.property(positionsArb(120), fc.integer(), fc.integer({ min: 10, max: 90 }), fc.integer({ min: 0, max: 100 }), (spec, seed, share, loc) => {
      checkRun(buildPositions(spec), seed, share, loc);
    }),
    { numRuns: 300 },
  );
});

test('tracker: compaction (> 1024 passed entries) keeps the watermark, tickets and counters right', () => {
  fc.assert(
    fc.property(positionsArb(4000, 2100), fc.integer(), fc.integer({ min: 40, max: 70 }), fc.integer({ min: 80, max: 100 }), (spec, seed, share, loc) => {
      checkRun(buildPositions(spec), seed, share, loc);
    }),
    { numRuns: 25 },
  );
});

test('tracker: a watermark held by one old unsettled record survives compaction and then jumps', () => {
  const t = new CheckpointTracker();
  const pos = (i: number): Position => ({ sequenceNumber: String(1000 + i) });
  for (let i = 0; i < 5000; i += 100) t.accept(Array.from({ length: 100 }, (_, k) => pos(i + k)));
  for (let i = 1; i < 5000; i++) t.settle(i);
  assert.equal(t.watermark, undefined);
  assert.equal(t.pending, 5000);
  assert.deepEqual(t.oldestUnsettled, norm(pos(0)));
  t.settle(0);
  assert.deepEqual(t.watermark, norm(pos(4999)));
  assert.equal(t.passed, 5000);
  assert.equal(t.allSettled, true);
  // After compaction, new tickets continue the numbering.
  for (let round = 0; round < 3; round++) {
    const first = t.accept(Array.from({ length: 2000 }, (_, k) => pos(5000 + round * 2000 + k)));
    assert.equal(first, 5000 + round * 2000);
    for (let k = 0; k < 2000; k++) t.settle(first + k);
    assert.deepEqual(t.watermark, norm(pos(5000 + round * 2000 + 1999)));
    t.settle(first); // stale ticket after compaction: ignored
    assert.equal(t.pending, 0);
  }
});

test('tracker: settle() of a ticket not issued yet throws KCLTS_ERR_TRACKER_UNKNOWN_TICKET; the record that later gets it is not settled', () => {
  // The sequence: accept 1, 2; settle(2); accept 3; settle 0 and 1.
  const t = new CheckpointTracker();
  t.accept([{ sequenceNumber: '1' }]);
  t.accept([{ sequenceNumber: '2' }]);
  assert.throws(
    () => t.settle(2),
    (err: unknown) => err instanceof KclTsError && err.code === TrackerErrorCode.UNKNOWN_TICKET && /settle\(2\).*next one accept\(\) issues is 2/.test(err.message),
  );
  assert.equal(t.accept([{ sequenceNumber: '3' }]), 2);
  t.settle(0);
  t.settle(1);
  assert.deepEqual(t.watermark, { sequenceNumber: '2', subSequenceNumber: 0 });
  assert.equal(t.allSettled, false);
  assert.deepEqual(t.oldestUnsettled, { sequenceNumber: '3', subSequenceNumber: 0 });
  for (const bad of [-1, 3, 1.5, Number.NaN, Infinity]) assert.throws(() => t.settle(bad), { code: TrackerErrorCode.UNKNOWN_TICKET });
  assert.throws(() => new CheckpointTracker().settle(0), { code: TrackerErrorCode.UNKNOWN_TICKET });
  t.settle(2);
  assert.deepEqual(t.watermark, { sequenceNumber: '3', subSequenceNumber: 0 });
});

test('tracker: accept([]) issues no ticket, returns the next one and changes nothing', () => {
  const t = new CheckpointTracker();
  assert.equal(t.accept([]), 0);
  assert.equal(t.pending, 0);
  assert.equal(t.allSettled, true);
  assert.equal(t.watermark, undefined);
  assert.throws(() => t.settle(0), { code: TrackerErrorCode.UNKNOWN_TICKET });
  assert.equal(t.accept([{ sequenceNumber: '7' }]), 0);
  assert.equal(t.accept([]), 1);
  // The empty batch did not reset the order check.
  assert.throws(() => t.accept([{ sequenceNumber: '7' }]), { code: TrackerErrorCode.OUT_OF_ORDER });
  t.settle(0);
  assert.equal(t.accept([]), 1);
  assert.deepEqual(t.watermark, { sequenceNumber: '7', subSequenceNumber: 0 });
});

test('tracker: a record not after the previous one throws KCLTS_ERR_TRACKER_OUT_OF_ORDER and changes nothing', () => {
  fc.assert(
    fc.property(positionsArb(60), fc.nat(), fc.nat(), (spec, a, b) => {
      const positions = buildPositions(spec);
      const t = new CheckpointTracker();
      t.accept(positions);
      const settleCount = a % (positions.length + 1);
      for (let i = 0; i < settleCount; i++) t.settle(i);
      const before = { wm: t.watermark, pending: t.pending, passed: t.passed };
      // Any earlier or equal position (same number spelled with or without leading zeros / null sub 0).
      const old = positions[b % positions.length]!;
      const again: Position = { sequenceNumber: `0${old.sequenceNumber}`, subSequenceNumber: old.subSequenceNumber ?? null };
      for (const p of [old, again]) {
        assert.throws(
          () => t.accept([p]),
          (err: unknown) => err instanceof KclTsError && err.code === TrackerErrorCode.OUT_OF_ORDER && err.message.includes(p.sequenceNumber),
        );
        assert.deepEqual({ wm: t.watermark, pending: t.pending, passed: t.passed }, before);
      }
      // The tracker still accepts the right next record.
      const last = positions[positions.length - 1]!;
      const next: Position = { sequenceNumber: (BigInt(last.sequenceNumber) + 1n).toString() };
      assert.equal(t.accept([next]), positions.length);
    }),
    { numRuns: 200 },
  );
});

test('tracker: sub-sequence numbers order records of one aggregate; a lower sub-sequence of the same number is out of order', () => {
  const t = new CheckpointTracker();
  t.accept([{ sequenceNumber: '5', subSequenceNumber: 0 }, { sequenceNumber: '5', subSequenceNumber: 1 }, { sequenceNumber: '5', subSequenceNumber: 7 }]);
  assert.throws(() => t.accept([{ sequenceNumber: '5', subSequenceNumber: 6 }]), {
    code: TrackerErrorCode.OUT_OF_ORDER,
    message: 'Record 5/6 was delivered after 5/7; records of a shard must arrive in sequence order',
  });
  assert.throws(() => t.accept([{ sequenceNumber: '4' }]), { message: /^Record 4\/0 was delivered after 5\/7;/ });
  assert.throws(() => t.accept([{ sequenceNumber: '5', subSequenceNumber: 7 }]), { code: TrackerErrorCode.OUT_OF_ORDER });
  // 10 is after 9 even though '10' < '9' as text.
  const u = new CheckpointTracker();
  u.accept([{ sequenceNumber: '9' }, { sequenceNumber: '10' }, { sequenceNumber: '99' }, { sequenceNumber: '100' }]);
  assert.throws(() => u.accept([{ sequenceNumber: '11' }]), { code: TrackerErrorCode.OUT_OF_ORDER });
  const v = new CheckpointTracker();
  v.accept([{ sequenceNumber: '9', subSequenceNumber: null }]);
  assert.throws(() => v.accept([{ sequenceNumber: '8', subSequenceNumber: null }]), { message: /^Record 8\/0 was delivered after 9\/0;/ });
});

test(
  'tracker: a batch rejected as out of order leaves no half-accepted records behind',
  () => {
    const t = new CheckpointTracker();
    t.accept([{ sequenceNumber: '10' }]);
    t.settle(0);
    assert.throws(() => t.accept([{ sequenceNumber: '11' }, { sequenceNumber: '12' }, { sequenceNumber: '3' }]), { code: TrackerErrorCode.OUT_OF_ORDER });
    assert.equal(t.pending, 0);
    assert.equal(t.allSettled, true);
    assert.equal(t.accept([{ sequenceNumber: '11' }]), 1);
  },
);

const decimalArb = fc.oneof(
  fc.stringMatching(/^[0-9]{1,40}$/),
  fc.bigInt({ min: 0n, max: 2n ** 128n }).map((n) => n.toString()),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.bigInt({ min: 0n, max: 10n ** 60n })).map(([z, n]) => '0'.repeat(z) + n.toString()),
);

test('compareDecimal agrees with BigInt on random decimal strings (leading zeros, different lengths)', () => {
  fc.assert(
    fc.property(decimalArb, decimalArb, (a, b) => {
      const expected = sign(Number(BigInt(a) > BigInt(b)) - Number(BigInt(a) < BigInt(b)));
      assert.equal(sign(compareDecimal(a, b)), expected, `${a} vs ${b}`);
      if (expected === 0) assert.equal(compareDecimal(a, b), 0, `${a} vs ${b}: exactly 0`);
      assert.equal(sign(compareDecimal(b, a)), expected === 0 ? 0 : -expected);
      assert.equal(compareDecimal(a, a), 0);
    }),
    { numRuns: 2000 },
  );
  // Pairs of close numbers (the interesting ones): n vs n+d, padded differently.
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.bigInt({ min: -3n, max: 3n }), fc.nat(3), fc.nat(3), (n, d, za, zb) => {
      const m = n + d < 0n ? 0n : n + d;
      const a = '0'.repeat(za) + n.toString();
      const b = '0'.repeat(zb) + m.toString();
      assert.equal(sign(compareDecimal(a, b)), n === m ? 0 : n < m ? -1 : 1, `${a} vs ${b}`);
      if (n === m) assert.equal(compareDecimal(a, b), 0, `${a} vs ${b}: exactly 0`);
    }),
    { numRuns: 2000 },
  );
});

test('compareDecimal: zero spelled with several zeros, and leading zeros on either side', () => {
  for (const [a, b, expected] of [
    ['0', '000', 0],
    ['000', '0', 0],
    ['00', '1', -1],
    ['1', '000', 1],
    ['0010', '9', 1],
    ['9', '0010', -1],
    ['007', '7', 0],
    ['12', '0013', -1],
  ] as const) {
    assert.equal(sign(compareDecimal(a, b)), expected, `${a} vs ${b}`);
    if (expected === 0) assert.equal(compareDecimal(a, b), 0);
  }
});

test('comparePositions: sequence number as an integer, then sub-sequence (null/undefined = 0)', () => {
  fc.assert(
    fc.property(decimalArb, decimalArb, fc.option(fc.nat(20)), fc.option(fc.nat(20)), (a, b, sa, sb) => {
      const pa: Position = { sequenceNumber: a, subSequenceNumber: sa };
      const pb: Position = { sequenceNumber: b, subSequenceNumber: sb ?? undefined };
      const [na, xa] = asBig(pa);
      const [nb, xb] = asBig(pb);
      const expected = na !== nb ? (na < nb ? -1 : 1) : sign(xa - xb);
      assert.equal(sign(comparePositions(pa, pb)), expected);
    }),
    { numRuns: 1000 },
  );
});
