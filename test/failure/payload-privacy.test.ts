// Issue 14, item 4: no payload bytes in messages above debug level (a record that fails to decode, a
// malformed daemon line), the init scaffold does not log payloads at info, and run summaries are 0600.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RecordDecodeError } from '../../src/processor/record.js';
import { decodeMessage } from '../../src/protocol/codec.js';
import { jsonErrorReason } from '../../src/errors.js';
import { runInit } from '../../src/launcher/init.js';
import { writeSummaryFile, type RunSummary } from '../../src/launcher/summary.js';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import type { KinesisRecord } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const SECRET = 'jane.doe@example.com IBAN DE89370400440532013000';
const work = tempDir('kcl-ts-privacy-');
after(() => rmSync(work, { recursive: true, force: true }));

/** True when `text` holds any 8-character piece of the secret, or of its base64. */
function leaks(text: string): boolean {
  const b64 = Buffer.from(SECRET).toString('base64');
  for (const s of [SECRET, b64]) for (let i = 0; i + 8 <= s.length; i++) if (text.includes(s.slice(i, i + 8))) return true;
  return false;
}

test('a record that is not JSON: the error (message, cause, stack) and every log line above debug hold no payload bytes', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  let thrown: unknown;
  const daemon = FakeDaemon.inProcess(
    {
      statsIntervalMs: 0,
      maxRetries: 0,
      handle: (r: KinesisRecord) => {
        try {
          r.json();
        } catch (err) {
          thrown = err;
          throw err;
        }
      },
    },
    { logger },
  );
  const batch = new RecordFactory().batch({ count: 1, data: () => Buffer.from(SECRET) });
  await daemon.initialize();
  await daemon.processRecords(batch);
  await daemon.shutdownRequested();
  assert.ok(thrown instanceof RecordDecodeError);
  assert.match(thrown.message, /is not JSON \(unexpected token; 48 bytes, not shown\)/);
  assert.equal(thrown.cause, undefined);
  assert.ok(!leaks(`${thrown.message}\n${thrown.stack}`), thrown.message);
  const logged = lines.join('');
  assert.match(logged, /is not JSON/, 'the failure was logged');
  assert.ok(!leaks(logged), logged);
});

test('jsonErrorReason drops what V8 quotes from the input, keeps positions', () => {
  const reason = (text: string) => {
    try {
      JSON.parse(text);
    } catch (err) {
      return jsonErrorReason(err);
    }
    return 'parsed';
  };
  assert.equal(reason(SECRET), 'unexpected token');
  assert.equal(reason(`{"k":"${SECRET}" trailing junk}`), `Expected ',' or '}' after property value in JSON at position ${SECRET.length + 8}`);
  assert.equal(reason(`"${SECRET}`), `Unterminated string in JSON at position ${SECRET.length + 1}`);
  for (const t of [SECRET, `${SECRET}}`, `[${SECRET}]`, `{"a":1} ${SECRET}`]) assert.ok(!leaks(reason(t)), reason(t));
});

test('a malformed daemon line: the error shows the line without record payloads', () => {
  const b64 = Buffer.from(SECRET).toString('base64');
  for (const line of [
    `{"action":"processRecords","records":[{"data":"${b64}","partitionKey":"k"}] oops`,
    `{"action":"processRecords","records":[{"data":"${b64}","partitionKey":5,"sequenceNumber":"1"}]}`,
  ]) {
    assert.throws(
      () => decodeMessage(line),
      (err: Error) => {
        assert.match(err.message, /"data":"…"/);
        assert.ok(!leaks(err.message), err.message);
        assert.ok(!leaks(String((err.cause as Error | undefined)?.message)), 'no cause quoting the line');
        return true;
      },
    );
  }
});

test('the init scaffold logs no payload at info', () => {
  const dir = join(work, 'init');
  const io = { cwd: work, env: {}, stdout: { write: () => true }, stderr: { write: () => true } };
  runInit({ dir, name: 'app', stream: 's' }, io as never);
  const consumer = readFileSync(join(dir, 'consumer.mjs'), 'utf8');
  const infoLines = consumer.split('\n').filter((l) => /log\.(info|warn|error|fatal)\(/.test(l));
  assert.ok(infoLines.length > 0, consumer);
  for (const l of infoLines) assert.ok(!/text|record\.data|json\(\)/.test(l.replace(/\/\/.*$/, '')), l);
});

test('writeSummaryFile: mode 0600, also over an existing 0644 file; a planted symlink is replaced, not followed', () => {
  const summary: RunSummary = { startedAt: 'a', endedAt: 'b', reason: 'daemon-exit', daemonExitCode: 0, exitCode: 0, shards: [] };
  const fresh = join(work, 'fresh.json');
  writeSummaryFile(fresh, summary);
  assert.equal(statSync(fresh).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(fresh, 'utf8')), summary);
  const existing = join(work, 'existing.json');
  writeFileSync(existing, '{}', { mode: 0o644 });
  writeSummaryFile(existing, summary);
  assert.equal(statSync(existing).mode & 0o777, 0o600);
  const victim = join(work, 'victim.txt');
  writeFileSync(victim, 'keep');
  const link = join(work, 'link.json');
  symlinkSync(victim, link);
  writeSummaryFile(link, summary);
  assert.equal(readFileSync(victim, 'utf8'), 'keep');
  assert.ok(!lstatSync(link).isSymbolicLink());
});
