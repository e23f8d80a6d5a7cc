import { KclTsError } from '../errors.js';

/** Error codes of the protocol area. */
export const ProtocolErrorCode = {
  /** A stdin line is not valid JSON. */
  MALFORMED_LINE: 'KCLTS_ERR_PROTOCOL_MALFORMED_LINE',
  /** A stdin line is JSON but not an object with a known `action`. */
  UNKNOWN_ACTION: 'KCLTS_ERR_PROTOCOL_UNKNOWN_ACTION',
  /** A message with a known action lacks a field or has one of the wrong type. */
  INVALID_MESSAGE: 'KCLTS_ERR_PROTOCOL_INVALID_MESSAGE',
  /** A stdin line is longer than the configured maximum. */
  LINE_TOO_LONG: 'KCLTS_ERR_PROTOCOL_LINE_TOO_LONG',
  /** A message arrived that the protocol does not allow in the session's current state. */
  UNEXPECTED_MESSAGE: 'KCLTS_ERR_PROTOCOL_UNEXPECTED_MESSAGE',
  /** A record arrived at or before one already delivered to this process (a duplicate, or out of order). */
  RECORD_OUT_OF_ORDER: 'KCLTS_ERR_PROTOCOL_RECORD_OUT_OF_ORDER',
} as const;

/** Bad input from the daemon side of the pipe. The session fails safe on it (see README, "Bad input"). */
export class ProtocolError extends KclTsError {}
