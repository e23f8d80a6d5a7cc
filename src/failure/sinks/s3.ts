import type { S3Client } from '@aws-sdk/client-s3';
import { describeValue } from '../../errors.js';
import { awsClientConfig, awsErrorText, loadOptional, type AwsClientOptions } from '../aws.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import { entryId, objectKey } from '../format.js';
import type { DeadLetter, DeadLetterSink } from '../types.js';

type S3Module = typeof import('@aws-sdk/client-s3');

/** An S3 client and its module, created on first use. */
export interface S3Access {
  client: S3Client;
  sdk: S3Module;
}

/** Creates an S3 client (loading `@aws-sdk/client-s3` now). */
export async function createS3(opts: AwsClientOptions, env: NodeJS.ProcessEnv, neededFor: string): Promise<S3Access> {
  const sdk = await loadOptional<S3Module>('@aws-sdk/client-s3', neededFor);
  const client = new sdk.S3Client(await awsClientConfig(opts, env, neededFor));
  return { client, sdk };
}

/** Stores one object; the body is JSON. */
export async function putJson(s3: S3Access, bucket: string, key: string, body: string): Promise<void> {
  await s3.client.send(new s3.sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
}

/** The S3 sink's key prefix when none is given (docker/ecs/iam-policy.json grants PutObject under it). */
export const S3_SINK_DEFAULT_PREFIX = 'dead-letters/';

/** Options of {@link S3Sink}. */
export interface S3SinkOptions {
  bucket: string;
  /** Key prefix; objects are `<prefix><shardId>/<sequenceNumber>-<subSequenceNumber>.json`. @default 'dead-letters/' */
  prefix?: string;
  /** S3 endpoint (emulators, VPC endpoints). Requests then use HTTP/1.1. */
  endpoint?: string;
  /** @default env.AWS_REGION */
  region?: string;
  /** Bucket in the path instead of the host name (needed by most emulators). @default true when `endpoint` is set */
  forcePathStyle?: boolean;
  /** Objects stored at once. @default 8 */
  concurrency?: number;
  /** Where credentials and region are read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * One S3 object per dead letter, at `<prefix><shardId>/<sequenceNumber>-<subSequenceNumber>.json`
 * (a record dead-lettered twice overwrites its own object). Needs `@aws-sdk/client-s3`.
 */
export class S3Sink implements DeadLetterSink {
  readonly description: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #concurrency: number;
  readonly #client: AwsClientOptions;
  readonly #env: NodeJS.ProcessEnv;
  #s3: Promise<S3Access> | undefined;

  constructor(options: S3SinkOptions) {
    if (typeof options?.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`bucket\` to be an S3 bucket name, got ${describeValue(options?.bucket)}`);
    }
    const prefix = options.prefix ?? S3_SINK_DEFAULT_PREFIX;
    if (typeof prefix !== 'string') throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`prefix\` to be a string, got ${describeValue(prefix)}`);
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`concurrency\` to be an integer >= 1, got ${describeValue(concurrency)}`);
    }
    this.#bucket = options.bucket;
    this.#prefix = prefix;
    this.#concurrency = concurrency;
    this.#client = { endpoint: options.endpoint, region: options.region, forcePathStyle: options.forcePathStyle ?? (options.endpoint ? true : undefined) };
    this.#env = options.env ?? process.env;
    this.description = `s3://${this.#bucket}/${this.#prefix}`;
  }

  #access(): Promise<S3Access> {
    this.#s3 ??= createS3(this.#client, this.#env, 'The S3 dead-letter sink').catch((err: unknown) => {
      this.#s3 = undefined;
      throw err;
    });
    return this.#s3;
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const s3 = await this.#access();
    let next = 0;
    const failures: string[] = [];
    let firstError: unknown;
    const worker = async () => {
      while (next < entries.length) {
        const e = entries[next++]!;
        const key = objectKey(this.#prefix, e);
        try {
          await putJson(s3, this.#bucket, key, JSON.stringify(e));
        } catch (err) {
          firstError ??= err;
          failures.push(`${entryId(e)} (${awsErrorText(err)})`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, entries.length) }, worker));
    if (failures.length > 0) {
      throw new FailureError(
        FailureErrorCode.SINK_WRITE,
        `Could not store ${failures.length} of ${entries.length} dead letters in ${this.description}: ${failures.slice(0, 3).join('; ')}; ` +
          'check the bucket exists and the role may s3:PutObject (kcl-ts retries, and does not checkpoint past them meanwhile)',
        { cause: firstError },
      );
    }
  }

  async close(): Promise<void> {
    const s3 = await this.#s3?.catch(() => undefined);
    s3?.client.destroy();
  }
}
