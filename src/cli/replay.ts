import { Command } from 'commander';
import { runReplay, type ReplayFlags } from '../failure/replay.js';
import type { CliIO } from '../launcher/io.js';

/** `kcl-ts replay`: dead letters back into a stream, or through a handler. */
export function replayCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('replay')
    .description('replay dead letters: re-put them into a Kinesis stream (per-key order kept) or run them through a handler; entries are removed only after success')
    .requiredOption('--from <location>', 'file:/dir, sqs:<queueUrl> or s3://bucket/prefix')
    .option('--to-stream <name>', 're-put into this stream, with the original partition keys')
    .option('--endpoint <url>', 'Kinesis endpoint (emulators; env KCL_TS_KINESIS_ENDPOINT)')
    .option('--region <region>', 'AWS region (default AWS_REGION)')
    .option('--handler <module>', "run each entry through this module's handler instead")
    .option('--export <name>', "the handler's export name (default: handle, or default.handle)")
    .option('--visibility-timeout <seconds>', 'SQS: how long received entries stay hidden while being replayed')
    .option('--keep-replayed <days>', 'file: days to keep replayed copies in replayed/ (default 7; 0 deletes them at the end)')
    .option('--dry-run', 'list what would be replayed; change nothing')
    .action(async (flags: ReplayFlags) => setExit(await runReplay(flags, io)));
}
