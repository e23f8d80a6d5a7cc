// Helpers for docker/compose.yaml, run with the consumer image's own Node and kcl-ts (no extra images):
//   node /opt/kcl-ts/docker/compose-tools.mjs setup     create the stream (wait until ACTIVE) and the KCL 3
//                                                       tables with one lease per shard; idempotent
//   node /opt/kcl-ts/docker/compose-tools.mjs produce   put demo order events until stopped (or PRODUCE_TOTAL)
// Environment: KINESIS_ENDPOINT, DYNAMODB_ENDPOINT (default http://localstack:4566), STREAM_NAME,
// SHARDS (2), APP_NAME (the properties' applicationName), PRODUCE_RATE (records/s, 10), PRODUCE_TOTAL.
// For emulators only: requests are not signed.
import { setTimeout as sleep } from 'node:timers/promises';
import { awsJson } from '../dist/local/aws-json.js';
import { startProducer } from '../dist/local/demo-producer.js';
import { listShards } from '../dist/local/kinesis.js';
import { createKclTables, kclTableNames } from '../dist/local/kcl-tables.js';
import { putLeases } from '../dist/local/lease-table.js';

const env = process.env;
const kinesis = env.KINESIS_ENDPOINT ?? 'http://localstack:4566';
const dynamodb = env.DYNAMODB_ENDPOINT ?? 'http://localstack:4566';
const stream = env.STREAM_NAME ?? 'kcl-ts-demo';
const log = (line) => console.log(`compose-tools: ${line}`);

function positiveInt(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Expected ${name} to be an integer >= 1, got \`${raw}\``);
  return n;
}

/** Retries `fn` while the emulator is still starting (connection refused, 5xx). */
async function retry(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err.status === undefined || err.status >= 500;
      if (!retryable || Date.now() > deadline) throw err;
      log(`${what}: ${err.message}; retrying`);
      await sleep(1000);
    }
  }
}

async function setup() {
  const shards = positiveInt('SHARDS', 2);
  const app = env.APP_NAME;
  if (!app) throw new Error('APP_NAME is required: the applicationName of the properties file (it names the lease table)');
  try {
    await retry('CreateStream', () => awsJson(kinesis, 'kinesis', 'CreateStream', { StreamName: stream, ShardCount: shards }));
    log(`created stream ${stream} with ${shards} shards`);
  } catch (err) {
    if (err.type !== 'ResourceInUseException') throw err;
    log(`stream ${stream} exists`);
  }
  for (let status = ''; status !== 'ACTIVE'; ) {
    const res = await retry('DescribeStreamSummary', () => awsJson(kinesis, 'kinesis', 'DescribeStreamSummary', { StreamName: stream }));
    status = res.StreamDescriptionSummary.StreamStatus;
    if (status !== 'ACTIVE') await sleep(250);
  }
  const shardIds = (await listShards(kinesis, stream)).map((s) => s.ShardId);
  // The three KCL 3 tables (existing ones are kept), then leases ready at start: the daemon skips its
  // random 1-30 s wait on an empty lease table. An existing lease keeps its checkpoint.
  const names = kclTableNames({ applicationName: app });
  const tables = await retry('CreateTable', () => createKclTables(dynamodb, names));
  await putLeases(dynamodb, names.lease, shardIds);
  const created = tables.find((t) => t.table === names.lease)?.created;
  log(created ? `created lease table ${app} with ${shardIds.length} leases` : `lease table ${app} exists`);
  log(`ready: stream ${stream} ACTIVE (${shardIds.join(', ')})`);
}

async function produce() {
  const total = env.PRODUCE_TOTAL ? positiveInt('PRODUCE_TOTAL', 1) : undefined;
  const producer = startProducer({ endpoint: kinesis, stream, ratePerSecond: positiveInt('PRODUCE_RATE', 10), keys: 10, total });
  // As PID 1 in a container, Node gets no default handling of SIGTERM: stop explicitly.
  const stop = (signal) => {
    log(`${signal}: stopping after ${producer.put} records`);
    void producer.stop();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const ticker = setInterval(() => log(`put ${producer.put} records into ${stream}`), 5000);
  try {
    await producer.done;
  } finally {
    clearInterval(ticker);
  }
  log(`done: put ${producer.put} records`);
}

const command = process.argv[2];
const commands = { setup, produce };
if (!Object.hasOwn(commands, command ?? '')) {
  console.error('usage: compose-tools.mjs setup|produce');
  process.exit(2);
}
try {
  await commands[command]();
} catch (err) {
  console.error(`compose-tools ${command}: ${err.message}`);
  process.exit(1);
}
