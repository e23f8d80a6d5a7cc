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

/**
 * The loop of the demo producers: every 200 ms `produce(first, n)` makes the next `n` records (numbered
 * from `first`), `n` chosen for about `ratePerSecond`, until `total` are made or `stop()` is called.
 */
export function produceAtRate(opts: { ratePerSecond: number; total?: number }, produce: (first: number, n: number) => Promise<void>): Producer {
  let put = 0;
  let stopping = false;
  const tick = 200;
  const perTick = Math.max(1, Math.round((opts.ratePerSecond * tick) / 1000));
  const done = (async () => {
    while (!stopping && (opts.total === undefined || put < opts.total)) {
      const n = opts.total === undefined ? perTick : Math.min(perTick, opts.total - put);
      await produce(put, n);
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
  return produceAtRate(opts, async (first, n) => {
    const entries: PutEntry[] = [];
    for (let i = first; i < first + n; i++) {
      const customer = `customer-${i % opts.keys}`;
      const order = { orderId: `order-${i + 1}`, customer, amount: (i % 97) + 0.99, at: new Date().toISOString() };
      entries.push({ partitionKey: customer, data: JSON.stringify(order) });
    }
    opts.onPut?.(await putRecords(opts.endpoint, opts.stream, entries));
  });
}
