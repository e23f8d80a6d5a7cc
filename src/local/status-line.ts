/**
 * What `kcl-ts local` shows while it runs: a status line (records put, processed, checkpointed, failures,
 * dead letters, each shard's checkpoint) and event lines the moment a shard stops on a failure or
 * dead-letters records. Pure formatting; the numbers come from the lease table ({@link CheckpointCompletion})
 * and the shard processes' status files (`kcl-ts run`'s side channel).
 */
import type { ShardSummary } from '../launcher/summary.js';
import type { ShardCompletion } from './completion.js';

/** One moment of a local run. */
export interface LocalView {
  /** Records put so far. */
  put: number;
  /** `--records N`: how many will be put in all. */
  target?: number;
  /** Per shard: records put and covered by the lease checkpoint. */
  shards: readonly ShardCompletion[];
  /** What the shard processes reported (empty when the consumer does not use kcl-ts). */
  statuses: readonly ShardSummary[];
}

/** A checkpoint for display: sentinels as they are, sequence numbers as their last 8 digits. */
export function shortSequence(checkpoint: string | undefined): string {
  if (!checkpoint) return '-';
  return /^\d+$/.test(checkpoint) ? `…${checkpoint.slice(-8)}` : checkpoint;
}

function total(statuses: readonly ShardSummary[], key: 'processed' | 'retried' | 'deadLettered' | 'failed'): number {
  return statuses.reduce((n, s) => n + s[key], 0);
}

/**
 * `put 120 · processed 118 · checkpointed 100 · dead-lettered 2 · failed 1 · checkpoints: shardId-…0 at
 * …12345678, shardId-…1 at …87654321 STOPPED`. Failure counts appear once the consumer reported (a kcl-ts
 * consumer); retries only when there were some.
 */
export function formatStatusLine(v: LocalView): string {
  const checkpointed = v.shards.reduce((n, s) => n + s.checkpointed, 0);
  const parts = [`put ${v.put}${v.target === undefined ? '' : `/${v.target}`}`];
  if (v.statuses.length > 0) parts.push(`processed ${total(v.statuses, 'processed')}`);
  parts.push(`checkpointed ${checkpointed}`);
  if (v.statuses.length > 0) {
    const retried = total(v.statuses, 'retried');
    if (retried > 0) parts.push(`retried ${retried}`);
    parts.push(`dead-lettered ${total(v.statuses, 'deadLettered')}`, `failed ${total(v.statuses, 'failed')}`);
  }
  const stopped = new Set(v.statuses.filter((s) => s.stoppedOnFailure).map((s) => s.shardId));
  const shards = v.shards.map((s) => `${s.shardId} at ${shortSequence(s.checkpoint)}${stopped.has(s.shardId) ? ' STOPPED' : ''}`);
  parts.push(`checkpoints: ${shards.join(', ') || 'none yet'}`);
  return parts.join(' · ');
}

/**
 * Event lines for what changed between two readings of the shard statuses: a shard that stopped on a
 * failed record (with the record and the error), records dead-lettered.
 */
export function statusEvents(before: readonly ShardSummary[], now: readonly ShardSummary[], consumerLog?: string): string[] {
  const events: string[] = [];
  for (const s of now) {
    const prev = before.find((b) => b.shardId === s.shardId);
    if (s.stoppedOnFailure && !prev?.stoppedOnFailure) {
      const f = s.failure;
      const where = f ? `key ${f.partitionKey}, sequence ${shortSequence(f.sequenceNumber)}: ${f.error}` : 'see the consumer log';
      events.push(
        `${s.shardId} STOPPED on a failed record (onFailure 'stop-shard'): ${where}. Nothing after it is checkpointed; ` +
          `fix the handler and restart (processing resumes at the checkpoint)${consumerLog ? `. Consumer log: ${consumerLog}` : ''}`,
      );
    }
    const added = s.deadLettered - (prev?.deadLettered ?? 0);
    if (added > 0) events.push(`${s.shardId}: ${added} record(s) dead-lettered (${s.deadLettered} in all)`);
  }
  return events;
}
