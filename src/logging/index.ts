export { chooseLogDestination, PID1_STDOUT, type LogDestination } from './destination.js';
export { createShardLogger, safeErrorSerializer, type LogOptions, type ShardLogger, type Logger } from './logger.js';
export { installStdoutGuard, type RemoveGuard } from './stdout-guard.js';
