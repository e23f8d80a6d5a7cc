import { awsErrorText } from '../aws.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import { entryId, parseDeadLetter } from '../format.js';
import { createS3, type S3Access } from '../sinks/s3.js';
import type { AwsClientOptions } from '../aws.js';
import type { DeadLetter } from '../types.js';
import { summarize, type DeadLetterSource, type OpenDeadLettersOptions, type ReplayItem } from './types.js';

/** Reads an S3 object as text. */
export async function getText(s3: S3Access, bucket: string, key: string): Promise<string> {
  const res = await s3.client.send(new s3.sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await res.Body?.transformToString('utf8')) ?? '';
}

/** S3 error names of an object that is not there (any more). */
const MISSING = new Set(['NoSuchKey', 'NotFound']);

/**
 * Reads the stored dead letter of an S3 object.
 * @throws {FailureError} `INVALID_ENTRY` when the object is missing or not a dead letter (its content
 * is never quoted), `SOURCE` when S3 could not be read.
 */
export async function getDeadLetter(s3: S3Access, bucket: string, key: string): Promise<DeadLetter> {
  let text: string;
  try {
    text = await getText(s3, bucket, key);
  } catch (err) {
    if (MISSING.has((err as Error)?.name)) {
      throw new FailureError(FailureErrorCode.INVALID_ENTRY, `s3://${bucket}/${key} does not exist (any more)`, { cause: err });
    }
    throw new FailureError(FailureErrorCode.SOURCE, `Cannot read s3://${bucket}/${key}: ${awsErrorText(err)}`, { cause: err });
  }
  return parseDeadLetter(text, `s3://${bucket}/${key}`);
}

/** The dead letters of an S3Sink: every `.json` object under the prefix; ack deletes the object. */
export class S3Source implements DeadLetterSource {
  readonly description: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #client: AwsClientOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #opts: OpenDeadLettersOptions;
  #s3: S3Access | undefined;

  constructor(loc: { bucket: string; prefix: string } & AwsClientOptions, env: NodeJS.ProcessEnv, opts: OpenDeadLettersOptions) {
    this.#bucket = loc.bucket;
    this.#prefix = loc.prefix;
    this.#client = { endpoint: loc.endpoint, region: loc.region, forcePathStyle: loc.forcePathStyle };
    this.#env = env;
    this.#opts = opts;
    this.description = `s3://${loc.bucket}/${loc.prefix}`;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplayItem> {
    const s3 = (this.#s3 ??= await createS3(this.#client, this.#env, 'Reading dead letters from S3'));
    let token: string | undefined;
    do {
      let page;
      try {
        page = await s3.client.send(new s3.sdk.ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken: token }));
      } catch (err) {
        throw new FailureError(FailureErrorCode.SOURCE, `Cannot list ${this.description}: ${awsErrorText(err)}`, { cause: err });
      }
      const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('.json'));
      // Fetch a page's objects 8 at a time, hand them out in key order.
      for (let i = 0; i < keys.length; i += 8) {
        const got = await Promise.all(keys.slice(i, i + 8).map((key) => getDeadLetter(s3, this.#bucket, key).catch((err: unknown) => err)));
        for (const [j, res] of got.entries()) {
          const key = keys[i + j]!;
          if (res instanceof FailureError && res.code === FailureErrorCode.INVALID_ENTRY) this.#opts.onInvalid?.(key, res);
          else if (res instanceof Error) throw res;
          else {
            const id = entryId(res as DeadLetter); // the closures keep the id, not the entry and its payload
            yield { entry: summarize(res as DeadLetter), where: key, load: () => this.#load(s3, key, id), ack: () => this.#delete(s3, key) };
          }
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The object again, when it is replayed (only summaries are held meanwhile). */
  async #load(s3: S3Access, key: string, id: string): Promise<DeadLetter> {
    const entry = await getDeadLetter(s3, this.#bucket, key);
    if (entryId(entry) !== id) throw new FailureError(FailureErrorCode.INVALID_ENTRY, `s3://${this.#bucket}/${key} changed while it was being replayed`);
    return entry;
  }

  async #delete(s3: S3Access, key: string): Promise<void> {
    if (this.#opts.readOnly) throw new FailureError(FailureErrorCode.SOURCE, `${this.description} was opened read-only (dry run): nothing can be acked`);
    try {
      await s3.client.send(new s3.sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      throw new FailureError(FailureErrorCode.SOURCE, `Cannot delete replayed s3://${this.#bucket}/${key}: ${awsErrorText(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.#s3?.client.destroy();
  }
}
