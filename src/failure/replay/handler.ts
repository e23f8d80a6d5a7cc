import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { safeErrorSerializer } from '../../logging/logger.js';
import { KinesisRecord } from '../../processor/record.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import type { DeadLetter } from '../types.js';

/** What a replayed record's handler gets besides the record (the shape of `run({ handle })`'s ctx). */
export interface ReplayContext {
  readonly shardId: string;
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly log: Logger;
}

export type ReplayHandler = (record: KinesisRecord, ctx: ReplayContext) => unknown;

/** Handler target of a replay. */
export interface HandlerTarget {
  /** Module path, absolute or relative to the working directory. */
  handlerModule: string;
  /** The export to call. @default 'handle' (else the default export's `handle`, else a default function) */
  exportName?: string;
}

/**
 * Imports the handler of a replay.
 * @throws {FailureError} `REPLAY_OPTIONS` when the module cannot be loaded or has no such function.
 */
export async function loadHandler(target: HandlerTarget, cwd: string): Promise<ReplayHandler> {
  const path = isAbsolute(target.handlerModule) ? target.handlerModule : resolve(cwd, target.handlerModule);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new FailureError(FailureErrorCode.REPLAY_OPTIONS, `Cannot load the handler module ${path}: ${(err as Error).message}`, { cause: err });
  }
  const name = target.exportName ?? 'handle';
  const def = mod.default as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  const candidates = target.exportName
    ? [mod[name], typeof def === 'object' && def !== null ? def[name] : undefined]
    : [mod.handle, typeof def === 'object' && def !== null ? def.handle : undefined, def];
  const fn = candidates.find((c) => typeof c === 'function') as ReplayHandler | undefined;
  if (!fn) {
    throw new FailureError(
      FailureErrorCode.REPLAY_OPTIONS,
      `${path} exports no function \`${name}\`${target.exportName ? '' : ' (nor a default export with `handle`, nor a default function)'}; ` +
        `it exports: ${Object.keys(mod).join(', ') || 'nothing'}. Choose the export with --export`,
    );
  }
  return fn;
}

/** The record a handler would have got from the daemon. */
export function toRecord(e: DeadLetter): KinesisRecord {
  const arrival = e.approximateArrivalTimestamp ? Date.parse(e.approximateArrivalTimestamp) : undefined;
  return new KinesisRecord({
    data: e.data,
    partitionKey: e.partitionKey,
    sequenceNumber: e.sequenceNumber,
    subSequenceNumber: e.subSequenceNumber,
    approximateArrivalTimestamp: arrival !== undefined && Number.isFinite(arrival) ? arrival : null,
    explicitHashKey: e.explicitHashKey ?? null,
  });
}

/** A pino logger writing to `stream` (the CLI's stderr). */
export function replayLogger(stream: { write(text: string): unknown }, env: NodeJS.ProcessEnv): Logger {
  return pino({ name: 'kcl-ts-replay', level: env.KCL_TS_LOG_LEVEL ?? 'info', serializers: { err: safeErrorSerializer } }, { write: (s: string) => void stream.write(s) });
}

/** Calls the handler once for an entry (attempt 1). */
export async function callHandler(handler: ReplayHandler, e: DeadLetter, log: Logger, signal: AbortSignal): Promise<void> {
  const ctx: ReplayContext = {
    shardId: e.shardId,
    signal,
    attempt: 1,
    log: log.child({ shardId: e.shardId, partitionKey: e.partitionKey, sequenceNumber: e.sequenceNumber, subSequenceNumber: e.subSequenceNumber }),
  };
  await handler(toRecord(e), ctx);
}
