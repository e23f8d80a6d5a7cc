import { KclTsError } from '../errors.js';

/** Error codes of the dead-letter sinks, sources and replay. */
export const FailureErrorCode = {
  /** A sink or source spec string (`file:…`, `sqs:…`, `s3://…`) could not be understood. */
  BAD_SPEC: 'KCLTS_ERR_FAILURE_BAD_SPEC',
  /** An optional package (the AWS SDK clients) is needed but not installed. */
  MISSING_PACKAGE: 'KCLTS_ERR_FAILURE_MISSING_PACKAGE',
  /** A dead letter is larger than the sink accepts and no large-payload store is configured. */
  ENTRY_TOO_LARGE: 'KCLTS_ERR_FAILURE_ENTRY_TOO_LARGE',
  /** A sink could not store dead letters (the caller retries; the checkpoint stays before them). */
  SINK_WRITE: 'KCLTS_ERR_FAILURE_SINK_WRITE',
  /** A stored dead letter is not valid (not JSON, or fields missing). */
  INVALID_ENTRY: 'KCLTS_ERR_FAILURE_INVALID_ENTRY',
  /** Reading or acknowledging dead letters failed. */
  SOURCE: 'KCLTS_ERR_FAILURE_SOURCE',
  /** Replay options are wrong (target, handler module). */
  REPLAY_OPTIONS: 'KCLTS_ERR_FAILURE_REPLAY_OPTIONS',
  /** A record could not be replayed. */
  REPLAY_FAILED: 'KCLTS_ERR_FAILURE_REPLAY_FAILED',
} as const;

/** A dead-letter sink, source or replay problem; the message says what to do next. */
export class FailureError extends KclTsError {}
