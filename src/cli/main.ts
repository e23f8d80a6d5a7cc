import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { CliIO } from '../launcher/io.js';
import { packageRoot } from '../launcher/package-root.js';
import { jarsCommand } from './jars.js';
import { localCommand } from './local.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { tablesCommand } from './tables.js';
import { doctorCommand, initCommand, validateCommand } from './tools.js';

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Builds the command tree. Commands only parse arguments and call into src/launcher and src/local. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('kcl-ts')
    .description('Run TypeScript record processors under the Kinesis Client Library MultiLangDaemon')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program.addCommand(runCommand(io, setExit));
  program.addCommand(localCommand(io, setExit));
  program.addCommand(replayCommand(io, setExit));
  program.addCommand(validateCommand(io, setExit));
  program.addCommand(initCommand(io, setExit));
  program.addCommand(doctorCommand(io, setExit));
  program.addCommand(jarsCommand(io, setExit));
  program.addCommand(tablesCommand(io, setExit));
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const e = err as Error & { code?: string };
    io.stderr.write(`kcl-ts: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    return 1;
  }
}
