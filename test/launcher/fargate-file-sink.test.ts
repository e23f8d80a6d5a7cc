// Issue 14, item 6: a file: dead-letter sink on ECS Fargate is lost data waiting to happen (read-only
// root, or task storage deleted after the checkpoint passed the records): validate and doctor warn.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctorChecks } from '../../src/launcher/doctor.js';
import { runValidate } from '../../src/launcher/validate.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('kcl-ts-fargate-');
after(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string, consumer: string): string {
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, consumer);
  const props = join(dir, `${name}.properties`);
  writeFileSync(
    props,
    [
      `executableName = ${process.execPath} ${script}`,
      'applicationName = orders',
      'streamName = orders',
      'AWSCredentialsProvider = DefaultCredentialsProvider',
      'regionName = eu-west-1',
      'shutdownGraceMillis = 25000',
      '',
    ].join('\n'),
  );
  return props;
}

function validate(props: string, env: NodeJS.ProcessEnv): { code: number; out: string } {
  const out: string[] = [];
  const io = { cwd: dir, env: { PATH: process.env.PATH, ...env }, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } };
  const code = runValidate(props, io as never);
  return { code, out: out.join('') };
}

const FARGATE = { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' };
const fileConsumer = project('file-sink', "import { createSink } from 'kcl-ts/failure';\nexport const sink = createSink('file:/var/lib/orders/dlq');\n");
const sqsConsumer = project('sqs-sink', "import { createSink } from 'kcl-ts/failure';\nexport const sink = createSink(process.env.DLQ);\n");

test('validate on Fargate: a file: sink in the consumer is a warning naming the risk and the fix (not an error)', () => {
  const { code, out } = validate(fileConsumer, FARGATE);
  assert.equal(code, 0, out);
  assert.match(out, /warning: a file: dead-letter sink on ECS Fargate \(the consumer .*file-sink\.mjs \(FileSink or a `file:` string\)\)/);
  assert.match(out, /root file system is read-only/);
  assert.match(out, /fix: use an `sqs:<queueUrl>` or `s3:\/\/bucket\/prefix` sink/);
});

test('validate on Fargate: a file: location in the environment is named', () => {
  const { out } = validate(sqsConsumer, { ...FARGATE, DLQ: 'file:/tmp/dlq' });
  assert.match(out, /a file: dead-letter sink on ECS Fargate \(environment variable DLQ=file:\/tmp\/dlq\)/);
});

test('no warning off Fargate, or with an SQS sink on Fargate', () => {
  assert.doesNotMatch(validate(fileConsumer, {}).out, /Fargate/);
  assert.doesNotMatch(validate(sqsConsumer, { ...FARGATE, DLQ: 'sqs:https://sqs.eu-west-1.amazonaws.com/1/q' }).out, /Fargate/);
});

test('doctor on Fargate shows the warning with the properties check', async () => {
  const io = { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...FARGATE }, stdout: { write: () => true }, stderr: { write: () => true } };
  const checks = await doctorChecks({ propertiesFile: fileConsumer, io: io as never });
  const props = checks.find((c) => c.name === 'properties')!;
  assert.match(props.detail, /1 warning\(s\)/);
  assert.match(props.fix ?? '', /file: dead-letter sink on ECS Fargate/);
});
