/**
 * The DynamoDB tables KCL 3.1.3 uses, with the exact schemas the daemon itself would create (read from the
 * 3.1.3 source: DynamoDBLeaseRefresher + DynamoDBLeaseSerializer, CoordinatorStateDAO + CoordinatorState,
 * WorkerMetricStatsDAO + WorkerMetricStats). This is the one place that knows them: `kcl-ts local`, the
 * tests, `kcl-ts tables create` and `kcl-ts doctor` all use it.
 *
 * Pre-creating them means the daemon never creates or updates a table or index: it skips its
 * create-and-wait steps, and it runs on emulators that cannot add a GSI to an existing table (dynalite).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { awsJson, AwsCallError } from './aws-json.js';
import { LocalError, LocalErrorCode } from './errors.js';

/** The index KCL 3 adds to the lease table and waits for (`LEASE_OWNER_TO_LEASE_KEY_INDEX_NAME`). */
export const LEASE_OWNER_INDEX = 'LeaseOwnerToLeaseKeyIndex';

/** The names of the three tables of one KCL application. */
export interface KclTableNames {
  /** The lease table: property `tableName`, default `applicationName`. */
  lease: string;
  /** Property `coordinatorStateTableName`, default `<applicationName>-CoordinatorState`. */
  coordinatorState: string;
  /** Property `workerMetricsTableName`, default `<applicationName>-WorkerMetricStats`. */
  workerMetrics: string;
}

/** Table names as the daemon derives them from its properties. */
export function kclTableNames(props: {
  applicationName: string;
  tableName?: string;
  coordinatorStateTableName?: string;
  workerMetricsTableName?: string;
}): KclTableNames {
  const app = props.applicationName;
  return {
    lease: props.tableName || app,
    coordinatorState: props.coordinatorStateTableName || `${app}-CoordinatorState`,
    workerMetrics: props.workerMetricsTableName || `${app}-WorkerMetricStats`,
  };
}

interface KeyElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

/** A DynamoDB CreateTable request (the subset KCL uses), in the JSON shape of the API and the AWS CLI. */
export interface CreateTableInput {
  TableName: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' }[];
  KeySchema: KeyElement[];
  BillingMode: 'PAY_PER_REQUEST';
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: KeyElement[]; Projection: { ProjectionType: 'KEYS_ONLY' } }[];
}

/**
 * The CreateTable requests of the three tables, on-demand (KCL's default billing mode):
 * - lease table: hash key `leaseKey` (S), GSI `LeaseOwnerToLeaseKeyIndex` = `leaseOwner` (S, hash) +
 *   `leaseKey` (range), keys only;
 * - CoordinatorState: hash key `key` (S) (the leader lock and the migration state are items);
 * - WorkerMetricStats: hash key `wid` (S).
 */
export function kclTableSchemas(names: KclTableNames): CreateTableInput[] {
  const s = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
  const hash = (AttributeName: string): KeyElement => ({ AttributeName, KeyType: 'HASH' });
  return [
    {
      TableName: names.lease,
      AttributeDefinitions: [s('leaseKey'), s('leaseOwner')],
      KeySchema: [hash('leaseKey')],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        {
          IndexName: LEASE_OWNER_INDEX,
          KeySchema: [hash('leaseOwner'), { AttributeName: 'leaseKey', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    },
    { TableName: names.coordinatorState, AttributeDefinitions: [s('key')], KeySchema: [hash('key')], BillingMode: 'PAY_PER_REQUEST' },
    { TableName: names.workerMetrics, AttributeDefinitions: [s('wid')], KeySchema: [hash('wid')], BillingMode: 'PAY_PER_REQUEST' },
  ];
}

interface TableDescription {
  TableStatus?: string;
  KeySchema?: KeyElement[];
  GlobalSecondaryIndexes?: { IndexName: string; IndexStatus?: string; KeySchema?: KeyElement[] }[];
}

/** What is wrong with one table, as far as the daemon is concerned. */
export interface TableProblem {
  table: string;
  problem: 'missing' | 'wrong-keys' | 'gsi-missing' | 'gsi-wrong-keys' | 'not-active';
  message: string;
}

async function describe(endpoint: string, table: string): Promise<TableDescription | undefined> {
  try {
    return (await awsJson<{ Table: TableDescription }>(endpoint, 'dynamodb', 'DescribeTable', { TableName: table })).Table;
  } catch (err) {
    if (err instanceof AwsCallError && err.type === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

const keysText = (keys: readonly KeyElement[] | undefined) => (keys ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ') || 'none';
const sameKeys = (a: readonly KeyElement[] | undefined, b: readonly KeyElement[]) => keysText(a) === keysText(b);

/** Compares the tables on `endpoint` with {@link kclTableSchemas}; an empty list means the daemon will find all it needs. */
export async function checkKclTables(endpoint: string, names: KclTableNames): Promise<TableProblem[]> {
  const problems: TableProblem[] = [];
  for (const want of kclTableSchemas(names)) {
    const table = want.TableName;
    const have = await describe(endpoint, table);
    if (!have) {
      problems.push({ table, problem: 'missing', message: `table ${table} does not exist` });
      continue;
    }
    if (!sameKeys(have.KeySchema, want.KeySchema)) {
      problems.push({ table, problem: 'wrong-keys', message: `table ${table} has key schema (${keysText(have.KeySchema)}), KCL 3 needs (${keysText(want.KeySchema)})` });
    }
    if (have.TableStatus && have.TableStatus !== 'ACTIVE') problems.push({ table, problem: 'not-active', message: `table ${table} is ${have.TableStatus}` });
    for (const index of want.GlobalSecondaryIndexes ?? []) {
      const got = have.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName);
      if (!got) {
        problems.push({ table, problem: 'gsi-missing', message: `table ${table} has no global secondary index ${index.IndexName}` });
      } else if (!sameKeys(got.KeySchema, index.KeySchema)) {
        problems.push({ table, problem: 'gsi-wrong-keys', message: `index ${index.IndexName} of ${table} has keys (${keysText(got.KeySchema)}), KCL 3 needs (${keysText(index.KeySchema)})` });
      } else if (got.IndexStatus && got.IndexStatus !== 'ACTIVE') {
        problems.push({ table, problem: 'not-active', message: `index ${index.IndexName} of ${table} is ${got.IndexStatus}` });
      }
    }
  }
  return problems;
}

/** The outcome of {@link createKclTables} for one table. */
export interface TableCreated {
  table: string;
  created: boolean;
}

/**
 * Creates whichever of the three tables is missing (an existing table is left as it is), waits until all
 * are ACTIVE with their index, and then checks them. Fails with `TABLES_INVALID` naming every problem when
 * an existing table does not have the schema the daemon needs.
 */
export async function createKclTables(endpoint: string, names: KclTableNames, timeoutMs = 60_000): Promise<TableCreated[]> {
  const results: TableCreated[] = [];
  for (const input of kclTableSchemas(names)) {
    try {
      await awsJson(endpoint, 'dynamodb', 'CreateTable', input);
      results.push({ table: input.TableName, created: true });
    } catch (err) {
      if (!(err instanceof AwsCallError && err.type === 'ResourceInUseException')) throw err;
      results.push({ table: input.TableName, created: false });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await checkKclTables(endpoint, names);
    const waiting = problems.every((p) => p.problem === 'not-active');
    if (problems.length === 0) return results;
    if (!waiting || Date.now() > deadline) {
      throw new LocalError(
        LocalErrorCode.TABLES_INVALID,
        `The KCL tables on ${endpoint} are not what KCL 3.1.3 needs: ${problems.map((p) => p.message).join('; ')}. ` +
          'Delete the tables named (their leases and checkpoints go with them) and run `kcl-ts tables create` again, or fix them by hand (see `kcl-ts tables create --print`)',
      );
    }
    await sleep(200);
  }
}

/**
 * Whether the DynamoDB at `endpoint` accepts the UpdateTable by which KCL 3.1.3 adds
 * `LeaseOwnerToLeaseKeyIndex` to a lease table it created (on-demand, so no provisioned throughput for the
 * index). Tried on a throw-away table that is deleted again. dynalite refuses it: there, the tables must
 * exist before the daemon starts.
 */
export async function canAddLeaseIndex(endpoint: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const [lease] = kclTableSchemas(kclTableNames({ applicationName: `kcl-ts-doctor-probe-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` }));
  const { GlobalSecondaryIndexes, ...table } = lease!;
  const index = GlobalSecondaryIndexes![0]!;
  await awsJson(endpoint, 'dynamodb', 'CreateTable', { ...table, AttributeDefinitions: table.AttributeDefinitions.filter((a) => a.AttributeName === 'leaseKey') });
  try {
    await awsJson(endpoint, 'dynamodb', 'UpdateTable', {
      TableName: table.TableName,
      AttributeDefinitions: table.AttributeDefinitions,
      GlobalSecondaryIndexUpdates: [{ Create: index }],
    });
    return { ok: true };
  } catch (err) {
    if (!(err instanceof AwsCallError)) throw err;
    return { ok: false, reason: err.message };
  } finally {
    await awsJson(endpoint, 'dynamodb', 'DeleteTable', { TableName: table.TableName }).catch(() => undefined);
  }
}

/** Quotes a string for a POSIX shell (single quotes). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The equivalent AWS CLI commands, one `aws dynamodb create-table --cli-input-json '…'` per table, for
 * people who create tables outside the app (Terraform-style rules, real AWS).
 */
export function awsCliCommands(names: KclTableNames, opts: { region?: string; endpoint?: string } = {}): string {
  const flags = [opts.region ? ` --region ${shellQuote(opts.region)}` : '', opts.endpoint ? ` --endpoint-url ${shellQuote(opts.endpoint)}` : ''].join('');
  return kclTableSchemas(names)
    .map((t) => `aws dynamodb create-table${flags} --cli-input-json ${shellQuote(JSON.stringify(t, null, 2))}\n`)
    .join('\n');
}
