// A processor child over real pipes, driven by this process playing the daemon.
import { readFileSync } from 'node:fs';
import { FakeDaemon, RecordFactory, type EncodedBatch } from '../src/testing/index.js';

/** Peak resident set size of a process, from /proc (VmHWM), in MB. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export interface PipeRun {
  recordBytes: number;
  batchSize: number;
  batches: number;
}

/**
 * Sends `batches` batches to `script` (a run() processor) and measures records/s from the first
 * processRecords to the last status (every batch checkpointed), and the child's peak RSS.
 */
export async function benchPipe(script: string, run: PipeRun, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  // Every batch is encoded before timing starts, with increasing sequence numbers (checkpoints never go back).
  const factory = new RecordFactory();
  const encoded: EncodedBatch[] = [];
  for (let i = 0; i < run.batches; i++) {
    encoded.push(FakeDaemon.encodeBatch(factory.batch({ count: run.batchSize, keys: 100, size: run.recordBytes })));
  }
  const daemon = FakeDaemon.spawn(process.execPath, [script], {
    env: { ...process.env, KCL_TS_LOG_DEST: 'stderr', KCL_TS_LOG_LEVEL: 'warn', ...env },
    replyTimeoutMs: 120_000,
  });
  await daemon.initialize();
  const t0 = process.hrtime.bigint();
  for (const batch of encoded) await daemon.processRecords(batch);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = peakRssMb(daemon.child.pid!);
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  const code = await daemon.close();
  const records = run.batches * run.batchSize;
  if (daemon.checkpoints.length !== run.batches + 1) throw new Error(`expected ${run.batches + 1} checkpoints`);
  return {
    ...run,
    records,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSecond: Math.round(records / seconds),
    childPeakRssMb: rss,
    exitCode: code,
  };
}
