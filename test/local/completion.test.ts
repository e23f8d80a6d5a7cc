import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointCompletion } from '../../src/local/completion.js';
import type { Lease } from '../../src/local/lease-table.js';

const put = (shardId: string, sequenceNumber: string) => ({ partitionKey: 'k', shardId, sequenceNumber });
const lease = (leaseKey: string, checkpoint?: string): Lease => ({ leaseKey, checkpoint });

test('a record counts once its shard checkpoint is at or after it; sentinels other than SHARD_END cover nothing', () => {
  const c = new CheckpointCompletion();
  c.add([put('s0', '100'), put('s1', '105'), put('s0', '110'), put('s0', '120'), put('s1', '130')]);
  assert.equal(c.put, 5);
  assert.equal(c.checkpointed([]), 0, 'no leases yet');
  assert.equal(c.checkpointed([lease('s0', 'TRIM_HORIZON'), lease('s1', 'LATEST')]), 0);
  assert.equal(c.checkpointed([lease('s0', '110'), lease('s1', '104')]), 2, 'a checkpoint at a record covers it, not the next');
  assert.equal(c.checkpointed([lease('s0', '119'), lease('s1', '130')]), 4);
  assert.equal(c.checkpointed([lease('s0', 'SHARD_END'), lease('s1', '999')]), 5);
  assert.equal(c.fromSequence('s0', '110'), 2, 'a shard stopped at 110 never checkpoints 110 and 120');
  assert.equal(c.fromSequence('s0', '111'), 1);
  assert.equal(c.fromSequence('s9', '1'), 0);
  assert.deepEqual(c.shards([lease('s0', '110'), lease('s2', 'TRIM_HORIZON')]), [
    { shardId: 's0', put: 3, checkpointed: 2, checkpoint: '110' },
    { shardId: 's1', put: 2, checkpointed: 0, checkpoint: undefined },
    { shardId: 's2', put: 0, checkpointed: 0, checkpoint: 'TRIM_HORIZON' },
  ]);
});

test('sequence numbers compare as integers (lengths differ) and may be added out of order', () => {
  const c = new CheckpointCompletion();
  c.add([put('s', '99'), put('s', '1000'), put('s', '100')]);
  c.add([put('s', '5')]);
  assert.equal(c.checkpointed([lease('s', '99')]), 2, '5 and 99');
  assert.equal(c.checkpointed([lease('s', '999')]), 3);
  assert.equal(c.checkpointed([lease('s', '1000')]), 4);
  // Real Kinesis numbers: 56 digits, string order equals numeric order only at equal length.
  const big = new CheckpointCompletion();
  const base = 49680751198527570722009802018676023848302183464598241282n;
  big.add(Array.from({ length: 50 }, (_, i) => put('s', String(base + BigInt(i) * 1_000_000n))));
  assert.equal(big.checkpointed([lease('s', String(base + 24n * 1_000_000n))]), 25);
});
