// The example consumer baked into the image when no consumer build context is given. Replace it with
// yours: docker build -f docker/Dockerfile --build-context consumer=DIR . (see docker/README.md).
// Plain ESM, so it needs no build step; a TypeScript consumer adds a `build` script to its package.json.
import 'kcl-ts/register'; // first import: claims stdout for the protocol before anything else loads
import { run } from 'kcl-ts';

await run({
  processor: {
    async processRecords({ records, millisBehindLatest }, checkpointer) {
      if (records.length === 0) return;
      let bytes = 0;
      for (const record of records) bytes += record.data.length; // your work here: record.json(), record.text()
      // console.* goes to the log (pino JSON on the container's stdout), never to the protocol's stdout.
      console.info(`processed ${records.length} records (${bytes} bytes, last ${records.at(-1).sequenceNumber}), ${millisBehindLatest ?? 0} ms behind`);
      await checkpointer.checkpoint(); // at the last record of this batch
    },
    async shardEnded(_shard, checkpointer) {
      await checkpointer.checkpoint(); // SHARD_END, or the child shards never start
    },
    async shutdownRequested(_shard, checkpointer) {
      await checkpointer.checkpoint(); // SIGTERM to the task: save progress while the lease is ours
    },
  },
});
