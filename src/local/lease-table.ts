import { awsJson, AwsCallError } from './aws-json.js';
import { createKclTables, kclTableNames } from './kcl-tables.js';

/** One row of the KCL lease table, as far as kcl-ts reads it. */
export interface Lease {
  leaseKey: string;
  checkpoint?: string;
  checkpointSubSequenceNumber?: number;
  leaseOwner?: string;
  parentShardIds?: string[];
}

type AttributeValue = { S?: string; N?: string; SS?: string[] };

/**
 * Creates the three KCL 3 tables ({@link createKclTables}: the lease table with its
 * `LeaseOwnerToLeaseKeyIndex` GSI, `<app>-CoordinatorState`, `<app>-WorkerMetricStats`) and one lease per
 * shard at `position`. A daemon that finds leases ready skips its random 1–30 s wait for an empty table
 * and starts processing in seconds instead of up to a minute.
 */
export async function createLeaseTable(endpoint: string, app: string, shardIds: readonly string[], position = 'TRIM_HORIZON'): Promise<void> {
  const names = kclTableNames({ applicationName: app });
  await createKclTables(endpoint, names);
  await putLeases(endpoint, names.lease, shardIds, position);
}

/** Puts one unowned lease per shard at `position`; a shard that already has a lease keeps it (and its checkpoint). */
export async function putLeases(endpoint: string, table: string, shardIds: readonly string[], position = 'TRIM_HORIZON'): Promise<void> {
  for (const shardId of shardIds) {
    try {
      await awsJson(endpoint, 'dynamodb', 'PutItem', {
        TableName: table,
        Item: {
          leaseKey: { S: shardId },
          checkpoint: { S: position },
          checkpointSubSequenceNumber: { N: '0' },
          leaseCounter: { N: '0' },
          ownerSwitchesSinceCheckpoint: { N: '0' },
        },
        ConditionExpression: 'attribute_not_exists(leaseKey)',
      });
    } catch (err) {
      if (!(err instanceof AwsCallError && err.type === 'ConditionalCheckFailedException')) throw err;
    }
  }
}

/** Every lease in the table. */
export async function scanLeases(endpoint: string, table: string): Promise<Lease[]> {
  const leases: Lease[] = [];
  let start: unknown;
  do {
    const res = await awsJson<{ Items: Record<string, AttributeValue>[]; LastEvaluatedKey?: unknown }>(endpoint, 'dynamodb', 'Scan', {
      TableName: table,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    for (const item of res.Items) {
      leases.push({
        leaseKey: item.leaseKey?.S ?? '',
        checkpoint: item.checkpoint?.S,
        checkpointSubSequenceNumber: item.checkpointSubSequenceNumber?.N === undefined ? undefined : Number(item.checkpointSubSequenceNumber.N),
        leaseOwner: item.leaseOwner?.S,
        parentShardIds: item.parentShardIds?.SS,
      });
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return leases.sort((a, b) => a.leaseKey.localeCompare(b.leaseKey));
}

/**
 * Removes the leader lock KCL 3 keeps in `<app>-CoordinatorState`. After an unclean stop it blocks the
 * next worker for about two minutes; after a clean stop it is harmless to remove.
 */
export async function clearLeaderLock(endpoint: string, app: string): Promise<void> {
  try {
    await awsJson(endpoint, 'dynamodb', 'DeleteItem', { TableName: `${app}-CoordinatorState`, Key: { key: { S: 'Leader' } } });
  } catch (err) {
    if (!(err instanceof AwsCallError && err.type === 'ResourceNotFoundException')) throw err;
  }
}
