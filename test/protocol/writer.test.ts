import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ProtocolWriter } from '../../src/protocol/writer.js';

class FullPipe extends EventEmitter {
  written: string[] = [];
  full = true;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
}

test('a full pipe makes the next write wait for drain, without error', async () => {
  const pipe = new FullPipe();
  const writer = new ProtocolWriter(pipe);
  await writer.send({ action: 'status', responseFor: 'initialize' });
  let second = false;
  const p = writer.send({ action: 'status', responseFor: 'processRecords' }).then(() => (second = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, false, 'second write waited for drain');
  assert.equal(pipe.written.length, 1);
  pipe.full = false;
  pipe.emit('drain');
  await p;
  assert.deepEqual(pipe.written, [
    '{"action":"status","responseFor":"initialize"}\n',
    '{"action":"status","responseFor":"processRecords"}\n',
  ]);
});

test('the write function is captured at construction (a later stdout guard cannot intercept it)', async () => {
  const pipe = new FullPipe();
  pipe.full = false;
  const writer = new ProtocolWriter(pipe);
  pipe.write = () => {
    throw new Error('guard');
  };
  await writer.send({ action: 'status', responseFor: 'leaseLost' });
  assert.deepEqual(pipe.written, ['{"action":"status","responseFor":"leaseLost"}\n']);
});
