/** Options, outcome and the state table of ShardSession. */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ActionName, CheckpointRetryOptions, LineInput, LineSink, ProtocolWriter } from '../protocol/index.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { RecordRef } from './record.js';
import type { RecordProcessor } from './types.js';

/** Options of a {@link ShardSession}. */
export interface SessionOptions {
  processor: RecordProcessor;
  /** Daemon → child lines (stdin): a Readable, or a LineInput such as the pooled pipe reader run() uses. */
  input: Readable | LineInput;
  /** Child → daemon lines (stdout), or a writer already wrapping it. */
  output: LineSink | ProtocolWriter;
  logger: Logger;
  /** Called with the shard id once `initialize` arrives, e.g. to tag every log line. */
  onShardId?: (shardId: string) => void;
  /** Retries of throttled or dependency-failed checkpoints. */
  checkpointRetry?: CheckpointRetryOptions;
  /**
   * On `shardEnded`, checkpoint SHARD_END automatically when the processor did not. Only safe when the
   * processor has finished every record by the time its `shardEnded` returns.
   * @default false
   */
  autoCheckpointShardEnd?: boolean;
  /**
   * Longest accepted stdin line in bytes.
   * @default 134217728 (128 MiB)
   */
  maxLineBytes?: number;
}

/** How a session ended. */
export interface SessionOutcome {
  exitCode: ExitCodeValue;
  /** One line saying why. */
  reason: string;
  error?: Error;
}

/** The protocol states of one shard's child process. */
export type SessionState = 'awaiting-initialize' | 'active' | 'shutdown-requested' | 'ended' | 'failed';

/**
 * Allowed transitions. A processRecords outside them fails the session safe (no status, exit non-zero);
 * any other unexpected message is answered with a status and a warning (nothing can be lost there).
 */
export const TRANSITIONS: Record<SessionState, Partial<Record<ActionName, SessionState>>> = {
  'awaiting-initialize': { initialize: 'active', leaseLost: 'ended', shutdownRequested: 'shutdown-requested' },
  active: {
    processRecords: 'active',
    leaseLost: 'ended',
    shardEnded: 'ended',
    shutdownRequested: 'shutdown-requested',
    shutdown: 'ended',
  },
  'shutdown-requested': {
    processRecords: 'shutdown-requested',
    leaseLost: 'ended',
    shardEnded: 'ended',
    shutdownRequested: 'shutdown-requested',
    shutdown: 'ended',
  },
  ended: {},
  failed: {},
};

export const DEFAULT_CHECKPOINT_RETRY: Required<CheckpointRetryOptions> = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5000,
};

/** The batch being handled, for error reports. */
export interface InFlight {
  action: ActionName;
  first?: RecordRef;
  last?: RecordRef;
  count?: number;
}

