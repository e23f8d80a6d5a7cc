import type { Logger } from 'pino';
import { isThenable } from '../dispatch/index.js';
import { NonRetryableError, toDeadLetter, type FailureDecision } from '../failure/policy.js';
import type { DeadLetter } from '../failure/types.js';
import { backoffDelay } from '../protocol/index.js';
import type { RecordContext, ResolvedHandlerOptions } from './handler-options.js';
import type { KinesisRecord } from './record.js';
import type { StatusReporter } from './status.js';

/**
 * One dispatch unit: a record (`handle`: `first` and `ticket` only, no arrays — one object per record
 * on the hot path) or one key's records of a batch (`handleBatch`: `list` and `tickets` too).
 */
export interface Job {
  key: string;
  records: number;
  bytes: number;
  first: KinesisRecord;
  /** Tracker ticket of `first`. */
  ticket: number;
  /** handleBatch: all the records, and their tickets in the same order. */
  list?: KinesisRecord[];
  tickets?: number[];
  /** Handler calls made so far. */
  attempts: number;
  /** Dead letters waiting for the sink (set once the policy decided so). */
  pending?: DeadLetter[];
  /** Sink writes tried so far. */
  sinkAttempts: number;
}

/** How a run of a job ended: settled (checkpoint may pass), stopped (stop-shard), or retry after ms. */
export type JobResult = { settled: true } | { stopped: unknown } | number;

/** The context object of one handler call; the child logger is made only if used. */
class Context implements RecordContext {
  readonly shardId: string;
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly #base: Logger;
  readonly #first: KinesisRecord;
  #log: Logger | undefined;

  constructor(shardId: string, signal: AbortSignal, attempt: number, base: Logger, first: KinesisRecord) {
    this.shardId = shardId;
    this.signal = signal;
    this.attempt = attempt;
    this.#base = base;
    this.#first = first;
  }

  get log(): Logger {
    return (this.#log ??= this.#base.child({ partitionKey: this.#first.partitionKey, sequenceNumber: this.#first.sequenceNumber }));
  }
}

const SETTLED = { settled: true } as const;

/**
 * Runs jobs: the handler with retries (capped exponential backoff with jitter; `NonRetryableError`
 * skips them), then the failure policy; dead letters are written to the sink, retried with backoff
 * until it confirms. Waits are returned as delays so the dispatcher frees the concurrency slot.
 */
export class JobRunner {
  readonly #o: ResolvedHandlerOptions;
  readonly #log: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #status: StatusReporter | undefined;

  constructor(options: ResolvedHandlerOptions, log: Logger, env: NodeJS.ProcessEnv, status?: StatusReporter) {
    this.#o = options;
    this.#log = log;
    this.#env = env;
    this.#status = status;
  }

  /** Runs a job once; synchronous when the handler is (no promise on the fast path). */
  run(job: Job, shardId: string, signal: AbortSignal): JobResult | Promise<JobResult> {
    if (job.pending) return this.#deadLetter(job, signal);
    job.attempts++;
    const ctx = new Context(shardId, signal, job.attempts, this.#log, job.first);
    let result: unknown;
    try {
      result = this.#o.handle ? this.#o.handle(job.first, ctx) : this.#o.handleBatch!(job.list!, ctx);
    } catch (error) {
      return this.#failed(job, error, ctx, shardId, signal);
    }
    if (!isThenable(result)) return this.#ok(job);
    return Promise.resolve(result).then(
      () => this.#ok(job),
      (error: unknown) => this.#failed(job, error, ctx, shardId, signal),
    );
  }

  #ok(job: Job): JobResult {
    this.#status?.count('processed', job.records);
    return SETTLED;
  }

  /** A failed call: a retry delay while retries are left, else the failure policy. */
  #failed(job: Job, error: unknown, ctx: RecordContext, shardId: string, signal: AbortSignal): JobResult | Promise<JobResult> {
    const retryable = !(error instanceof NonRetryableError) && !signal.aborted;
    if (retryable && job.attempts <= this.#o.maxRetries) {
      const delayMs = backoffDelay(job.attempts, this.#o.retryBaseDelayMs, this.#o.retryMaxDelayMs);
      this.#log.warn({ err: error, record: job.first.ref(), attempt: job.attempts, delayMs }, 'handler failed; retrying');
      this.#status?.count('retried');
      return delayMs;
    }
    return this.#decide(job, error, ctx, shardId, signal);
  }

  async #decide(job: Job, error: unknown, ctx: RecordContext, shardId: string, signal: AbortSignal): Promise<JobResult> {
    const policy = this.#o.onFailure;
    const decisions: FailureDecision[] = [];
    const records = job.list ?? [job.first];
    for (const record of records) {
      let decision: FailureDecision = 'stop-shard';
      try {
        decision = typeof policy === 'function' ? await policy(record, error, ctx) : policy;
      } catch (policyError) {
        this.#log.error({ err: policyError, record: record.ref() }, 'the onFailure function threw: stopping the shard');
      }
      if (decision === 'dead-letter' && !this.#o.deadLetter) {
        this.#log.error({ record: record.ref() }, "onFailure chose 'dead-letter' but no deadLetter sink is configured: stopping the shard");
        decision = 'stop-shard';
      } else if (decision !== 'dead-letter' && decision !== 'skip' && decision !== 'stop-shard') {
        this.#log.error({ record: record.ref(), decision }, "onFailure returned an unknown decision: stopping the shard");
        decision = 'stop-shard';
      }
      decisions.push(decision);
    }
    if (decisions.includes('stop-shard')) return { stopped: error };
    const deadLettered = records.filter((_, i) => decisions[i] === 'dead-letter');
    for (const [i, record] of records.entries()) {
      if (decisions[i] === 'skip') {
        this.#log.error({ err: error, record: record.ref(), attempts: job.attempts }, 'handler failed; record SKIPPED by onFailure (the checkpoint passes it)');
        this.#status?.count('skipped');
      }
    }
    if (deadLettered.length === 0) return SETTLED;
    job.pending = deadLettered.map((r) => toDeadLetter(r, shardId, error, job.attempts, this.#env));
    return this.#deadLetter(job, signal);
  }

  async #deadLetter(job: Job, signal: AbortSignal): Promise<JobResult> {
    const sink = this.#o.deadLetter!;
    const entries = job.pending!;
    try {
      await sink.write(entries);
    } catch (error) {
      job.sinkAttempts++;
      if (signal.aborted) return { stopped: error }; // the lease is gone: nothing more can be checkpointed
      const delayMs = backoffDelay(job.sinkAttempts, this.#o.retryBaseDelayMs, this.#o.retryMaxDelayMs);
      this.#log.error(
        { err: error, sink: sink.description, records: entries.length, first: job.first.ref(), attempt: job.sinkAttempts, delayMs },
        'dead-letter sink failed; retrying (the checkpoint stays before these records)',
      );
      return delayMs;
    }
    for (const e of entries) {
      this.#log.error(
        { sink: sink.description, record: { partitionKey: e.partitionKey, sequenceNumber: e.sequenceNumber, subSequenceNumber: e.subSequenceNumber }, error: e.error.message, attempts: e.attempts },
        'record dead-lettered',
      );
    }
    this.#status?.count('deadLettered', entries.length);
    job.pending = undefined;
    return SETTLED;
  }
}
