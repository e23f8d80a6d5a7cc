import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import { ExitCode } from '../../src/index.js';
import { fixture, readLog, tempDir } from '../helpers.js';

// run({ handle }) reads the daemon's pipe into pooled blocks and reuses a block once the records in it
// settled. Lines over 4 MB keep payloads as views of those blocks, so this drives ~6 MB lines through
// a real pipe and checks that records kept past their handler still hold their own payload after the
// blocks were reused for later lines.
test('records kept past their handler keep their payload when pooled stdin blocks are reused', async () => {
  const logFile = join(tempDir(), 'log.jsonl');
  const daemon = FakeDaemon.spawn(process.execPath, [fixture('retaining-handle')], {
    env: { ...process.env, KCL_TS_LOG_DEST: logFile, KCL_TS_LOG_LEVEL: 'info', EXPECT_RECORDS: String(4 * 4000 - 1) },
    replyTimeoutMs: 60_000,
  });
  const factory = new RecordFactory();
  const pad = 'p'.repeat(1200);
  const batch = (count: number, verify = false) =>
    factory
      .batch({ count, keys: 50 })
      .map((r, i) => ({
        ...r,
        partitionKey: verify && i === count - 1 ? 'verify' : r.partitionKey,
        data: Buffer.from(JSON.stringify({ seq: r.sequenceNumber, pad })).toString('base64'),
      }));
  await daemon.initialize();
  let lastSeq = '';
  for (let b = 0; b < 4; b++) {
    const records = batch(4000, b === 3);
    lastSeq = records.at(-1)!.sequenceNumber;
    const line = FakeDaemon.encodeBatch(records);
    assert.ok(line.line.length > 4 * 1024 * 1024, 'large enough for the segmented (zero-copy) decoder');
    await daemon.processRecords(line);
  }
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  assert.equal(await daemon.close(), ExitCode.OK);
  const verify = readLog(logFile).find((l) => l.msg === 'verify');
  assert.ok(verify, 'the verify record ran');
  assert.equal(verify.verified, Math.ceil((4 * 4000 - 1) / 7), `kept records were checked (${String(verify.verified)})`);
  assert.equal(verify.badCount, 0, `records with a foreign payload: ${JSON.stringify(verify.bad)}`);
  const last = daemon.checkpoints.at(-1);
  assert.equal(last?.sequenceNumber, lastSeq, 'all settled and checkpointed');
});
