import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/protocol/checkpoint-channel.js';
import { checkpointErrorFor, CheckpointErrorCode } from '../../src/protocol/checkpoint-errors.js';
import * as api from '../../src/index.js';

test('backoff doubles per retry, is capped, and jitters within [ceiling/2, ceiling]', () => {
  assert.equal(backoffDelay(1, 100, 5000, () => 0), 50);
  assert.equal(backoffDelay(1, 100, 5000, () => 1), 100);
  assert.equal(backoffDelay(3, 100, 5000, () => 1), 400);
  assert.equal(backoffDelay(20, 100, 5000, () => 1), 5000);
  assert.equal(backoffDelay(20, 100, 5000, () => 0), 2500);
});

test('each daemon error name maps to its typed error and code', () => {
  const pos = { sequenceNumber: '7', subSequenceNumber: 2 };
  const cases: [string, unknown, string][] = [
    ['ThrottlingException', api.CheckpointThrottledError, CheckpointErrorCode.THROTTLED],
    ['ShutdownException', api.CheckpointShutdownError, CheckpointErrorCode.SHUTDOWN],
    ['InvalidStateException', api.CheckpointInvalidStateError, CheckpointErrorCode.INVALID_STATE],
    ['KinesisClientLibDependencyException', api.CheckpointDependencyError, CheckpointErrorCode.DEPENDENCY],
    ['IllegalArgumentException', api.CheckpointIllegalArgumentError, CheckpointErrorCode.ILLEGAL_ARGUMENT],
    ['com.example.WeirdException', api.CheckpointUnknownError, CheckpointErrorCode.UNKNOWN],
    ['software.amazon.kinesis.exceptions.ShutdownException', api.CheckpointShutdownError, CheckpointErrorCode.SHUTDOWN],
  ];
  for (const [name, cls, code] of cases) {
    const err = checkpointErrorFor(name, pos);
    assert.ok(err instanceof (cls as new () => Error), name);
    assert.ok(err instanceof api.CheckpointError);
    assert.ok(err instanceof api.KclTsError);
    assert.equal(err.code, code);
    assert.equal(err.daemonError, name);
    assert.deepEqual(err.position, pos);
    assert.match(err.message, /7\/2/);
  }
});
