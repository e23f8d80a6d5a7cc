import { excerpt as shorten, describeValue, jsonErrorReason } from '../errors.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { segmentsToString } from './line-splitter.js';
import type { InboundMessage, OutboundMessage, WireRecord } from './messages.js';
import { parseSegments } from './segmented-json.js';

/**
 * Lines up to this size are joined and parsed by V8's JSON.parse; larger ones are parsed from their
 * pieces (parseSegments), which keeps record payloads as views of the stdin chunks instead of a line
 * string plus one heap string per record. Measured (bench/split.ts, 10,000-record lines): JSON.parse
 * wins on small records (100 B: 2.9 MB line, 10 ms vs 17 ms), parseSegments on large ones (1 KB:
 * 15 MB line, 16 ms vs 25 ms, and about half the peak RSS). 4 MB sits between the two.
 */
export const JSON_PARSE_MAX_BYTES = 4 * 1024 * 1024;

type Json = Record<string, unknown>;

/** The line as text for error messages, computed only when an error is reported. */
type LineText = () => string;

/** An excerpt of a daemon line for an error message, record payloads (`"data"` values) left out: they may be personal data. */
function excerpt(line: string): string {
  return shorten(line.replace(/("data"\s*:\s*")[^"]*("|$)/g, '$1…$2'));
}

function invalid(action: string, field: string, value: unknown, expected: string, line: LineText): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.INVALID_MESSAGE,
    `Expected \`${field}\` of a \`${action}\` message to be ${expected}, got ${describeValue(value)}; line: ${excerpt(line())}`,
  );
}

/** A Map, not an object literal: a reason such as `toString` must not find Object.prototype's members. */
const LEGACY_REASONS = new Map<unknown, 'TERMINATE' | 'ZOMBIE'>([
  ['TERMINATE', 'TERMINATE'],
  ['SHARD_END', 'TERMINATE'],
  ['ZOMBIE', 'ZOMBIE'],
  ['LEASE_LOST', 'ZOMBIE'],
]);

const isOptionalNumber = (v: unknown): boolean => v === undefined || v === null || typeof v === 'number';
const isOptionalString = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/**
 * Checks the records of a processRecords message in place. One pass, no copies: this runs on
 * every batch (up to 10,000 records), so it checks only what later code relies on.
 */
function checkRecords(records: unknown, line: LineText): asserts records is WireRecord[] {
  if (!Array.isArray(records)) throw invalid('processRecords', 'records', records, 'an array', line);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Json | null;
    if (typeof r !== 'object' || r === null) {
      throw invalid('processRecords', `records[${i}]`, r, 'an object', line);
    }
    // The daemon sends `data: null` for a record without payload; it reads as empty. A Buffer holds the
    // base64 bytes when the line was parsed from its pieces.
    if (r.data === null) r.data = '';
    else if (typeof r.data !== 'string' && !Buffer.isBuffer(r.data)) {
      throw invalid('processRecords', `records[${i}].data`, r.data, 'a base64 string', line);
    }
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
}

function malformed(err: unknown, line: LineText): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(
    ProtocolErrorCode.MALFORMED_LINE,
    `A line from the daemon is not valid JSON (${err instanceof SyntaxError ? jsonErrorReason(err) : (err as Error).message}); line: ${excerpt(line())}`,
    // V8's SyntaxError quotes the line: not kept as the cause (log serializers print causes).
    // Stryker disable next-line ObjectLiteral: unreachable today (JSON.parse throws SyntaxError, parseSegments ProtocolError); kept for anything else.
    err instanceof SyntaxError ? undefined : { cause: err },
  );
}

/**
 * Decodes one stdin line into a typed message.
 * @throws {ProtocolError} naming what was wrong, with an excerpt of the line.
 */
export function decodeMessage(line: string): InboundMessage {
  const text = () => line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw malformed(err, text);
  }
  return checkMessage(parsed, text);
}

/**
 * Decodes a line given as the pieces it arrived in (see LineSplitter). Record payloads of large lines
 * come back as Buffers of base64 bytes (`WireRecord.data` is then a Buffer; KinesisRecord accepts both).
 * @throws {ProtocolError} naming what was wrong, with an excerpt of the line.
 */
export function decodeLine(segments: readonly Buffer[], bytes: number): InboundMessage {
  const text = () => segmentsToString(segments.length > 1 ? [segments[0]!.subarray(0, 4096)] : segments);
  let parsed: unknown;
  try {
    parsed = bytes <= JSON_PARSE_MAX_BYTES ? JSON.parse(segmentsToString(segments, bytes)) : parseSegments(segments, { bytesKey: 'data' });
  } catch (err) {
    throw malformed(err, text);
  }
  return checkMessage(parsed, text);
}

function checkMessage(parsed: unknown, line: LineText): InboundMessage {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolError(
      ProtocolErrorCode.UNKNOWN_ACTION,
      `A line from the daemon is not a JSON object; line: ${excerpt(line())}`,
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
      const reason = LEGACY_REASONS.get(m.reason);
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
          `leaseLost, shardEnded, shutdownRequested, shutdown, checkpoint; line: ${excerpt(line())}`,
      );
  }
}

/** Serialises one outbound message as a protocol line (with its trailing newline). */
export function encodeMessage(message: OutboundMessage): string {
  return `${JSON.stringify(message)}\n`;
}
