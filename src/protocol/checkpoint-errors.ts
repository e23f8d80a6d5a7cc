import { KclTsError } from '../errors.js';

/** Error codes of the checkpoint area. */
export const CheckpointErrorCode = {
  THROTTLED: 'KCLTS_ERR_CHECKPOINT_THROTTLED',
  SHUTDOWN: 'KCLTS_ERR_CHECKPOINT_SHUTDOWN',
  INVALID_STATE: 'KCLTS_ERR_CHECKPOINT_INVALID_STATE',
  DEPENDENCY: 'KCLTS_ERR_CHECKPOINT_DEPENDENCY',
  ILLEGAL_ARGUMENT: 'KCLTS_ERR_CHECKPOINT_ILLEGAL_ARGUMENT',
  UNKNOWN: 'KCLTS_ERR_CHECKPOINT_UNKNOWN',
  /** The checkpointer was used outside the handling of the message it was given for. */
  NOT_LISTENING: 'KCLTS_ERR_CHECKPOINT_NOT_LISTENING',
  /** The daemon went away (stdin closed) while a checkpoint was waiting for its answer. */
  DISCONNECTED: 'KCLTS_ERR_CHECKPOINT_DISCONNECTED',
  /** The arguments do not form a checkpoint position. */
  BAD_ARGUMENT: 'KCLTS_ERR_CHECKPOINT_BAD_ARGUMENT',
} as const;

/** Where a checkpoint was asked for; `sequenceNumber: null` means the latest delivered record, or SHARD_END. */
export interface CheckpointPosition {
  sequenceNumber: string | null;
  subSequenceNumber: number | null;
}

/** Base class of every checkpoint failure. `daemonError` is the Java exception name the daemon reported. */
export class CheckpointError extends KclTsError {
  /** The exception name from the daemon's answer (e.g. `ThrottlingException`), if the daemon answered. */
  readonly daemonError: string | undefined;
  /** The position that was being checkpointed. */
  readonly position: CheckpointPosition;

  constructor(code: string, message: string, position: CheckpointPosition, daemonError?: string, cause?: unknown) {
    super(code, message, { cause });
    this.position = position;
    this.daemonError = daemonError;
  }
}

/** `ThrottlingException`: DynamoDB throttled the lease table write. Retried automatically. */
export class CheckpointThrottledError extends CheckpointError {}
/** `ShutdownException`: the lease is gone; stop checkpointing. */
export class CheckpointShutdownError extends CheckpointError {}
/** `InvalidStateException`: e.g. checkpointing during initialize, or the lease table is unavailable. */
export class CheckpointInvalidStateError extends CheckpointError {}
/** `KinesisClientLibDependencyException`: DynamoDB trouble. Retried automatically. */
export class CheckpointDependencyError extends CheckpointError {}
/** `IllegalArgumentException`: the sequence number is below the last checkpoint or above the last record delivered. */
export class CheckpointIllegalArgumentError extends CheckpointError {}
/** Any exception name the daemon reports that kcl-ts does not know. */
export class CheckpointUnknownError extends CheckpointError {}

type CheckpointErrorClass = new (
  code: string,
  message: string,
  position: CheckpointPosition,
  daemonError?: string,
) => CheckpointError;

const BY_DAEMON_NAME: Record<string, [CheckpointErrorClass, string, string]> = {
  ThrottlingException: [CheckpointThrottledError, CheckpointErrorCode.THROTTLED, 'retry later'],
  ShutdownException: [CheckpointShutdownError, CheckpointErrorCode.SHUTDOWN, 'the lease is gone; stop checkpointing'],
  InvalidStateException: [
    CheckpointInvalidStateError,
    CheckpointErrorCode.INVALID_STATE,
    'checkpoint only while handling processRecords, shardEnded or shutdownRequested, and check the lease table',
  ],
  KinesisClientLibDependencyException: [
    CheckpointDependencyError,
    CheckpointErrorCode.DEPENDENCY,
    'DynamoDB is unavailable or failing; retry later',
  ],
  IllegalArgumentException: [
    CheckpointIllegalArgumentError,
    CheckpointErrorCode.ILLEGAL_ARGUMENT,
    'checkpoint a sequence number between the last checkpoint and the last record delivered',
  ],
};

/** Names of daemon errors that are retried with backoff. */
export const RETRYABLE_DAEMON_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'KinesisClientLibDependencyException',
]);

/** The simple Java class name, whether the daemon sent `ThrottlingException` or a qualified name. */
export function simpleErrorName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? name : name.slice(dot + 1);
}

/** Turns the daemon's `error` field into the matching typed error. */
export function checkpointErrorFor(daemonError: string, position: CheckpointPosition): CheckpointError {
  const name = simpleErrorName(daemonError);
  const [Cls, code, advice] = BY_DAEMON_NAME[name] ?? [
    CheckpointUnknownError,
    CheckpointErrorCode.UNKNOWN,
    'see the daemon log for the exception',
  ];
  const at = position.sequenceNumber === null ? 'the latest record (or SHARD_END)' : `${position.sequenceNumber}/${position.subSequenceNumber ?? 0}`;
  return new Cls(code, `Checkpoint at ${at} failed with ${daemonError}: ${advice}`, position, daemonError);
}
