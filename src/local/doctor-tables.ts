import type { Check } from '../launcher/doctor.js';
import type { ParsedProperties } from '../launcher/properties.js';
import { canAddLeaseIndex, checkKclTables, kclTableNames } from './kcl-tables.js';

/**
 * `kcl-ts doctor -p FILE` with a `dynamoDBEndpoint` (an emulator): are the tables KCL 3.1.3 needs there
 * with the right keys and index? When some are missing, can this emulator add the lease table's GSI the
 * way the daemon would (dynalite cannot: the daemon then never gets past its start)? Real AWS
 * (no endpoint) is not checked: the daemon creates the tables itself, given the IAM permissions.
 */
export async function kclTableChecks(parsed: ParsedProperties | undefined, propertiesFile: string): Promise<Check[]> {
  const get = (key: string) => parsed?.entries.get(key)?.value.trim() || undefined;
  const endpoint = get('dynamoDBEndpoint');
  const applicationName = get('applicationName');
  if (!endpoint || !applicationName) return [];
  const names = kclTableNames({
    applicationName,
    tableName: get('tableName'),
    coordinatorStateTableName: get('coordinatorStateTableName'),
    workerMetricsTableName: get('workerMetricsTableName'),
  });
  const fix = `run \`kcl-ts tables create -p ${propertiesFile}\` (or create them as \`kcl-ts tables create -p ${propertiesFile} --print\` shows)`;
  try {
    const problems = await checkKclTables(endpoint, names);
    if (problems.length === 0) {
      return [{ ok: true, name: 'tables', detail: `${names.lease} (with its LeaseOwnerToLeaseKeyIndex), ${names.coordinatorState} and ${names.workerMetrics} are ready on ${endpoint}` }];
    }
    const listed = problems.map((p) => p.message).join('; ');
    const onlyMissing = problems.every((p) => p.problem === 'missing' || p.problem === 'gsi-missing');
    if (!onlyMissing) return [{ ok: false, name: 'tables', detail: `${listed}: the daemon cannot use them`, fix: `delete them and ${fix}` }];
    const probe = await canAddLeaseIndex(endpoint);
    if (probe.ok) {
      return [{ ok: true, name: 'tables', detail: `${listed}; the daemon will create them itself (its first start is slower)`, fix }];
    }
    return [
      {
        ok: false,
        name: 'tables',
        detail: `${listed}, and the emulator at ${endpoint} cannot add the lease table's LeaseOwnerToLeaseKeyIndex the way the daemon does (${probe.reason}): the daemon would never finish starting`,
        fix,
      },
    ];
  } catch (err) {
    return [{ ok: false, name: 'tables', detail: `cannot read the tables on ${endpoint}: ${(err as Error).message}`, fix: 'check that dynamoDBEndpoint is a DynamoDB emulator (dynalite, LocalStack)' }];
  }
}
