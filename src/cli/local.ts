import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIO } from '../launcher/io.js';
import { runLocalStreams } from '../local/ddb-streams/local-run.js';
import { runLocal } from '../local/stack.js';

function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got \`${value}\``);
    return n;
  };
}

interface LocalFlags {
  source: 'kinesis' | 'dynamodb-streams';
  rolloverRecords?: number;
  kinesisPort: number;
  dynamodbPort: number;
  stream: string;
  shards: number;
  consumer?: string;
  rate: number;
  records?: number;
  workDir?: string;
  java?: string;
}

/** `kcl-ts local`: the local stack without Docker. */
export function localCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('local')
    .description('run kinesis-local + dynalite + the real daemon with a demo consumer and producer (Ctrl-C stops all)')
    .option('--kinesis-port <port>', 'Kinesis emulator port', int('--kinesis-port', 1), 4568)
    .option('--dynamodb-port <port>', 'DynamoDB emulator (dynalite) port', int('--dynamodb-port', 1), 8000)
    .option('--stream <name>', 'stream to create', 'kcl-ts-demo')
    .option('--shards <n>', 'shards of the stream', int('--shards', 1), 2)
    .option('--consumer <file>', 'run this consumer script instead of the demo consumer')
    .option('--rate <n>', 'demo records per second', int('--rate', 1), 20)
    .option('--records <n>', 'put this many records, wait until all are processed, then stop', int('--records', 1))
    .option('--work-dir <dir>', 'folder for logs and the generated properties (default: a new temporary folder)')
    .option('--java <path>', 'java executable')
    .addOption(new Option('--source <source>', 'what the demo reads: a Kinesis stream, or a DynamoDB table\'s stream (local streams emulator + the bridge)').choices(['kinesis', 'dynamodb-streams']).default('kinesis'))
    .option('--rollover-records <n>', 'dynamodb-streams: roll the open shard over to a child shard every n records', int('--rollover-records', 1))
    .action(async (f: LocalFlags) => {
      setExit(
        await (f.source === 'dynamodb-streams' ? runLocalStreams : runLocal)({
          rolloverRecords: f.rolloverRecords,
          kinesisPort: f.kinesisPort,
          dynamodbPort: f.dynamodbPort,
          stream: f.stream,
          shards: f.shards,
          consumer: f.consumer,
          rate: f.rate,
          records: f.records,
          workDir: f.workDir,
          java: f.java,
          io,
        }),
      );
    });
}
