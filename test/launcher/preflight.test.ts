// The consumer's preflight under the FakeDaemon (issue 13 item 7): a consumer that fails at start-up stops
// `kcl-ts run` before the JVM, with its own error shown once; `--no-preflight` skips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConsumerLine, PREFLIGHT_SHARD_ID, preflightConsumer } from '../../src/launcher/preflight.js';
import { fixture } from '../helpers.js';

const consumer = `${process.execPath} ${fixture('startup-failure')}`;
const env = (mode: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, STARTUP_FAILURE: mode, ...extra });

test('a correct consumer passes: initialize, an empty batch, shutdownRequested, leaseLost, exit 0', async () => {
  const result = await preflightConsumer({ executableName: consumer, env: env('none'), cwd: process.cwd() });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(PREFLIGHT_SHARD_ID, 'shardId-preflight');
});

test('run() with concurrency: 0 → fails during initialize with the consumer’s own error, each line once', async () => {
  const result = await preflightConsumer({ executableName: consumer, env: env('options'), cwd: process.cwd() });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.message, 'it exited with code 1 during initialize');
  const lines = result.output.filter((l) => l.includes('Expected `concurrency` to be an integer >= 1, got `0` (number)'));
  assert.equal(lines.length, 1, result.output.join('\n'));
});

test('a missing environment variable → its message and exit code', async () => {
  const result = await preflightConsumer({ executableName: consumer, env: env('env'), cwd: process.cwd() });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.message, 'it exited with code 2 during initialize');
  assert.deepEqual(result.output, ['config error: ORDERS_TABLE is not set']);
  const fixed = await preflightConsumer({ executableName: consumer, env: env('env', { ORDERS_TABLE: 'orders' }), cwd: process.cwd() });
  assert.equal(fixed.ok, true);
});

test('initialize throws → the error log line, formatted', async () => {
  const result = await preflightConsumer({ executableName: consumer, env: env('initialize'), cwd: process.cwd() });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.match(result.message, /exited with code 4 during initialize/);
  assert.ok(result.output.some((l) => /^ERROR .*Error: cannot reach the orders database$/.test(l)), result.output.join('\n'));
});

test('a program that does not exist, and one that never answers', async () => {
  const missing = await preflightConsumer({ executableName: '/nonexistent/consumer', env: env('none'), cwd: process.cwd() });
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.message, /could not be started: .*ENOENT/);
  const silent = await preflightConsumer({ executableName: `${process.execPath} -e setInterval(()=>{},1000)`, env: env('none'), cwd: process.cwd(), timeoutMs: 300 });
  assert.equal(silent.ok, false);
  if (!silent.ok) assert.match(silent.message, /no reply within 300 ms.*during initialize/);
});

test('formatConsumerLine: pino lines at warn and above as LEVEL message: error; info dropped; other lines as they are', () => {
  assert.equal(formatConsumerLine('{"level":50,"msg":"uncaught","err":{"type":"Error","message":"boom"}}'), 'ERROR uncaught: Error: boom');
  assert.equal(formatConsumerLine('{"level":40,"msg":"careful"}'), 'WARN careful');
  assert.equal(formatConsumerLine('{"level":30,"msg":"started"}'), undefined);
  assert.equal(formatConsumerLine('TypeError: x is not a function'), 'TypeError: x is not a function');
  assert.equal(formatConsumerLine('{not json'), '{not json');
});
