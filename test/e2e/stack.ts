// The real stack for end-to-end tests: kinesis-local + dynalite (shared by a test file) and the
// real `kcl-ts run` launcher starting the real MultiLangDaemon with a fixture processor.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDynalite, startKinesis } from '../../src/local/emulators.js';
import { awsJson } from '../../src/local/aws-json.js';
import type { PutResult } from '../../src/local/kinesis.js';
import { comparePositions } from '../../src/checkpoint/index.js';
import { createLeaseTable } from '../../src/local/lease-table.js';
import type { ServiceProcess } from '../../src/local/process.js';
import { randomPort, tempDir } from '../helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (build-test/test/e2e → ../../..). */
export const repoRoot = join(here, '..', '..', '..');
export const fixtureDir = join(here, '..', 'fixtures');

export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export interface Emulators {
  kinesis: string;
  dynamodb: string;
  work: string;
  stop(): Promise<void>;
}

/** Starts both emulators on random free ports. */
export async function startEmulators(): Promise<Emulators> {
  const work = tempDir('kcl-ts-e2e-');
  const env = { ...process.env, ...AWS_ENV };
  const started: ServiceProcess[] = [];
  try {
    const kinesis = await startKinesis({ port: randomPort(), env, logFile: join(work, 'kinesis.log') });
    started.push(kinesis.process);
    const dynamo = await startDynalite({ port: randomPort(), env, logFile: join(work, 'dynamodb.log') });
    started.push(dynamo.process);
    return {
      kinesis: kinesis.endpoint,
      dynamodb: dynamo.endpoint,
      work,
      stop: async () => {
        await Promise.all(started.map((p) => p.stop()));
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** Creates a stream and waits for it to be ACTIVE; returns its shard ids. */
export async function createStream(endpoint: string, name: string, shards: number): Promise<string[]> {
  await awsJson(endpoint, 'kinesis', 'CreateStream', { StreamName: name, ShardCount: shards });
  for (let i = 0; i < 200; i++) {
    const s = await awsJson<{ StreamDescriptionSummary: { StreamStatus: string } }>(endpoint, 'kinesis', 'DescribeStreamSummary', { StreamName: name });
    if (s.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
    await sleep(50);
  }
  const res = await awsJson<{ Shards: { ShardId: string }[] }>(endpoint, 'kinesis', 'ListShards', { StreamName: name });
  return res.Shards.map((s) => s.ShardId);
}

export interface App {
  name: string;
  stream: string;
  out: string;
  propertiesFile: string;
}

/** Writes the properties of an app whose children run `processor` (a fixture name), with leases pre-created. */
export async function createApp(
  emu: Emulators,
  name: string,
  stream: string,
  shardIds: string[],
  processor = 'e2e-processor',
  extra: Record<string, string> = {},
): Promise<App> {
  const out = join(emu.work, name);
  mkdirSync(out, { recursive: true });
  await createLeaseTable(emu.dynamodb, name, shardIds);
  const props: Record<string, string> = {
    executableName: `${process.execPath} ${join(fixtureDir, `${processor}.js`)}`,
    applicationName: name,
    streamName: stream,
    AWSCredentialsProvider: 'DefaultCredentialsProvider',
    regionName: 'us-east-1',
    kinesisEndpoint: emu.kinesis,
    dynamoDBEndpoint: emu.dynamodb,
    initialPositionInStream: 'TRIM_HORIZON',
    metricsLevel: 'NONE',
    disableWorkerMetrics: 'true',
    retrievalMode: 'POLLING',
    idleTimeBetweenReadsInMillis: '250',
    callProcessRecordsEvenForEmptyRecordList: 'true',
    failoverTimeMillis: '4000',
    shutdownGraceMillis: '8000',
    leaseAssignmentIntervalMillis: '1000',
    parentShardPollIntervalMillis: '1000',
    shardSyncIntervalMillis: '1000',
    ...extra,
  };
  const propertiesFile = join(out, `${name}.properties`);
  writeFileSync(propertiesFile, `${Object.entries(props).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  return { name, stream, out, propertiesFile };
}

export interface Launcher {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/**
 * Starts the real launcher: `node bin/kcl-ts.js run -p <app> [args] -- -Xmx256m`, with the daemon's logs
 * quiet; `env` is added to the fixture processors' environment.
 */
export function launch(app: App, opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Launcher {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'kcl-ts.js'),
      'run',
      '-p',
      app.propertiesFile,
      '--log-config',
      join(repoRoot, 'properties', 'logback-warn.xml'),
      ...(opts.args ?? []),
      '--',
      '-Xmx256m',
    ],
    {
      env: { ...process.env, ...AWS_ENV, E2E_OUT_DIR: app.out, KCL_TS_LOG_DEST: join(app.out, 'children.log'), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => text };
}

export interface ProcessedRecord {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  data: string;
}

export interface ProcessorEvent {
  action: string;
  shardId: string;
  at: number;
  sequenceNumber?: string;
}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

export const processed = (app: App): ProcessedRecord[] => readJsonl(join(app.out, 'records.jsonl'));
export const events = (app: App): ProcessorEvent[] => readJsonl(join(app.out, 'events.jsonl'));

/** Polls `check` every 200 ms until it returns true, or fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, launcher?: Launcher): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${launcher?.output().slice(-3000) ?? ''}`);
    if (launcher && launcher.child.exitCode !== null) {
      throw new Error(`launcher exited (${launcher.child.exitCode}) while waiting for ${what}\n${launcher.output().slice(-3000)}`);
    }
    await sleep(200);
  }
}

/** The last sequence number put into each shard. */
export function lastPerShard(puts: readonly PutResult[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const p of puts) {
    const prev = last.get(p.shardId);
    if (!prev || comparePositions({ sequenceNumber: p.sequenceNumber }, { sequenceNumber: prev }) > 0) last.set(p.shardId, p.sequenceNumber);
  }
  return last;
}
