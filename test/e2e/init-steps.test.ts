// A new user's first hour, literally: in a new project folder with kcl-ts installed, run
// `npx kcl-ts init --local`, then every command it prints, exactly as printed, through a shell, with no
// AWS credentials in the environment. Real daemon, kinesis-local and dynalite on the ports the generated
// properties name (4568, 8000), so this waits for them to be free.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLocalApp, type LocalApp } from '../../src/local/app-properties.js';
import { startDynalite, startKinesis } from '../../src/local/emulators.js';
import { putRecords } from '../../src/local/kinesis.js';
import { scanLeases } from '../../src/local/lease-table.js';
import { assertPortFree, type ServiceProcess } from '../../src/local/process.js';
import { tempDir } from '../helpers.js';
import { lastPerShard, repoRoot } from './stack.js';

let project: string;
/** The environment of a new terminal: no AWS credentials, no kcl-ts settings. */
let env: NodeJS.ProcessEnv;
const workFolders: string[] = [];

before(() => {
  project = tempDir('kcl-ts-e2e-init-');
  // What `npm install kcl-ts` leaves: the package (here linked to this checkout) and its bin link.
  writeFileSync(join(project, 'package.json'), '{ "name": "my-first-consumer", "private": true }\n');
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(repoRoot, join(project, 'node_modules', 'kcl-ts'), 'dir');
  symlinkSync('../kcl-ts/bin/kcl-ts.js', join(project, 'node_modules', '.bin', 'kcl-ts'));
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('KCL_TS_') && !k.startsWith('npm_')));
});

after(() => {
  for (const dir of [project, ...workFolders]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Shell {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `line` as typed into a terminal: `sh -c`, in the project, in its own process group (Ctrl-C reaches the whole group). */
function shell(line: string): Shell {
  const child = spawn('sh', ['-c', line], { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Sends `signal` to the shell's process group (a terminal's Ctrl-C: SIGINT to every process of the foreground group). */
function signalGroup(sh: Shell, signal: NodeJS.Signals): void {
  try {
    process.kill(-sh.child.pid!, signal);
  } catch {
    // the group is gone already
  }
}
const ctrlC = (sh: Shell) => signalGroup(sh, 'SIGINT');

/**
 * The shell's exit as a terminal would show it: npm, behind npx, re-raises the SIGINT it forwarded once
 * its child ended, so after Ctrl-C the shell ends by that signal whatever the command's own code was.
 */
const exitedOnCtrlC = (sh: Shell) => sh.child.exitCode === 0 || sh.child.signalCode === 'SIGINT' || sh.child.exitCode === 130;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, sh?: Shell): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${sh?.output().slice(-3000) ?? ''}`);
    if (sh && sh.child.exitCode !== null) throw new Error(`exited (${sh.child.exitCode}) while waiting for ${what}\n${sh.output().slice(-3000)}`);
    await sleep(250);
  }
}

/** Other runs on this machine may hold the default ports for a while: wait until they are free. */
async function portsFree(app: LocalApp): Promise<void> {
  await until(
    `ports ${app.kinesisPort - 1}, ${app.kinesisPort}, ${app.dynamodbPort} to be free`,
    async () => {
      try {
        for (const p of [app.kinesisPort - 1, app.kinesisPort, app.dynamodbPort]) await assertPortFree(p, 'x', 'x');
        return true;
      } catch {
        return false;
      }
    },
    180_000,
  );
}

/** Runs a command to its end; remembers the work folder it printed. */
async function complete(line: string): Promise<{ code: number | null; out: string }> {
  const sh = shell(line);
  const code = await sh.exited;
  const work = /work folder (\S+)/.exec(sh.output())?.[1];
  if (work) workFolders.push(work);
  return { code, out: sh.output() };
}

let printed: string[] = [];
let app: LocalApp;

test('npx kcl-ts init --local in a new project prints npx commands and no install line (kcl-ts is installed)', async () => {
  const { code, out } = await complete('npx kcl-ts init --local');
  assert.equal(code, 0, out);
  printed = out.slice(out.indexOf('next:\n') + 'next:\n'.length).split('\n').filter(Boolean);
  const commands = printed.filter((l) => l.startsWith('  '));
  assert.ok(commands.length >= 6, out);
  assert.ok(commands.every((l) => /^  (npx kcl-ts |export )/.test(l)), out);
  app = readLocalApp('my-consumer.properties', project);
});

/** The commands of the block that starts after line `from` (undefined: the first block), up to the next heading. */
function block(from?: string): string[] {
  let i = from === undefined ? 0 : printed.findIndex((l) => l.startsWith(from)) + 1;
  assert.ok(i >= 0 && i < printed.length, `no block after "${from}" in:\n${printed.join('\n')}`);
  const lines: string[] = [];
  for (; i < printed.length && printed[i]!.startsWith('  '); i++) lines.push(printed[i]!.trim());
  return lines;
}

test('the one-terminal steps, as printed: validate; local -p --records ends by itself with every record checkpointed; local -p stops in order on Ctrl-C', async () => {
  const steps = block();
  assert.deepEqual(steps.map((s) => s.split('#')[0]!.trim().split(' ').slice(0, 3).join(' ')), ['npx kcl-ts validate', 'npx kcl-ts local', 'npx kcl-ts local']);
  for (const step of steps) {
    if (!step.includes('until Ctrl-C')) {
      await portsFree(app);
      const { code, out } = await complete(step);
      assert.equal(code, 0, `${step}\n${out.slice(-3000)}`);
      const records = /--records (\d+)/.exec(step)?.[1];
      if (records) {
        assert.match(out, new RegExp(`\\nkcl-ts local: done: all ${records} records checkpointed\\nemulators stopped\\n$`));
        // The scaffolded consumer (not the demo one) handled them: it logs each record it got.
        const consumerLog = readFileSync(/consumer logs: ([^,]+),/.exec(out)![1]!, 'utf8');
        assert.equal(consumerLog.split('\n').filter((l) => l.includes('"msg":"got ')).length, Number(records));
        assert.doesNotMatch(out, /Not able to assign all expiredOrUnAssignedLeases/);
      }
      continue;
    }
    await portsFree(app);
    const sh = shell(step);
    await until('records checkpointed', () => /checkpointed [1-9]/.test(sh.output()), 150_000, sh);
    ctrlC(sh);
    await sh.exited;
    const out = sh.output();
    const work = /work folder (\S+)/.exec(out)?.[1];
    if (work) workFolders.push(work);
    assert.ok(exitedOnCtrlC(sh), `exit ${sh.child.exitCode} ${sh.child.signalCode}\n${out.slice(-3000)}`);
    assert.match(out, /kcl-ts: daemon exited \(code \d+\); exit 0\n/);
    // npx forwards the terminal's SIGINT once more: it must count as one Ctrl-C.
    assert.doesNotMatch(out, /still shutting down/);
    const order = [
      /SIGINT: stopping the producer first\n/,
      /producer stopped after (\d+) records; waiting up to \d+ s for the consumer to checkpoint them/,
      /consumer drained: all \d+ records checkpointed\n/,
      /kcl-ts: SIGTERM: asking the daemon to shut down gracefully/,
      /daemon stopped \(exit 0\); final: put (\d+) · processed (\d+) · checkpointed (\d+) · /,
      /emulators stopped\n$/,
    ].map((re) => {
      const m = re.exec(out);
      assert.ok(m, `${re} not in:\n${out.slice(-3000)}`);
      return m;
    });
    for (let i = 1; i < order.length; i++) assert.ok(order[i - 1]!.index < order[i]!.index, `${order[i - 1]![0]} before ${order[i]![0]}`);
    const put = order[1]![1];
    assert.deepEqual(order[4]!.slice(1), [put, put, put], 'the final line shows every record put processed and checkpointed');
  }
});

test('the daemon-alone steps, as printed (one shell: export, tables create, run), against emulators started on the endpoints of the generated file', async () => {
  const steps = block('with emulators you run yourself');
  assert.deepEqual(steps.map((s) => s.split(' ').slice(0, 3).join(' ')), ['export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local', 'npx kcl-ts tables', 'npx kcl-ts run']);
  await portsFree(app);
  const logs = tempDir('kcl-ts-e2e-init-emulators-');
  workFolders.push(logs);
  const started: ServiceProcess[] = [];
  let sh: Shell | undefined;
  try {
    const kinesis = await startKinesis({ port: app.kinesisPort, streams: { [app.streamName]: 2 }, env: process.env, logFile: join(logs, 'kinesis.log') });
    started.push(kinesis.process);
    const dynamo = await startDynalite({ port: app.dynamodbPort, env: process.env, logFile: join(logs, 'dynamodb.log') });
    started.push(dynamo.process);
    sh = shell(steps.join('\n'));
    await until('the tables', () => /ok: the tables of KCL 3\.1\.3 are ready/.test(sh!.output()), 60_000, sh);
    const puts = await putRecords(kinesis.endpoint, app.streamName, Array.from({ length: 40 }, (_, i) => ({ partitionKey: `k${i % 4}`, data: `record ${i}` })));
    const last = lastPerShard(puts);
    await until(
      'the checkpoints at the last records',
      async () => {
        const leases = await scanLeases(dynamo.endpoint, app.leaseTable).catch(() => []);
        return [...last].every(([shard, seq]) => leases.find((l) => l.leaseKey === shard)?.checkpoint === seq);
      },
      240_000,
      sh,
    );
    ctrlC(sh);
    await sh.exited;
    assert.ok(exitedOnCtrlC(sh), `exit ${sh.child.exitCode} ${sh.child.signalCode}\n${sh.output().slice(-3000)}`);
    assert.match(sh.output(), /kcl-ts: daemon exited \(code \d+\); exit 0\n/);
  } finally {
    if (sh) signalGroup(sh, 'SIGKILL');
    await Promise.all(started.map((p) => p.stop()));
  }
});
