import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockPool, LineHold } from '../../src/protocol/index.js';
import { KinesisRecord } from '../../src/processor/record.js';

/** Writes `text` into a fresh pooled block and returns the block and a view of the text in it. */
function inBlock(pool: BlockPool, text: string, at = 0) {
  const block = pool.take();
  block.buf.write(text, at, 'latin1');
  return { block, view: block.buf.subarray(at, at + text.length) };
}

test('a block returns to its pool when its last holder lets go, and is then reused', () => {
  const pool = new BlockPool(1024);
  const a = pool.take();
  assert.equal(pool.inUseBytes, 1024);
  a.retain();
  a.release();
  assert.equal(pool.inUseBytes, 1024, 'still held once');
  a.release();
  assert.equal(pool.inUseBytes, 0);
  assert.equal(pool.take(), a, 'the free block is handed out again');
  assert.equal(pool.created, 1);
  assert.throws(() => {
    a.release();
    a.release();
  }, /released more often than retained/);
});

test('the pool keeps at most maxFree idle blocks', () => {
  const pool = new BlockPool(16, 1);
  const a = pool.take();
  const b = pool.take();
  a.release();
  b.release();
  assert.equal(pool.take(), a);
  assert.notEqual(pool.take(), b, 'b was dropped, not kept');
  assert.equal(pool.created, 3);
});

test('LineHold retains the block a view lies in, and lets go of the line once', () => {
  const pool = new BlockPool(64);
  const one = inBlock(pool, 'abcd');
  const two = inBlock(pool, 'efgh', 8);
  const hold = new LineHold([one.block, two.block]);
  assert.equal(hold.retainFor(two.view), two.block);
  assert.equal(hold.retainFor(one.view.subarray(1)), one.block);
  assert.equal(hold.retainFor(Buffer.from('copy')), undefined, 'a copy is not pooled memory');
  assert.deepEqual([one.block.refs, two.block.refs], [2, 2]);
  hold.release();
  hold.release();
  assert.deepEqual([one.block.refs, two.block.refs], [1, 1], 'the line hold is released once');
});

test('a released record keeps its payload after its block is reused (copied out if unread)', () => {
  const pool = new BlockPool(256);
  const payloads = ['first record', 'second record', 'third'].map((t) => Buffer.from(t).toString('base64'));
  const block = pool.take();
  let at = 0;
  const wire = payloads.map((b64, i) => {
    block.buf.write(b64, at, 'latin1');
    const data = block.buf.subarray(at, at + b64.length);
    at += b64.length;
    return { partitionKey: `k${i}`, sequenceNumber: String(100 + i), subSequenceNumber: 0, data };
  });
  const hold = new LineHold([block]);
  const records = wire.map((w) => new KinesisRecord(w, hold));
  hold.release();
  assert.equal(block.refs, 3, 'one hold per record whose payload is a view');
  assert.equal(records[1]!.text(), 'second record', 'read before release');
  const sizes = records.map((r) => r.size);
  for (const r of records) r.release();
  records[0]!.release();
  assert.equal(pool.inUseBytes, 0, 'the block went back to the pool');
  const reused = pool.take();
  assert.equal(reused, block);
  reused.buf.fill(0x41);
  assert.deepEqual(records.map((r) => r.text()), ['first record', 'second record', 'third']);
  assert.deepEqual(records.map((r) => r.base64), payloads);
  assert.deepEqual(records.map((r) => r.size), sizes);
});

test('records without pooled memory ignore release, and detach copies a plain view', () => {
  const chunk = Buffer.from(`xx${Buffer.from('hello').toString('base64')}yy`);
  const r = new KinesisRecord({ partitionKey: 'k', sequenceNumber: '1', data: chunk.subarray(2, chunk.length - 2) });
  r.release();
  r.detach();
  chunk.fill(0x30);
  assert.equal(r.text(), 'hello');
});
