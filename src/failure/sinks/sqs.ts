import type { SQSClient } from '@aws-sdk/client-sqs';
import { describeValue } from '../../errors.js';
import { awsClientConfig, awsErrorText, loadOptional, type AwsClientOptions } from '../aws.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import { entryId, objectKey } from '../format.js';
import type { DeadLetter, DeadLetterSink } from '../types.js';
import { createS3, putJson, type S3Access } from './s3.js';

type SqsModule = typeof import('@aws-sdk/client-sqs');

/** An SQS client and its module, created on first use. */
export interface SqsAccess {
  client: SQSClient;
  sdk: SqsModule;
}

/** Creates an SQS client (loading `@aws-sdk/client-sqs` now). */
export async function createSqs(opts: AwsClientOptions, env: NodeJS.ProcessEnv, neededFor: string): Promise<SqsAccess> {
  const sdk = await loadOptional<SqsModule>('@aws-sdk/client-sqs', neededFor);
  return { client: new sdk.SQSClient(await awsClientConfig(opts, env, neededFor)), sdk };
}

/** SQS's classic message size limit, which also bounds one SendMessageBatch call. */
export const SQS_MAX_BYTES = 256 * 1024;

/** Key prefix of the SQS sink's large-payload objects when none is given (also where replay follows claim checks). */
export const SQS_LARGE_PAYLOAD_DEFAULT_PREFIX = 'sqs-payloads/';

/** Options of {@link SqsSink}. */
export interface SqsSinkOptions {
  queueUrl: string;
  /** SQS endpoint (ElasticMQ, LocalStack, VPC endpoints). Requests then use HTTP/1.1. */
  endpoint?: string;
  /** @default env.AWS_REGION */
  region?: string;
  /**
   * Bucket for dead letters too large for one message (a 1 MB record is about 1.4 MB as a dead
   * letter): the entry goes to S3 and the message carries it without `data`, plus `dataRef`.
   * Without it, such an entry fails.
   */
  largePayloadBucket?: string;
  /** Key prefix of those objects. @default 'sqs-payloads/' */
  largePayloadPrefix?: string;
  /** S3 endpoint for `largePayloadBucket` (emulators); path-style addressing is then used. */
  s3Endpoint?: string;
  /**
   * Largest message body sent, and largest SendMessageBatch payload. AWS now accepts up to 1 MiB
   * when the queue's MaximumMessageSize allows it; 256 KiB works with every queue and emulator.
   * @default 262144
   */
  maxMessageBytes?: number;
  /** Where credentials and region are read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

interface Outgoing {
  entry: DeadLetter;
  body: string;
  bytes: number;
}

/**
 * Sends each dead letter as one SQS message (the DeadLetter JSON), in SendMessageBatch calls of up to
 * 10 messages and `maxMessageBytes`. FIFO queues (`.fifo`) get the shard as message group and the
 * record's position as deduplication id. Needs `@aws-sdk/client-sqs` (and `@aws-sdk/client-s3` for
 * `largePayloadBucket`).
 */
export class SqsSink implements DeadLetterSink {
  readonly description: string;
  readonly #opts: SqsSinkOptions;
  readonly #max: number;
  readonly #prefix: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #fifo: boolean;
  #sqs: Promise<SqsAccess> | undefined;
  #s3: Promise<S3Access> | undefined;

  constructor(options: SqsSinkOptions) {
    if (typeof options?.queueUrl !== 'string' || !/^https?:\/\/[^/]+\/.+/.test(options.queueUrl)) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`queueUrl\` to be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>), got ${describeValue(options?.queueUrl)}`);
    }
    const max = options.maxMessageBytes ?? SQS_MAX_BYTES;
    if (!Number.isInteger(max) || max < 1024) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`maxMessageBytes\` to be an integer >= 1024, got ${describeValue(max)}`);
    }
    if (options.largePayloadBucket !== undefined && (typeof options.largePayloadBucket !== 'string' || options.largePayloadBucket === '')) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`largePayloadBucket\` to be an S3 bucket name, got ${describeValue(options.largePayloadBucket)}`);
    }
    this.#opts = options;
    this.#max = max;
    this.#prefix = options.largePayloadPrefix ?? SQS_LARGE_PAYLOAD_DEFAULT_PREFIX;
    this.#env = options.env ?? process.env;
    this.#fifo = options.queueUrl.endsWith('.fifo');
    this.description = `sqs:${options.queueUrl}`;
  }

  #sqsAccess(): Promise<SqsAccess> {
    this.#sqs ??= createSqs({ endpoint: this.#opts.endpoint, region: this.#opts.region }, this.#env, 'The SQS dead-letter sink').catch((err: unknown) => {
      this.#sqs = undefined;
      throw err;
    });
    return this.#sqs;
  }

  #s3Access(): Promise<S3Access> {
    const endpoint = this.#opts.s3Endpoint;
    this.#s3 ??= createS3({ endpoint, region: this.#opts.region, forcePathStyle: endpoint ? true : undefined }, this.#env, 'The SQS dead-letter sink (largePayloadBucket)').catch(
      (err: unknown) => {
        this.#s3 = undefined;
        throw err;
      },
    );
    return this.#s3;
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const sqs = await this.#sqsAccess();
    const out = await Promise.all(entries.map((e) => this.#prepare(e)));
    const failures: string[] = [];
    let firstError: unknown;
    for (const batch of batches(out, this.#max)) {
      try {
        const res = await sqs.client.send(
          new sqs.sdk.SendMessageBatchCommand({
            QueueUrl: this.#opts.queueUrl,
            Entries: batch.map((o, i) => ({
              Id: String(i),
              MessageBody: o.body,
              ...(this.#fifo ? { MessageGroupId: o.entry.shardId, MessageDeduplicationId: `${o.entry.sequenceNumber}-${o.entry.subSequenceNumber}` } : {}),
            })),
          }),
        );
        for (const f of res.Failed ?? []) failures.push(`${entryId(batch[Number(f.Id)]!.entry)} (${f.Code}: ${f.Message ?? ''})`);
      } catch (err) {
        firstError ??= err;
        for (const o of batch) failures.push(`${entryId(o.entry)} (${awsErrorText(err)})`);
      }
    }
    if (failures.length > 0) {
      throw new FailureError(
        FailureErrorCode.SINK_WRITE,
        `Could not send ${failures.length} of ${entries.length} dead letters to ${this.description}: ${failures.slice(0, 3).join('; ')}; ` +
          'check the queue exists and the role may sqs:SendMessage (kcl-ts retries, and does not checkpoint past them meanwhile)',
        { cause: firstError },
      );
    }
  }

  /** The message body of an entry: the entry itself, or a claim check when it is too large. */
  async #prepare(entry: DeadLetter): Promise<Outgoing> {
    const body = JSON.stringify(entry);
    const bytes = Buffer.byteLength(body);
    if (bytes <= this.#max) return { entry, body, bytes };
    const bucket = this.#opts.largePayloadBucket;
    if (!bucket) {
      throw new FailureError(
        FailureErrorCode.ENTRY_TOO_LARGE,
        `Dead letter ${entryId(entry)} is ${bytes} bytes, more than SQS takes in one message (${this.#max} bytes): set the SqsSink option ` +
          '`largePayloadBucket` (env KCL_TS_SQS_LARGE_PAYLOAD_BUCKET) to store large entries in S3, or use a file: or s3:// sink. ' +
          'Until then this write fails on every retry and the checkpoint stays before this record',
      );
    }
    const key = objectKey(this.#prefix, entry);
    try {
      await putJson(await this.#s3Access(), bucket, key, body);
    } catch (err) {
      if (err instanceof FailureError) throw err;
      throw new FailureError(FailureErrorCode.SINK_WRITE, `Could not store the ${bytes}-byte dead letter ${entryId(entry)} in s3://${bucket}/${key}: ${awsErrorText(err)}`, {
        cause: err,
      });
    }
    const { data: _data, ...rest } = entry;
    const claim = JSON.stringify({ ...rest, dataRef: { bucket, key } });
    return { entry, body: claim, bytes: Buffer.byteLength(claim) };
  }

  async close(): Promise<void> {
    (await this.#sqs?.catch(() => undefined))?.client.destroy();
    (await this.#s3?.catch(() => undefined))?.client.destroy();
  }
}

/** Groups messages in order: at most 10 per batch and `maxBytes` of bodies per batch. */
function* batches(out: readonly Outgoing[], maxBytes: number): Generator<Outgoing[]> {
  let batch: Outgoing[] = [];
  let bytes = 0;
  for (const o of out) {
    if (batch.length === 10 || (batch.length > 0 && bytes + o.bytes > maxBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(o);
    bytes += o.bytes;
  }
  if (batch.length > 0) yield batch;
}
