import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LauncherError, LauncherErrorCode } from '../launcher/errors.js';
import { awsJson } from './aws-json.js';
import { assertPortFree, ServiceProcess } from './process.js';

/** Options of {@link startKinesis}. */
export interface KinesisEmulatorOptions {
  /** Plain HTTP (and h2c) port. @default 4568 */
  port?: number;
  /** TLS port (the engine always opens one). @default port - 1 */
  tlsPort?: number;
  /** Streams to create at start: `name` → shard count. */
  streams?: Record<string, number>;
  logFile: string;
  env: NodeJS.ProcessEnv;
}

/** Folder of the npm package `kinesis-local` (the kinesis-mock engine LocalStack uses). */
export function kinesisLocalDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('kinesis-local/package.json'));
  } catch {
    throw new LauncherError(
      LauncherErrorCode.JARS_MISSING,
      'The Kinesis emulator (npm package kinesis-local) is not installed: run `npm install --save-dev kinesis-local`',
    );
  }
}

/** Starts kinesis-local; resolves when every stream is ACTIVE. */
export async function startKinesis(opts: KinesisEmulatorOptions): Promise<{ process: ServiceProcess; endpoint: string }> {
  const port = opts.port ?? 4568;
  const tlsPort = opts.tlsPort ?? port - 1;
  await assertPortFree(port, 'the Kinesis emulator', '--kinesis-port');
  await assertPortFree(tlsPort, 'the Kinesis emulator (TLS)', '--kinesis-port');
  const dir = kinesisLocalDir();
  const streams = Object.entries(opts.streams ?? {});
  const proc = new ServiceProcess('kinesis-local', process.execPath, [join(dir, 'main.js')], {
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

/** Options of {@link startDynamoDb}. */
export interface DynamoDbLocalOptions {
  /** @default 8000 */
  port?: number;
  java: string;
  /** DynamoDB Local's classpath (`ensureJars('dynamodb-local')`). */
  classpath: readonly string[];
  logFile: string;
  env: NodeJS.ProcessEnv;
}

/** Starts DynamoDB Local in memory; resolves when it answers ListTables. */
export async function startDynamoDb(opts: DynamoDbLocalOptions): Promise<{ process: ServiceProcess; endpoint: string }> {
  const port = opts.port ?? 8000;
  await assertPortFree(port, 'DynamoDB Local', '--dynamodb-port');
  const proc = new ServiceProcess(
    'DynamoDB Local',
    opts.java,
    [
      '-cp',
      opts.classpath.join(':'),
      'com.amazonaws.services.dynamodbv2.local.main.ServerRunner',
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { env: opts.env, logFile: opts.logFile },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await proc.waitReady(async () => {
    await awsJson(endpoint, 'dynamodb', 'ListTables', {});
    return true;
  }, 60_000);
  return { process: proc, endpoint };
}
