/**
 * kcl-ts/testing: drive your processor through scripted shards without the Java daemon.
 * @packageDocumentation
 */
export {
  FakeDaemon,
  FakeDaemonError,
  type AcceptedCheckpoint,
  type CheckpointRequestLog,
  type EncodedBatch,
  type FakeDaemonOptions,
  type InProcessOptions,
  type SpawnOptions,
} from './fake-daemon.js';
export { MemorySink } from './memory-sink.js';
export { RecordFactory, FIRST_SEQUENCE, type RecordSpec, type BatchSpec } from './records.js';
export { DynamoDBRecordFactory, type DynamoDBRecordSpec } from './dynamodb-records.js';
export { comparePositions, type Position } from '../checkpoint/index.js';
