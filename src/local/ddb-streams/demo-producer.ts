import { awsJson } from '../aws-json.js';
import { produceAtRate, type Producer } from '../demo-producer.js';

/** Versions an item goes through before the producer deletes it (and later inserts it again). */
const LIFE = 5;

/**
 * Changes demo items (`{ id, version, amount, at }`, key `id`) at about `ratePerSecond`: each change is an
 * insert, an update (version + 1) or, after {@link LIFE} versions, a delete, round robin over `items`
 * items, so every write makes exactly one stream record and each item's records carry versions in order.
 */
export function startStreamsProducer(opts: { endpoint: string; table: string; ratePerSecond: number; items: number; total?: number }): Producer {
  const versions = new Map<string, number>();
  const change = async (n: number) => {
    const id = `item-${n % opts.items}`;
    const version = versions.get(id);
    const at = { S: new Date().toISOString() };
    if (version === undefined) {
      await awsJson(opts.endpoint, 'dynamodb', 'PutItem', { TableName: opts.table, Item: { id: { S: id }, version: { N: '0' }, amount: { N: String((n % 97) + 0.99) }, at } });
      versions.set(id, 0);
    } else if (version + 1 >= LIFE) {
      await awsJson(opts.endpoint, 'dynamodb', 'DeleteItem', { TableName: opts.table, Key: { id: { S: id } } });
      versions.delete(id);
    } else {
      await awsJson(opts.endpoint, 'dynamodb', 'UpdateItem', {
        TableName: opts.table,
        Key: { id: { S: id } },
        UpdateExpression: 'SET version = :v, amount = :a, #at = :at',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':v': { N: String(version + 1) }, ':a': { N: String((n % 89) + 0.5) }, ':at': at },
      });
      versions.set(id, version + 1);
    }
  };
  return produceAtRate(opts, async (first, n) => {
    // One change per item at a time (n <= items), so each item's changes stay in the order made.
    for (let start = 0; start < n; start += opts.items) {
      const batch = Array.from({ length: Math.min(opts.items, n - start) }, (_, i) => first + start + i);
      await Promise.all(batch.map(change));
    }
  });
}
