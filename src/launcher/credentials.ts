/**
 * `kcl-ts doctor`'s credentials check: would the daemon's `AWSCredentialsProvider` find credentials in
 * the environment `kcl-ts run` gives it? Without them the daemon retries initializing 20 times, then
 * exits 0. Mirrors the AWS SDK for Java v2 chain the daemon uses (DefaultCredentialsProvider): system
 * properties (not visible here), environment, web identity, profile files, container, instance profile.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The outcome: where credentials come from, or why none were found and how to fix it. */
export interface CredentialsFinding {
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Options of {@link checkCredentials}. */
export interface CredentialsOptions {
  /** The `AWSCredentialsProvider` value. */
  provider: string;
  env: NodeJS.ProcessEnv;
  /** Whether the properties point at local emulators (then any credentials will do). */
  local: boolean;
  /** Asks the EC2 instance metadata service for a role name; replaceable in tests. */
  instanceRole?: (env: NodeJS.ProcessEnv) => Promise<string | undefined>;
}

/** The fake credentials that work against local emulators. */
export const FAKE_CREDENTIALS = 'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true';

type Source = { found: string } | { problem: string } | undefined;

function fromEnvironment(env: NodeJS.ProcessEnv): Source {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id && secret) return { found: 'environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)' };
  if (id || secret) return { problem: `${id ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not set (only ${id ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is)` };
  return undefined;
}

function fromWebIdentity(env: NodeJS.ProcessEnv): Source {
  const file = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (!file || !env.AWS_ROLE_ARN) return undefined;
  return existsSync(file) ? { found: `web identity (AWS_ROLE_ARN with ${file})` } : { problem: `AWS_WEB_IDENTITY_TOKEN_FILE ${file} does not exist` };
}

/** The key/value lines of `[section]` in an INI file. */
function iniSection(file: string, section: string): Map<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  let current: string | undefined;
  let found: Map<string, string> | undefined;
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = header[1];
      if (current === section) found ??= new Map();
      continue;
    }
    const kv = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && current === section && found) found.set(kv[1]!.toLowerCase(), kv[2]!);
  }
  return found;
}

function fromProfile(env: NodeJS.ProcessEnv, name = env.AWS_PROFILE ?? 'default'): Source {
  const home = env.HOME ?? homedir();
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config');
  const creds = iniSection(credentialsFile, name);
  const config = iniSection(configFile, name === 'default' ? 'default' : `profile ${name}`);
  const keys = new Map([...(config ?? []), ...(creds ?? [])]);
  const where = `profile ${name} (${creds ? credentialsFile : configFile})`;
  if (keys.has('aws_access_key_id') && keys.has('aws_secret_access_key')) return { found: where };
  if ([...keys.keys()].some((k) => k.startsWith('sso_'))) {
    return { problem: `${where} uses AWS IAM Identity Center (sso_* keys): the daemon's jars do not include the SDK's sso module, so it cannot use it` };
  }
  if (keys.has('role_arn') || keys.has('credential_process') || keys.has('web_identity_token_file')) return { found: where };
  if (env.AWS_PROFILE && !creds && !config) return { problem: `AWS_PROFILE=${name}, but neither ${credentialsFile} nor ${configFile} has that profile` };
  return undefined;
}

function fromContainer(env: NodeJS.ProcessEnv): Source {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return { found: 'the ECS container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: a task role)' };
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return { found: `the container credentials endpoint ${env.AWS_CONTAINER_CREDENTIALS_FULL_URI}` };
  return undefined;
}

/** Asks the EC2 instance metadata service (IMDSv2) for the instance profile's role name, within 1 s. */
export async function imdsRole(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') return undefined;
  const call = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<string | undefined>((resolve) => {
      const req = request({ host: '169.254.169.254', port: 80, method, path, headers, timeout: 1000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  const token = await call('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' });
  if (!token) return undefined;
  const roles = await call('GET', '/latest/meta-data/iam/security-credentials/', { 'X-aws-ec2-metadata-token': token });
  return roles?.split('\n')[0]?.trim() || undefined;
}

async function fromInstance(o: CredentialsOptions): Promise<Source> {
  const role = await (o.instanceRole ?? imdsRole)(o.env);
  return role ? { found: `the EC2 instance profile (role ${role})` } : undefined;
}

/** Checks that the configured provider finds credentials; never throws. */
export async function checkCredentials(o: CredentialsOptions): Promise<CredentialsFinding> {
  const [spec = '', ...params] = o.provider.split('|').map((p) => p.trim());
  const name = spec.slice(spec.lastIndexOf('.') + 1);
  const fix = o.local
    ? `the daemon needs credentials even for local emulators, and any values work: run with ${FAKE_CREDENTIALS}`
    : 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role (ECS task role, EC2 instance profile, web identity)';
  let chain: (() => Source | Promise<Source>)[];
  switch (name) {
    case 'DefaultCredentialsProvider':
    case 'DefaultAWSCredentialsProviderChain':
      chain = [() => fromEnvironment(o.env), () => fromWebIdentity(o.env), () => fromProfile(o.env), () => fromContainer(o.env), () => fromInstance(o)];
      break;
    case 'EnvironmentVariableCredentialsProvider':
      chain = [() => fromEnvironment(o.env)];
      break;
    case 'ProfileCredentialsProvider':
      chain = [() => fromProfile(o.env, params[0] || undefined)];
      break;
    case 'WebIdentityTokenFileCredentialsProvider':
      chain = [() => fromWebIdentity(o.env)];
      break;
    case 'ContainerCredentialsProvider':
      chain = [() => fromContainer(o.env)];
      break;
    case 'InstanceProfileCredentialsProvider':
      chain = [() => fromInstance(o)];
      break;
    case 'AnonymousCredentialsProvider':
      return { ok: true, detail: `${name}: no credentials needed (requests are unsigned; only emulators accept them)` };
    default:
      return { ok: true, detail: `${spec}: not checked here (the daemon builds it); the daemon gives up after 20 attempts if it finds no credentials` };
  }
  const problems: string[] = [];
  for (const source of chain) {
    const result = await source();
    if (result && 'found' in result) return { ok: true, detail: `${name} finds credentials in ${result.found}` };
    if (result) problems.push(result.problem);
  }
  return { ok: false, detail: `${name} finds no credentials${problems.length > 0 ? `: ${problems.join('; ')}` : ''} (the daemon would retry 20 times, then exit)`, fix };
}
