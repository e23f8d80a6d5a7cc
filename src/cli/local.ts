import { Command, InvalidArgumentError, Option } from 'commander';
import { checkConsumerFile } from '../launcher/check-executable.js';
import type { CliIO } from '../launcher/io.js';
import { parseDuration } from '../launcher/summary.js';
import { runLocalStreams } from '../local/ddb-streams/local-run.js';
import { runLocal } from '../local/stack.js';

function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got \`${value}\``);
    return n;
  };
}

function duration(name: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`${name} must be a duration such as 90s, 5m or 1500ms, got \`${value}\``);
    return ms;
  };
}

interface LocalFlags {
  source: 'kinesis' | 'dynamodb-streams';
  rolloverRecords?: number;
  properties?: string;
  kinesisPort?: number;
  dynamodbPort?: number;
  stream?: string;
  shards: number;
  consumer?: string;
  rate: number;
  records?: number;
  timeout?: number;
  workDir?: string;
  java?: string;
  preflight: boolean;
}

/** `kcl-ts local`: the local stack without Docker. */
export function localCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('local')
    .description('run kinesis-local + dynalite + the real daemon with a demo consumer and producer (Ctrl-C stops all)')
    .option('-p, --properties <file>', 'run your app: stream, application (tables), consumer and emulator ports from this daemon .properties file (kcl-ts init --local writes one)')
    .option('--kinesis-port <port>', 'Kinesis emulator port (default: 4568)', int('--kinesis-port', 1))
    .option('--dynamodb-port <port>', 'DynamoDB emulator (dynalite) port (default: 8000)', int('--dynamodb-port', 1))
    .option('--stream <name>', 'stream to create (default: kcl-ts-demo)')
    .option('--shards <n>', 'shards of the stream', int('--shards', 1), 2)
    .option('--consumer <file>', 'run this consumer script instead of the demo consumer')
    .option('--rate <n>', 'demo records per second', int('--rate', 1), 20)
    .option('--records <n>', 'put this many records, stop once the lease checkpoints cover all of them (exit 0)', int('--records', 1))
    .option('--timeout <duration>', 'with --records: fail (exit 124) if they are not all checkpointed this long after the daemon started (default: 3m)', duration('--timeout'))
    .option('--work-dir <dir>', 'folder for logs and the generated properties (default: a new temporary folder)')
    .option('--java <path>', 'java executable')
    .option('--no-preflight', 'do not run the consumer once under the FakeDaemon before starting the daemon')
    .addOption(new Option('--source <source>', 'what the demo reads: a Kinesis stream, or a DynamoDB table\'s stream (local streams emulator + the bridge)').choices(['kinesis', 'dynamodb-streams']).default('kinesis').conflicts('properties'))
    .option('--rollover-records <n>', 'dynamodb-streams: roll the open shard over to a child shard every n records', int('--rollover-records', 1))
    .action(async (f: LocalFlags) => {
      if (f.consumer) checkConsumerFile(f.consumer, io.cwd); // before any emulator starts; names the user's file
      const runIo = f.preflight ? io : { ...io, env: { ...io.env, KCL_TS_NO_PREFLIGHT: '1' } };
      setExit(
        await (f.source === 'dynamodb-streams' ? runLocalStreams : runLocal)({
          rolloverRecords: f.rolloverRecords,
          properties: f.properties,
          kinesisPort: f.kinesisPort,
          dynamodbPort: f.dynamodbPort,
          stream: f.stream,
          shards: f.shards,
          consumer: f.consumer,
          rate: f.rate,
          records: f.records,
          timeoutMs: f.timeout,
          workDir: f.workDir,
          java: f.java,
          io: runIo,
        }),
      );
    });
}
