import { awsErrorText } from '../aws.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import { entryId, objectKey, parseDeadLetter } from '../format.js';
import { createS3, type S3Access } from '../sinks/s3.js';
import { createSqs, SQS_LARGE_PAYLOAD_DEFAULT_PREFIX, type SqsAccess } from '../sinks/sqs.js';
import type { DeadLetter, DeadLetterDataRef } from '../types.js';
import { getDeadLetter } from './s3.js';
import { summarize, type DeadLetterSource, type OpenDeadLettersOptions, type ReplayItem } from './types.js';

/** Where the SQS source connects. */
export interface SqsLocation {
  queueUrl: string;
  endpoint?: string;
  region?: string;
  s3Endpoint?: string;
  /**
   * The SqsSink's `largePayloadBucket`: a claim-check message is only followed into this bucket.
   * Without it, claim-check messages are skipped (reported, left in the queue).
   */
  largePayloadBucket?: string;
  /** The SqsSink's `largePayloadPrefix`: a claim check must name exactly the key the sink writes. @default 'sqs-payloads/' */
  largePayloadPrefix?: string;
}

/**
 * The dead letters of an SqsSink queue: receives until a receive comes back empty; claim-check
 * messages get their entry from S3. Ack deletes the message (then its S3 object); messages not acked
 * are made visible again at `close()`.
 *
 * A message body is input anyone allowed to send to the queue controls: a claim check is followed only
 * into the configured large-payload bucket and only to the key the sink writes for that very entry;
 * anything else, and a claim check whose object is missing, is skipped with a report and left in the
 * queue (its object is neither read nor deleted). Inline entries are held until replayed (SQS cannot
 * read one message again); claim-check payloads are read from S3 again when replayed.
 */
export class SqsSource implements DeadLetterSource {
  readonly description: string;
  readonly #loc: SqsLocation;
  readonly #env: NodeJS.ProcessEnv;
  readonly #opts: OpenDeadLettersOptions;
  /** Receipt handles of messages received and neither acked nor released. */
  readonly #held = new Map<string, string>();
  #sqs: SqsAccess | undefined;
  #s3: S3Access | undefined;

  constructor(loc: SqsLocation, env: NodeJS.ProcessEnv, opts: OpenDeadLettersOptions) {
    this.#loc = loc;
    this.#env = env;
    this.#opts = opts;
    this.description = `sqs:${loc.queueUrl}`;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplayItem> {
    const sqs = (this.#sqs ??= await createSqs({ endpoint: this.#loc.endpoint, region: this.#loc.region }, this.#env, 'Reading dead letters from SQS'));
    for (;;) {
      let res;
      try {
        res = await sqs.client.send(
          new sqs.sdk.ReceiveMessageCommand({
            QueueUrl: this.#loc.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: this.#opts.waitTimeSeconds ?? 1,
            VisibilityTimeout: this.#opts.visibilityTimeoutSeconds ?? 900,
          }),
        );
      } catch (err) {
        throw new FailureError(FailureErrorCode.SOURCE, `Cannot receive from ${this.description}: ${awsErrorText(err)}`, { cause: err });
      }
      const messages = res.Messages ?? [];
      if (messages.length === 0) return;
      for (const m of messages) {
        const id = m.MessageId!;
        if (this.#held.has(id)) continue; // seen already (its visibility ran out): keep the newer handle only
        this.#held.set(id, m.ReceiptHandle!);
        let entry: DeadLetter;
        let ref: DeadLetterDataRef | undefined;
        try {
          entry = parseDeadLetter(m.Body ?? '', `SQS message ${id}`, true);
          ref = entry.dataRef;
          if (ref) entry = await this.#resolve(entry, ref, id);
        } catch (err) {
          if (!(err instanceof FailureError && err.code === FailureErrorCode.INVALID_ENTRY)) throw err;
          this.#opts.onInvalid?.(`SQS message ${id}`, err);
          continue;
        }
        // A claim check's payload is read from S3 again when replayed: its closure keeps the summary only.
        const summary = summarize(entry);
        const claim = ref;
        const inline = claim ? undefined : entry;
        yield {
          entry: summary,
          where: `SQS message ${id}`,
          load: claim ? () => this.#resolve(summary, claim, id) : () => Promise.resolve(inline!),
          ack: () => this.#ack(id, claim),
        };
      }
    }
  }

  /**
   * The full entry of a claim-check message, from S3, after checking the pointer names the configured
   * bucket and the key the sink writes for this entry.
   */
  async #resolve(body: Pick<DeadLetter, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>, ref: DeadLetterDataRef, id: string): Promise<DeadLetter> {
    const bucket = this.#loc.largePayloadBucket;
    const expectedKey = objectKey(this.#loc.largePayloadPrefix ?? SQS_LARGE_PAYLOAD_DEFAULT_PREFIX, body);
    const pointer = `s3://${JSON.stringify(ref.bucket).slice(1, -1)}/${JSON.stringify(ref.key).slice(1, -1)}`;
    const refuse = (why: string) => new FailureError(FailureErrorCode.INVALID_ENTRY, `SQS message ${id} points to ${pointer}, ${why}: not followed`);
    if (!bucket) throw refuse('but no large-payload bucket is configured (set KCL_TS_SQS_LARGE_PAYLOAD_BUCKET to the SqsSink\'s largePayloadBucket)');
    if (ref.bucket !== bucket) throw refuse(`outside the configured large-payload bucket ${bucket}`);
    if (ref.key !== expectedKey) throw refuse(`not ${expectedKey}, the key the SQS sink writes for ${entryId(body)}`);
    const endpoint = this.#loc.s3Endpoint;
    this.#s3 ??= await createS3({ endpoint, region: this.#loc.region, forcePathStyle: endpoint ? true : undefined }, this.#env, 'Reading claim-check dead letters from S3');
    const full = await getDeadLetter(this.#s3, bucket, expectedKey);
    if (entryId(full) !== entryId(body)) {
      throw new FailureError(FailureErrorCode.INVALID_ENTRY, `SQS message ${id} points to ${pointer}, which holds ${entryId(full)}, not ${entryId(body)}`);
    }
    const { dataRef: _ref, ...entry } = full;
    return entry;
  }

  async #ack(id: string, ref: DeadLetterDataRef | undefined): Promise<void> {
    if (this.#opts.readOnly) throw new FailureError(FailureErrorCode.SOURCE, `${this.description} was opened read-only (dry run): nothing can be acked`);
    const handle = this.#held.get(id);
    if (handle === undefined) return;
    const sqs = this.#sqs!;
    try {
      await sqs.client.send(new sqs.sdk.DeleteMessageCommand({ QueueUrl: this.#loc.queueUrl, ReceiptHandle: handle }));
    } catch (err) {
      throw new FailureError(FailureErrorCode.SOURCE, `Cannot delete replayed SQS message ${id}: ${awsErrorText(err)}`, { cause: err });
    }
    this.#held.delete(id);
    // The message is the entry: once it is gone, a leftover payload object is only storage.
    if (ref && this.#s3) {
      await this.#s3.client.send(new this.#s3.sdk.DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key })).catch((err: unknown) => {
        this.#opts.onWarning?.(`could not delete the payload s3://${ref.bucket}/${ref.key} of replayed message ${id}: ${awsErrorText(err)}`);
      });
    }
  }

  /** Makes every message not acked visible again at once. */
  async close(): Promise<void> {
    const sqs = this.#sqs;
    const held = [...this.#held.values()];
    this.#held.clear();
    try {
      for (let i = 0; sqs && i < held.length; i += 10) {
        await sqs.client
          .send(
            new sqs.sdk.ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.#loc.queueUrl,
              Entries: held.slice(i, i + 10).map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
            }),
          )
          .catch((err: unknown) => this.#opts.onWarning?.(`could not release SQS messages (they reappear after the visibility timeout): ${awsErrorText(err)}`));
      }
    } finally {
      sqs?.client.destroy();
      this.#s3?.client.destroy();
    }
  }
}
