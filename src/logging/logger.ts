import { closeSync } from 'node:fs';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { errorMessage } from '../errors.js';
import { chooseLogDestination, type LogDestination } from './destination.js';

export type { Logger } from 'pino';

/** Logging options shared by `run()` and the CLI. */
export interface LogOptions {
  /**
   * A file path or `stderr`. Falls back to the `KCL_TS_LOG_DEST` environment variable, then
   * `/proc/1/fd/1` (the container's stdout) when writable, then stderr.
   * @default process.env.KCL_TS_LOG_DEST ?? '/proc/1/fd/1'
   */
  destination?: string;
  /**
   * pino level.
   * @default process.env.KCL_TS_LOG_LEVEL ?? 'info'
   */
  level?: LevelWithSilent;
}

/** A root logger whose every line carries the shard id, set once `initialize` arrives. */
export interface ShardLogger {
  logger: Logger;
  destination: LogDestination;
  setShardId(shardId: string): void;
  /** Writes out anything buffered; call before exiting. */
  flush(): void;
  /** Flushes, then closes the destination if this logger opened it (a file; never stderr). */
  close(): void;
}

/**
 * pino's error serializer, made safe: a thrown value whose properties throw when read (a getter, a
 * Proxy) is logged as unreadable instead of making the log call throw, which would turn a handler's
 * failure into an internal error.
 */
export function safeErrorSerializer(err: unknown): unknown {
  try {
    return pino.stdSerializers.err(err as Error);
  } catch (readError) {
    return { type: 'Unreadable', message: `the thrown value could not be read: ${errorMessage(readError)}` };
  }
}

/** Creates the process's root logger. Synchronous writes: a crash never loses the line that explains it. */
export function createShardLogger(options: LogOptions = {}, env: NodeJS.ProcessEnv = process.env): ShardLogger {
  const destination = chooseLogDestination(options.destination, env);
  const stream = pino.destination({ fd: destination.fd, sync: true });
  let shardId: string | null = null;
  const logger = pino(
    {
      name: 'kcl-ts',
      level: options.level ?? (env.KCL_TS_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      mixin: () => ({ shardId }),
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: safeErrorSerializer },
    },
    stream,
  );
  if (destination.fallbackReason) logger.debug({ reason: destination.fallbackReason }, 'logging to stderr');
  return {
    logger,
    destination,
    setShardId(id) {
      shardId = id;
    },
    flush() {
      try {
        stream.flushSync();
      } catch {
        // nothing buffered, or the destination is gone: nothing left to do
      }
    },
    close() {
      this.flush();
      if (destination.fd > 2) {
        try {
          closeSync(destination.fd);
        } catch {
          // already closed
        }
      }
    },
  };
}
