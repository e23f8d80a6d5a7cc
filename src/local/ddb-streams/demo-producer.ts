import { setTimeout as sleep } from 'node:timers/promises';
import { awsJson } from '../aws-json.js';
import type { Producer } from '../demo-producer.js';

/** Versions an item goes through before the producer deletes it (and later inserts it again). */
const LIFE = 5;

/**
 * Changes demo items (`{ id, version, amount, at }`, key `id`) at about `ratePerSecond`: each change is an
 * insert, an update (version + 1) or, after {@link LIFE} versions, a delete, round robin over `items`
 * items, so every write makes exactly one stream record and each item's records carry versions in order.
 */
export function startStreamsProducer(opts: { endpoint: string; table: string; ratePerSecond: number; items: number; total?: number }): Producer {
  let put = 0;
  let stopping = false;
  const versions = new Map<string, number>();
  const tick = 200;
  const perTick = Math.max(1, Math.round((opts.ratePerSecond * tick) / 1000));
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
  const done = (async () => {
    while (!stopping && (opts.total === undefined || put < opts.total)) {
      const n = opts.total === undefined ? perTick : Math.min(perTick, opts.total - put);
      // One change per item at a time (n <= items), so each item's changes stay in the order made.
      for (let start = 0; start < n; start += opts.items) {
        const batch = Array.from({ length: Math.min(opts.items, n - start) }, (_, i) => put + start + i);
        await Promise.all(batch.map(change));
      }
      put += n;
      await sleep(tick);
    }
  })();
  return {
    get put() {
      return put;
    },
    done,
    async stop() {
      stopping = true;
      await done.catch(() => undefined);
    },
  };
}
