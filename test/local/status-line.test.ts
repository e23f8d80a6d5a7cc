import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ShardSummary } from '../../src/launcher/summary.js';
import { formatStatusLine, statusEvents } from '../../src/local/status-line.js';

function shard(shardId: string, extra: Partial<ShardSummary> = {}): ShardSummary {
  return { shardId, processes: 1, processed: 0, retried: 0, deadLettered: 0, skipped: 0, failed: 0, stoppedOnFailure: false, ...extra };
}

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
const SEQ = '49680751198527570722009802018676023848302183464598241282';

test('the status line shows put, processed, checkpointed, failures, dead letters and each checkpoint; a stopped shard is marked', () => {
  const line = formatStatusLine({
    put: 120,
    target: 200,
    shards: [
      { shardId: S0, put: 60, checkpointed: 60, checkpoint: SEQ },
      { shardId: S1, put: 60, checkpointed: 40, checkpoint: 'TRIM_HORIZON' },
    ],
    statuses: [shard(S0, { processed: 60, deadLettered: 2 }), shard(S1, { processed: 41, failed: 1, retried: 3, stoppedOnFailure: true })],
  });
  assert.equal(
    line,
    `put 120/200 · processed 101 · checkpointed 100 · retried 3 · dead-lettered 2 · failed 1 · checkpoints: ${S0} at …98241282, ${S1} at TRIM_HORIZON STOPPED`,
  );
});

test('a consumer that reports nothing (not kcl-ts) gets put and checkpointed only', () => {
  assert.equal(formatStatusLine({ put: 5, shards: [], statuses: [] }), 'put 5 · checkpointed 0 · checkpoints: none yet');
});

test('events: a shard stopping on a failure (record, error, log) and new dead letters, each once', () => {
  const failure = { partitionKey: 'customer-3', sequenceNumber: SEQ, subSequenceNumber: 0, error: 'Error: boom' };
  const before = [shard(S0), shard(S1, { deadLettered: 1 })];
  const now = [shard(S0, { stoppedOnFailure: true, failed: 1, failure }), shard(S1, { deadLettered: 3 })];
  const events = statusEvents(before, now, '/w/consumer.log');
  assert.equal(events.length, 2);
  assert.match(events[0]!, new RegExp(`^${S0} STOPPED on a failed record \\(onFailure 'stop-shard'\\): key customer-3, sequence …98241282: Error: boom\\..*Consumer log: /w/consumer\\.log$`));
  assert.equal(events[1], `${S1}: 2 record(s) dead-lettered (3 in all)`);
  assert.deepEqual(statusEvents(now, now), [], 'nothing new, nothing printed');
});
