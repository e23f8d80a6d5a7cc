export * from './messages.js';
export { decodeMessage, decodeLine, encodeMessage } from './codec.js';
export { LineSplitter, DEFAULT_MAX_LINE_BYTES, segmentsToString, type LineHandler } from './line-splitter.js';
export { ProtocolWriter, type LineSink } from './writer.js';
export { ProtocolError, ProtocolErrorCode } from './errors.js';
export * from './checkpoint-errors.js';
export {
  CheckpointChannel,
  backoffDelay,
  type CheckpointRetryOptions,
  type CheckpointRetry,
} from './checkpoint-channel.js';
export { BlockPool, Block, LineHold, DEFAULT_BLOCK_BYTES } from './block-pool.js';
export { StreamLineInput, PooledPipeInput, isLineInput, type LineInput, type LineEvents } from './line-input.js';
