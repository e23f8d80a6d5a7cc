import { FailureError, FailureErrorCode } from '../errors.js';
import { parseLocation } from '../spec.js';
import type { DeadLetterSink } from '../types.js';
import { FileSink } from './file.js';
import { S3Sink } from './s3.js';
import { SqsSink } from './sqs.js';

/**
 * A sink from a spec string (`file:/dir`, `sqs:<queueUrl>`, `s3://bucket/prefix`; see
 * {@link parseLocation} for the environment variables it reads), or the given sink itself.
 * @throws {FailureError} `BAD_SPEC` for a spec it cannot use.
 */
export function createSink(spec: string | DeadLetterSink, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): DeadLetterSink {
  if (typeof spec === 'object' && spec !== null && typeof spec.write === 'function') return spec;
  if (typeof spec !== 'string') {
    throw new FailureError(FailureErrorCode.BAD_SPEC, 'Expected a dead-letter sink (an object with `write(entries)`) or a spec string such as `file:/var/dlq`');
  }
  const loc = parseLocation(spec, env, cwd);
  switch (loc.kind) {
    case 'file':
      return new FileSink({ dir: loc.dir });
    case 'sqs':
      return new SqsSink({ ...loc, env });
    case 's3':
      return new S3Sink({ ...loc, env });
  }
}
