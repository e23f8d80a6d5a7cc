// Benchmarks of the per-record runtime (run({ handle })): a skewed I/O workload against the usual
// alternatives, no-op throughput over real pipes against the low-level processor, and the child's peak
// RSS under backpressure. Each export returns a JSON-able object; run one alone with
//   node build-test/bench/dispatch.js skewed|noop|rss
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { FakeDaemon, RecordFactory, type EncodedBatch } from '../src/testing/index.js';
import type { HandlerOptions, KinesisRecord, RecordProcessor } from '../src/index.js';
import type { WireRecord } from '../src/protocol/index.js';
import { benchPipe, peakRssMb } from './pipe.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'test', 'fixtures');
const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` key ranks (0 = hottest) drawn from Zipf(s) over `keys` keys, deterministically from `seed`. */
export function zipfKeys(count: number, keys: number, s: number, seed: number): number[] {
  const cdf = new Float64Array(keys);
  let total = 0;
  for (let k = 0; k < keys; k++) cdf[k] = total += 1 / (k + 1) ** s;
  const rnd = prng(seed);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const u = rnd() * total;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

/** Mean real delay of `await setTimeout(ms)` on an idle event loop, in ms. */
async function timerDelay(ms: number, samples: number): Promise<{ meanMs: number; p50Ms: number; p99Ms: number }> {
  const d: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = nowMs();
    await sleep(ms);
    d.push(nowMs() - t);
  }
  d.sort((a, b) => a - b);
  return { meanMs: round(d.reduce((a, b) => a + b, 0) / d.length), p50Ms: round(d[d.length >> 1]!), p99Ms: round(d[Math.floor(d.length * 0.99)]!) };
}

/**
 * Delivers `batches` through an in-process FakeDaemon (each next batch only after the status) and
 * times first processRecords → shutdownRequested status (so pipelined work is drained and checkpointed).
 */
async function drive(
  processor: RecordProcessor | HandlerOptions,
  batches: EncodedBatch[],
  last: WireRecord,
  deliveryDelayMs = 0,
): Promise<{ ms: number; checkpoints: number; holdMs: number }> {
  // A plain stream, as when the figures in the README were measured (the kit's default is now a socket into pooled blocks).
  const daemon = FakeDaemon.inProcess(processor, { replyTimeoutMs: 600_000, logger: pino({ level: 'silent' }), pooledStdin: false });
  await daemon.initialize();
  const t0 = nowMs();
  let holdMs = 0;
  for (const b of batches) {
    const t = nowMs();
    await daemon.processRecords(b);
    holdMs += nowMs() - t;
    // The real daemon fetches the next batch only after the reply: a GetRecords round trip plus
    // idleTimeBetweenReadsInMillis (200 ms at least in POLLING mode).
    if (deliveryDelayMs > 0) await new Promise((r) => setTimeout(r, deliveryDelayMs));
  }
  await daemon.shutdownRequested();
  const ms = nowMs() - t0;
  await daemon.leaseLost();
  const code = await daemon.close();
  if (code !== 0) throw new Error(`exit code ${code}`);
  const final = daemon.checkpoints[daemon.checkpoints.length - 1];
  const finalAtLast = final && (final.sequenceNumber === null || (final.sequenceNumber === last.sequenceNumber && (final.subSequenceNumber ?? 0) === (last.subSequenceNumber ?? 0)));
  if (!finalAtLast) throw new Error(`the final checkpoint is not at the last record: ${JSON.stringify(final)}`);
  return { ms: round(ms, 1), checkpoints: daemon.checkpoints.length, holdMs: round(holdMs, 1) };
}

export interface SkewedOptions {
  records?: number;
  keys?: number;
  zipfS?: number;
  seed?: number;
  workMs?: number;
  concurrency?: number;
  batchSize?: number;
  /** Run the (slow: records x ~2.1 ms) sequential variant; otherwise it is estimated from the timer delay. */
  sequential?: boolean;
  /** Pause between a reply and the next batch, as the daemon's fetch takes. @default 0 */
  deliveryDelayMs?: number;
}

/**
 * (a) Skewed I/O: Zipf-distributed partition keys, each record awaits a `workMs` timer. Compares
 * run({ handle }) with sequential processing and a per-batch barrier, against the lower bound
 * max(busiest key's records x work, total work / concurrency).
 */
export async function benchDispatchSkewed(options: SkewedOptions = {}): Promise<Record<string, unknown>> {
  const { records = 20_000, keys = 1_000, zipfS = 1.1, seed = 42, workMs = 2, concurrency = 256, batchSize = 500, sequential = true, deliveryDelayMs = 0 } = options;
  const ranks = zipfKeys(records, keys, zipfS, seed);
  const perKey = new Map<number, number>();
  for (const r of ranks) perKey.set(r, (perKey.get(r) ?? 0) + 1);
  const busiest = Math.max(...perKey.values());
  // A per-batch barrier cannot beat the sum over batches of that batch's busiest key.
  let barrierChain = 0;
  for (let i = 0; i < records; i += batchSize) {
    const inBatch = new Map<number, number>();
    for (const r of ranks.slice(i, i + batchSize)) inBatch.set(r, (inBatch.get(r) ?? 0) + 1);
    barrierChain += Math.max(...inBatch.values());
  }
  const factory = new RecordFactory();
  const batches: EncodedBatch[] = [];
  let last: WireRecord | undefined;
  for (let i = 0; i < records; i += batchSize) {
    const part = factory.batch({ count: Math.min(batchSize, records - i), keys: (j) => `pk-${ranks[i + j]}`, size: 100 });
    last = part[part.length - 1];
    batches.push(FakeDaemon.encodeBatch(part));
  }
  const work = (): Promise<void> => sleep(workMs);
  const timer = await timerDelay(workMs, 500);

  // kcl-ts: run({ handle }); handler durations are recorded to see the timer delay under load.
  const durations: number[] = [];
  const hotDurations: number[] = [];
  const hotKey = `pk-${[...perKey.entries()].sort((a, b) => b[1] - a[1])[0]![0]}`;
  const kcl = await drive(
    {
      concurrency,
      statsIntervalMs: 0,
      async handle(r: KinesisRecord) {
        const t = nowMs();
        await work();
        const d = nowMs() - t;
        durations.push(d);
        if (r.partitionKey === hotKey) hotDurations.push(d);
      },
    },
    batches,
    last!,
    deliveryDelayMs,
  );

  // The common hand-rolled approach: per batch, group by key, keys in parallel, a key's records in order.
  const barrier = await drive(
    {
      async processRecords({ records: list }, checkpointer) {
        const byKey = new Map<string, KinesisRecord[]>();
        for (const r of list) {
          const l = byKey.get(r.partitionKey);
          if (l) l.push(r);
          else byKey.set(r.partitionKey, [r]);
        }
        await Promise.all(
          [...byKey.values()].map(async (l) => {
            for (let i = 0; i < l.length; i++) await work();
          }),
        );
        await checkpointer.checkpoint();
      },
    },
    batches,
    last!,
    deliveryDelayMs,
  );

  let seq: { ms: number; checkpoints: number; estimated?: boolean } = { ms: round(records * timer.meanMs, 1), checkpoints: 0, estimated: true };
  if (sequential) {
    seq = await drive(
      {
        async processRecords({ records: list }, checkpointer) {
          for (let i = 0; i < list.length; i++) await work();
          await checkpointer.checkpoint();
        },
      },
      batches,
      last!,
      deliveryDelayMs,
    );
  }

  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  const lowerBoundNominal = Math.max(busiest * workMs, (records * workMs) / concurrency);
  const lowerBoundMeasured = Math.max(busiest * timer.meanMs, (records * timer.meanMs) / concurrency);
  const lowerBoundUnderLoad = Math.max(busiest * mean(hotDurations), (records * mean(durations)) / concurrency);
  return {
    name: 'dispatchSkewed',
    deliveryDelayMs,
    records,
    keys,
    zipfS,
    seed,
    workMs,
    concurrency,
    batchSize,
    busiestKeyRecords: busiest,
    /** Sum over batches of each batch's busiest key: the per-batch barrier's chain of timers. */
    barrierChainRecords: barrierChain,
    distinctKeys: perKey.size,
    timerDelayIdle: timer,
    handlerMeanMsUnderLoad: round(mean(durations)),
    hotKeyHandlerMeanMsUnderLoad: round(mean(hotDurations)),
    elapsedMs: { kclTs: kcl.ms, perBatchBarrier: barrier.ms, sequential: seq.ms, sequentialEstimated: seq.estimated ?? false },
    statusWaitMs: { kclTs: kcl.holdMs, perBatchBarrier: barrier.holdMs },
    checkpoints: { kclTs: kcl.checkpoints, perBatchBarrier: barrier.checkpoints },
    barrierLowerBoundMs: round(Math.max(barrierChain * timer.meanMs, (records * timer.meanMs) / concurrency), 1),
    lowerBoundMs: { nominal: round(lowerBoundNominal, 1), idleTimerDelay: round(lowerBoundMeasured, 1), handlerDelayUnderLoad: round(lowerBoundUnderLoad, 1) },
    ratios: {
      kclTsOverLowerBound: round(kcl.ms / lowerBoundNominal),
      kclTsOverLowerBoundIdleTimer: round(kcl.ms / lowerBoundMeasured),
      kclTsOverLowerBoundUnderLoad: round(kcl.ms / lowerBoundUnderLoad),
      sequentialOverKclTs: round(seq.ms / kcl.ms),
      barrierOverKclTs: round(barrier.ms / kcl.ms),
    },
    goals: { kclTsOverLowerBound: '<= 1.25', sequentialOverKclTs: '>= 5', barrierOverKclTs: '> 1' },
  };
}

interface ChildRun {
  seconds: number;
  recordsPerSecond: number;
  childPeakRssMb: number | null;
  checkpoints: number;
  /** processRecords exchanges whose status took longer than 20 ms (held back by backpressure). */
  heldStatuses: number;
  maxStatusWaitMs: number;
  /** Largest (records delivered - records checkpointed) the daemon saw at a status: in flight at most. */
  maxUncheckpointedRecords: number;
  stats: Record<string, unknown>[];
  exitCode: number | null;
}

/**
 * Drives a child over real pipes like bench/pipe.ts, but times first processRecords → shutdownRequested
 * status: with run({ handle }) the last status comes before the last batch is done (pipelining), and its
 * checkpoints trail one batch, so benchPipe's timing and checkpoint count do not apply to it.
 */
export async function pipeChild(script: string, run: { recordBytes: number; batchSize: number; batches: number; keys?: number }, env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  const factory = new RecordFactory();
  const encoded: EncodedBatch[] = [];
  let last: WireRecord | undefined;
  for (let i = 0; i < run.batches; i++) {
    const b = factory.batch({ count: run.batchSize, keys: run.keys ?? 100, size: run.recordBytes });
    last = b[b.length - 1];
    encoded.push(FakeDaemon.encodeBatch(b));
  }
  const daemon = FakeDaemon.spawn(process.execPath, [script], {
    env: { ...process.env, KCL_TS_LOG_DEST: 'stderr', KCL_TS_LOG_LEVEL: 'warn', ...env },
    replyTimeoutMs: 300_000,
  });
  await daemon.initialize();
  const firstSeq = BigInt(JSON.parse(encoded[0]!.line).records[0].sequenceNumber as string);
  let held = 0;
  let maxWait = 0;
  let maxUncheckpointed = 0;
  const t0 = nowMs();
  for (let i = 0; i < encoded.length; i++) {
    const t = nowMs();
    await daemon.processRecords(encoded[i]!);
    const wait = nowMs() - t;
    if (wait > 20) held++;
    maxWait = Math.max(maxWait, wait);
    const cp = daemon.checkpoints[daemon.checkpoints.length - 1];
    const done = cp?.sequenceNumber ? Number(BigInt(cp.sequenceNumber) - firstSeq + 1n) : 0;
    maxUncheckpointed = Math.max(maxUncheckpointed, (i + 1) * run.batchSize - done);
  }
  await daemon.shutdownRequested();
  const seconds = (nowMs() - t0) / 1000;
  const rss = peakRssMb(daemon.child.pid!);
  await daemon.leaseLost();
  const code = await daemon.close();
  const final = daemon.checkpoints[daemon.checkpoints.length - 1];
  if (final?.sequenceNumber !== last!.sequenceNumber) throw new Error(`final checkpoint ${JSON.stringify(final)} is not the last record ${last!.sequenceNumber}`);
  const stats = daemon.stderrLines.flatMap((l) => {
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      return o.msg === 'stats' ? [o] : [];
    } catch {
      return [];
    }
  });
  const records = run.batches * run.batchSize;
  return {
    seconds: round(seconds),
    recordsPerSecond: Math.round(records / seconds),
    childPeakRssMb: rss,
    checkpoints: daemon.checkpoints.length,
    heldStatuses: held,
    maxStatusWaitMs: round(maxWait, 1),
    maxUncheckpointedRecords: maxUncheckpointed,
    stats,
    exitCode: code,
  };
}

/**
 * (b) No-op throughput over real pipes: run({ handle: () => {} }) against the low-level no-op processor
 * (checkpoint per batch), alternating, best of `repeats`, 100 B records, 10,000 per batch.
 */
export async function benchDispatchNoop(options: { batches?: number; repeats?: number; recordBytes?: number; batchSize?: number } = {}): Promise<Record<string, unknown>> {
  const { batches = 30, repeats = 5, recordBytes = 100, batchSize = 10_000 } = options;
  const run = { recordBytes, batchSize, batches };
  const low: ChildRun[] = [];
  const handle: ChildRun[] = [];
  for (let i = 0; i < repeats; i++) {
    low.push(await pipeChild(join(fixtures, 'noop-processor.js'), run));
    handle.push(await pipeChild(join(fixtures, 'bench-noop-handle.js'), run));
  }
  // bench/pipe.ts's own measure of the low-level processor (to last status), for reference.
  const benchPipeLowLevel = await benchPipe(join(fixtures, 'noop-processor.js'), run);
  const best = (l: ChildRun[]): ChildRun => l.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const brief = (r: ChildRun) => ({ seconds: r.seconds, recordsPerSecond: r.recordsPerSecond, childPeakRssMb: r.childPeakRssMb, checkpoints: r.checkpoints });
  const median = (l: ChildRun[]): number => [...l].map((r) => r.recordsPerSecond).sort((a, b) => a - b)[l.length >> 1]!;
  return {
    name: 'dispatchNoop',
    ...run,
    records: batches * batchSize,
    lowLevel: { best: brief(best(low)), allRecordsPerSecond: low.map((r) => r.recordsPerSecond) },
    handle: { best: brief(best(handle)), allRecordsPerSecond: handle.map((r) => r.recordsPerSecond) },
    benchPipeLowLevel,
    ratio: round(best(handle).recordsPerSecond / best(low).recordsPerSecond),
    ratioOfMedians: round(median(handle) / median(low)),
    goal: '>= 0.8',
  };
}

/**
 * (c) Peak RSS of a child with a slow handler (each record awaits a `delayMs` timer, `concurrency` at
 * once) fed 10,000 x 1 KB batches faster than it can handle them: the in-flight bounds must hold the
 * status replies back, so memory stays bounded.
 */
export async function benchDispatchRss(options: { batches?: number; delayMs?: number; concurrency?: number; recordBytes?: number; keys?: number } = {}): Promise<Record<string, unknown>> {
  const { batches = 30, delayMs = 1, concurrency = 64, recordBytes = 1024, keys = 1000 } = options;
  const r = await pipeChild(
    join(fixtures, 'bench-slow-handle.js'),
    { recordBytes, batchSize: 10_000, batches, keys },
    { KCL_TS_LOG_LEVEL: 'info', BENCH_DELAY_MS: String(delayMs), BENCH_CONCURRENCY: String(concurrency), BENCH_STATS_MS: '200' },
  );
  const num = (k: string) => r.stats.map((s) => Number(s[k] ?? 0));
  return {
    name: 'dispatchRss',
    batches,
    batchSize: 10_000,
    recordBytes,
    keys,
    delayMs,
    concurrency,
    seconds: r.seconds,
    recordsPerSecond: r.recordsPerSecond,
    childPeakRssMb: r.childPeakRssMb,
    goalRssMb: '< 150',
    heldStatuses: r.heldStatuses,
    maxStatusWaitMs: r.maxStatusWaitMs,
    maxUncheckpointedRecords: r.maxUncheckpointedRecords,
    statsSamples: r.stats.length,
    maxInFlightRecordsSeen: Math.max(0, ...num('inFlight')),
    maxRunningSeen: Math.max(0, ...num('running')),
    maxKeysSeen: Math.max(0, ...num('keys')),
    checkpoints: r.checkpoints,
    exitCode: r.exitCode,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2] ?? 'all';
  const out: Record<string, unknown> = {};
  if (which === 'all' || which === 'skewed') out.dispatchSkewed = await benchDispatchSkewed({ sequential: process.argv[3] !== 'estimate' });
  if (which === 'all' || which === 'noop') out.dispatchNoop = await benchDispatchNoop();
  if (which === 'all' || which === 'rss') out.dispatchRss = await benchDispatchRss();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}
