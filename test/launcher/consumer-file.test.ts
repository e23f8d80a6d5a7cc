// `kcl-ts local --consumer FILE`: a typo is rejected before anything starts, naming the user's file
// (issue 13 item 10).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { checkConsumerFile } from '../../src/launcher/check-executable.js';
import { LauncherErrorCode } from '../../src/launcher/errors.js';
import type { CliIO } from '../../src/launcher/io.js';
import { tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-consumer-file-');
after(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(root, 'consumer.mjs'), '');
mkdirSync(join(root, 'src'));

test('checkConsumerFile: the absolute path of an existing file', () => {
  assert.equal(checkConsumerFile('consumer.mjs', root), join(root, 'consumer.mjs'));
});

test('checkConsumerFile: a typo names the given path, where it looked, and the near name', () => {
  assert.throws(
    () => checkConsumerFile('consumr.mjs', root),
    (err: Error & { code?: string }) =>
      err.code === LauncherErrorCode.CONSUMER_NOT_FOUND &&
      err.message === `--consumer consumr.mjs: no such file (looked for ${join(root, 'consumr.mjs')}). Did you mean consumer.mjs?`,
  );
  assert.throws(() => checkConsumerFile('zzz/other.js', root), /--consumer zzz\/other\.js: no such file .*relative paths resolve against/);
  assert.throws(() => checkConsumerFile('src', root), /--consumer src: .* is not a file/);
});

test('kcl-ts local --consumer consumr.mjs fails at once, before any emulator or jar step', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: { PATH: process.env.PATH }, cwd: root };
  const code = await main(['local', '--consumer', 'consumr.mjs', '--kinesis-port', '1', '--dynamodb-port', '1'], io);
  assert.equal(code, 1);
  assert.match(err.join(''), /^kcl-ts: --consumer consumr\.mjs: no such file .*Did you mean consumer\.mjs\? \[KCLTS_ERR_LAUNCHER_CONSUMER_NOT_FOUND\]\n$/);
  assert.deepEqual(out, [], 'nothing started');
});
