import { Command } from 'commander';
import type { CliIO } from '../launcher/io.js';
import { runTablesCreate } from '../local/tables-command.js';

/** `kcl-ts tables create -p FILE [--endpoint URL] [--print]`. */
export function tablesCommand(io: CliIO, setExit: (code: number) => void): Command {
  const tables = new Command('tables').description('the DynamoDB tables of KCL 3.1.3 (lease table + GSI, CoordinatorState, WorkerMetricStats)');
  tables
    .command('create')
    .description('create the tables the daemon needs on a DynamoDB emulator (existing ones are kept), or print the AWS CLI commands')
    .requiredOption('-p, --properties <file>', 'the daemon .properties file (applicationName, table names, dynamoDBEndpoint)')
    .option('--endpoint <url>', 'DynamoDB endpoint (default: dynamoDBEndpoint of the properties)')
    .option('--print', 'print the equivalent `aws dynamodb create-table --cli-input-json` commands instead')
    .action(async (flags: { properties: string; endpoint?: string; print?: boolean }) =>
      setExit(await runTablesCreate({ propertiesFile: flags.properties, endpoint: flags.endpoint, print: flags.print, io })),
    );
  return tables;
}
