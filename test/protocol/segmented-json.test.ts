import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSegments } from '../../src/protocol/segmented-json.js';
import { ProtocolError, ProtocolErrorCode } from '../../src/protocol/errors.js';

/** Cuts `buf` at the given sizes (cycled), as zero-copy views. */
function cut(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let k = 0;
  for (let i = 0; i < buf.length; ) {
    const n = sizes[k++ % sizes.length]!;
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Every way to cut `text` in two, three (coarsely) and in 1-byte pieces. */
function cuts(text: string): Buffer[][] {
  const buf = Buffer.from(text);
  const out: Buffer[][] = [[buf], cut(buf, [1])];
  for (let i = 0; i <= buf.length; i++) out.push([buf.subarray(0, i), buf.subarray(i)]);
  for (let i = 0; i <= buf.length; i += 3) {
    for (let j = i; j <= buf.length; j += 2) out.push([buf.subarray(0, i), buf.subarray(i, j), buf.subarray(j)]);
  }
  return out;
}

const sizesArb = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });
const wsArb = fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  \t ');

/** JSON.stringify with random whitespace between tokens. */
function spaced(value: unknown, ws: () => string): string {
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => spaced(v, ws)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(v, ws)}`);
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return JSON.stringify(value);
}

const trickyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '"', '\\', '\\"', '"\\', '\u0000\u001f', '\b\f\n\r\t/', '😀é€\u2028', 'x\\\\"y', '\ud83d\ude00'),
);
const trickyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, 1e21, 1.5e-7, -1.5e-7, 123456789012345, 1234567890123456789, 2 ** 53 + 2, 5e-324, 1.7976931348623157e308),
);
const trickyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    trickyString,
    trickyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 5 }),
  ),
})).value;

test('equals JSON.parse for arbitrary JSON cut into arbitrary segments', () => {
  fc.assert(
    fc.property(fc.jsonValue(), sizesArb, (value, sizes) => {
      const text = JSON.stringify(value);
      assert.deepEqual(parseSegments(cut(Buffer.from(text), sizes)), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

test('equals JSON.parse for unicode, escapes, emoji, odd numbers and random whitespace', () => {
  fc.assert(
    fc.property(trickyValue, sizesArb, fc.array(wsArb, { minLength: 1, maxLength: 7 }), (value, sizes, spaces) => {
      let k = 0;
      const text = `${spaces[0]}${spaced(value, () => spaces[k++ % spaces.length]!)}${spaces[spaces.length - 1]}`;
      const expected: unknown = JSON.parse(text);
      assert.deepEqual(parseSegments(cut(Buffer.from(text), sizes)), expected);
      assert.deepEqual(parseSegments([Buffer.from(text)], { bytesKey: 'nope' }), expected);
    }),
    { numRuns: 500 },
  );
});

test('scalars and cuts inside tokens, escapes and multi-byte characters', () => {
  const texts = [
    '-0', '0', '1e21', '1.5E-7', '-12.5e+3', '123456789012345', '1234567890123456', '12345678901234567890',
    'true', 'false', 'null', '""', '"\\u00e9\\ud83d\\ude00"', '"a\\"b\\\\"', '"\\\\\\""', '"😀 é ©"',
    ' [1, [2, {"a": [3, {}]}], [] ] ', '{"\\u0061":1,"a":2}', '[-0.0, 0e0, 0E-0]',
  ];
  for (const text of texts) {
    const expected: unknown = JSON.parse(text);
    for (const segments of cuts(text)) {
      assert.deepEqual(parseSegments(segments), expected, `${text} cut ${segments.map((s) => s.length).join('+')}`);
    }
  }
  assert.ok(Object.is(parseSegments([Buffer.from('-'), Buffer.from('0')]), -0));
});

test('empty segments anywhere are ignored', () => {
  const e = Buffer.alloc(0);
  assert.deepEqual(parseSegments([e, Buffer.from('{"a"'), e, e, Buffer.from(':[1'), e, Buffer.from('2]}'), e]), { a: [12] });
});

const base64Arb = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
const recordArb = fc.record(
  {
    data: fc.oneof({ weight: 8, arbitrary: base64Arb }, { weight: 1, arbitrary: fc.constant(null) }),
    partitionKey: fc.string(),
    sequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String),
    approximateArrivalTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    subSequenceNumber: fc.nat(),
    action: fc.constant('record'),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['data', 'partitionKey', 'sequenceNumber'] },
);

test('bytesKey members come back as Buffers of the raw bytes, zero-copy within a segment', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 20 }), fc.integer({ min: 1, max: 4096 }), (records, size) => {
      const line = Buffer.from(JSON.stringify({ action: 'processRecords', records, millisBehindLatest: 0 }));
      // Each segment in its own memory (as stdin chunks are), so a copy is told apart from a view.
      const segments = cut(line, [size]).map((s) => {
        const own = Buffer.alloc(s.length);
        s.copy(own);
        return own;
      });
      const got = parseSegments(segments, { bytesKey: 'data' }) as { records: Record<string, unknown>[] };
      const expected = JSON.parse(line.toString()) as { records: Record<string, unknown>[] };
      assert.equal(got.records.length, records.length);
      let cursor = 0;
      for (let i = 0; i < records.length; i++) {
        const { data, ...rest } = got.records[i]!;
        const { data: want, ...wantRest } = expected.records[i]!;
        assert.deepEqual(rest, wantRest);
        if (want === null) {
          assert.equal(data, null);
          continue;
        }
        assert.ok(Buffer.isBuffer(data));
        assert.deepEqual(data, Buffer.from(want as string));
        const text = want as string;
        if (text.length === 0) continue;
        const at = line.indexOf(`"data":"${text}"`, cursor) + 8;
        cursor = at;
        const k = Math.floor(at / size);
        const within = at + text.length <= (k + 1) * size;
        assert.equal(data.buffer === segments[k]!.buffer, within, `record ${i}: zero-copy iff within one segment`);
        if (within) assert.equal(data.byteOffset, segments[k]!.byteOffset + (at - k * size));
      }
    }),
    { numRuns: 300 },
  );
});

test('zero-copy: data within a segment is a view of that segment, across segments a copy', () => {
  const own = (text: string): Buffer => {
    const b = Buffer.alloc(Buffer.byteLength(text));
    b.write(text);
    return b;
  };
  const a = own('{"data":"QUJD","x":[{"data":"RE');
  const b = own('VG"},{"data":"R0hJ"}]}');
  const got = parseSegments([a, b], { bytesKey: 'data' }) as { data: Buffer; x: { data: Buffer }[] };
  assert.equal(got.data.buffer, a.buffer);
  assert.equal(got.data.byteOffset, a.byteOffset + 9);
  assert.equal(got.data.toString(), 'QUJD');
  assert.equal(got.x[0]!.data.toString(), 'REVG');
  assert.notEqual(got.x[0]!.data.buffer, a.buffer);
  assert.notEqual(got.x[0]!.data.buffer, b.buffer);
  const c = own('{"data":"QUJD');
  const tail = parseSegments([c, own('"}')], { bytesKey: 'data' }) as { data: Buffer };
  assert.equal(tail.data.buffer, c.buffer, 'only the closing quote in the next segment: still a view');
  assert.equal(got.x[1]!.data.buffer, b.buffer);
  assert.equal(got.x[1]!.data.toString(), 'R0hJ');
});

test('bytesKey: escapes are decoded, non-strings and array elements are left alone', () => {
  const text = '{"data":"a\\u00e9\\"\\n/\\/","o":{"data":[ "x" ],"n":{"data":null}},"d":{"data":1},"data2":"s"}';
  for (const segments of cuts(text)) {
    const got = parseSegments(segments, { bytesKey: 'data' }) as Record<string, any>;
    assert.deepEqual(got.data, Buffer.from('aé"\n//', 'utf8'));
    assert.deepEqual(got.o, { data: ['x'], n: { data: null } });
    assert.deepEqual(got.d, { data: 1 });
    assert.equal(got.data2, 's');
  }
});

const MALFORMED = [
  '', ' ', '{', '[', '{"a"', '{"a":', '{"a":1', '[1', '[1,', '"abc', '"abc\\"', '"\\', 'tru', 'nul', '-', '1.', '1e', '1e+',
  '{"a":1}x', '[1] [2]', '1 2', '"a" "b"', 'truex', 'nulll', '{"a":}', '[1,]', '[,1]', '{,}', '{"a":1,}', '{"a" 1}', '{a:1}',
  "{'a':1}", '01', '-01', '00', '1.e3', '.5', '+1', '--1', '0x10', 'NaN', 'Infinity', '-Infinity', 'undefined', '"\\x41"',
  '"\\u12"', '"\\u12G4"', '"\\a"', '"a\nb"', '"\t"', '"\u0001"', '[1}', '{"a":1]', '}', ']', ',', ':', '\ufeff1', '[1 2]',
  'True', '"abc"\u0000', '1 /', '[1] ,',
];

test('malformed input throws MALFORMED_LINE wherever it is cut, exactly when JSON.parse throws', () => {
  for (const text of MALFORMED) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}`);
    for (const segments of cuts(text)) {
      for (const bytesKey of [undefined, 'a']) {
        assert.throws(
          () => parseSegments(segments, { bytesKey }),
          (err: unknown) => err instanceof ProtocolError && err.code === ProtocolErrorCode.MALFORMED_LINE,
          `${JSON.stringify(text)} cut ${segments.map((s) => s.length).join('+')}`,
        );
      }
    }
  }
});

test('bytesKey strings are checked like any string', () => {
  for (const text of ['{"a":"x\u0001y"}', '{"a":"x\\qy"}', '{"a":"xy', '{"a":"x\\"}']) {
    for (const segments of cuts(text)) {
      assert.throws(() => parseSegments(segments, { bytesKey: 'a' }), ProtocolError);
    }
  }
});

test('bytesKey strings: a raw control byte anywhere, at any alignment, is rejected (word-at-a-time check)', () => {
  const plain = fc.integer({ min: 0x20, max: 0xff }).filter((b) => b !== 0x22 && b !== 0x5c);
  fc.assert(
    fc.property(
      fc.array(plain, { maxLength: 80 }),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0x1f }))),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 1, max: 128 }),
      (bytes, control, pad, size) => {
        if (control !== null) bytes.splice(control[0] % (bytes.length + 1), 0, control[1]);
        const line = Buffer.concat([Buffer.from(`${' '.repeat(pad)}{"a":"`), Buffer.from(bytes), Buffer.from('"}')]);
        const backing = Buffer.alloc(line.length + 8);
        const shifted = backing.subarray(pad & 3, (pad & 3) + line.length);
        line.copy(shifted);
        const segments = cut(shifted, [size]);
        if (control === null) {
          assert.deepEqual((parseSegments(segments, { bytesKey: 'a' }) as { a: Buffer }).a, Buffer.from(bytes));
        } else {
          assert.throws(() => JSON.parse(line.toString('latin1')), SyntaxError);
          assert.throws(() => parseSegments(segments, { bytesKey: 'a' }), ProtocolError);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('bytesKey strings: every control byte at every position and alignment is found', () => {
  for (const fill of [0x41, 0xff, 0x80, 0x20]) {
    for (let pad = 0; pad < 4; pad++) {
      for (let pos = 0; pos < 40; pos++) {
        for (let c = 0; c <= 0x20; c++) {
          const bytes = Buffer.alloc(40, fill);
          bytes[pos] = c;
          const line = Buffer.concat([Buffer.from('{"a":"'), bytes, Buffer.from('"}')]);
          const shifted = Buffer.alloc(line.length + 8).subarray(pad, pad + line.length);
          line.copy(shifted);
          if (c === 0x20) assert.deepEqual((parseSegments([shifted], { bytesKey: 'a' }) as { a: Buffer }).a, bytes);
          else assert.throws(() => parseSegments([shifted], { bytesKey: 'a' }), ProtocolError, `byte ${c} at ${pos}+${pad}`);
        }
      }
    }
  }
});

test('random corruption is rejected exactly when JSON.parse rejects it', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom(...'{}[],:"\\ 0-.eE+tfnx\u0001é'), sizesArb, (value, at, ch, sizes) => {
      const good = JSON.stringify(value);
      const i = at % (good.length + 1);
      for (const text of [good.slice(0, i) + ch + good.slice(i), good.slice(0, i) + good.slice(i + 1), good.slice(0, i)]) {
        let expected: unknown;
        let ok = true;
        try {
          expected = JSON.parse(text);
        } catch {
          ok = false;
        }
        const segments = cut(Buffer.from(text), sizes);
        if (ok) assert.deepEqual(parseSegments(segments), expected, text);
        else assert.throws(() => parseSegments(segments), ProtocolError, text);
      }
    }),
    { numRuns: 1000 },
  );
});

test('error messages name the token, its byte offset and an excerpt of the line', () => {
  assert.throws(() => parseSegments([Buffer.from('{"a":'), Buffer.from('}')]), /Unexpected token \} at byte 5.*line: \{"a":/);
  assert.throws(() => parseSegments([Buffer.from('[1,2')]), /Unexpected end of input/);
  const long = Buffer.from(`{"action":"processRecords","records":[${'1,'.repeat(500)}]}`);
  assert.throws(() => parseSegments(cut(long, [64])), (err: Error) => {
    assert.ok(err.message.includes(`Unexpected token ] at byte ${long.indexOf(']')}`), err.message);
    assert.ok(err.message.endsWith(`… (${long.length} bytes)`), err.message);
    assert.match(err.message, /line: \{"action":"processRecords","records":\[1,1,/);
    return true;
  });
});

test('__proto__ members are own properties, as with JSON.parse, and pollute nothing', () => {
  const text = '{"__proto__":{"polluted":true},"a":{"__proto__":[1]},"b":[{"__proto__":null}],"__proto__":{"x":1}}';
  for (const segments of cuts(text)) {
    const got = parseSegments(segments) as Record<string, any>;
    const expected = JSON.parse(text) as Record<string, any>;
    assert.deepEqual(got, expected);
    assert.ok(Object.hasOwn(got, '__proto__'));
    assert.deepEqual(Object.getOwnPropertyDescriptor(got, '__proto__'), Object.getOwnPropertyDescriptor(expected, '__proto__'));
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.equal(Object.getPrototypeOf(got.a), Object.prototype);
    assert.deepEqual(got.a.__proto__, [1]);
    assert.equal(got.b[0].__proto__, null);
    assert.equal(got.polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  }
});

test('duplicate keys: the last wins, as with JSON.parse', () => {
  const text = '{"a":1,"b":2,"a":{"c":3},"b":[4],"a":"z"}';
  for (const segments of cuts(text)) assert.deepEqual(parseSegments(segments), JSON.parse(text));
});

test('deep nesting does not overflow the stack', () => {
  const depth = 100_000;
  const text = `${'[{"a":'.repeat(depth)}1${'}]'.repeat(depth)}`;
  let v = parseSegments(cut(Buffer.from(text), [65536])) as unknown;
  for (let i = 0; i < depth; i++) v = (v as { a: unknown }[])[0]!.a;
  assert.equal(v, 1);
});
