// Real emulators for the dead-letter tests: ElasticMQ (SQS, the pinned Maven jars) and s3rver (S3, npm), both
// on 127.0.0.1 only (test/local/loopback.test.ts checks it).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { ensureJars } from '../../src/launcher/jars.js';
import { findJava } from '../../src/launcher/java.js';
import { assertPortFree, ServiceProcess } from '../../src/local/process.js';
import { createS3 } from '../../src/failure/sinks/s3.js';
import { createSqs } from '../../src/failure/sinks/sqs.js';
import type { DeadLetter } from '../../src/failure/types.js';
import { randomPort, tempDir } from '../helpers.js';

export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER', // s3rver's default key; the other emulators take any
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** A test environment: fake credentials, no endpoints of the developer's own. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...AWS_ENV, ...extra };
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_S3', 'KCL_TS_SQS_ENDPOINT', 'KCL_TS_S3_ENDPOINT']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

export { randomPort };

/** Starts ElasticMQ in memory on a random port (config file: bind and visible address on that port). */
export async function startElasticMq(workDir?: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  // A folder of our own is removed on stop; the caller's is the caller's.
  const work = workDir ?? tempDir('kcl-ts-emq-');
  const cleanup = () => {
    if (!workDir) rmSync(work, { recursive: true, force: true });
  };
  const env = testEnv();
  const java = findJava(undefined, env, process.cwd());
  const jars = await ensureJars('elasticmq', { env });
  for (let tries = 0; ; tries++) {
    const port = randomPort();
    try {
      await assertPortFree(port, 'ElasticMQ', '(test)');
    } catch (err) {
      if (tries < 5) continue;
      throw err;
    }
    const conf = join(work, `elasticmq-${port}.conf`);
    writeFileSync(
      conf,
      [
        'include classpath("application.conf")',
        `node-address { protocol = "http", host = "127.0.0.1", port = ${port}, context-path = "" }`,
        `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
        'rest-stats { enabled = false }',
        '',
      ].join('\n'),
    );
    const proc = new ServiceProcess(
      'ElasticMQ',
      java.path,
      ['-Xmx256m', `-Dconfig.file=${conf}`, '-cp', jars.classpath.join(':'), 'org.elasticmq.server.Main'],
      { env, logFile: join(work, 'elasticmq.log') },
    );
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await proc.waitReady(async () => (await fetch(`${endpoint}/?Action=ListQueues`)).ok, 60_000);
    } catch (err) {
      cleanup();
      throw err;
    }
    return { endpoint, stop: () => proc.stop().finally(cleanup) };
  }
}

/** Starts s3rver in this process on a random port. */
export async function startS3(buckets: string[]): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const directory = tempDir('kcl-ts-s3rver-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.close().finally(() => rmSync(directory, { recursive: true, force: true })) };
}

/** Creates an SQS queue; returns its URL. */
export async function createQueue(endpoint: string, name: string): Promise<string> {
  const sqs = await createSqs({ endpoint }, testEnv(), 'test');
  try {
    const res = await sqs.client.send(new sqs.sdk.CreateQueueCommand({ QueueName: name }));
    return res.QueueUrl!;
  } finally {
    sqs.client.destroy();
  }
}

/** Number of messages in a queue (visible + in flight). */
export async function queueDepth(endpoint: string, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const sqs = await createSqs({ endpoint }, testEnv(), 'test');
  try {
    const res = await sqs.client.send(
      new sqs.sdk.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(res.Attributes?.ApproximateNumberOfMessages), inFlight: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible) };
  } finally {
    sqs.client.destroy();
  }
}

/** Keys of the objects under a prefix. */
export async function listKeys(endpoint: string, bucket: string, prefix = ''): Promise<string[]> {
  const s3 = await createS3({ endpoint, forcePathStyle: true }, testEnv(), 'test');
  try {
    const res = await s3.client.send(new s3.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    s3.client.destroy();
  }
}

let seq = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** A dead letter; `data` as text or bytes. Sequence numbers increase with every call. */
export function deadLetter(over: Partial<DeadLetter> & { payload?: string | Buffer } = {}): DeadLetter {
  const { payload, ...rest } = over;
  seq += 1000n;
  return {
    version: 1,
    shardId: 'shardId-000000000000',
    partitionKey: 'k1',
    sequenceNumber: seq.toString(),
    subSequenceNumber: 0,
    approximateArrivalTimestamp: '2025-01-01T00:00:00.000Z',
    data: Buffer.from(payload ?? 'hello').toString('base64'),
    error: { name: 'Error', message: 'boom', code: 'E_TEST' },
    attempts: 5,
    failedAt: new Date().toISOString(),
    ...rest,
  };
}

/** A CliIO that records what it is given. */
export function captureIO(cwd = process.cwd(), env: NodeJS.ProcessEnv = testEnv()) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env, cwd },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** A payload of `bytes` bytes, different for every `seed`. */
export function bigPayload(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, Math.min(i, bytes - 4));
  return b;
}
