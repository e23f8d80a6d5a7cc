import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { ProtocolErrorCode } from '../../src/protocol/errors.js';

const rec = { action: 'record', data: 'aGk=', partitionKey: 'k', sequenceNumber: '1', subSequenceNumber: 0, approximateArrivalTimestamp: 1 };

test('decodes every daemon action', () => {
  assert.equal(decodeMessage('{"action":"initialize","shardId":"shardId-1","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}').action, 'initialize');
  const pr = decodeMessage(JSON.stringify({ action: 'processRecords', millisBehindLatest: 5, records: [rec] }));
  assert.equal(pr.action, 'processRecords');
  assert.equal(pr.action === 'processRecords' && pr.records[0]!.partitionKey, 'k');
  for (const a of ['leaseLost', 'shardEnded', 'shutdownRequested']) assert.equal(decodeMessage(`{"action":"${a}"}`).action, a);
  const legacy = decodeMessage('{"action":"shutdown","reason":"ZOMBIE"}');
  assert.equal(legacy.action === 'shutdown' && legacy.reason, 'ZOMBIE');
  assert.deepEqual(decodeMessage('{"action":"shutdown","reason":"SHARD_END"}'), { action: 'shutdown', reason: 'TERMINATE' });
  assert.deepEqual(decodeMessage('{"action":"shutdown","reason":"LEASE_LOST"}'), { action: 'shutdown', reason: 'ZOMBIE' });
});

test('checkpoint answers are normalised to nulls', () => {
  assert.deepEqual(decodeMessage('{"action":"checkpoint","sequenceNumber":"5"}'), {
    action: 'checkpoint', sequenceNumber: '5', subSequenceNumber: null, error: null,
  });
  assert.equal((decodeMessage('{"action":"checkpoint","sequenceNumber":null,"error":"ThrottlingException"}') as { error: string }).error, 'ThrottlingException');
});

test('nullable fields the daemon really sends null are accepted (data null reads as empty)', () => {
  const m = decodeMessage(JSON.stringify({ action: 'processRecords', millisBehindLatest: null, records: [{ ...rec, data: null, approximateArrivalTimestamp: null }] }));
  assert.equal(m.action === 'processRecords' && m.records[0]!.data, '');
});

test('initialize tolerates a null sequence number (new lease)', () => {
  assert.equal(decodeMessage('{"action":"initialize","shardId":"s","sequenceNumber":null}').action, 'initialize');
});

function throwsCode(line: string, code: string, pattern: RegExp): void {
  assert.throws(() => decodeMessage(line), (err: Error & { code?: string }) => {
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

test('malformed JSON is an error with an excerpt of the line', () => {
  throwsCode('{"action":"processRecords", oops', ProtocolErrorCode.MALFORMED_LINE, /not valid JSON.*oops/);
  throwsCode('hello world', ProtocolErrorCode.MALFORMED_LINE, /hello world/);
});

test('unknown actions and non-objects are errors naming what came', () => {
  throwsCode('{"action":"dance"}', ProtocolErrorCode.UNKNOWN_ACTION, /`dance`/);
  throwsCode('[1,2]', ProtocolErrorCode.UNKNOWN_ACTION, /not a JSON object/);
  throwsCode('{"noaction":1}', ProtocolErrorCode.UNKNOWN_ACTION, /Unknown action/);
});

test('invalid fields are named with their path', () => {
  throwsCode('{"action":"initialize"}', ProtocolErrorCode.INVALID_MESSAGE, /`shardId`/);
  throwsCode('{"action":"processRecords","records":{}}', ProtocolErrorCode.INVALID_MESSAGE, /`records`.*an array/);
  throwsCode(JSON.stringify({ action: 'processRecords', records: [rec, { ...rec, sequenceNumber: 5 }] }), ProtocolErrorCode.INVALID_MESSAGE, /records\[1\]\.sequenceNumber/);
  throwsCode(JSON.stringify({ action: 'processRecords', records: [{ ...rec, data: 5 }] }), ProtocolErrorCode.INVALID_MESSAGE, /records\[0\]\.data/);
  throwsCode('{"action":"shutdown","reason":"NAP"}', ProtocolErrorCode.INVALID_MESSAGE, /reason/);
});

test('encodes outbound messages as one line', () => {
  assert.equal(encodeMessage({ action: 'status', responseFor: 'processRecords' }), '{"action":"status","responseFor":"processRecords"}\n');
  assert.equal(
    encodeMessage({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null }),
    '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}\n',
  );
});
