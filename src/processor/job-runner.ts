import type { Logger } from 'pino';
import { isThenable } from '../dispatch/index.js';
import { NonRetryableError, toDeadLetter, type FailureDecision } from '../failure/policy.js';
import type { DeadLetter } from '../failure/types.js';
import { backoffDelay } from '../protocol/index.js';
import type { RecordContext, ResolvedHandlerOptions } from './handler-options.js';
import type { KinesisRecord } from './record.js';

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

/** The job of one record (`handle`). */
export function recordJob(record: KinesisRecord, ticket: number): Job {
  return { key: record.partitionKey, records: 1, bytes: record.size, first: record, ticket, attempts: 0, sinkAttempts: 0 };
}

/** The jobs of a batch for `handleBatch`: one per partition key, its records in order; `firstTicket` is the batch's first. */
export function jobsByKey(records: readonly KinesisRecord[], firstTicket: number): Job[] {
  const byKey = new Map<string, Job & { list: KinesisRecord[]; tickets: number[] }>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let job = byKey.get(r.partitionKey);
    if (!job) {
      // Stryker disable next-line ArithmeticOperator: a batch job settles through `tickets`; its `ticket` is not read.
      job = { key: r.partitionKey, records: 0, bytes: 0, first: r, ticket: firstTicket + i, list: [], tickets: [], attempts: 0, sinkAttempts: 0 };
      byKey.set(r.partitionKey, job);
    }
    job.records++;
    job.bytes += r.size;
    job.list.push(r);
    job.tickets.push(firstTicket + i);
  }
  return [...byKey.values()];
}

/**
 * How a run of a job ended: settled (the checkpoint may pass it), stopped (stop-shard), abandoned (it
 * failed after the shard's signal was aborted: our own abort on lease loss or a drain timeout, not a
 * failure of the record; it stays unfinished), or retry after that many ms.
 */
export type JobResult = { settled: true } | { stopped: unknown } | { abandoned: true } | number;

/** What the runner reports to: counters (the status file) and the moment stop-shard is decided. */
export interface JobRunnerHooks {
  count(counter: 'processed' | 'retried' | 'deadLettered' | 'skipped', n?: number): void;
  /**
   * Called synchronously when the policy decides stop-shard, before the job's result is returned: from
   * then on no handler call may start (the caller closes its gate here).
   */
  stopping(): void;
}

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
const ABANDONED = { abandoned: true } as const;

/**
 * Runs jobs: the handler with retries (capped exponential backoff with jitter; `NonRetryableError`
 * skips them), then the failure policy; dead letters are written to the sink, retried with backoff
 * until it confirms. Waits are returned as delays so the dispatcher frees the concurrency slot.
 */
export class JobRunner {
  readonly #o: ResolvedHandlerOptions;
  readonly #log: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #hooks: JobRunnerHooks;

  constructor(options: ResolvedHandlerOptions, log: Logger, env: NodeJS.ProcessEnv, hooks: JobRunnerHooks) {
    this.#o = options;
    this.#log = log;
    this.#env = env;
    this.#hooks = hooks;
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
    this.#hooks.count('processed', job.records);
    return SETTLED;
  }

  /**
   * A failed call: abandoned when the shard's signal was aborted (the rejection is most likely our own
   * abort, and the lease or the drain is over: no retry, no policy, no dead letter, no failure count;
   * the record stays unfinished), a retry delay while retries are left, else the failure policy.
   */
  #failed(job: Job, error: unknown, ctx: RecordContext, shardId: string, signal: AbortSignal): JobResult | Promise<JobResult> {
    if (signal.aborted) return ABANDONED;
    if (!(error instanceof NonRetryableError) && job.attempts <= this.#o.maxRetries) {
      const delayMs = backoffDelay(job.attempts, this.#o.retryBaseDelayMs, this.#o.retryMaxDelayMs);
      this.#log.warn({ err: error, record: job.first.ref(), attempt: job.attempts, delayMs }, 'handler failed; retrying');
      this.#hooks.count('retried');
      return delayMs;
    }
    return this.#decide(job, error, ctx, shardId, signal);
  }

  /**
   * Asks the policy about each record of the job, one at a time. Synchronous while the answers are (a
   * string policy, or a function returning a decision): stop-shard then closes the gate before any
   * other handler call can start.
   */
  #decide(job: Job, error: unknown, ctx: RecordContext, shardId: string, signal: AbortSignal, from = 0, decisions: FailureDecision[] = []): JobResult | Promise<JobResult> {
    const records = job.list ?? [job.first];
    for (let i = from; i < records.length; i++) {
      const answer = this.#ask(records[i]!, error, ctx);
      if (isThenable<unknown>(answer)) {
        return Promise.resolve(answer).then((d) => {
          decisions.push(this.#check(records[i]!, d));
          return this.#decide(job, error, ctx, shardId, signal, i + 1, decisions);
        });
      }
      decisions.push(this.#check(records[i]!, answer));
    }
    return this.#conclude(job, error, shardId, signal, records, decisions);
  }

  /** The policy's answer for one record (a throwing or rejecting policy function means stop-shard). */
  #ask(record: KinesisRecord, error: unknown, ctx: RecordContext): unknown {
    const policy = this.#o.onFailure;
    if (typeof policy !== 'function') return policy;
    const threw = (policyError: unknown): FailureDecision => {
      this.#log.error({ err: policyError, record: record.ref() }, 'the onFailure function threw: stopping the shard');
      return 'stop-shard';
    };
    try {
      const answer = policy(record, error, ctx);
      return isThenable<unknown>(answer) ? Promise.resolve(answer).catch(threw) : answer;
    } catch (policyError) {
      return threw(policyError);
    }
  }

  /** A valid decision; a missing sink or an unknown answer means stop-shard. */
  #check(record: KinesisRecord, decision: unknown): FailureDecision {
    if (decision === 'dead-letter' && !this.#o.deadLetter) {
      this.#log.error({ record: record.ref() }, "onFailure chose 'dead-letter' but no deadLetter sink is configured: stopping the shard");
      return 'stop-shard';
    }
    if (decision !== 'dead-letter' && decision !== 'skip' && decision !== 'stop-shard') {
      this.#log.error({ record: record.ref(), decision }, 'onFailure returned an unknown decision: stopping the shard');
      return 'stop-shard';
    }
    return decision;
  }

  #conclude(job: Job, error: unknown, shardId: string, signal: AbortSignal, records: KinesisRecord[], decisions: FailureDecision[]): JobResult | Promise<JobResult> {
    if (decisions.includes('stop-shard')) {
      this.#hooks.stopping();
      return { stopped: error };
    }
    const deadLettered = records.filter((_, i) => decisions[i] === 'dead-letter');
    for (const [i, record] of records.entries()) {
      if (decisions[i] === 'skip') {
        this.#log.error({ err: error, record: record.ref(), attempts: job.attempts }, 'handler failed; record SKIPPED by onFailure (the checkpoint passes it)');
        this.#hooks.count('skipped');
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
      // The lease is gone (or the drain is over): nothing more can be checkpointed; the record stays
      // unfinished and is delivered again from the checkpoint. Not a failure of the record.
      if (signal.aborted) return ABANDONED;
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
    this.#hooks.count('deadLettered', entries.length);
    job.pending = undefined;
    return SETTLED;
  }
}
