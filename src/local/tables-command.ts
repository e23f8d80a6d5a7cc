import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { say, type CliIO } from '../launcher/io.js';
import { parseProperties } from '../launcher/properties.js';
import { AwsCallError } from './aws-json.js';
import { LocalError, LocalErrorCode } from './errors.js';
import { awsCliCommands, createKclTables, kclTableNames, type KclTableNames } from './kcl-tables.js';

/** What `kcl-ts tables` reads from a daemon properties file. */
export interface TablesConfig {
  names: KclTableNames;
  /** `dynamoDBEndpoint`, when set. */
  endpoint?: string;
  /** `regionName`, when set. */
  region?: string;
}

/** Reads the table names, endpoint and region from a daemon `.properties` file (resolved against `cwd`). */
export function readTablesConfig(file: string, cwd: string): TablesConfig {
  const path = resolve(cwd, file);
  let text: string;
  try {
    // java.util.Properties.load(InputStream), which the daemon uses, decodes ISO-8859-1.
    text = readFileSync(path).toString('latin1');
  } catch (err) {
    throw new LocalError(LocalErrorCode.PROPERTIES, `Cannot read ${path}: ${(err as Error).message}; pass your daemon .properties file with -p`, { cause: err });
  }
  const entries = parseProperties(text).entries;
  const get = (key: string) => entries.get(key)?.value.trim() || undefined;
  const applicationName = get('applicationName');
  if (!applicationName) {
    throw new LocalError(LocalErrorCode.PROPERTIES, `${path} has no applicationName: the daemon names its tables after it; add \`applicationName = <name>\``);
  }
  return {
    names: kclTableNames({
      applicationName,
      tableName: get('tableName'),
      coordinatorStateTableName: get('coordinatorStateTableName'),
      workerMetricsTableName: get('workerMetricsTableName'),
    }),
    endpoint: get('dynamoDBEndpoint'),
    region: get('regionName'),
  };
}

/**
 * `kcl-ts tables create -p FILE [--endpoint URL] [--print]`: creates the tables KCL 3.1.3 needs on a
 * DynamoDB emulator, or prints the equivalent AWS CLI commands. Returns the exit code.
 */
export async function runTablesCreate(opts: { propertiesFile: string; endpoint?: string; print?: boolean; io: CliIO }): Promise<number> {
  const { io } = opts;
  const config = readTablesConfig(opts.propertiesFile, io.cwd);
  const endpoint = opts.endpoint ?? config.endpoint;
  if (opts.print) {
    io.stdout.write(awsCliCommands(config.names, { region: config.region, endpoint }));
    return 0;
  }
  if (!endpoint) {
    throw new LocalError(
      LocalErrorCode.TABLES_NO_ENDPOINT,
      `${opts.propertiesFile} has no dynamoDBEndpoint and no --endpoint was given. kcl-ts creates tables only on emulators (its requests are not signed); ` +
        'for AWS, run the commands of `kcl-ts tables create -p FILE --print`, or let the daemon create the tables',
    );
  }
  let results;
  try {
    results = await createKclTables(endpoint, config.names);
  } catch (err) {
    if (err instanceof LocalError || err instanceof AwsCallError) throw err;
    const inner = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (err as Error).message;
    throw new LocalError(LocalErrorCode.TABLES_NO_ENDPOINT, `Cannot reach DynamoDB at ${endpoint} (${cause}): start the emulator (\`kcl-ts local\` starts dynalite) or fix dynamoDBEndpoint / --endpoint`, { cause: err });
  }
  for (const r of results) say(io, `${r.created ? 'created' : 'exists '}  ${r.table}`);
  say(io, `ok: the tables of KCL 3.1.3 are ready on ${endpoint}`);
  return 0;
}
