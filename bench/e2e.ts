// End-to-end throughput through kinesis-local + the real daemon (POLLING, 250 ms between reads) + the
// e2e fixture processor on a 2-shard stream: live (put while consuming) and draining a stored backlog.
import { putRecords } from '../src/local/kinesis.js';
import { createApp, createStream, launch, processed, startEmulators, waitFor, events } from '../test/e2e/stack.js';

export async function benchE2e(records = 20_000, recordBytes = 100): Promise<Record<string, unknown>> {
  const emu = await startEmulators();
  try {
    const shards = await createStream(emu.kinesis, 'bench', 2);
    const app = await createApp(emu, 'bench-app', 'bench', shards);
    const launcher = launch(app);
    await waitFor('shards initialized', () => events(app).filter((e) => e.action === 'initialize').length === 2, 120_000, launcher);
    const payload = 'x'.repeat(recordBytes);
    const entries = Array.from({ length: records }, (_, i) => ({ partitionKey: `key-${i % 200}`, data: payload }));
    const t0 = Date.now();
    await putRecords(emu.kinesis, 'bench', entries);
    const putMs = Date.now() - t0;
    await waitFor(`${records} records processed`, () => processed(app).length >= records, 300_000, launcher);
    const totalMs = Date.now() - t0;
    launcher.child.kill('SIGTERM');
    await launcher.exited;
    // Backlog: a second application reads the same 20,000 stored records from TRIM_HORIZON, with no
    // puts competing for the emulator: daemon + child throughput as far as the emulator's GetRecords allows.
    const drain = await createApp(emu, 'bench-drain', 'bench', shards);
    const drainer = launch(drain);
    await waitFor('drain shards initialized', () => events(drain).filter((e) => e.action === 'initialize').length === 2, 120_000, drainer);
    const d0 = Math.min(...events(drain).filter((e) => e.action === 'initialize').map((e) => e.at));
    await waitFor(`${records} backlog records processed`, () => processed(drain).length >= records, 300_000, drainer);
    const drainMs = Date.now() - d0;
    drainer.child.kill('SIGTERM');
    await drainer.exited;
    return {
      name: 'e2e',
      records,
      recordBytes,
      shards: 2,
      putMs,
      putRecordsPerSecond: Math.round(records / (putMs / 1000)),
      putToProcessedMs: totalMs,
      endToEndRecordsPerSecond: Math.round(records / (totalMs / 1000)),
      lastPutToProcessedMs: totalMs - putMs,
      backlogDrainMs: drainMs,
      backlogRecordsPerSecond: Math.round(records / (drainMs / 1000)),
    };
  } finally {
    await emu.stop();
  }
}
