// The demo consumer `kcl-ts local` runs under the daemon: logs each batch and, when KCL_TS_DEMO_OUT is
// set, appends one line per record there so that `kcl-ts local` can show records flowing.
import '../register.js';
import { appendFileSync } from 'node:fs';
import { run } from '../index.js';

const out = process.env.KCL_TS_DEMO_OUT;
let shardId = '';

await run({
  processor: {
    initialize(input) {
      shardId = input.shardId;
    },
    async processRecords({ records, millisBehindLatest }, checkpointer) {
      if (records.length === 0) return;
      const lines: string[] = [];
      for (const record of records) {
        const order = record.json<{ orderId: string; amount: number }>();
        lines.push(JSON.stringify({ shardId, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber, orderId: order.orderId }));
      }
      if (out) appendFileSync(out, `${lines.join('\n')}\n`);
      console.info(`processed ${records.length} records, ${millisBehindLatest ?? 0} ms behind`);
      await checkpointer.checkpoint();
    },
    async shardEnded(_shard, checkpointer) {
      await checkpointer.checkpoint();
    },
    async shutdownRequested(_shard, checkpointer) {
      await checkpointer.checkpoint();
    },
  },
});
