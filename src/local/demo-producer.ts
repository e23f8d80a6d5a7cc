import { setTimeout as sleep } from 'node:timers/promises';
import { putRecords, type PutEntry, type PutResult } from './kinesis.js';

/** A running demo producer. */
export interface Producer {
  /** Records put so far. */
  readonly put: number;
  /** Stops after the current put; resolves when it has. */
  stop(): Promise<void>;
  /** Resolves when the producer stopped (after `total` records, or `stop()`). */
  done: Promise<void>;
}

/** Puts demo order events (`{ orderId, customer, amount, at }`, keyed by customer) at about `ratePerSecond`. */
export function startProducer(opts: {
  endpoint: string;
  stream: string;
  ratePerSecond: number;
  keys: number;
  total?: number;
  /** Called after each put with where the records landed (shard and sequence number). */
  onPut?: (results: PutResult[]) => void;
}): Producer {
  let put = 0;
  let stopping = false;
  const tick = 200;
  const perTick = Math.max(1, Math.round((opts.ratePerSecond * tick) / 1000));
  const done = (async () => {
    while (!stopping && (opts.total === undefined || put < opts.total)) {
      const n = opts.total === undefined ? perTick : Math.min(perTick, opts.total - put);
      const entries: PutEntry[] = [];
      for (let i = 0; i < n; i++) {
        const customer = `customer-${(put + i) % opts.keys}`;
        const order = { orderId: `order-${put + i + 1}`, customer, amount: ((put + i) % 97) + 0.99, at: new Date().toISOString() };
        entries.push({ partitionKey: customer, data: JSON.stringify(order) });
      }
      const results = await putRecords(opts.endpoint, opts.stream, entries);
      put += n;
      opts.onPut?.(results);
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
