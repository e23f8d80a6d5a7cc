// The image's start path, run natively (no Docker engine here): docker/install-consumer.sh installs the
// example consumer as the consumer-build stage does, docker/compose-tools.mjs creates the stream and lease
// table and produces records as the compose services do, and docker/entrypoint.sh starts the launcher
// with the properties of docker/compose.properties (endpoints pointed at kinesis-local + dynalite
// instead of LocalStack, /app at a temporary folder). Then SIGTERM, as ECS or `docker stop` sends it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureJars } from '../../src/launcher/jars.js';
import { scanLeases } from '../../src/local/lease-table.js';
import { AWS_ENV, startEmulators, type Emulators } from '../e2e/stack.js';
import { readLog, tempDir } from '../helpers.js';
import { dockerDir, readText, repoRoot } from './files.js';

const APP = 'kcl-ts-docker-app';
const STREAM = 'kcl-ts-docker';
const RECORDS = 30;

let emu: Emulators;
let work: string;

before(async () => {
  emu = await startEmulators();
  work = tempDir('kcl-ts-docker-');
});

after(async () => {
  await emu?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** docker/compose.properties, for this machine: emulator endpoints, /app → appDir, test names. */
function adaptComposeProperties(appDir: string): string {
  const endpoint = (key: string, value: string) => (text: string) => {
    const re = new RegExp(`^${key}\\s*=.*$`, 'm');
    assert.match(text, re, `compose.properties sets ${key}`);
    return text.replace(re, `${key} = ${value}`);
  };
  const edits = [
    endpoint('kinesisEndpoint', emu.kinesis),
    endpoint('dynamoDBEndpoint', emu.dynamodb),
    endpoint('applicationName', APP),
    endpoint('streamName', STREAM),
  ];
  let text = readText('docker', 'compose.properties').replace(/^(executableName\s*=\s*node\s+)\/app\//m, `$1${appDir}/`);
  assert.ok(text.includes(`${appDir}/consumer.mjs`), 'compose.properties runs node /app/consumer.mjs');
  for (const edit of edits) text = edit(text);
  return text;
}

function runTool(args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): { code: number | null; out: string } {
  const res = spawnSync(args[0]!, args.slice(1), { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

/** pid → parent pid, for every visible process. */
function parentPids(): Map<number, number> {
  const table = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      table.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  return table;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function processedCount(logFile: string): number {
  let n = 0;
  for (const line of readLog(logFile)) {
    const m = /^processed (\d+) records/.exec(String(line.msg ?? ''));
    if (m) n += Number(m[1]);
  }
  return n;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, child?: ChildProcess, output?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (child && child.exitCode !== null) assert.fail(`entrypoint exited (${child.exitCode}) while waiting for ${what}\n${output?.().slice(-3000)}`);
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${output?.().slice(-3000) ?? ''}`);
    await sleep(200);
  }
}

test('entrypoint.sh refuses a missing properties file with exit 64 and a clear message', () => {
  const res = runTool([join(dockerDir, 'entrypoint.sh')], { KCL_TS_HOME: repoRoot, KCL_TS_PROPERTIES: join(work, 'nope.properties') });
  assert.equal(res.code, 64, res.out);
  assert.match(res.out, /no properties file at .*nope\.properties/);
});

test('install-consumer.sh → compose-tools setup/produce → entrypoint.sh: records processed and checkpointed; SIGTERM exits 0', async () => {
  const env = { ...AWS_ENV, KCL_TS_HOME: repoRoot };

  // The consumer-build stage: the example consumer into "/app", kcl-ts linked, properties validated.
  const appDir = join(work, 'app');
  cpSync(join(dockerDir, 'example-consumer'), appDir, { recursive: true });
  writeFileSync(join(appDir, 'app.properties'), adaptComposeProperties(appDir));
  const install = runTool(['sh', join(dockerDir, 'install-consumer.sh'), appDir], env);
  assert.equal(install.code, 0, `install-consumer.sh failed\n${install.out}`);
  assert.match(install.out, /ok: app\.properties is valid/);
  const link = join(appDir, 'node_modules', 'kcl-ts');
  assert.equal(readlinkSync(link), repoRoot, 'node_modules/kcl-ts links to KCL_TS_HOME');
  assert.equal(realpathSync(link), realpathSync(repoRoot));

  // The compose `setup` service, twice: the second run finds everything in place.
  const toolEnv = { ...env, KINESIS_ENDPOINT: emu.kinesis, DYNAMODB_ENDPOINT: emu.dynamodb, STREAM_NAME: STREAM, APP_NAME: APP, SHARDS: '2' };
  const tools = join(dockerDir, 'compose-tools.mjs');
  const setup = runTool([process.execPath, tools, 'setup'], toolEnv);
  assert.equal(setup.code, 0, setup.out);
  assert.match(setup.out, /ready: stream kcl-ts-docker ACTIVE \(shardId-\d+, shardId-\d+\)/);
  const again = runTool([process.execPath, tools, 'setup'], toolEnv);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /stream kcl-ts-docker exists[\s\S]*lease table kcl-ts-docker-app exists/);

  // The container's ENTRYPOINT, with the image's environment variables pointed at this checkout.
  const jars = await ensureJars('kcl-multilang', { env: process.env });
  const childLog = join(work, 'children.log');
  const entry = spawn(join(dockerDir, 'entrypoint.sh'), [], {
    cwd: appDir,
    env: {
      ...process.env,
      ...env,
      KCL_TS_PROPERTIES: join(appDir, 'app.properties'),
      KCL_TS_JARS: jars.dir,
      KCL_TS_LOG_CONFIG: join(repoRoot, 'properties', 'logback-warn.xml'),
      KCL_TS_JVM_OPTS: '-Xmx256m -XX:+ExitOnOutOfMemoryError',
      KCL_TS_LOG_DEST: childLog,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  entry.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  entry.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => entry.on('exit', (code) => resolve(code)));
  const pid = entry.pid!;
  try {
    // exec: the process we started is now the launcher itself (no shell left to swallow SIGTERM).
    await waitFor('the entrypoint to exec the launcher', () => cmdline(pid).some((a) => a.endsWith(join('bin', 'kcl-ts.js'))), 10_000, entry, () => output);
    assert.deepEqual(cmdline(pid).slice(2, 3), ['run']);

    // The JVM is the launcher's child and got KCL_TS_JVM_OPTS.
    let jvm: number | undefined;
    await waitFor(
      'the MultiLangDaemon JVM',
      () => {
        const parents = parentPids();
        jvm = [...parents].find(([p, ppid]) => ppid === pid && cmdline(p).includes('software.amazon.kinesis.multilang.MultiLangDaemon'))?.[0];
        return jvm !== undefined;
      },
      30_000,
      entry,
      () => output,
    );
    assert.ok(cmdline(jvm!).includes('-Xmx256m'), `JVM options passed: ${cmdline(jvm!).join(' ')}`);

    // The image's HEALTHCHECK, scoped to this launcher's process tree.
    const health = runTool([process.execPath, join(dockerDir, 'healthcheck.mjs')], { KCL_TS_HEALTH_ROOT: String(pid) });
    assert.equal(health.code, 0, health.out);
    assert.match(health.out, new RegExp(`healthy: MultiLangDaemon JVM is PID ${jvm}`));

    // The compose `producer` service, bounded.
    const produce = runTool([process.execPath, tools, 'produce'], { ...toolEnv, PRODUCE_TOTAL: String(RECORDS), PRODUCE_RATE: '100' });
    assert.equal(produce.code, 0, produce.out);
    assert.match(produce.out, new RegExp(`done: put ${RECORDS} records`));

    await waitFor(`${RECORDS} records processed by the example consumer`, () => processedCount(childLog) >= RECORDS, 45_000, entry, () => output);
    assert.equal(processedCount(childLog), RECORDS, 'each record processed once');
    await waitFor(
      'checkpoints on both shards',
      async () => (await scanLeases(emu.dynamodb, APP)).filter((l) => /^\d+$/.test(l.checkpoint ?? '')).length === 2,
      15_000,
      entry,
      () => output,
    );
  } finally {
    if (entry.exitCode === null) entry.kill('SIGTERM');
  }
  const t0 = Date.now();
  const code = await exited;
  const ms = Date.now() - t0;
  assert.equal(code, 0, `exit code after SIGTERM\n${output.slice(-3000)}`);
  assert.match(output, /SIGTERM: asking the daemon to shut down gracefully/);
  assert.ok(ms < 8000 + 5000, `stopped in ${ms} ms (shutdownGraceMillis 8000)`);
  assert.match(output, /daemon exited \(code 143\); exit 0/);

  const health = runTool([process.execPath, join(dockerDir, 'healthcheck.mjs')], { KCL_TS_HEALTH_ROOT: String(pid) });
  assert.equal(health.code, 1, `unhealthy once the daemon is gone\n${health.out}`);
  assert.match(health.out, /unhealthy: no running software\.amazon\.kinesis\.multilang\.MultiLangDaemon JVM/);
});
