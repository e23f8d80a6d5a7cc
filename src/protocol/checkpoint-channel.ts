import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckpointError,
  CheckpointErrorCode,
  RETRYABLE_DAEMON_ERRORS,
  checkpointErrorFor,
  simpleErrorName,
  type CheckpointPosition,
} from './checkpoint-errors.js';
import type { CheckpointAnswer } from './messages.js';
import type { ProtocolWriter } from './writer.js';

/** How retryable checkpoint failures (`ThrottlingException`, `KinesisClientLibDependencyException`) are retried. */
export interface CheckpointRetryOptions {
  /**
   * Total attempts, the first included; 1 disables retries.
   * @default 6
   */
  maxAttempts?: number;
  /**
   * Delay before the first retry; doubles per retry, with jitter.
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * Upper bound of one delay. Keep the total well below the daemon's `timeoutInSeconds`, if set.
   * @default 5000
   */
  maxDelayMs?: number;
}

/** A retry of a checkpoint, reported for logging. */
export interface CheckpointRetry {
  attempt: number;
  delayMs: number;
  error: CheckpointError;
}

/** Capped exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

interface Waiter {
  resolve(answer: CheckpointAnswer): void;
  reject(err: Error): void;
}

/**
 * The checkpoint request/answer exchange. The daemon expects the child to wait for the answer to one
 * checkpoint before it sends anything else, so requests are serialised here; `idle()` lets the session
 * hold its status until no checkpoint is in flight.
 */
export class CheckpointChannel {
  readonly #writer: ProtocolWriter;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onRetry: ((retry: CheckpointRetry) => void) | undefined;
  #waiter: Waiter | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #disconnected: Error | undefined;

  constructor(writer: ProtocolWriter, options: Required<CheckpointRetryOptions>, onRetry?: (r: CheckpointRetry) => void) {
    this.#writer = writer;
    this.#maxAttempts = options.maxAttempts;
    this.#baseDelayMs = options.baseDelayMs;
    this.#maxDelayMs = options.maxDelayMs;
    this.#onRetry = onRetry;
  }

  /** True while a request waits for its answer. */
  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  /**
   * Checkpoints at `position`, retrying retryable failures with backoff.
   * @throws {CheckpointError} the typed error for the daemon's answer once retries are exhausted.
   */
  checkpoint(position: CheckpointPosition): Promise<void> {
    const run = this.#tail.then(() => this.#withRetries(position));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every checkpoint asked for so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  /**
   * Hands an answer from the daemon to the waiting request.
   * @returns false when no request was waiting (an unsolicited answer).
   */
  deliver(answer: CheckpointAnswer): boolean {
    const waiter = this.#waiter;
    if (!waiter) return false;
    this.#waiter = undefined;
    waiter.resolve(answer);
    return true;
  }

  /** The daemon went away: fail the waiting request and every later one. */
  disconnect(reason: string): void {
    this.#disconnected ??= new Error(reason);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#disconnected);
  }

  async #withRetries(position: CheckpointPosition): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.#once(position);
      if (answer.error === null) return;
      const error = checkpointErrorFor(answer.error, position);
      if (!RETRYABLE_DAEMON_ERRORS.has(simpleErrorName(answer.error)) || attempt >= this.#maxAttempts) throw error;
      const delayMs = backoffDelay(attempt, this.#baseDelayMs, this.#maxDelayMs);
      this.#onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }

  async #once(position: CheckpointPosition): Promise<CheckpointAnswer> {
    if (this.#disconnected) throw this.#disconnectedError(position, this.#disconnected);
    const answer = new Promise<CheckpointAnswer>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    try {
      await this.#writer.send({
        action: 'checkpoint',
        sequenceNumber: position.sequenceNumber,
        subSequenceNumber: position.subSequenceNumber,
      });
      return await answer;
    } catch (err) {
      this.#waiter = undefined;
      throw this.#disconnectedError(position, err);
    }
  }

  #disconnectedError(position: CheckpointPosition, cause: unknown): CheckpointError {
    return new CheckpointError(
      CheckpointErrorCode.DISCONNECTED,
      `Checkpoint got no answer: ${(cause as Error).message}`,
      position,
      undefined,
      cause,
    );
  }
}
