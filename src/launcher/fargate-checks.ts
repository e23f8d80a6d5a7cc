/**
 * Checks for running on ECS Fargate that the properties alone do not show. A `file:` dead-letter sink
 * there writes to the read-only root file system (every write fails: the checkpoint freezes) or to task
 * storage deleted with the task, after the checkpoint already passed the records it holds.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParsedProperties } from './properties.js';
import { splitExecutableName } from './properties.js';
import type { Diagnostic } from './validate.js';

/** How much of the consumer script is searched for a file sink. */
const SCRIPT_BYTES = 4 * 1024 * 1024;
const SCRIPT = /\.(?:m|c)?(?:js|ts)$/;
/** `new FileSink(`, or a `'file:` / `"file:` / `` `file: `` string literal (e.g. `createSink('file:/dlq')`). */
const FILE_SINK_IN_CODE = /\bFileSink\b|['"`]file:/;

/** True on ECS Fargate (the platform sets `AWS_EXECUTION_ENV=AWS_ECS_FARGATE` in every container). */
export function onFargate(env: NodeJS.ProcessEnv): boolean {
  return env.AWS_EXECUTION_ENV === 'AWS_ECS_FARGATE';
}

/** The first part of a file, as text ('' when it cannot be read). */
function head(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(SCRIPT_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, SCRIPT_BYTES, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * On Fargate, a warning when a `file:` dead-letter sink is in sight: an environment variable whose
 * value starts with `file:` (e.g. `DEAD_LETTERS=file:/data/dlq`, passed to `createSink`), or the
 * consumer script named in `executableName` mentioning `FileSink` or a `file:` string.
 */
export function checkFileSinkOnFargate(parsed: ParsedProperties | undefined, ctx: { env: NodeJS.ProcessEnv; cwd: string }): Diagnostic[] {
  if (!onFargate(ctx.env)) return [];
  const found: string[] = [];
  for (const [name, value] of Object.entries(ctx.env)) if (value?.startsWith('file:')) found.push(`environment variable ${name}=${value}`);
  const entry = parsed?.entries.get('executableName');
  const script = entry ? splitExecutableName(entry.value).slice(1).find((a) => !a.startsWith('-') && SCRIPT.test(a)) : undefined;
  if (script && FILE_SINK_IN_CODE.test(head(resolve(ctx.cwd, script)))) found.push(`the consumer ${script} (FileSink or a \`file:\` string)`);
  if (found.length === 0) return [];
  return [
    {
      level: 'warning',
      ...(entry ? { key: entry.key, line: entry.line } : {}),
      message:
        `a file: dead-letter sink on ECS Fargate (${found.join('; ')}): the root file system is read-only (every dead-letter ` +
        'write fails and the checkpoint freezes) and task volumes are deleted with the task, after the checkpoint already passed the records they hold',
      fix: 'use an `sqs:<queueUrl>` or `s3://bucket/prefix` sink (docker/ecs/iam-policy.json has the statements)',
    },
  ];
}
