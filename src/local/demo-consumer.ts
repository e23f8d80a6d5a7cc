// The demo consumer \`kcl-ts local\` runs under the daemon: the per-record API, logging through ctx.log,
// and, when KCL_TS_DEMO_OUT is set, one line per record there so that \`kcl-ts local\` can show records
// flowing.
import '../register.js';
import { appendFileSync } from 'node:fs';
import { run } from '../index.js';

const out = process.env.KCL_TS_DEMO_OUT;

await run({
  concurrency: 16,
  handle(record, ctx) {
    const order = record.json<{ orderId: string; amount: number }>();
    ctx.log.debug({ orderId: order.orderId, amount: order.amount }, 'order');
    if (out) {
      const line = { shardId: ctx.shardId, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber, orderId: order.orderId };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    }
  },
});
