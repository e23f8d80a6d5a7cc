import type { BackendResponse, DynaliteBackend } from './backend.js';
import type { StoredStream, StreamStore } from './store.js';
import type { TableLocks } from './table-locks.js';
import type { TableStreams } from './tables.js';
import type { AttributeMap, AttributeValueJson, KeySchemaElement } from './types.js';

/** The write operations whose item changes are recorded. */
export const RECORDED_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

type Input = Record<string, unknown>;
type Headers = Record<string, string | string[] | undefined>;

/** JSON with object keys sorted: equal items give equal text whatever order their attributes came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The key attributes of an item (or of a Key), or undefined when one is missing. */
function keyOf(item: unknown, schema: readonly KeySchemaElement[]): AttributeMap | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const keys: AttributeMap = {};
  for (const { AttributeName } of schema) {
    const v = (item as Record<string, AttributeValueJson | undefined>)[AttributeName];
    if (v === undefined || v === null || typeof v !== 'object') return undefined;
    keys[AttributeName] = v;
  }
  return keys;
}

/** One write of a request to a table with a stream: its key, and the item before the write. */
interface PendingChange {
  table: string;
  stream: StoredStream;
  keys: AttributeMap;
  oldImage: AttributeMap | undefined;
}

/**
 * Records the item changes of PutItem, UpdateItem, DeleteItem and BatchWriteItem on tables with an
 * enabled stream: under the table's lock it reads each item (consistently) before and after relaying the
 * write to dynalite, and appends INSERT / MODIFY / REMOVE records. A write that failed, or that left the
 * item as it was, records nothing (as in DynamoDB). Writes to tables without a stream are relayed as they are.
 */
export class WriteRecorder {
  readonly #backend: DynaliteBackend;
  readonly #store: StreamStore;
  readonly #tables: TableStreams;
  readonly #locks: TableLocks;

  constructor(backend: DynaliteBackend, store: StreamStore, tables: TableStreams, locks: TableLocks) {
    this.#backend = backend;
    this.#store = store;
    this.#tables = tables;
    this.#locks = locks;
  }

  async write(operation: string, input: Input, raw: string, headers: Headers): Promise<BackendResponse> {
    const targets = this.#targets(operation, input);
    const streamed = targets.filter((t) => this.#tables.enabled(t.table) !== undefined);
    if (streamed.length === 0) return this.#backend.send(operation, raw, headers);
    const release = await this.#locks.acquire(streamed.map((t) => t.table));
    try {
      // The stream may have been switched while this write waited for the lock: look again.
      const pending = await Promise.all(
        targets.map(async ({ table, item }): Promise<PendingChange | undefined> => {
          const stream = this.#tables.enabled(table);
          const keys = stream && keyOf(item, stream.keySchema);
          if (!stream || !keys) return undefined; // no stream, or an invalid request dynalite will reject
          return { table, stream, keys, oldImage: await this.#get(table, keys) };
        }),
      );
      const res = await this.#backend.send(operation, raw, headers);
      if (res.status !== 200) return res;
      const unprocessed = operation === 'BatchWriteItem' ? unprocessedKeys(res, this.#tables) : new Set<string>();
      const done = pending.map((p) => (p && !unprocessed.has(`${p.table}\0${canonicalJson(p.keys)}`) ? p : undefined));
      const newImages = await Promise.all(done.map((p) => (p ? this.#get(p.table, p.keys) : undefined)));
      // Records are appended in request order.
      done.forEach((p, i) => {
        if (!p) return;
        const newImage = newImages[i];
        if (p.oldImage === undefined && newImage === undefined) return;
        if (p.oldImage !== undefined && newImage !== undefined && canonicalJson(p.oldImage) === canonicalJson(newImage)) return;
        // Keys as stored (a request may spell a number differently).
        const keys = keyOf(newImage ?? p.oldImage, p.stream.keySchema) ?? p.keys;
        this.#store.append(p.stream.arn, { keys, oldImage: p.oldImage, newImage });
      });
      return res;
    } finally {
      release();
    }
  }

  /** The (table, item-or-key) pairs a write touches, in request order. */
  #targets(operation: string, input: Input): { table: string; item: unknown }[] {
    if (operation === 'BatchWriteItem') {
      const out: { table: string; item: unknown }[] = [];
      const requests = input.RequestItems;
      if (requests === null || typeof requests !== 'object') return out;
      for (const [table, list] of Object.entries(requests as Record<string, unknown>)) {
        if (!Array.isArray(list)) continue;
        for (const r of list as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]) {
          out.push({ table, item: r?.PutRequest?.Item ?? r?.DeleteRequest?.Key });
        }
      }
      return out;
    }
    if (typeof input.TableName !== 'string') return [];
    return [{ table: input.TableName, item: operation === 'PutItem' ? input.Item : input.Key }];
  }

  async #get(table: string, keys: AttributeMap): Promise<AttributeMap | undefined> {
    const out = await this.#backend.call<{ Item?: AttributeMap }>('GetItem', { TableName: table, Key: keys, ConsistentRead: true });
    return out.Item;
  }
}

/** `table \0 canonical key` of each request BatchWriteItem left unprocessed. */
function unprocessedKeys(res: BackendResponse, tables: TableStreams): Set<string> {
  const out = new Set<string>();
  const body = JSON.parse(res.body.toString('utf8')) as { UnprocessedItems?: Record<string, { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]> };
  for (const [table, list] of Object.entries(body.UnprocessedItems ?? {})) {
    const stream = tables.enabled(table);
    if (!stream) continue;
    for (const r of list) {
      const keys = keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key, stream.keySchema);
      if (keys) out.add(`${table}\0${canonicalJson(keys)}`);
    }
  }
  return out;
}
