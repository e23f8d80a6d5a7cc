// `kcl-ts doctor` checks that the daemon's AWSCredentialsProvider finds credentials (issue 13 item 2).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCredentials, FAKE_CREDENTIALS } from '../../src/launcher/credentials.js';
import { doctorChecks } from '../../src/launcher/doctor.js';
import type { CliIO } from '../../src/launcher/io.js';
import { tempDir } from '../helpers.js';

const root = tempDir('kcl-ts-credentials-');
after(() => rmSync(root, { recursive: true, force: true }));
const home = join(root, 'home');
mkdirSync(join(home, '.aws'), { recursive: true });
const noRole = async (): Promise<string | undefined> => undefined;
const check = (provider: string, env: NodeJS.ProcessEnv, local = false, instanceRole = noRole) =>
  checkCredentials({ provider, env: { HOME: join(root, 'empty-home'), ...env }, local, instanceRole });

test('DefaultCredentialsProvider: nothing anywhere → a problem, with the fake credentials as fix for local endpoints', async () => {
  const local = await check('DefaultCredentialsProvider', {}, true);
  assert.equal(local.ok, false);
  assert.match(local.detail, /DefaultCredentialsProvider finds no credentials .*retry 20 times/);
  assert.equal(local.fix, `the daemon needs credentials even for local emulators, and any values work: run with ${FAKE_CREDENTIALS}`);
  const aws = await check('DefaultCredentialsProvider', {});
  assert.match(aws.fix!, /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role/);
});

test('DefaultCredentialsProvider: each source of the chain', async () => {
  assert.match((await check('DefaultCredentialsProvider', { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).detail, /in environment/);
  const half = await check('DefaultCredentialsProvider', { AWS_ACCESS_KEY_ID: 'a' });
  assert.equal(half.ok, false);
  assert.match(half.detail, /AWS_SECRET_ACCESS_KEY is not set/);
  assert.match((await check('DefaultCredentialsProvider', { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' })).detail, /ECS container credentials/);
  const token = join(root, 'token');
  writeFileSync(token, 't');
  assert.match((await check('DefaultCredentialsProvider', { AWS_WEB_IDENTITY_TOKEN_FILE: token, AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' })).detail, /web identity/);
  const role = await check('DefaultCredentialsProvider', {}, false, async () => 'orders-worker');
  assert.equal(role.ok, true);
  assert.match(role.detail, /EC2 instance profile \(role orders-worker\)/);
});

test('profiles: credentials file, config file with a role, SSO (not in the daemon’s jars), a missing AWS_PROFILE', async () => {
  writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = a\naws_secret_access_key = b\n');
  writeFileSync(join(home, '.aws', 'config'), '[profile ops]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n[profile sso]\nsso_session = corp\nsso_account_id = 1\n');
  assert.match((await check('DefaultCredentialsProvider', { HOME: home })).detail, /profile default/);
  assert.match((await check('DefaultCredentialsProvider', { HOME: home, AWS_PROFILE: 'ops' })).detail, /profile ops/);
  const sso = await check('DefaultCredentialsProvider', { HOME: home, AWS_PROFILE: 'sso' });
  assert.equal(sso.ok, false);
  assert.match(sso.detail, /sso_\* keys.*do not include the SDK's sso module/);
  const missing = await check('DefaultCredentialsProvider', { HOME: home, AWS_PROFILE: 'nope' });
  assert.equal(missing.ok, false);
  assert.match(missing.detail, /AWS_PROFILE=nope, but neither/);
  assert.match((await check('ProfileCredentialsProvider|ops', { HOME: home })).detail, /profile ops/);
});

test('single providers check only their own source; unknown providers are not judged', async () => {
  assert.equal((await check('EnvironmentVariableCredentialsProvider', { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/x' })).ok, false);
  assert.equal((await check('software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider', { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).ok, true);
  assert.equal((await check('AnonymousCredentialsProvider', {})).ok, true);
  const custom = await check('com.example.MyProvider|x', {});
  assert.equal(custom.ok, true);
  assert.match(custom.detail, /not checked here/);
});

test('kcl-ts doctor -p: a credentials line for the configured provider', async () => {
  const consumer = join(root, 'consumer.mjs');
  writeFileSync(consumer, '');
  const props = [
    `executableName = ${process.execPath} ${consumer}`,
    'applicationName = app',
    'streamName = s',
    'AWSCredentialsProvider = DefaultCredentialsProvider',
    'regionName = us-east-1',
    'kinesisEndpoint = http://127.0.0.1:1',
    'dynamoDBEndpoint = http://127.0.0.1:1',
    'metricsLevel = NONE',
    'disableWorkerMetrics = true',
    'shutdownGraceMillis = 20000',
    'retrievalMode = POLLING',
  ].join('\n');
  writeFileSync(join(root, 'app.properties'), props);
  const io = (env: NodeJS.ProcessEnv): CliIO => ({ stdout: { write: () => true }, stderr: { write: () => true }, env: { PATH: process.env.PATH, HOME: join(root, 'empty-home'), AWS_EC2_METADATA_DISABLED: 'true', ...env }, cwd: root });
  const without = (await doctorChecks({ propertiesFile: 'app.properties', io: io({}) })).find((c) => c.name === 'credentials');
  assert.equal(without?.ok, false);
  assert.match(without!.fix!, /AWS_ACCESS_KEY_ID=local/);
  const withFake = (await doctorChecks({ propertiesFile: 'app.properties', io: io({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' }) })).find((c) => c.name === 'credentials');
  assert.equal(withFake?.ok, true, withFake?.detail);
});
