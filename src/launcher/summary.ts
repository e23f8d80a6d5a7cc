import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShardCounters, ShardStatus } from '../processor/status.js';
import { compareDecimal } from '../checkpoint/position.js';

/** Exit code of `kcl-ts run` when the daemon ended cleanly but a shard stopped on a failed record. */
export const EXIT_SHARD_FAILED = 10;

/**
 * Exit code of `kcl-ts run` when the daemon ended with 0 although nobody asked it to stop: it gave up
 * (e.g. it could not initialize: no credentials, DynamoDB or Kinesis out of reach).
 */
export const EXIT_DAEMON_GAVE_UP = 11;

/** Per-shard totals over every process that held the shard during the run. */
export interface ShardSummary extends ShardCounters {
  shardId: string;
  processes: number;
  stoppedOnFailure: boolean;
  failure?: ShardStatus['failure'];
}

/** What `kcl-ts run` reports at the end (log and `--summary FILE`). */
export interface RunSummary {
  startedAt: string;
  endedAt: string;
  /** Why the run ended. */
  reason: 'signal' | 'max-runtime' | 'stop-on-failure' | 'daemon-exit';
  daemonExitCode: number | null;
  /** Why the daemon stopped when nobody asked it to, as its output tells. */
  daemonReason?: string;
  exitCode: number;
  shards: ShardSummary[];
}

/** Reads the status files the shard processes wrote (see StatusReporter). */
export function readStatuses(dir: string): ShardStatus[] {
  if (!existsSync(dir)) return [];
  const out: ShardStatus[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ShardStatus);
    } catch {
      // a file being replaced right now: the next read sees it
    }
  }
  return out;
}

function laterCheckpoint(a: ShardSummary['lastCheckpoint'], b: ShardSummary['lastCheckpoint']): ShardSummary['lastCheckpoint'] {
  if (!a) return b;
  if (!b) return a;
  if (a.sequenceNumber === 'SHARD_END') return a;
  if (b.sequenceNumber === 'SHARD_END') return b;
  return compareDecimal(a.sequenceNumber, b.sequenceNumber) >= 0 ? a : b;
}

/** Totals per shard, sorted by shard id. */
export function summarizeShards(statuses: readonly ShardStatus[]): ShardSummary[] {
  const byShard = new Map<string, ShardSummary>();
  for (const s of statuses) {
    if (s.shardId === 'unknown') continue;
    const t = byShard.get(s.shardId) ?? {
      shardId: s.shardId,
      processes: 0,
      processed: 0,
      retried: 0,
      deadLettered: 0,
      skipped: 0,
      failed: 0,
      stoppedOnFailure: false,
    };
    t.processes++;
    t.processed += s.processed;
    t.retried += s.retried;
    t.deadLettered += s.deadLettered;
    t.skipped += s.skipped;
    t.failed += s.failed;
    t.lastCheckpoint = laterCheckpoint(t.lastCheckpoint, s.lastCheckpoint);
    if (s.state === 'stopped-on-failure') {
      t.stoppedOnFailure = true;
      t.failure ??= s.failure;
    }
    byShard.set(s.shardId, t);
  }
  return [...byShard.values()].sort((a, b) => a.shardId.localeCompare(b.shardId));
}

/** One log line per shard. */
export function formatSummary(summary: RunSummary): string {
  const lines = summary.shards.map(
    (s) =>
      `  ${s.shardId}: processed ${s.processed}, retried ${s.retried}, dead-lettered ${s.deadLettered}, skipped ${s.skipped}, ` +
      `failed ${s.failed}, last checkpoint ${s.lastCheckpoint ? `${s.lastCheckpoint.sequenceNumber}/${s.lastCheckpoint.subSequenceNumber}` : '-'}` +
      (s.stoppedOnFailure ? `  STOPPED ON FAILURE at ${s.failure?.sequenceNumber ?? '?'} (${s.failure?.error ?? ''})` : ''),
  );
  return [`kcl-ts: run summary (${summary.reason}): ${summary.shards.length} shard(s)`, ...lines].join('\n');
}

/** Parses `90s`, `5m`, `1h`, `1500ms` or a number of seconds into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}
