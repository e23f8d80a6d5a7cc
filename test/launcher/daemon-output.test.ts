// The daemon's output through `kcl-ts run` (issue 13 items 2 and 7): why it stopped, and each relayed
// shard stderr line once. Lines below are from MultiLangDaemon 3.1.3 runs (no credentials; DynamoDB down).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonOutput } from '../../src/launcher/daemon-output.js';

const feed = (lines: [('stdout' | 'stderr'), string][]) => {
  const output = new DaemonOutput();
  const shown = lines.filter(([stream, line]) => output.line(stream, line)).map(([, line]) => line);
  return { output, shown };
};

test('gave up with DynamoDB unreachable: the connection refused, not the SDK pool message', () => {
  const { output } = feed([
    ['stdout', '2026-12-01 23:15:40,001 [multi-lang-daemon-0000] ERROR s.a.kinesis.coordinator.Scheduler [NONE] - Caught exception when initializing LeaseCoordinator '],
    ['stdout', 'Caused by: software.amazon.awssdk.core.exception.SdkClientException: Unable to execute HTTP request: Connection refused: /127.0.0.1:18999 (SDK Attempt Count: 9)'],
    ['stdout', '2026-12-01 23:15:43,428 [multi-lang-daemon-0000] ERROR s.a.kinesis.coordinator.Scheduler [NONE] - Unable to initialize after 20 attempts. Shutting down. '],
    ['stdout', 'java.lang.RuntimeException: java.lang.RuntimeException: software.amazon.awssdk.core.exception.SdkClientException: Unable to execute HTTP request: Acquire operation took longer than the configured maximum time.'],
    ['stdout', '\tat software.amazon.kinesis.coordinator.Scheduler.initialize(Scheduler.java:531)'],
  ]);
  assert.deepEqual(output.reason(), {
    text: 'the daemon gave up initializing after 20 attempts: cannot connect to 127.0.0.1:18999 (connection refused)',
    fix: 'start the service (for local emulators: `kcl-ts local`, or LocalStack) or correct kinesisEndpoint / dynamoDBEndpoint',
  });
});

test('gave up for a cause it does not know: the exception message after the gave-up line', () => {
  const { output } = feed([
    ['stderr', '12:00:00.000 ERROR s.a.kinesis.coordinator.Scheduler [] - Unable to initialize after 20 attempts. Shutting down.'],
    ['stderr', 'java.lang.RuntimeException: software.amazon.awssdk.services.dynamodb.model.DynamoDbException: The security token included in the request is invalid.'],
  ]);
  assert.equal(output.reason()?.text, 'the daemon gave up initializing after 20 attempts: The security token included in the request is invalid.');
});

test('unknown host; otherwise the last ERROR line; nothing at all', () => {
  assert.match(feed([['stdout', 'Caused by: java.net.UnknownHostException: dynamodb.nowhere.example']]).output.reason()!.text, /unknown host dynamodb\.nowhere\.example/);
  assert.deepEqual(feed([['stderr', '12:00:00.000 ERROR x.Y [] - Something went wrong here ']]).output.reason(), { text: 'its last error: Something went wrong here' });
  assert.equal(feed([['stdout', '12:00:00.000 INFO x.Y [] - fine']]).output.reason(), undefined);
});

test('a relayed stderr line is shown once, whichever copy arrives first; lines of the daemon pass', () => {
  const relayed = (text: string) => `12:00:00.000 ERROR s.a.k.multilang.DrainChildSTDERRTask [] - Received error line from subprocess [${text}] for shard shardId-000000000000`;
  const { shown } = feed([
    ['stdout', relayed('first [with brackets]')],
    ['stderr', 'bare copy first'],
    ['stderr', 'first [with brackets]'],
    ['stdout', relayed('bare copy first')],
    ['stderr', 'a line of the daemon'],
    ['stdout', 'an INFO line'],
  ]);
  assert.deepEqual(shown, [relayed('first [with brackets]'), 'bare copy first', 'a line of the daemon', 'an INFO line']);
});
