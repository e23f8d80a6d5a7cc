// npm run bench: prints one JSON document with every result (see README "Benchmarks").
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSplit } from './split.js';
import { benchPipe } from './pipe.js';
import { benchMemory } from './memory.js';
import { benchE2e } from './e2e.js';
import { benchDispatchNoop, benchDispatchRss, benchDispatchSkewed } from './dispatch.js';

const here = dirname(fileURLToPath(import.meta.url));
const noop = join(here, '..', 'test', 'fixtures', 'noop-processor.js');
const only = process.argv[2];

const out: Record<string, unknown> = {
  node: process.version,
  cpus: cpus().length,
  at: new Date().toISOString(),
};
if (!only || only === 'split') out.split = await benchSplit();
if (!only || only === 'memory') out.memory = benchMemory();
if (!only || only === 'pipe') {
  out.noopThroughput = [
    await benchPipe(noop, { recordBytes: 100, batchSize: 10_000, batches: 40 }),
    await benchPipe(noop, { recordBytes: 1024, batchSize: 10_000, batches: 15 }),
  ];
}
if (!only || only === 'rss') {
  out.rss1KB = await benchPipe(noop, { recordBytes: 1024, batchSize: 10_000, batches: 30 });
}
if (!only || only === 'dispatch') {
  // Skewed I/O without and with the daemon's fetch latency between batches (200 ms: POLLING's minimum
  // idleTimeBetweenReadsInMillis); the sequential baseline is estimated from the timer delay there.
  out.dispatchSkewed = await benchDispatchSkewed();
  out.dispatchSkewedWithFetchLatency = await benchDispatchSkewed({ deliveryDelayMs: 200, sequential: false });
  out.dispatchNoop = await benchDispatchNoop();
  out.dispatchRss = await benchDispatchRss();
}
if (!only || only === 'e2e') out.e2e = await benchE2e();
const json = JSON.stringify(out, null, 2);
mkdirSync(join(here, '..', '..', 'bench', 'results'), { recursive: true });
writeFileSync(join(here, '..', '..', 'bench', 'results', 'latest.json'), `${json}\n`);
process.stdout.write(`${json}\n`);
