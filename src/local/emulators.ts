import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { awsJson } from './aws-json.js';
import { emulatorDir } from './emulator-packages.js';
import { assertPortFree, ServiceProcess } from './process.js';

/** Options of {@link startKinesis}. */
export interface KinesisEmulatorOptions {
  /** Plain HTTP (and h2c) port. @default 4568 */
  port?: number;
  /** TLS port (the engine always opens one). @default port - 1 */
  tlsPort?: number;
  /** Streams to create at start: `name` → shard count. */
  streams?: Record<string, number>;
  /** Folder of the kinesis-local package. @default found from the working directory or kcl-ts ({@link emulatorDir}) */
  packageDir?: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
}

/** Starts kinesis-local; resolves when every stream is ACTIVE. */
export async function startKinesis(opts: KinesisEmulatorOptions): Promise<{ process: ServiceProcess; endpoint: string }> {
  const port = opts.port ?? 4568;
  const tlsPort = opts.tlsPort ?? port - 1;
  await assertPortFree(port, 'the Kinesis emulator', '--kinesis-port');
  await assertPortFree(tlsPort, 'the Kinesis emulator (TLS)', '--kinesis-port');
  const dir = opts.packageDir ?? emulatorDir('kinesis-local', { env: opts.env, cwd: process.cwd() });
  const streams = Object.entries(opts.streams ?? {});
  // kinesis-mock always listens on every interface: the preload makes that 127.0.0.1.
  const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'loopback-preload.js')).href;
  const proc = new ServiceProcess('kinesis-local', process.execPath, ['--import', preload, join(dir, 'main.js')], {
    // The engine reads server.json relative to its working directory.
    cwd: dir,
    logFile: opts.logFile,
    env: {
      ...opts.env,
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      // The engine rejects an empty INITIALIZE_STREAMS: set it only when there is a stream to create.
      ...(streams.length > 0 ? { INITIALIZE_STREAMS: streams.map(([name, shards]) => `${name}:${shards}`).join(',') } : {}),
      CREATE_STREAM_DURATION: '0ms',
      DELETE_STREAM_DURATION: '0ms',
      SPLIT_SHARD_DURATION: '0ms',
      MERGE_SHARDS_DURATION: '0ms',
      UPDATE_SHARD_COUNT_DURATION: '0ms',
      SHOULD_PERSIST_DATA: 'false',
      LOG_LEVEL: opts.env.KINESIS_LOG_LEVEL ?? 'WARN',
      AWS_REGION: opts.env.AWS_REGION ?? 'us-east-1',
    },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await proc.waitReady(async () => {
    for (const [name] of streams) {
      const s = await awsJson<{ StreamDescriptionSummary: { StreamStatus: string } }>(endpoint, 'kinesis', 'DescribeStreamSummary', { StreamName: name });
      if (s.StreamDescriptionSummary.StreamStatus !== 'ACTIVE') return false;
    }
    if (streams.length === 0) await awsJson(endpoint, 'kinesis', 'ListStreams', {});
    return true;
  }, 60_000);
  return { process: proc, endpoint };
}

/** Options of {@link startDynalite}. */
export interface DynaliteOptions {
  /** @default 8000 */
  port?: number;
  /** Folder of the dynalite package. @default found from the working directory or kcl-ts ({@link emulatorDir}) */
  packageDir?: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Starts dynalite (npm, Apache-2.0) in memory on 127.0.0.1, with table create/update/delete taking no
 * time; resolves when it answers ListTables. It has no streams and no transactions, and cannot add a GSI
 * to an existing table: create the KCL tables first (`createKclTables`).
 */
export async function startDynalite(opts: DynaliteOptions): Promise<{ process: ServiceProcess; endpoint: string }> {
  const port = opts.port ?? 8000;
  await assertPortFree(port, 'the DynamoDB emulator (dynalite)', '--dynamodb-port');
  const dir = opts.packageDir ?? emulatorDir('dynalite', { env: opts.env, cwd: process.cwd() });
  const proc = new ServiceProcess(
    'dynalite',
    process.execPath,
    [join(dir, 'cli.js'), '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'],
    { env: opts.env, logFile: opts.logFile },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await proc.waitReady(async () => {
    await awsJson(endpoint, 'dynamodb', 'ListTables', {});
    return true;
  }, 60_000);
  return { process: proc, endpoint };
}
