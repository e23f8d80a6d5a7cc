// The demo consumer of `kcl-ts local --source dynamodb-streams`: record.dynamodb() per change, and, when
// KCL_TS_DEMO_OUT is set, one line per change there so that `kcl-ts local` can show changes flowing.
import '../../register.js';
import { appendFileSync } from 'node:fs';
import { run } from '../../index.js';

const out = process.env.KCL_TS_DEMO_OUT;

interface DemoItem {
  id: string;
  version: number;
  amount: number;
}

await run({
  concurrency: 16,
  handle(record, ctx) {
    const change = record.dynamodb<DemoItem, { id: string }>();
    const version = (change.newImage ?? change.oldImage)?.version;
    ctx.log.debug({ id: change.keys.id, eventName: change.eventName, version }, 'change');
    if (out) {
      const line = { shardId: ctx.shardId, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber, eventName: change.eventName, id: change.keys.id, version };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    }
  },
});
