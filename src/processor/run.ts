import { describeValue, KclTsError } from '../errors.js';
import type { LogOptions } from '../logging/index.js';
import { PooledPipeInput, StreamLineInput, type CheckpointRetryOptions, type LineInput } from '../protocol/index.js';
import { ExitCode } from './exit-codes.js';
import { resolveHandlerOptions, type HandlerOptions } from './handler-options.js';
import { HandlerProcessor } from './handler-processor.js';
import { HeapTuning } from './heap-tuning.js';
import { ShardSession, type SessionOutcome } from './session.js';
import { StatusReporter } from './status.js';
import { claimProcessStdio } from './stdio.js';
import type { RecordProcessor } from './types.js';

/** Options common to both forms of {@link run}. */
export interface RunCommonOptions {
  /** Where and how to log. */
  log?: LogOptions;
  /** Retries of throttled or dependency-failed checkpoints. */
  checkpointRetry?: CheckpointRetryOptions;
  /**
   * Longest accepted stdin line in bytes.
   * @default 134217728 (128 MiB)
   */
  maxLineBytes?: number;
  /**
   * Keep the child's heap small: V8's young generation grows to at most 8 MiB, and not at all while
   * batch lines are over 4 MB; its old generation grows 10% between full GCs (see README "Memory").
   * Skipped when node was given heap flags, or with `KCL_TS_HEAP_TUNING=0`.
   * @default true
   */
  heapTuning?: boolean;
  /**
   * Ends the process; replaceable in tests.
   * @default process.exit
   */
  exit?: (code: number) => void;
}

/** Options of {@link run} with a low-level processor. */
export interface RunProcessorOptions extends RunCommonOptions {
  /** The processor driven by the daemon's messages. */
  processor: RecordProcessor;
  /**
   * Checkpoint SHARD_END on `shardEnded` when the processor did not.
   * @default false
   */
  autoCheckpointShardEnd?: boolean;
}

/** Options of {@link run} with a per-record (`handle`) or per-key sub-batch (`handleBatch`) handler. */
export interface RunHandlerOptions extends RunCommonOptions, HandlerOptions {
  processor?: undefined;
}

/** Either form: `run({ processor })` or `run({ handle, ... })` / `run({ handleBatch, ... })`. */
export type RunOptions = RunProcessorOptions | RunHandlerOptions;

/** Error codes of the run area. */
export const RunErrorCode = {
  BAD_OPTION: 'KCLTS_ERR_RUN_BAD_OPTION',
} as const;

function checkOptions(options: RunOptions): void {
  const p = options.processor as unknown;
  if (p !== undefined && (typeof p !== 'object' || p === null || typeof (p as RecordProcessor).processRecords !== 'function')) {
    throw new KclTsError(
      RunErrorCode.BAD_OPTION,
      `Expected \`processor\` to be an object with a processRecords method, got ${describeValue(p)}`,
    );
  }
  const max = options.maxLineBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1024)) {
    throw new KclTsError(RunErrorCode.BAD_OPTION, `Expected \`maxLineBytes\` to be an integer >= 1024, got ${describeValue(max)}`);
  }
}

/**
 * Runs this process as a MultiLangDaemon child, with a low-level `processor` or a per-record `handle`
 * (`handleBatch`) that kcl-ts dispatches into ordered per-partition-key queues: stdin/stdout carry the protocol, logs go through pino,
 * stray stdout writes are diverted to the log, SIGTERM/SIGINT are ignored (the daemon drives shutdown),
 * and the process exits when the daemon closes stdin. Resolves with the outcome just before exiting.
 */
export async function run(options: RunOptions): Promise<SessionOutcome> {
  checkOptions(options);
  const handlerOptions = options.processor === undefined ? resolveHandlerOptions(options) : undefined;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const heapTuning = HeapTuning.apply(options.heapTuning ?? true);
  const { writer, log } = claimProcessStdio(options.log);
  const logger = log.logger;
  if (heapTuning) logger.debug(heapTuning.settings, 'heap tuning applied');
  // The launcher's side channel (kcl-ts run sets KCL_TS_STATUS_DIR): per-shard counters and outcome.
  const statusDir = process.env.KCL_TS_STATUS_DIR;
  const status = statusDir ? new StatusReporter(statusDir) : undefined;
  status?.write();
  // The per-key runtime reads the daemon's pipe into reused blocks (protocol/block-pool.ts) and gives
  // each record's block back when the record settles. A low-level processor gets process.stdin: its
  // records go to user code for as long as it likes, and copying a whole batch out of the blocks after
  // processRecords measured worse than letting V8 free the chunks (README "Memory").
  // KCL_TS_POOLED_STDIN=0 turns pooling off.
  const pooled =
    options.processor !== undefined || process.env.KCL_TS_POOLED_STDIN === '0'
      ? undefined
      : PooledPipeInput.forFd(0, { maxLineBytes: options.maxLineBytes });
  const processor = options.processor ?? new HandlerProcessor(handlerOptions!, logger, process.env, status, pooled?.pool);
  const input: LineInput = pooled ?? new StreamLineInput(process.stdin, options.maxLineBytes);
  const session = new ShardSession({
    processor,
    input: heapTuning ? heapTuning.watch(input) : input,
    output: writer,
    logger,
    onShardId: (id) => {
      log.setShardId(id);
      status?.update({ shardId: id });
    },
    checkpointRetry: options.checkpointRetry,
    autoCheckpointShardEnd: options.processor ? options.autoCheckpointShardEnd : false,
  });

  const ignoreSignal = (signal: NodeJS.Signals) => () =>
    logger.info({ signal }, `${signal} ignored: the daemon drives shutdown (shutdownRequested, then stdin closes)`);
  const onTerm = ignoreSignal('SIGTERM');
  const onInt = ignoreSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const onCrash = (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    logger.error(
      { err: error, inFlight: session.inFlight, state: session.state },
      'uncaught error in user code: stopping without a reply so that no checkpoint passes the records in flight',
    );
    session.abort(ExitCode.PROCESSOR_FAILED, error.message, error);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const outcome = await session.start();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  status?.update({
    state: outcome.exitCode === ExitCode.PROCESSOR_FAILED ? 'stopped-on-failure' : status.status.state === 'running' ? 'ended' : status.status.state,
    exitCode: outcome.exitCode,
  });
  const level = outcome.exitCode === ExitCode.OK ? 'info' : 'error';
  logger[level]({ exitCode: outcome.exitCode }, `exiting: ${outcome.reason}`);
  log.flush();
  exit(outcome.exitCode);
  return outcome;
}
