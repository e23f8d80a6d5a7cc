import { Command } from 'commander';
import { runDoctor } from '../launcher/doctor.js';
import { runInit } from '../launcher/init.js';
import type { CliIO } from '../launcher/io.js';
import { runValidate } from '../launcher/validate.js';
import { runValidateOnline } from '../launcher/validate-online.js';

type SetExit = (code: number) => void;

/** `kcl-ts validate -p FILE`. */
export function validateCommand(io: CliIO, setExit: SetExit): Command {
  return new Command('validate')
    .description('check a daemon .properties file: syntax, required and unknown keys, executableName, known traps')
    .requiredOption('-p, --properties <file>', 'the .properties file')
    .option('--allow-unknown-keys', 'report unknown keys as warnings instead of errors')
    .option('--online', 'DynamoDB Streams: also ask AWS (or the emulator) whether the stream exists, is enabled and carries the images kcl-ts.streamViewType names')
    .action(async (flags: { properties: string; allowUnknownKeys?: boolean; online?: boolean }) => {
      const opts = { allowUnknownKeys: flags.allowUnknownKeys };
      setExit(flags.online ? await runValidateOnline(flags.properties, io, opts) : runValidate(flags.properties, io, opts));
    });
}

/** `kcl-ts init`. */
export function initCommand(io: CliIO, setExit: SetExit): Command {
  return new Command('init')
    .description('scaffold a consumer (consumer.mjs) and its daemon .properties file')
    .option('--dir <dir>', 'where to write the files', '.')
    .option('--name <name>', 'application name (also the lease table name)', 'my-consumer')
    .option('--stream <stream>', 'the Kinesis stream to read', 'my-stream')
    .option('--local', 'point the properties at the local emulators (kcl-ts local)')
    .option('--force', 'overwrite existing files')
    .action((flags: { dir: string; name: string; stream: string; local?: boolean; force?: boolean }) =>
      setExit(runInit({ dir: flags.dir, name: flags.name, stream: flags.stream, local: flags.local, force: flags.force }, io)),
    );
}

/** `kcl-ts doctor [-p FILE]`. */
export function doctorCommand(io: CliIO, setExit: SetExit): Command {
  return new Command('doctor')
    .description('check node, java, the daemon jars, a properties file, endpoint reachability and the log destination')
    .option('-p, --properties <file>', 'also check this .properties file and its endpoints')
    .option('--java <path>', 'java executable to check')
    .option('--jars <dir>', 'jar folder to verify instead of the cache')
    .action(async (flags: { properties?: string; java?: string; jars?: string }) =>
      setExit(await runDoctor({ propertiesFile: flags.properties, java: flags.java, jarsDir: flags.jars, io })),
    );
}
