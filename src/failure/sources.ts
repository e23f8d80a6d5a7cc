import { FileSource } from './sources/file.js';
import { S3Source } from './sources/s3.js';
import { SqsSource } from './sources/sqs.js';
import type { DeadLetterSource, OpenDeadLettersOptions } from './sources/types.js';
import { parseLocation } from './spec.js';

export type { DeadLetterSource, OpenDeadLettersOptions, ReplayItem } from './sources/types.js';

/**
 * Opens stored dead letters for replay: `file:/dir` (every `*.jsonl`, oldest first), `sqs:<queueUrl>`
 * or `s3://bucket/prefix` (same forms and environment as `createSink`). Iterate it, `ack()` each entry
 * only after it was replayed, and always `close()` it.
 */
export function openDeadLetters(spec: string, env: NodeJS.ProcessEnv = process.env, opts: OpenDeadLettersOptions = {}): DeadLetterSource {
  const loc = parseLocation(spec, env, opts.cwd);
  switch (loc.kind) {
    case 'file':
      return new FileSource(loc.dir, opts);
    case 'sqs':
      return new SqsSource(loc, env, opts);
    case 's3':
      return new S3Source(loc, env, opts);
  }
}
