/**
 * `kcl-ts init`: scaffolds a runnable consumer (`consumer.mjs`, plain ESM so it needs no build) and a
 * `<name>.properties` for the MultiLangDaemon that passes `kcl-ts validate`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { describeValue } from '../errors.js';
import { missingPackages, nextSteps } from './init-next-steps.js';
import { say, warn, type CliIO } from './io.js';

/** Options of {@link runInit}. */
export interface InitOptions {
  /** Directory to create the files in (relative to `io.cwd`); created if missing. */
  dir: string;
  /** The application name: names the properties file and the DynamoDB lease table. */
  name: string;
  /** The Kinesis stream to read. */
  stream: string;
  /**
   * Overwrite existing files.
   * @default false
   */
  force?: boolean;
  /**
   * Point at the local emulators `kcl-ts local -p <file>` starts (kinesis-local on 127.0.0.1:4568,
   * dynalite on 127.0.0.1:8000).
   * @default false
   */
  local?: boolean;
}

const CONSUMER = `// A kcl-ts consumer. The MultiLangDaemon starts one \`node consumer.mjs\` per shard and talks to it over
// stdin/stdout, so stdout belongs to the protocol: log with ctx.log (console.* is diverted to the log).
import 'kcl-ts/register'; // must be the FIRST import: it claims stdout before any other module loads
import { run } from 'kcl-ts';

await run({
  // Called once per record: in order within a partition key, concurrently across keys. kcl-ts
  // checkpoints for you, only past records that (and all before them) finished.
  async handle(record, ctx) {
    const text = record.text(); // or record.json(), record.data (a Buffer)
    ctx.log.info({ bytes: record.size }, 'got a record'); // payloads may be personal data: log them at debug at most
    // await saveSomewhere(text, { signal: ctx.signal }); // ctx.signal aborts if the lease is lost
  },
  concurrency: 32,
  // A failing record is retried (maxRetries: 3), then the shard stops before it (onFailure: 'stop-shard');
  // see the README for dead letters (onFailure: 'dead-letter').
});
`;

/** Escapes a value for a .properties file (ISO-8859-1, backslash escapes). */
function escapeValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/^[ \t\f]/, (c) => `\\${c}`)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function propertiesText(opts: InitOptions, consumer: string, region: string): string {
  const entries: [comment: string, key: string, value: string][] = [
    ['the program the daemon starts per shard, split on spaces (no shell); keep the path absolute', 'executableName', `node ${consumer}`],
    ['names the DynamoDB lease table (and the -CoordinatorState and -WorkerMetricStats tables)', 'applicationName', opts.name],
    ['the stream to read (or set streamArn, which wins)', 'streamName', opts.stream],
    ['where AWS credentials come from: env vars, ~/.aws, instance role, ...', 'AWSCredentialsProvider', 'DefaultCredentialsProvider'],
    ['the region of the stream and the lease table', 'regionName', region],
    ['a new application starts at the oldest record (LATEST: only new ones)', 'initialPositionInStream', 'TRIM_HORIZON'],
    [`time children get to checkpoint on shutdown; 0 = no shutdownRequested at all; keep it > failoverTimeMillis (${opts.local ? 4000 : 10000})`, 'shutdownGraceMillis', '20000'],
    ['empty batches on idle shards, so work that finishes later is still checkpointed (only true has an effect)', 'callProcessRecordsEvenForEmptyRecordList', 'true'],
  ];
  if (opts.local) {
    entries.push(
      ['kinesis-local (any credentials work, e.g. AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x)', 'kinesisEndpoint', 'http://127.0.0.1:4568'],
      ['dynalite, for the KCL tables (`kcl-ts local -p` or `kcl-ts tables create` makes them)', 'dynamoDBEndpoint', 'http://127.0.0.1:8000'],
      ['no CloudWatch locally', 'metricsLevel', 'NONE'],
      ['KCL 3 otherwise probes the EC2 instance metadata service', 'disableWorkerMetrics', 'true'],
      ['poll GetRecords (FANOUT also works locally; on AWS it costs extra)', 'retrievalMode', 'POLLING'],
      ['poll every 250 ms (minimum 200)', 'idleTimeBetweenReadsInMillis', '250'],
      ['one local worker: take over a dead worker\'s leases after 4 s (default 10 s)', 'failoverTimeMillis', '4000'],
      ['assign leases every second instead of every 2 * failoverTimeMillis: faster local start-up', 'leaseAssignmentIntervalMillis', '1000'],
      ['look for new and ended shards every second (default 60 s): a new lease table gets its leases sooner', 'shardSyncIntervalMillis', '1000'],
      ['check every second whether a child shard\'s parents are done (default 10 s)', 'parentShardPollIntervalMillis', '1000'],
    );
  }
  const header = `# MultiLangDaemon configuration for ${opts.name}, created by kcl-ts init. Check it with: kcl-ts validate -p <this file>\n`;
  return header + entries.map(([comment, key, value]) => `\n# ${comment}\n${key} = ${escapeValue(value)}\n`).join('');
}

function checkName(what: string, value: string, pattern: RegExp, rule: string, io: CliIO): boolean {
  if (pattern.test(value)) return true;
  warn(io, `kcl-ts init: Expected \`${what}\` to be ${rule}, got ${describeValue(value)}`);
  return false;
}

/** `kcl-ts init`: writes consumer.mjs and <name>.properties into `opts.dir`; returns the exit code. */
export function runInit(opts: InitOptions, io: CliIO): number {
  const okName = checkName('name', opts.name, /^[A-Za-z0-9_.-]{3,200}$/, '3-200 characters of A-Z a-z 0-9 _ . - (it names DynamoDB tables)', io);
  const okStream = checkName('stream', opts.stream, /^[A-Za-z0-9_.-]{1,128}$/, 'a Kinesis stream name (1-128 characters of A-Z a-z 0-9 _ . -)', io);
  if (!okName || !okStream) return 1;

  const dir = resolve(io.cwd, opts.dir);
  const consumer = join(dir, 'consumer.mjs');
  const properties = join(dir, `${opts.name}.properties`);
  const existing = [consumer, properties].filter((f) => existsSync(f));
  if (existing.length > 0 && !opts.force) {
    for (const f of existing) warn(io, `kcl-ts init: ${f} already exists; not overwriting it (use --force to replace it)`);
    return 1;
  }
  if (consumer.includes(' ')) {
    warn(io, `kcl-ts init: warning: ${consumer} contains a space; the daemon splits executableName on spaces, so move the directory to a path without spaces`);
  }
  const region = io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || 'us-east-1';
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(consumer, CONSUMER);
    writeFileSync(properties, propertiesText(opts, consumer, region), 'latin1');
  } catch (err) {
    warn(io, `kcl-ts init: cannot write to ${dir}: ${(err as Error).message}`);
    return 1;
  }

  const shown = (f: string): string => {
    const rel = relative(io.cwd, f);
    return rel.startsWith('..') || isAbsolute(rel) ? f : rel;
  };
  say(io, `created ${shown(consumer)}`);
  say(io, `created ${shown(properties)}`);
  const missing = missingPackages(consumer);
  if (missing.includes('kcl-ts')) say(io, `kcl-ts is not installed where consumer.mjs can import it (${dir} or a parent folder): the first step installs it`);
  const rel = relative(io.cwd, dir);
  const inside = !rel.startsWith('..') && !isAbsolute(rel);
  say(io, 'next:');
  for (const line of nextSteps({ consumer, properties: shown(properties), installPrefix: inside ? undefined : dir, stream: opts.stream, local: opts.local ?? false }, missing)) {
    say(io, line);
  }
  return 0;
}
