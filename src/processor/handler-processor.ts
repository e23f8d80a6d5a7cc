import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { CheckpointTracker, comparePositions, type Position } from '../checkpoint/index.js';
import { isThenable, KeyedDispatcher } from '../dispatch/index.js';
import { errorMessage, type KclTsError } from '../errors.js';
import { ProtocolError, ProtocolErrorCode } from '../protocol/index.js';
import { withTimeout } from '../timeout.js';
import type { Checkpointer } from './checkpointer.js';
import type { ResolvedHandlerOptions } from './handler-options.js';
import { jobsByKey, JobRunner, recordJob, type Job, type JobResult } from './job-runner.js';
import type { StatusReporter } from './status.js';
import type { KinesisRecord } from './record.js';
import { kReleasesRecords, type InitializeInput, type ProcessRecordsInput, type RecordProcessor } from './types.js';
import { WatermarkCheckpoints } from './watermark-checkpoints.js';

/** Waits for `promise` at most `ms`; true if it settled in time. */
const settlesWithin = async (promise: Promise<unknown>, ms: number): Promise<boolean> => (await withTimeout(promise.then(() => true), ms)) === true;

/**
 * The per-record runtime as a {@link RecordProcessor}: records go into per-key FIFOs (KeyedDispatcher),
 * their completion moves the checkpoint watermark (CheckpointTracker), and the watermark is
 * checkpointed while the daemon listens, at the start of each later message.
 *
 * - processRecords replies once its records are accepted (pipelining) and holds the reply while the
 *   in-flight bounds are exceeded (backpressure), checkpointing progress meanwhile.
 * - A failing handler is retried (JobRunner), then the failure policy decides: dead-lettered and skipped
 *   records settle (dead letters once the sink confirms); under stop-shard the record never settles, so
 *   the watermark and every checkpoint stay before it; from the decision on no handler call starts
 *   (queued records and retries are dropped, running calls finish) and the shard takes no new batches
 *   (they are answered and dropped; the daemon delivers them again after a restart, from the checkpoint).
 * - shutdownRequested/shardEnded drain (up to drainTimeoutMs) and checkpoint the watermark, SHARD_END
 *   only when every record settled; leaseLost aborts `ctx.signal`, drops queued work, never checkpoints.
 * - Our own abort (leaseLost, or a drain that timed out) is not a failure: a handler call that fails
 *   once the signal is aborted is "abandoned" (no retry, no policy, no dead letter, no failure count);
 *   its record stays unfinished, so no checkpoint passes it. After a drain timeout the shard takes no
 *   new batches (a batch would start behind unfinished records of its keys, and no checkpoint could
 *   pass them anyway); after a drain that finished in time a batch is processed normally.
 *
 * Invariant: once `#halted` is set no handler call starts (#run checks it), whatever the dispatcher
 * still holds; it is set synchronously at a stop-shard decision, a drain timeout and leaseLost.
 */
export class HandlerProcessor implements RecordProcessor {
  readonly #o: ResolvedHandlerOptions;
  readonly #log: Logger;
  readonly #tracker = new CheckpointTracker();
  readonly #dispatcher: KeyedDispatcher<Job>;
  readonly #abort = new AbortController();
  readonly #runner: JobRunner;
  readonly #status: StatusReporter | undefined;
  // Stryker disable next-line StringLiteral: the daemon always sends initialize first; the default is never read.
  #shardId = 'unknown';
  #stopped: { record: Position; error: unknown } | undefined;
  /** Jobs #fail has handled (a job whose bookkeeping then threw must not fail twice). */
  readonly #failedJobs = new WeakSet<Job>();
  /** No handler call may start any more (stop-shard decided, drain timed out, or lease lost). */
  #halted = false;
  /** Why `ctx.signal` was aborted, if it was: what unfinished records are counted as. */
  #abandonReason: 'lease-lost' | 'drain-timeout' | undefined;
  /** Records of batches answered but not accepted (after stop-shard or a drain timeout): no SHARD_END. */
  #refused = 0;
  /** Set once leaseLost was answered: the process is about to exit, later completions count for nothing. */
  #final = false;
  readonly #checkpoints: WatermarkCheckpoints;
  #millisBehindLatest: number | undefined;
  #stats: NodeJS.Timeout | undefined;

  /** Records are kept past processRecords (pipelining) and released here when they settle. */
  readonly [kReleasesRecords] = true;

  /**
   * @param pool the pooled stdin memory records' payloads lie in (run() passes it when stdin is a pipe):
   *   the reply to the daemon is also held while records keep more than `4 x maxInFlightBytes` of it.
   */
  constructor(
    options: ResolvedHandlerOptions,
    logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
    status?: StatusReporter,
    pool?: { readonly inUseBytes: number; readonly blockBytes: number },
  ) {
    this.#o = options;
    this.#log = logger;
    this.#status = status;
    this.#checkpoints = new WatermarkCheckpoints(this.#tracker, options.checkpointInterval, logger, status);
    this.#runner = new JobRunner(options, logger, env, {
      count: (counter, n) => {
        if (!this.#final) status?.count(counter, n);
      },
      stopping: () => {
        this.#halted = true;
      },
    });
    // Every running handler may listen on the shard's one signal.
    setMaxListeners(options.concurrency + 16, this.#abort.signal);
    this.#dispatcher = new KeyedDispatcher<Job>({
      concurrency: options.concurrency,
      maxInFlightRecords: options.maxInFlightRecords,
      maxInFlightBytes: options.maxInFlightBytes,
      run: (job) => this.#run(job),
      onError: (job, err) => this.#internalError(job, err),
      // Waiting records keep their stdin block; a hot key's records spread over many blocks could hold
      // far more memory than their own bytes, so the pool's use is bounded too. The reader always holds
      // the block it reads into, whatever is in flight: that one is not counted, so that the bound can
      // be met once the records settle, for any maxInFlightBytes (even one far below a block).
      extraRoom: pool === undefined ? undefined : () => pool.inUseBytes <= 4 * options.maxInFlightBytes + pool.blockBytes,
    });
  }

  initialize(input: InitializeInput): void {
    this.#shardId = input.shardId;
    this.#status?.update({ shardId: input.shardId });
    if (this.#o.statsIntervalMs > 0) {
      this.#stats = setInterval(() => this.#logStats(), this.#o.statsIntervalMs);
      this.#stats.unref();
    }
  }

  async processRecords(input: ProcessRecordsInput, checkpointer: Checkpointer): Promise<void> {
    this.#millisBehindLatest = input.millisBehindLatest;
    await this.#checkpoints.checkpoint(checkpointer, false);
    const records = input.records;
    if (records.length === 0) return;
    if (this.#halted) {
      this.#refuse(records);
      return;
    }
    const first = this.#accept(records);
    // A record that waits in a queue must not keep the whole 64 KB stdin chunk its payload points into
    // alive (a hot key's waiting records are spread over every chunk): waiting records get their own copy.
    if (this.#o.handle) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        // A stop-shard decision (a synchronous handler and policy) ends the batch here.
        if (this.#halted) {
          for (let j = i; j < records.length; j++) records[j]!.release();
          break;
        }
        // Stryker disable next-line BooleanLiteral: memory only (which records copy their payload), measured by bench/dispatch.ts.
        if (!this.#dispatcher.push(recordJob(r, first + i))) r.detach();
      }
    } else {
      for (const job of jobsByKey(records, first)) {
        if (this.#halted) {
          for (const r of job.list!) r.release();
          continue;
        }
        // Stryker disable next-line BooleanLiteral: memory only (which records copy their payload), measured by bench/dispatch.ts.
        if (!this.#dispatcher.push(job)) for (const r of job.list!) r.detach();
      }
    }
    // Backpressure: the daemon sends nothing more until this reply; it keeps listening for checkpoints
    // (every checkpointInterval.ms, or every second without one).
    while (!this.#dispatcher.hasRoom()) {
      await settlesWithin(this.#dispatcher.waitForRoom(), this.#o.checkpointInterval?.ms || 1000);
      await this.#checkpoints.checkpoint(checkpointer, false);
    }
  }

  async shutdownRequested(_shard: unknown, checkpointer: Checkpointer): Promise<void> {
    await this.#drain(checkpointer, 'shutdownRequested');
    await this.#checkpoints.checkpoint(checkpointer, true);
  }

  async shardEnded(_shard: unknown, checkpointer: Checkpointer): Promise<void> {
    await this.#drain(checkpointer, 'shardEnded');
    if (this.#tracker.allSettled && !this.#stopped && this.#refused === 0) {
      await this.#checkpoints.shardEnd(checkpointer);
      this.#end();
      return;
    }
    await this.#checkpoints.checkpoint(checkpointer, true);
    this.#log.error(
      { pending: this.#tracker.pending, oldestUnsettled: this.#tracker.oldestUnsettled, refusedRecords: this.#refused },
      'shardEnded with unfinished or failed records: SHARD_END NOT checkpointed (the shard end is offered again later)',
    );
    this.#end();
  }

  async leaseLost(): Promise<void> {
    const dropped = this.#halt('lease-lost', new Error('lease lost'));
    const running = this.#dispatcher.running;
    if (dropped > 0 || running > 0) {
      this.#log.warn(
        { droppedRecords: dropped, running },
        'leaseLost: queued records dropped (the new owner processes them from its checkpoint); running handlers aborted',
      );
    }
    await settlesWithin(this.#dispatcher.onIdle(), this.#o.leaseLostGraceMs);
    // Calls still running now are abandoned too: the process exits once the daemon closes stdin.
    this.#countAbandoned(this.#dispatcher.inFlightRecords);
    this.#final = true;
    this.#end();
  }

  /**
   * Runs a job; a number asks the dispatcher to run it again after that delay (slot freed meanwhile).
   * Synchronous when the handler is: no promise per record on the fast path.
   */
  #run(job: Job): void | number | Promise<void | number> {
    if (this.#halted) {
      // Reached between a stop-shard decision and the queues being cleared: never started.
      this.#drop(job);
      return;
    }
    const result = this.#runner.run(job, this.#shardId, this.#abort.signal);
    return isThenable<JobResult>(result) ? result.then((r) => this.#apply(job, r)) : this.#apply(job, result);
  }

  #apply(job: Job, result: JobResult): void | number {
    if (typeof result === 'number') return result;
    if ('settled' in result) {
      if (job.tickets) for (const t of job.tickets) this.#tracker.settle(t);
      else this.#tracker.settle(job.ticket);
      this.#release(job);
      return;
    }
    if ('abandoned' in result) {
      this.#countAbandoned(job.records);
      this.#release(job);
      return;
    }
    this.#fail(job, result.stopped);
    this.#release(job);
  }

  /** Gives back a job's pooled stdin memory (a released record stays usable). */
  #release(job: Job): void {
    if (job.list) for (const r of job.list) r.release();
    else job.first.release();
  }

  /** A job that will not run: its records stay unfinished (no checkpoint passes them). */
  #drop(job: Job): void {
    if (this.#abandonReason) this.#countAbandoned(job.records);
    this.#release(job);
  }

  #countAbandoned(records: number): void {
    if (this.#final || records === 0) return;
    this.#status?.count(this.#abandonReason === 'drain-timeout' ? 'abandonedOnDrainTimeout' : 'abandonedOnLeaseLoss', records);
  }

  /**
   * No handler call starts from now on; queued records and retries are dropped (they stay unfinished).
   * With a reason, `ctx.signal` is aborted too and what is left counts as abandoned for that reason.
   * @returns the records dropped from the queues.
   */
  #halt(reason?: 'lease-lost' | 'drain-timeout', abortWith?: Error): number {
    this.#halted = true;
    if (reason) {
      this.#abandonReason ??= reason;
      this.#abort.abort(abortWith); // no-op when already aborted
    }
    let dropped = 0;
    for (const job of this.#dispatcher.clearQueued()) {
      dropped += job.records;
      this.#drop(job);
    }
    return dropped;
  }

  /** Answers a batch without processing it; the daemon delivers it again from the checkpoint. */
  #refuse(records: readonly KinesisRecord[]): void {
    this.#refused += records.length;
    for (const r of records) r.release();
    const first = records[0]!.sequenceNumber;
    if (this.#stopped || !this.#abandonReason) {
      this.#log.warn(
        // Stryker disable next-line OptionalChaining: #stopped is unset here only between a stop decision and #fail (microtasks apart); `?.` keeps that from throwing.
        { records: records.length, first, failedAt: this.#stopped?.record },
        'shard stopped after a failed record: batch not processed (it is delivered again after a restart, from the checkpoint)',
      );
    } else {
      this.#log.warn(
        { records: records.length, first, reason: this.#abandonReason },
        'batch after the shard halted: not processed (records before it were left unfinished; it is delivered again from the checkpoint)',
      );
    }
  }

  /**
   * Accepts a batch into the tracker. A record at or before one already delivered (a duplicate or
   * out-of-order delivery, the only thing accept() throws for) is bad input from the daemon, not a
   * failure of the processor.
   */
  #accept(records: readonly KinesisRecord[]): number {
    try {
      return this.#tracker.accept(records);
    } catch (err) {
      for (const r of records) r.release();
      throw new ProtocolError(ProtocolErrorCode.RECORD_OUT_OF_ORDER, (err as KclTsError).message, { cause: err });
    }
  }

  /**
   * Stop-shard for a job: counts it, halts the shard and reports the failure, then logs. The state is
   * complete before any log call (a log call is the one thing here that can throw, with a logger of the
   * user's); a job fails once, even when its bookkeeping threw and it comes back as an internal error.
   */
  #fail(job: Job, error: unknown): void {
    this.#failedJobs.add(job);
    const record = job.first.ref();
    this.#status?.count('failed', job.records);
    const dropped = this.#halt();
    if (!this.#stopped || comparePositions(record, this.#stopped.record) < 0) {
      this.#stopped = { record, error };
      this.#status?.update({ state: 'stopped-on-failure', failure: { ...record, error: errorMessage(error) } });
    }
    this.#log.error(
      { err: error, record, records: job.records, attempts: job.attempts },
      'handler failed (stop-shard): the checkpoint stays before this record and the shard takes no new batches',
    );
    if (dropped > 0) this.#log.warn({ droppedRecords: dropped }, 'stop-shard: queued records and retries dropped; no handler call starts any more');
  }

  /** Waits for queued and running work, checkpointing progress meanwhile; aborts what is left at the timeout. */
  async #drain(checkpointer: Checkpointer, why: string): Promise<void> {
    const deadline = Date.now() + this.#o.drainTimeoutMs;
    const idle = this.#dispatcher.onIdle();
    for (let left = this.#o.drainTimeoutMs; left > 0; left = deadline - Date.now()) {
      if (await settlesWithin(idle, Math.min(left, 1000))) return;
      await this.#checkpoints.checkpoint(checkpointer, false);
    }
    if (this.#dispatcher.inFlightRecords > 0) {
      this.#log.warn(
        { why, inFlight: this.#dispatcher.inFlightRecords, running: this.#dispatcher.running, drainTimeoutMs: this.#o.drainTimeoutMs },
        'drain timed out: running handlers aborted, queued records dropped; they stay unfinished (after the checkpoint) and the shard takes no new batches',
      );
      this.#halt('drain-timeout', new Error(`${why}: drain timed out`));
    }
  }

  #logStats(): void {
    this.#status?.write();
    this.#log.info(
      {
        inFlight: this.#dispatcher.inFlightRecords,
        running: this.#dispatcher.running,
        queued: this.#dispatcher.inFlightRecords - this.#dispatcher.running,
        keys: this.#dispatcher.keys,
        millisBehindLatest: this.#millisBehindLatest,
        checkpointLagRecords: this.#tracker.pending,
        checkpointAgeMs: this.#checkpoints.ageMs,
        stopped: this.#stopped !== undefined,
        halted: this.#halted,
      },
      'stats',
    );
  }

  #end(): void {
    clearInterval(this.#stats);
  }

  /**
   * A job whose bookkeeping threw (a bug, or a handler's thrown value whose properties throw when it is
   * logged or dead-lettered): the record never settles, so no checkpoint passes it, and it counts as a failure
   * under stop-shard, so that the shard stops visibly instead of stalling its checkpoint unseen.
   */
  #internalError(job: Job, err: unknown): void {
    const error = new Error(`internal error running a job: ${errorMessage(err)}`);
    try {
      if (!this.#failedJobs.has(job)) this.#fail(job, error);
    } catch {
      // Only #fail's log lines can throw, after its state is complete.
    }
    this.#release(job);
    try {
      this.#log.error({ err: error, partitionKey: job.key }, 'internal error running a job: the record is treated as failed (stop-shard)');
    } catch {
      // A logger that throws even on a plain Error: the status file says it (stopped-on-failure).
    }
  }
}
