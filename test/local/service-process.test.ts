// ServiceProcess: the emulators' process wrapper (own process group, output to a log file, readiness
// polling, stop with SIGTERM then SIGKILL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceProcess } from '../../src/local/process.js';
import { isAlive, sleep, tempDir, waitUntil } from '../helpers.js';

const root = tempDir('kcl-ts-service-');
let counter = 0;
const logFile = () => join(root, `service${++counter}.log`);

/** A node service running `code`. */
function node(code: string, log = logFile(), env: NodeJS.ProcessEnv = {}): ServiceProcess {
  return new ServiceProcess('test service', process.execPath, ['-e', code], { env, logFile: log, cwd: root });
}

/** True while `pid` runs (a zombie counts as gone). */

/** Cleanup after a failed test: SIGKILL the service's group and any stray pid. */
function killAll(p: ServiceProcess, ...pids: (number | undefined)[]): void {
  for (const pid of [p.child.pid && -p.child.pid, ...pids]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** The log's text so far ('' until the service's log stream has opened it). */
function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

test('ServiceProcess: stdout and stderr are appended to the log file; env and cwd are passed', async () => {
  const log = logFile();
  writeFileSync(log, 'earlier run\n');
  const p = node("console.log('out', process.env.MARK, process.cwd()); console.error('err')", log, { MARK: 'm1' });
  await new Promise((resolve) => p.child.on('close', resolve));
  await waitUntil(() => readLog(log).includes('err'), 'the log');
  const text = readLog(log);
  assert.ok(text.startsWith('earlier run\n'), text);
  assert.ok(text.includes(`out m1 ${root}\n`), text);
  assert.equal(p.running, false);
});

test('ServiceProcess: waitReady polls the probe (a throwing probe counts as not ready) until it says yes', async () => {
  const p = node('setInterval(() => {}, 1000)');
  try {
    assert.equal(p.running, true);
    let calls = 0;
    await p.waitReady(async () => {
      calls++;
      if (calls === 1) throw new Error('connection refused');
      return calls >= 3;
    }, 5000);
    assert.equal(calls, 3);
  } finally {
    await p.stop();
  }
});

test('ServiceProcess: waitReady fails when the process exits first, naming the log', async () => {
  const log = logFile();
  const p = node('process.exit(3)', log);
  await assert.rejects(
    p.waitReady(async () => false, 10_000),
    (err: Error) => err.message === `test service exited before it was ready; see ${log}`,
  );
});

test('ServiceProcess: waitReady fails after the timeout, naming it and the log', async () => {
  const log = logFile();
  const p = node('setInterval(() => {}, 1000)', log);
  try {
    const t0 = Date.now();
    await assert.rejects(p.waitReady(async () => false, 300), (err: Error) => err.message === `test service not ready after 300 ms; see ${log}`);
    assert.ok(Date.now() - t0 >= 300);
  } finally {
    await p.stop();
  }
});

test('ServiceProcess: a command that cannot start is not "running" and fails waitReady at once', async () => {
  const p = new ServiceProcess('missing', '/nonexistent/command', [], { env: {}, logFile: logFile() });
  await sleep(50);
  assert.equal(p.running, false);
  const t0 = Date.now();
  await assert.rejects(p.waitReady(async () => false, 10_000), /missing could not start: spawn \/nonexistent\/command ENOENT/);
  assert.ok(Date.now() - t0 < 1000);
  await p.stop(); // no-op
});

test('ServiceProcess: stop() sends SIGTERM to the whole process group and resolves once it exited', async () => {
  const log = logFile();
  // The service starts a child (in its group) and prints its pid.
  const p = node(
    "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('child', c.pid); setInterval(() => {}, 1000)",
    log,
  );
  let childPid: number | undefined;
  try {
    await waitUntil(() => /child \d+/.test(readLog(log)), 'the child pid');
    childPid = Number(/child (\d+)/.exec(readLog(log))![1]);
    assert.ok(isAlive(childPid));
    await p.stop(5000);
    assert.equal(p.running, false);
    assert.equal(p.child.signalCode, 'SIGTERM');
    await waitUntil(() => !isAlive(childPid!), 'the child to be gone');
  } finally {
    killAll(p, childPid);
  }
});

test('ServiceProcess: stop() kills with SIGKILL after graceMs when SIGTERM is ignored', async () => {
  const log = logFile();
  const p = node("process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000)", log);
  try {
    await waitUntil(() => readLog(log).includes('ready'), 'the service');
    const t0 = Date.now();
    await p.stop(300);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 290, `waited ${elapsed} ms`);
    assert.ok(elapsed < 3000, `waited ${elapsed} ms`);
    assert.equal(p.child.signalCode, 'SIGKILL');
    await waitUntil(() => readLog(log).includes('ignored'), 'the log');
  } finally {
    killAll(p);
  }
});

test('ServiceProcess: stop() on a process that already exited returns at once', async () => {
  const p = node('');
  await new Promise((resolve) => p.child.on('exit', resolve));
  await p.stop(10_000);
  assert.equal(p.running, false);
});

test('ServiceProcess: stderr written after the service closed its stdout still reaches the log', async () => {
  const log = logFile();
  const p = new ServiceProcess('sh service', '/bin/sh', ['-c', 'echo out; exec 1>&-; sleep 0.2; echo err-after-stdout-closed >&2'], {
    env: { PATH: '/usr/bin:/bin' },
    logFile: log,
  });
  await new Promise((resolve) => p.child.on('close', resolve));
  await sleep(100);
  assert.match(readLog(log), /err-after-stdout-closed/);
});
