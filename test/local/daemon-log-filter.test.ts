import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonLogFilter, HARMLESS_DAEMON_LINES, isHarmlessDaemonLine } from '../../src/local/daemon-log-filter.js';

// Lines as the 3.1.3 daemon prints them with properties/logback-warn.xml (copied from a kcl-ts local run).
const HARMLESS = '23:17:23.877 WARN  s.a.k.c.a.LeaseAssignmentManager [] - Not able to assign all expiredOrUnAssignedLeases';
const CHILD_STDERR = '23:17:30.101 ERROR s.a.k.m.MultiLangProtocol [shardId-000000000001] - Received error line from subprocess [boom] for shard shardId-000000000001';
const OTHER_WARN = '23:17:31.000 WARN  s.a.k.l.d.DynamoDBLeaseRenewer [] - Some new warning nobody has seen';

function run(lines: string[]): { shown: string[]; kept: string[] } {
  const shown: string[] = [];
  const kept: string[] = [];
  const filter = new DaemonLogFilter((l) => shown.push(l), (l) => kept.push(l));
  for (const l of lines) filter.line(l);
  return { shown, kept };
}

test('known-harmless WARN lines (with their continuation lines) are dropped from the view and kept in the log', () => {
  const lines = [HARMLESS, CHILD_STDERR, HARMLESS, '\tat some.Frame(Frame.java:1)', 'Caused by: x', OTHER_WARN, '\tat other.Frame(Frame.java:2)', 'OpenJDK 64-Bit Server VM warning: x'];
  const { shown, kept } = run(lines);
  assert.deepEqual(shown, [CHILD_STDERR, OTHER_WARN, '\tat other.Frame(Frame.java:2)', 'OpenJDK 64-Bit Server VM warning: x']);
  assert.deepEqual(kept, lines);
});

test('a line ending in CR (a CRLF line) is matched and passed on without the CR', () => {
  const { shown, kept } = run([`${HARMLESS}\r`, `${CHILD_STDERR} é\r`]);
  assert.deepEqual(shown, [`${CHILD_STDERR} é`]);
  assert.deepEqual(kept, [HARMLESS, `${CHILD_STDERR} é`]);
});

test('every listed harmless line says why, and the patterns do not match errors or other loggers', () => {
  for (const h of HARMLESS_DAEMON_LINES) assert.ok(h.why.length > 40);
  assert.equal(isHarmlessDaemonLine(HARMLESS), true);
  assert.equal(isHarmlessDaemonLine(HARMLESS.replace('WARN ', 'ERROR')), false);
  assert.equal(isHarmlessDaemonLine(CHILD_STDERR), false);
  assert.equal(isHarmlessDaemonLine(`${HARMLESS} but something else`), false);
});
