import type { CliIO } from '../launcher/io.js';
import { FailureError, FailureErrorCode } from './errors.js';
import { compareOriginalOrder, entryId } from './format.js';
import { callHandler, loadHandler, replayLogger, type HandlerTarget } from './replay/handler.js';
import { putInOrder, putRecordsCall, type KinesisTarget, type PutItem } from './replay/kinesis.js';
import { openDeadLetters, type ReplayItem } from './sources.js';
import type { DeadLetterSummary } from './sources/types.js';
import type { DeadLetter } from './types.js';

export type { HandlerTarget, ReplayContext, ReplayHandler } from './replay/handler.js';
export type { KinesisTarget } from './replay/kinesis.js';

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Where the dead letters are: `file:/dir`, `sqs:<queueUrl>` or `s3://bucket/prefix`. */
  from: string;
  /** A stream to put the records into again, or a handler module to call with them. */
  to: KinesisTarget | HandlerTarget;
  /** List what would be replayed; change nothing. @default false */
  dryRun?: boolean;
  /** SQS: visibility timeout while the replay runs, in seconds. @default 900 */
  visibilityTimeoutSeconds?: number;
  /** File: days to keep replayed copies in `replayed/` (0: delete them when the replay ends). @default 7 */
  keepReplayedDays?: number;
  /** Report lines go to `io.stdout`, warnings and handler logs to `io.stderr`. */
  io: CliIO;
  /** @default io.env */
  env?: NodeJS.ProcessEnv;
}

/** Counts of a replay. `skipped`: invalid entries and later records of a key whose record failed. */
export interface ReplaySummary {
  total: number;
  replayed: number;
  failed: number;
  skipped: number;
}

const keyOf = (e: DeadLetterSummary) => `key=${JSON.stringify(e.partitionKey)}`;

/** Payloads loaded at once when re-putting into a stream: at most this many records and bytes. */
const REPLAY_WINDOW_RECORDS = 1000;
const REPLAY_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Replays dead letters in their original order (shard, sequence number, sub-sequence), so records of
 * one partition key keep their order. Each entry is acked (removed from where it is stored) only once
 * its replay succeeded; after a failure the later records of that key are skipped, not replayed, and
 * stay stored. Entries are listed and ordered first, holding only their summaries; each payload is read
 * again when its turn comes (a window of at most 1000 records / 16 MiB at a time for a stream).
 */
export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const { io } = opts;
  const env = opts.env ?? io.env;
  const out = (line: string) => void io.stdout.write(`${line}\n`);
  const warn = (line: string) => void io.stderr.write(`${line}\n`);
  const summary: ReplaySummary = { total: 0, replayed: 0, failed: 0, skipped: 0 };
  const toStream = 'stream' in opts.to;
  const target = 'stream' in opts.to ? `stream ${opts.to.stream}` : `handler ${opts.to.handlerModule}#${opts.to.exportName ?? 'handle'}`;
  if (toStream && (typeof (opts.to as KinesisTarget).stream !== 'string' || (opts.to as KinesisTarget).stream === '')) {
    throw new FailureError(FailureErrorCode.REPLAY_OPTIONS, 'Expected `to.stream` to be a stream name');
  }
  // Load the handler before touching the source: a typo in the module path then changes nothing.
  const handler = !toStream && !opts.dryRun ? await loadHandler(opts.to as HandlerTarget, io.cwd) : undefined;

  const source = openDeadLetters(opts.from, env, {
    readOnly: opts.dryRun,
    cwd: io.cwd,
    visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds,
    keepReplayedDays: opts.keepReplayedDays,
    onInvalid: (where, err) => {
      summary.total++;
      summary.skipped++;
      warn(`SKIPPED ${where}: ${err.message} (left where it is)`);
    },
    onWarning: (m) => warn(`warning: ${m}`),
  });
  try {
    // Summaries only (no payloads): sources read a line, object or message at a time.
    const items: ReplayItem[] = [];
    for await (const item of source) items.push(item);
    items.sort((a, b) => compareOriginalOrder(a.entry, b.entry));
    summary.total += items.length;

    if (opts.dryRun) {
      for (const { entry: e, where } of items) {
        out(`would replay ${entryId(e)} ${keyOf(e)} (${e.bytes} bytes, failed at ${e.failedAt}: ${e.error?.message ?? '?'}; ${where}) → ${target}`);
      }
      out(`dry run: ${items.length} dead letters in ${source.description} would be replayed to ${target}; nothing was changed`);
      return summary;
    }

    /** Acks a replayed entry; an ack that fails makes the entry count as failed (it would be replayed again). */
    const done = async (item: ReplayItem, detail: string) => {
      try {
        await item.ack();
        summary.replayed++;
        out(`replayed ${entryId(item.entry)} ${keyOf(item.entry)} → ${detail}`);
      } catch (err) {
        summary.failed++;
        out(`FAILED ${entryId(item.entry)} ${keyOf(item.entry)} → ${detail}, but could not mark it replayed (a later replay repeats it): ${(err as Error).message}`);
      }
    };
    const failed = (e: DeadLetterSummary, why: string) => {
      summary.failed++;
      out(`FAILED ${entryId(e)} ${keyOf(e)} → ${target}: ${why}`);
    };
    const skipped = (e: DeadLetterSummary, why: string) => {
      summary.skipped++;
      out(`SKIPPED ${entryId(e)} ${keyOf(e)}: ${why} (left where it is)`);
    };
    /** Keys whose earlier record failed or could not be read: their later records are skipped. */
    const blocked = new Set<string>();
    /** The payload of an item, read again now; undefined (reported, key blocked) when that fails. */
    const load = async (item: ReplayItem): Promise<DeadLetter | undefined> => {
      try {
        return await item.load();
      } catch (err) {
        if (!(err instanceof FailureError && err.code === FailureErrorCode.INVALID_ENTRY)) throw err;
        skipped(item.entry, err.message);
        blocked.add(item.entry.partitionKey);
        return undefined;
      }
    };

    if (toStream) {
      const to = opts.to as KinesisTarget;
      const put = await putRecordsCall(to, env);
      const byItem = new Map<PutItem, ReplayItem>();
      const events = {
        put: (p: PutItem, at: { shardId: string; sequenceNumber: string }) => done(byItem.get(p)!, `${to.stream} (${at.shardId}/${at.sequenceNumber})`),
        failed: (p: PutItem, why: string) => failed(byItem.get(p)!.entry, why),
        skipped: (p: PutItem, why: string) => skipped(byItem.get(p)!.entry, why),
      };
      // Payloads are loaded a window at a time, so memory holds one window, not the whole replay.
      let window: PutItem[] = [];
      let windowBytes = 0;
      const flush = async () => {
        if (window.length > 0) await putInOrder(window, put.call, events, undefined, blocked);
        window = [];
        windowBytes = 0;
        byItem.clear();
      };
      try {
        for (const item of items) {
          if (blocked.has(item.entry.partitionKey)) {
            skipped(item.entry, 'an earlier record of this partition key failed');
            continue;
          }
          if (item.entry.bytes > REPLAY_WINDOW_BYTES || window.length >= REPLAY_WINDOW_RECORDS || windowBytes + item.entry.bytes > REPLAY_WINDOW_BYTES) await flush();
          let entry: DeadLetter | undefined;
          try {
            entry = await item.load();
          } catch (err) {
            if (!(err instanceof FailureError && err.code === FailureErrorCode.INVALID_ENTRY)) throw err;
            await flush(); // the records before it are put first, then its key is blocked
            skipped(item.entry, err.message);
            blocked.add(item.entry.partitionKey);
            continue;
          }
          const p: PutItem = { entry, data: Buffer.from(entry.data, 'base64') };
          byItem.set(p, item);
          window.push(p);
          windowBytes += p.data.length;
        }
        await flush();
      } finally {
        put.close();
      }
    } else {
      const log = replayLogger(io.stderr, env);
      const abort = new AbortController();
      for (const item of items) {
        if (blocked.has(item.entry.partitionKey)) {
          skipped(item.entry, 'an earlier record of this partition key failed');
          continue;
        }
        const e = await load(item);
        if (!e) continue;
        try {
          await callHandler(handler!, e, log, abort.signal);
        } catch (err) {
          blocked.add(e.partitionKey);
          failed(item.entry, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
          continue;
        }
        await done(item, target);
      }
    }
    return summary;
  } finally {
    await source.close();
  }
}

/** Flags of `kcl-ts replay` (the CLI parses them; this checks them). */
export interface ReplayFlags {
  from?: string;
  toStream?: string;
  endpoint?: string;
  region?: string;
  handler?: string;
  export?: string;
  dryRun?: boolean;
  visibilityTimeout?: string | number;
  keepReplayed?: string | number;
}

/**
 * `kcl-ts replay`: runs {@link replay} and prints the summary. Exit code 0 when every entry was
 * replayed (or listed, with --dry-run), 1 when any failed or was skipped, 2 for wrong flags.
 */
export async function runReplay(flags: ReplayFlags, io: CliIO): Promise<number> {
  const usage = (m: string) => {
    io.stderr.write(`kcl-ts replay: ${m}\n`);
    return 2;
  };
  if (!flags.from) return usage('--from <location> is required (file:/dir, sqs:<queueUrl> or s3://bucket/prefix)');
  if (!flags.toStream === !flags.handler) return usage('give exactly one of --to-stream <name> and --handler <module>');
  if (flags.handler && (flags.endpoint || flags.region)) return usage('--endpoint and --region go with --to-stream, not --handler');
  if (!flags.handler && flags.export) return usage('--export goes with --handler');
  let visibility: number | undefined;
  if (flags.visibilityTimeout !== undefined) {
    visibility = Number(flags.visibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 1 || visibility > 43_200) return usage(`--visibility-timeout must be whole seconds from 1 to 43200, got \`${flags.visibilityTimeout}\``);
  }
  let keepReplayedDays: number | undefined;
  if (flags.keepReplayed !== undefined) {
    keepReplayedDays = Number(flags.keepReplayed);
    if (!Number.isFinite(keepReplayedDays) || keepReplayedDays < 0) return usage(`--keep-replayed must be a number of days >= 0, got \`${flags.keepReplayed}\``);
    if (!flags.from.startsWith('file:')) return usage('--keep-replayed goes with --from file:');
  }
  const endpoint = flags.endpoint ?? (io.env.KCL_TS_KINESIS_ENDPOINT || io.env.AWS_ENDPOINT_URL_KINESIS || undefined);
  const to: KinesisTarget | HandlerTarget = flags.toStream
    ? { stream: flags.toStream, ...(endpoint ? { endpoint } : {}), ...(flags.region ? { region: flags.region } : {}) }
    : { handlerModule: flags.handler!, ...(flags.export ? { exportName: flags.export } : {}) };
  let summary: ReplaySummary;
  try {
    summary = await replay({ from: flags.from, to, dryRun: flags.dryRun, visibilityTimeoutSeconds: visibility, keepReplayedDays, io, env: io.env });
  } catch (err) {
    io.stderr.write(`kcl-ts replay: ${(err as Error).message}\n`);
    return err instanceof FailureError && (err.code === FailureErrorCode.BAD_SPEC || err.code === FailureErrorCode.REPLAY_OPTIONS) ? 2 : 1;
  }
  const { total, replayed, failed, skipped } = summary;
  if (!flags.dryRun) io.stdout.write(`replay: ${total} dead letters, ${replayed} replayed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 || skipped > 0 ? 1 : 0;
}
