import { errorMessage, KclTsError } from '../errors.js';
import type { KinesisRecord } from '../processor/record.js';
import type { DeadLetter, DeadLetterError } from './types.js';

/**
 * Throw this from a handler to skip the remaining retries: the failure policy decides at once (for
 * errors that cannot succeed on a retry, such as a record that is not valid JSON).
 */
export class NonRetryableError extends KclTsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KCLTS_ERR_HANDLER_NON_RETRYABLE', message, options);
  }
}

/** What to do with a record whose handler failed for the last time. */
export type FailureDecision = 'dead-letter' | 'stop-shard' | 'skip';

/** A policy: one decision for every failure, or a function deciding per record. */
export type FailurePolicy<Ctx> =
  | 'dead-letter'
  | 'stop-shard'
  | ((record: KinesisRecord, error: unknown, ctx: Ctx) => FailureDecision | Promise<FailureDecision>);

/** The error fields of a dead letter. */
export function errorInfo(error: unknown): DeadLetterError {
  try {
    if (error instanceof Error) {
      const code = (error as { code?: unknown }).code;
      return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
    }
    return { name: typeof error, message: String(error) };
  } catch {
    // A value that throws when read (a getter, a Proxy): the dead letter is still written, saying so.
    return { name: 'Unreadable', message: errorMessage(error) };
  }
}

/** Builds the dead letter of a record. */
export function toDeadLetter(record: KinesisRecord, shardId: string, error: unknown, attempts: number, env: NodeJS.ProcessEnv): DeadLetter {
  const arrival = record.approximateArrivalTimestamp;
  return {
    version: 1,
    ...(env.KCL_TS_APPLICATION ? { application: env.KCL_TS_APPLICATION } : {}),
    ...(env.KCL_TS_STREAM ? { stream: env.KCL_TS_STREAM } : {}),
    shardId,
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    ...(arrival ? { approximateArrivalTimestamp: arrival.toISOString() } : {}),
    ...(record.explicitHashKey ? { explicitHashKey: record.explicitHashKey } : {}),
    data: record.base64,
    error: errorInfo(error),
    attempts,
    failedAt: new Date().toISOString(),
  };
}
