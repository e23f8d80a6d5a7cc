export { startDynamoDbStreamsEmulator, type DynamoDbStreamsEmulator, type DynamoDbStreamsEmulatorOptions } from './server.js';
export { StreamStore, formatSequence, type RolloverOptions, type StoredShard, type StoredStream } from './store.js';
export { MAX_GET_RECORDS, ITERATOR_TTL_MS } from './streams-api.js';
export type { StreamRecordJson, StreamViewType, AttributeMap } from './types.js';
