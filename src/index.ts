/**
 * kcl-ts: typed, stdout-safe record processors for the Amazon Kinesis Client Library MultiLangDaemon.
 * @packageDocumentation
 */
export { KclTsError } from './errors.js';
export {
  run,
  KinesisRecord,
  KinesisRecord as Record,
  RecordDecodeError,
  RecordErrorCode,
  ShardSession,
  ExitCode,
  RunErrorCode,
  type RecordRef,
  type DynamoDBChange,
  type DynamoDBEventName,
  type DynamoDBItem,
  type DynamoDBRecordOptions,
  type DynamoDBStreamViewType,
  type Checkpointer,
  type CheckpointTarget,
  type RecordProcessor,
  type InitializeInput,
  type ProcessRecordsInput,
  type ShardInput,
  type SessionOptions,
  type SessionOutcome,
  type SessionState,
  type RunProcessorOptions,
  type RunHandlerOptions,
  type RunOptions,
  type HandlerOptions,
  type RecordContext,
  type RecordHandler,
  type BatchHandler,
  type CheckpointInterval,
  type ExitCodeValue,
} from './processor/index.js';
export {
  CheckpointError,
  CheckpointErrorCode,
  CheckpointThrottledError,
  CheckpointShutdownError,
  CheckpointInvalidStateError,
  CheckpointDependencyError,
  CheckpointIllegalArgumentError,
  CheckpointUnknownError,
  ProtocolError,
  ProtocolErrorCode,
  type CheckpointPosition,
  type CheckpointRetryOptions,
  type WireRecord,
  type InboundMessage,
  type OutboundMessage,
} from './protocol/index.js';
export { type LogOptions, type Logger } from './logging/index.js';
export { NonRetryableError, type FailureDecision, type FailurePolicy } from './failure/policy.js';
export type { DeadLetter, DeadLetterError, DeadLetterSink } from './failure/types.js';
