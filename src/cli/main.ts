import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the command tree. Commands only parse arguments and call into src/launcher and src/local. */
export function buildProgram(): Command {
  const program = new Command('kcl-ts')
    .description('Run TypeScript record processors under the Kinesis Client Library MultiLangDaemon')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`kcl-ts: ${(err as Error).message}\n`);
    return 1;
  }
}
