import { excerpt, describeValue } from '../errors.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { InboundMessage, OutboundMessage, WireRecord } from './messages.js';

type Json = Record<string, unknown>;

function invalid(action: string, field: string, value: unknown, expected: string, line: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.INVALID_MESSAGE,
    `Expected \`${field}\` of a \`${action}\` message to be ${expected}, got ${describeValue(value)}; line: ${excerpt(line)}`,
  );
}

const LEGACY_REASONS: Record<string, 'TERMINATE' | 'ZOMBIE'> = {
  TERMINATE: 'TERMINATE',
  SHARD_END: 'TERMINATE',
  ZOMBIE: 'ZOMBIE',
  LEASE_LOST: 'ZOMBIE',
};

const isOptionalNumber = (v: unknown): boolean => v === undefined || v === null || typeof v === 'number';
const isOptionalString = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/**
 * Checks the records of a processRecords message in place. One pass, no copies: this runs on
 * every batch (up to 10,000 records), so it checks only what later code relies on.
 */
function checkRecords(records: unknown, line: string): records is WireRecord[] {
  if (!Array.isArray(records)) throw invalid('processRecords', 'records', records, 'an array', line);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Json | null;
    if (typeof r !== 'object' || r === null) {
      throw invalid('processRecords', `records[${i}]`, r, 'an object', line);
    }
    // The daemon sends `data: null` for a record without payload; it reads as empty.
    if (r.data === null) r.data = '';
    else if (typeof r.data !== 'string') throw invalid('processRecords', `records[${i}].data`, r.data, 'a base64 string', line);
    if (typeof r.partitionKey !== 'string') {
      throw invalid('processRecords', `records[${i}].partitionKey`, r.partitionKey, 'a string', line);
    }
    if (typeof r.sequenceNumber !== 'string') {
      throw invalid('processRecords', `records[${i}].sequenceNumber`, r.sequenceNumber, 'a string', line);
    }
    if (!isOptionalNumber(r.subSequenceNumber)) {
      throw invalid('processRecords', `records[${i}].subSequenceNumber`, r.subSequenceNumber, 'a number', line);
    }
    if (!isOptionalNumber(r.approximateArrivalTimestamp)) {
      throw invalid(
        'processRecords',
        `records[${i}].approximateArrivalTimestamp`,
        r.approximateArrivalTimestamp,
        'epoch milliseconds',
        line,
      );
    }
  }
  return true;
}

/**
 * Decodes one stdin line into a typed message.
 * @throws {ProtocolError} naming what was wrong, with an excerpt of the line.
 */
export function decodeMessage(line: string): InboundMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new ProtocolError(
      ProtocolErrorCode.MALFORMED_LINE,
      `A line from the daemon is not valid JSON (${(err as Error).message}); line: ${excerpt(line)}`,
      { cause: err },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolError(
      ProtocolErrorCode.UNKNOWN_ACTION,
      `A line from the daemon is not a JSON object; line: ${excerpt(line)}`,
    );
  }
  const m = parsed as Json;
  switch (m.action) {
    case 'initialize':
      if (typeof m.shardId !== 'string') throw invalid('initialize', 'shardId', m.shardId, 'a string', line);
      if (!isOptionalString(m.sequenceNumber)) {
        throw invalid('initialize', 'sequenceNumber', m.sequenceNumber, 'a string or null', line);
      }
      if (!isOptionalNumber(m.subSequenceNumber)) {
        throw invalid('initialize', 'subSequenceNumber', m.subSequenceNumber, 'a number or null', line);
      }
      return m as unknown as InboundMessage;
    case 'processRecords':
      checkRecords(m.records, line);
      if (!isOptionalNumber(m.millisBehindLatest)) {
        throw invalid('processRecords', 'millisBehindLatest', m.millisBehindLatest, 'a number or null', line);
      }
      return m as unknown as InboundMessage;
    case 'leaseLost':
    case 'shardEnded':
    case 'shutdownRequested':
      return m as unknown as InboundMessage;
    case 'shutdown': {
      // KCL 1.x sends TERMINATE/ZOMBIE; the 2.x/3.x class (never sent) would carry SHARD_END/LEASE_LOST.
      const reason = LEGACY_REASONS[String(m.reason)];
      if (!reason) throw invalid('shutdown', 'reason', m.reason, 'TERMINATE, ZOMBIE, SHARD_END or LEASE_LOST', line);
      return { action: 'shutdown', reason };
    }
    case 'checkpoint':
      if (!isOptionalString(m.sequenceNumber)) {
        throw invalid('checkpoint', 'sequenceNumber', m.sequenceNumber, 'a string or null', line);
      }
      if (!isOptionalNumber(m.subSequenceNumber)) {
        throw invalid('checkpoint', 'subSequenceNumber', m.subSequenceNumber, 'a number or null', line);
      }
      if (!isOptionalString(m.error)) throw invalid('checkpoint', 'error', m.error, 'a string or null', line);
      return {
        action: 'checkpoint',
        sequenceNumber: (m.sequenceNumber as string | undefined) ?? null,
        subSequenceNumber: (m.subSequenceNumber as number | undefined) ?? null,
        error: (m.error as string | undefined) ?? null,
      };
    default:
      throw new ProtocolError(
        ProtocolErrorCode.UNKNOWN_ACTION,
        `Unknown action ${describeValue(m.action)} from the daemon; expected one of initialize, processRecords, ` +
          `leaseLost, shardEnded, shutdownRequested, shutdown, checkpoint; line: ${excerpt(line)}`,
      );
  }
}

/** Serialises one outbound message as a protocol line (with its trailing newline). */
export function encodeMessage(message: OutboundMessage): string {
  return `${JSON.stringify(message)}\n`;
}
