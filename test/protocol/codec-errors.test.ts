// The codec's checks field by field, with the exact messages operators see, and decodeLine's two parsers
// (JSON.parse up to JSON_PARSE_MAX_BYTES, parseSegments above). Written against the mutants the codec
// had surviving (issue 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLine, decodeMessage, JSON_PARSE_MAX_BYTES } from '../../src/protocol/codec.js';
import { ProtocolError, ProtocolErrorCode } from '../../src/protocol/errors.js';
import { excerpt } from '../../src/errors.js';

const rec = { data: 'aGk=', partitionKey: 'k', sequenceNumber: '1', subSequenceNumber: 0, approximateArrivalTimestamp: 1 };

/** The error decodeMessage throws for `line` (it must throw a ProtocolError). */
function errorOf(line: string, decode: (line: string) => unknown = decodeMessage): ProtocolError {
  try {
    decode(line);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `not a ProtocolError: ${String(err)}`);
    return err;
  }
  assert.fail(`no error for ${line}`);
}

/** The line as errors show it: record payloads are never quoted (`"data":"…"`), then shortened. */
const shown = (line: string): string => excerpt(line.replace(/("data":")[^"]*"/g, '$1…"'));

const invalid = (line: string, message: string): void => {
  const err = errorOf(line);
  assert.equal(err.code, ProtocolErrorCode.INVALID_MESSAGE);
  assert.equal(err.message, `${message}; line: ${shown(line)}`);
};

test('initialize: shardId a string, sequenceNumber a string or null, subSequenceNumber a number or null', () => {
  invalid('{"action":"initialize","shardId":5}', 'Expected `shardId` of a `initialize` message to be a string, got `5` (number)');
  invalid('{"action":"initialize","shardId":"s","sequenceNumber":5}', 'Expected `sequenceNumber` of a `initialize` message to be a string or null, got `5` (number)');
  invalid('{"action":"initialize","shardId":"s","subSequenceNumber":"0"}', 'Expected `subSequenceNumber` of a `initialize` message to be a number or null, got `0` (string)');
  const m = decodeMessage('{"action":"initialize","shardId":"s","sequenceNumber":"7","subSequenceNumber":null}');
  assert.deepEqual(m, { action: 'initialize', shardId: 's', sequenceNumber: '7', subSequenceNumber: null });
  assert.deepEqual(decodeMessage('{"action":"initialize","shardId":"s","subSequenceNumber":3}'), { action: 'initialize', shardId: 's', subSequenceNumber: 3 });
});

test('processRecords: each record field is checked and named with its index', () => {
  const line = (records: unknown[], extra = '') => `{"action":"processRecords"${extra},"records":${JSON.stringify(records)}}`;
  for (const [bad, message] of [
    [null, 'Expected `records[1]` of a `processRecords` message to be an object, got `null` (null)'],
    ['x', 'Expected `records[1]` of a `processRecords` message to be an object, got `x` (string)'],
    [{ ...rec, data: 5 }, 'Expected `records[1].data` of a `processRecords` message to be a base64 string, got `5` (number)'],
    [{ ...rec, partitionKey: 1 }, 'Expected `records[1].partitionKey` of a `processRecords` message to be a string, got `1` (number)'],
    [{ ...rec, sequenceNumber: null }, 'Expected `records[1].sequenceNumber` of a `processRecords` message to be a string, got `null` (null)'],
    [{ ...rec, subSequenceNumber: '1' }, 'Expected `records[1].subSequenceNumber` of a `processRecords` message to be a number, got `1` (string)'],
    [{ ...rec, approximateArrivalTimestamp: 'today' }, 'Expected `records[1].approximateArrivalTimestamp` of a `processRecords` message to be epoch milliseconds, got `today` (string)'],
  ] as const) {
    const l = line([rec, bad]);
    invalid(l, message);
  }
  invalid('{"action":"processRecords"}', 'Expected `records` of a `processRecords` message to be an array, got `undefined` (undefined)');
  invalid(line([rec], ',"millisBehindLatest":"5"'), 'Expected `millisBehindLatest` of a `processRecords` message to be a number or null, got `5` (string)');
  // Optional fields absent or null are fine; data null reads as empty; other fields stay as sent.
  const { records } = decodeMessage(line([{ data: null, partitionKey: 'p', sequenceNumber: '2' }, { ...rec, subSequenceNumber: null }], ',"millisBehindLatest":null')) as {
    records: { data: unknown; partitionKey: string }[];
  };
  assert.deepEqual(records, [{ data: '', partitionKey: 'p', sequenceNumber: '2' }, { ...rec, subSequenceNumber: null }]);
  assert.deepEqual(decodeMessage('{"action":"processRecords","records":[]}'), { action: 'processRecords', records: [] });
});

test('checkpoint answers: sequenceNumber and error strings or null, subSequenceNumber a number or null', () => {
  invalid('{"action":"checkpoint","sequenceNumber":5}', 'Expected `sequenceNumber` of a `checkpoint` message to be a string or null, got `5` (number)');
  invalid('{"action":"checkpoint","subSequenceNumber":"1"}', 'Expected `subSequenceNumber` of a `checkpoint` message to be a number or null, got `1` (string)');
  invalid('{"action":"checkpoint","error":404}', 'Expected `error` of a `checkpoint` message to be a string or null, got `404` (number)');
  assert.deepEqual(decodeMessage('{"action":"checkpoint","sequenceNumber":"9","subSequenceNumber":2,"error":"InvalidStateException"}'), {
    action: 'checkpoint',
    sequenceNumber: '9',
    subSequenceNumber: 2,
    error: 'InvalidStateException',
  });
  assert.deepEqual(decodeMessage('{"action":"checkpoint"}'), { action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null, error: null });
  assert.deepEqual(decodeMessage('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}'), {
    action: 'checkpoint',
    sequenceNumber: null,
    subSequenceNumber: null,
    error: null,
  });
});

test('shutdown: the four reasons map to TERMINATE/ZOMBIE, anything else is named', () => {
  assert.deepEqual(decodeMessage('{"action":"shutdown","reason":"TERMINATE"}'), { action: 'shutdown', reason: 'TERMINATE' });
  assert.deepEqual(decodeMessage('{"action":"shutdown","reason":"ZOMBIE"}'), { action: 'shutdown', reason: 'ZOMBIE' });
  invalid('{"action":"shutdown"}', 'Expected `reason` of a `shutdown` message to be TERMINATE, ZOMBIE, SHARD_END or LEASE_LOST, got `undefined` (undefined)');
  invalid('{"action":"shutdown","reason":"toString"}', 'Expected `reason` of a `shutdown` message to be TERMINATE, ZOMBIE, SHARD_END or LEASE_LOST, got `toString` (string)');
});

test('the no-field actions come back as sent', () => {
  for (const action of ['leaseLost', 'shardEnded', 'shutdownRequested']) {
    assert.deepEqual(decodeMessage(`{"action":"${action}","checkpoint":"x"}`), { action, checkpoint: 'x' });
  }
});

test('not an object, unknown actions and bad JSON: exact messages, with the line', () => {
  for (const line of ['[1]', 'null', '"text"', '5']) {
    const err = errorOf(line);
    assert.equal(err.code, ProtocolErrorCode.UNKNOWN_ACTION);
    assert.equal(err.message, `A line from the daemon is not a JSON object; line: ${line}`);
  }
  const unknown = errorOf('{"action":"dance"}');
  assert.equal(unknown.code, ProtocolErrorCode.UNKNOWN_ACTION);
  assert.equal(
    unknown.message,
    'Unknown action `dance` (string) from the daemon; expected one of initialize, processRecords, leaseLost, shardEnded, shutdownRequested, shutdown, checkpoint; line: {"action":"dance"}',
  );
  const bad = errorOf('{"action":');
  assert.equal(bad.code, ProtocolErrorCode.MALFORMED_LINE);
  assert.match(bad.message, /^A line from the daemon is not valid JSON \(.+\); line: \{"action":$/);
  assert.equal(bad.cause, undefined, "V8's SyntaxError quotes the line: it is not kept as the cause");
  // A long line is shown as an excerpt.
  const long = `{"action":"dance","pad":"${'x'.repeat(300)}"}`;
  assert.match(errorOf(long).message, /; line: \{"action":"dance","pad":"x+… \(327 chars\)$/);
});

test('decodeLine: JSON.parse up to JSON_PARSE_MAX_BYTES, parseSegments (payloads as Buffers) above', () => {
  const line = JSON.stringify({ action: 'processRecords', records: [rec, { ...rec, data: null, sequenceNumber: '2' }] });
  const pieces = [Buffer.from(line.slice(0, 20)), Buffer.from(line.slice(20))];
  const small = decodeLine(pieces, JSON_PARSE_MAX_BYTES) as { records: { data: unknown }[] };
  assert.equal(small.records[0]!.data, 'aGk=');
  assert.equal(small.records[1]!.data, '');
  const large = decodeLine(pieces, JSON_PARSE_MAX_BYTES + 1) as { records: { data: unknown; partitionKey: string }[] };
  assert.ok(Buffer.isBuffer(large.records[0]!.data));
  assert.equal((large.records[0]!.data as Buffer).toString(), 'aGk=');
  assert.equal(large.records[0]!.partitionKey, 'k');
  assert.equal(large.records[1]!.data, '', 'data null reads as empty on this path too');
  assert.deepEqual(decodeLine([Buffer.from('{"action":"leaseLost"}')], 22), { action: 'leaseLost' });
});

test('decodeLine errors: the line shown is the first piece, at most 4096 bytes of it', () => {
  const text = `{"action":"processRecords","records":[${'1'.repeat(5000)}`;
  const e1 = errorOf('', () => decodeLine([Buffer.from(text)], text.length));
  assert.equal(e1.code, ProtocolErrorCode.MALFORMED_LINE);
  assert.match(e1.message, /^A line from the daemon is not valid JSON \(.+\); line: \{"action":"processRecords","records":\[1+… \(5038 chars\)$/);
  assert.equal(e1.cause, undefined, "V8's SyntaxError quotes the line: it is not kept as the cause");
  const e2 = errorOf('', () => decodeLine([Buffer.from(text.slice(0, 4500)), Buffer.from(text.slice(4500))], text.length));
  assert.match(e2.message, /… \(4096 chars\)$/, 'only the start of the first piece');
  // Valid JSON with a bad field: INVALID_MESSAGE, same excerpt rule.
  const init = `{"action":"initialize","pad":"${'x'.repeat(5000)}"}`;
  for (const bytes of [init.length, JSON_PARSE_MAX_BYTES + 1]) {
    const e3 = errorOf('', () => decodeLine([Buffer.from(init)], bytes));
    assert.equal(e3.code, ProtocolErrorCode.INVALID_MESSAGE);
    assert.match(e3.message, /^Expected `shardId` of a `initialize` message to be a string, got `undefined` \(undefined\); line: \{"action":"initialize","pad":"x+… \(5032 chars\)$/);
    const e4 = errorOf('', () => decodeLine([Buffer.from(init.slice(0, 4500)), Buffer.from(init.slice(4500))], bytes));
    assert.match(e4.message, /… \(4096 chars\)$/);
  }
  // parseSegments reports bad JSON itself (a ProtocolError, passed on as it is).
  const e5 = errorOf('', () => decodeLine([Buffer.from('{"action":"x",}')], JSON_PARSE_MAX_BYTES + 1));
  assert.equal(e5.code, ProtocolErrorCode.MALFORMED_LINE);
  assert.equal(e5.cause, undefined);
});

test('a line cut inside a record payload shows none of the payload (payloads are never quoted in errors)', () => {
  const bad = errorOf('{"action":"processRecords","records":[{"data":"c2VjcmV0LXBheWxvYWQ');
  assert.equal(bad.code, ProtocolErrorCode.MALFORMED_LINE);
  assert.doesNotMatch(bad.message, /c2VjcmV0/);
  assert.match(bad.message, /; line: \{"action":"processRecords","records":\[\{"data":"…$/);
});
