export { KinesisRecord, RecordDecodeError, RecordErrorCode, type RecordRef } from './record.js';
export {
  dynamodbPartitionKey,
  type DynamoDBChange,
  type DynamoDBEventName,
  type DynamoDBItem,
  type DynamoDBRecordOptions,
  type DynamoDBStreamViewType,
} from './dynamodb-record.js';
export { ScopedCheckpointer, toPosition, type Checkpointer, type CheckpointTarget } from './checkpointer.js';
export type { RecordProcessor, InitializeInput, ProcessRecordsInput, ShardInput } from './types.js';
export { ShardSession, DEFAULT_CHECKPOINT_RETRY, type SessionOptions, type SessionOutcome, type SessionState } from './session.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { run, RunErrorCode, type RunProcessorOptions, type RunHandlerOptions, type RunOptions, type RunCommonOptions } from './run.js';
export { HandlerProcessor } from './handler-processor.js';
export { StatusReporter, type ShardStatus } from './status.js';
export {
  resolveHandlerOptions,
  OptionErrorCode,
  type HandlerOptions,
  type ResolvedHandlerOptions,
  type RecordContext,
  type RecordHandler,
  type BatchHandler,
  type CheckpointInterval,
} from './handler-options.js';
export { claimProcessStdio, type ProcessStdio } from './stdio.js';
