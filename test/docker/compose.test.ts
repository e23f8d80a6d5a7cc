// docker/compose.yaml, parsed (npm `yaml`, with compose's `<<` merge keys) and checked against
// docker/compose.properties and the files it names: there is no Docker engine here to `config` or `up` it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseProperties } from '../../src/launcher/properties.js';
import { validateProperties } from '../../src/launcher/validate.js';
import { dockerDir, millis, readProperties, readText, repoRoot } from './files.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  init?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  restart?: string;
}

const compose = parse(readText('docker', 'compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const props = readProperties('docker', 'compose.properties');

function seconds(duration: string | undefined): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '');
  assert.ok(m, `a duration like 20s, got ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

test('services: localstack, a one-shot setup, the consumer and a producer', () => {
  assert.deepEqual(Object.keys(services).sort(), ['consumer', 'localstack', 'producer', 'setup']);
});

test('localstack: pinned tag, Kinesis + DynamoDB, health check on /_localstack/health covering both, optional auth token', () => {
  const ls = services.localstack!;
  assert.match(ls.image ?? '', /^localstack\/localstack:\d+\.\d+\.\d+$/, 'a pinned version, not latest');
  assert.deepEqual(ls.environment?.SERVICES?.split(',').sort(), ['dynamodb', 'kinesis']);
  assert.equal(ls.environment?.LOCALSTACK_AUTH_TOKEN, '${LOCALSTACK_AUTH_TOKEN:-}', 'passed through when set');
  const check = (ls.healthcheck?.test ?? []).join(' ');
  assert.match(check, /^CMD /);
  assert.match(check, /http:\/\/localhost:4566\/_localstack\/health/);
  assert.match(check, /'kinesis'/);
  assert.match(check, /'dynamodb'/);
  assert.ok((ls.healthcheck?.retries ?? 0) * seconds(ls.healthcheck?.interval) >= 60, 'waits at least a minute for start-up');
  assert.ok(ls.ports?.includes('127.0.0.1:4566:4566'), 'edge port published on localhost only');
});

test('the consumer: built from docker/Dockerfile in the repository, starts after LocalStack is healthy and setup succeeded', () => {
  const consumer = services.consumer!;
  assert.ok(consumer.build, 'built, not pulled');
  assert.equal(resolve(dockerDir, consumer.build.context), resolve(repoRoot));
  assert.ok(existsSync(join(resolve(dockerDir, consumer.build.context), consumer.build.dockerfile)));
  assert.equal(consumer.build.dockerfile, 'docker/Dockerfile');
  assert.deepEqual(consumer.depends_on, { localstack: { condition: 'service_healthy' }, setup: { condition: 'service_completed_successfully' } });
  assert.deepEqual(services.setup!.depends_on, { localstack: { condition: 'service_healthy' } });
  assert.deepEqual(services.producer!.depends_on, { setup: { condition: 'service_completed_successfully' } });
  assert.equal(services.setup!.restart, 'no', 'setup is one-shot');
  for (const name of ['setup', 'producer']) {
    assert.equal(services[name]!.image, consumer.image, `${name} runs from the consumer image`);
    assert.deepEqual(services[name]!.entrypoint, ['node', '/opt/kcl-ts/docker/compose-tools.mjs']);
    assert.equal(services[name]!.healthcheck?.disable, true, `${name} is not the daemon: the image's HEALTHCHECK does not apply`);
  }
  assert.deepEqual(services.setup!.command, ['setup']);
  assert.deepEqual(services.producer!.command, ['produce']);
  assert.ok(existsSync(join(dockerDir, 'compose-tools.mjs')));
});

test('the consumer gets compose.properties, and a stop grace period longer than the daemon needs to stop', () => {
  const consumer = services.consumer!;
  const target = consumer.environment?.KCL_TS_PROPERTIES;
  assert.ok(consumer.volumes?.includes(`./compose.properties:${target}:ro`), `compose.properties is mounted at ${target}`);
  assert.equal(consumer.environment?.KCL_TS_LOG_CONFIG, '/opt/kcl-ts/properties/logback-warn.xml');
  assert.ok(existsSync(join(repoRoot, 'properties', 'logback-warn.xml')));
  assert.equal(consumer.init, true, 'tini as PID 1 reaps orphans');
  assert.equal(consumer.stop_signal, 'SIGTERM');
  const needed = (millis(props, 'shutdownGraceMillis') + millis(props, 'failoverTimeMillis')) / 1000;
  assert.ok(seconds(consumer.stop_grace_period) > needed, `stop_grace_period ${consumer.stop_grace_period} > ${needed} s`);
  assert.ok(millis(props, 'shutdownGraceMillis') > millis(props, 'failoverTimeMillis'), 'shutdownGraceMillis > failoverTimeMillis');
  for (const [k, v] of Object.entries({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true' })) {
    assert.equal(consumer.environment?.[k], v);
  }
  assert.equal(consumer.environment?.AWS_REGION, props.get('regionName'), 'the SDK region matches regionName');
});

test('endpoints and names agree: compose.properties, the setup and producer services, LocalStack service and port', () => {
  const expected = 'http://localstack:4566';
  assert.ok(services.localstack, 'the endpoint host is the LocalStack service name');
  assert.equal(props.get('kinesisEndpoint'), expected);
  assert.equal(props.get('dynamoDBEndpoint'), expected);
  const setup = services.setup!.environment!;
  assert.equal(setup.KINESIS_ENDPOINT, props.get('kinesisEndpoint'));
  assert.equal(setup.DYNAMODB_ENDPOINT, props.get('dynamoDBEndpoint'));
  assert.equal(setup.APP_NAME, props.get('applicationName'), 'the lease table setup creates is the one the daemon uses');
  assert.equal(setup.STREAM_NAME, props.get('streamName'));
  assert.equal(services.producer!.environment!.STREAM_NAME, props.get('streamName'));
  assert.equal(services.producer!.environment!.KINESIS_ENDPOINT, props.get('kinesisEndpoint'));
  assert.equal(setup.AWS_REGION, props.get('regionName'));
});

test('compose.properties passes kcl-ts validate (with /app mapped to the example consumer) and is set up for an emulator', () => {
  const text = readText('docker', 'compose.properties').replace(/^(executableName\s*=\s*node\s+)\/app\//m, `$1${join(dockerDir, 'example-consumer')}/`);
  const diagnostics = validateProperties(parseProperties(text), { env: process.env, cwd: repoRoot, fileDir: dockerDir });
  assert.deepEqual(diagnostics.filter((d) => d.level !== 'info'), []);
  assert.equal(props.get('executableName'), 'node /app/consumer.mjs');
  assert.equal(props.get('metricsLevel'), 'NONE');
  assert.equal(props.get('disableWorkerMetrics'), 'true');
  assert.equal(props.get('retrievalMode'), 'POLLING');
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

test('the LocalStack health check command works: healthy with both services available, unhealthy otherwise', { skip: !hasPython && 'python3 not installed' }, async () => {
  let body = '';
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/_localstack/health' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const [cmd, ...args] = services.localstack!.healthcheck!.test!.slice(1).map((a) => a.replace('localhost:4566', `127.0.0.1:${port}`));
  // Asynchronous spawn: spawnSync would block the server living in this same process.
  const check = (state: Record<string, string>) => {
    body = JSON.stringify({ services: state, edition: 'community', version: '4.4.0' });
    return new Promise<number | null>((resolveCode) => spawn(cmd!, args, { stdio: 'ignore' }).on('exit', resolveCode));
  };
  try {
    assert.equal(await check({ kinesis: 'available', dynamodb: 'running', s3: 'disabled' }), 0);
    assert.equal(await check({ kinesis: 'running', dynamodb: 'running' }), 0);
    assert.equal(await check({ kinesis: 'available', dynamodb: 'disabled' }), 1);
    assert.equal(await check({ kinesis: 'error', dynamodb: 'available' }), 1);
  } finally {
    server.close();
  }
});
