import { isAbsolute, resolve } from 'node:path';
import { describeValue } from '../errors.js';
import { FailureError, FailureErrorCode } from './errors.js';
import { S3_SINK_DEFAULT_PREFIX } from './sinks/s3.js';

/** A parsed dead-letter location: where sinks write and `kcl-ts replay --from` reads. */
export type DeadLetterLocation =
  | { kind: 'file'; dir: string }
  | { kind: 'sqs'; queueUrl: string; endpoint?: string; region?: string; largePayloadBucket?: string; largePayloadPrefix?: string; s3Endpoint?: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string; forcePathStyle?: boolean };

const FORMS = '`file:/path/to/dir`, `sqs:https://sqs.<region>.amazonaws.com/<account>/<queue>` or `s3://<bucket>/<prefix>`';

/**
 * Parses a location spec. Endpoints come from the environment: `KCL_TS_SQS_ENDPOINT` or
 * `AWS_ENDPOINT_URL_SQS`, `KCL_TS_S3_ENDPOINT` or `AWS_ENDPOINT_URL_S3` (S3 then uses path-style
 * addressing unless `KCL_TS_S3_FORCE_PATH_STYLE=false`); the region from `AWS_REGION`; the SQS sink's
 * large-payload bucket from `KCL_TS_SQS_LARGE_PAYLOAD_BUCKET` and its key prefix from `KCL_TS_SQS_LARGE_PAYLOAD_PREFIX`
 * (default `sqs-payloads/`). A relative file path resolves against `cwd`.
 * @throws {FailureError} `BAD_SPEC` showing the accepted forms.
 */
export function parseLocation(spec: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): DeadLetterLocation {
  const bad = (why: string) => new FailureError(FailureErrorCode.BAD_SPEC, `Cannot use dead-letter location ${describeValue(spec)}: ${why}; expected ${FORMS}`);
  if (typeof spec !== 'string' || spec.trim() === '') throw bad('it is empty');
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const s3Endpoint = env.KCL_TS_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || undefined;
  if (spec.startsWith('file:')) {
    let path = spec.slice('file:'.length);
    if (path.startsWith('//')) path = path.slice(2); // file:///abs/dir
    if (path === '') throw bad('no folder after `file:`');
    return { kind: 'file', dir: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (spec.startsWith('sqs:')) {
    const queueUrl = spec.slice('sqs:'.length);
    if (!/^https?:\/\/[^/]+\/.+/.test(queueUrl)) throw bad('`sqs:` must be followed by the queue URL');
    const largePayloadBucket = env.KCL_TS_SQS_LARGE_PAYLOAD_BUCKET || undefined;
    const largePayloadPrefix = env.KCL_TS_SQS_LARGE_PAYLOAD_PREFIX || undefined;
    return {
      kind: 'sqs',
      queueUrl,
      endpoint: env.KCL_TS_SQS_ENDPOINT || env.AWS_ENDPOINT_URL_SQS || undefined,
      region,
      ...(largePayloadBucket ? { largePayloadBucket } : {}),
      ...(largePayloadPrefix ? { largePayloadPrefix } : {}),
      ...(s3Endpoint ? { s3Endpoint } : {}),
    };
  }
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    let prefix = slash < 0 ? '' : rest.slice(slash + 1);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw bad(`\`${bucket}\` is not an S3 bucket name`);
    if (prefix === '') prefix = S3_SINK_DEFAULT_PREFIX;
    else if (!prefix.endsWith('/')) prefix += '/';
    return {
      kind: 's3',
      bucket,
      prefix,
      endpoint: s3Endpoint,
      region,
      ...(s3Endpoint ? { forcePathStyle: env.KCL_TS_S3_FORCE_PATH_STYLE !== 'false' } : {}),
    };
  }
  throw bad('unknown scheme');
}
