import { jsonErrorReason } from '../errors.js';
import { FailureError, FailureErrorCode } from './errors.js';
import type { DeadLetter } from './types.js';

/** `shardId/sequenceNumber/subSequenceNumber`: how reports and errors name a dead letter. */
export function entryId(e: Pick<DeadLetter, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>): string {
  return `${e.shardId}/${e.sequenceNumber}/${e.subSequenceNumber}`;
}

/** The object key of one dead letter under `prefix` (S3 sink, SQS claim checks). */
export function objectKey(prefix: string, e: Pick<DeadLetter, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>): string {
  return `${prefix}${e.shardId}/${e.sequenceNumber}-${e.subSequenceNumber}.json`;
}

/** Orders dead letters as they were in the stream: shard, then sequence number, then sub-sequence. */
export function compareOriginalOrder(a: Pick<DeadLetter, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>, b: Pick<DeadLetter, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>): number {
  if (a.shardId !== b.shardId) return a.shardId < b.shardId ? -1 : 1;
  if (a.sequenceNumber !== b.sequenceNumber) {
    // Decimal strings of up to 128 bits: compare by length first, then lexically (no BigInt needed).
    const la = a.sequenceNumber.length;
    const lb = b.sequenceNumber.length;
    if (la !== lb) return la - lb;
    return a.sequenceNumber < b.sequenceNumber ? -1 : 1;
  }
  return a.subSequenceNumber - b.subSequenceNumber;
}

const REQUIRED_STRINGS = ['shardId', 'partitionKey', 'sequenceNumber', 'failedAt'] as const;

/**
 * Checks a parsed value is a dead letter (version 1). `allowDataRef`: an SQS claim-check body, whose
 * `data` is absent and `dataRef` names the S3 object holding the full entry.
 * @throws {FailureError} `INVALID_ENTRY` naming `where` and the first problem.
 */
export function checkDeadLetter(value: unknown, where: string, allowDataRef = false): DeadLetter {
  const bad = (what: string) => new FailureError(FailureErrorCode.INVALID_ENTRY, `${where} is not a kcl-ts dead letter: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== 1) throw bad(`unsupported version${typeof v.version === 'number' ? ` ${v.version}` : ` (a ${typeof v.version})`} (this kcl-ts reads version 1)`);
  for (const k of REQUIRED_STRINGS) if (typeof v[k] !== 'string') throw bad(`\`${k}\` must be a string`);
  if (!/^\d+$/.test(v.sequenceNumber as string)) throw bad('`sequenceNumber` must be a decimal string');
  if (!Number.isInteger(v.subSequenceNumber) || (v.subSequenceNumber as number) < 0) throw bad('`subSequenceNumber` must be an integer >= 0');
  const ref = v.dataRef as Record<string, unknown> | undefined;
  if (allowDataRef && v.data === undefined && ref !== undefined) {
    if (typeof ref !== 'object' || ref === null || typeof ref.bucket !== 'string' || typeof ref.key !== 'string') throw bad('`dataRef` must be { bucket, key }');
  } else if (typeof v.data !== 'string') {
    throw bad('`data` must be a base64 string');
  }
  return v as unknown as DeadLetter;
}

/** Parses one stored dead letter (a JSONL line, an S3 object, an SQS body). */
export function parseDeadLetter(text: string, where: string, allowDataRef = false): DeadLetter {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text, which may be a payload: only its reason, and no cause.
    throw new FailureError(FailureErrorCode.INVALID_ENTRY, `${where} is not JSON (${jsonErrorReason(err)}; ${Buffer.byteLength(text)} bytes, not shown)`);
  }
  return checkDeadLetter(value, where, allowDataRef);
}
