// Mutation testing of the core (StrykerJS 9.6, command runner; 10.x needs Node 22). `npm run mutation`
// runs one Stryker run per area below (MUTATION_AREA=<area>): the area's files are mutated, compiled once
// with all mutants switched off (mutant schemata), and each mutant runs only the area's compiled tests,
// which keeps a full run short. Equivalent mutants are marked in the source with
// `// Stryker disable next-line <mutator>: <reason>`.

/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
const areas = {
  checkpoint: {
    mutate: ['src/checkpoint/tracker.ts', 'src/checkpoint/position.ts'],
    tests: ['checkpoint/tracker'],
  },
  dispatch: {
    mutate: ['src/dispatch/keyed-dispatcher.ts'],
    tests: ['dispatch/dispatcher-paths', 'dispatch/retry-order', 'dispatch/keyed-dispatcher'],
  },
  handler: {
    mutate: ['src/processor/handler-processor.ts', 'src/processor/job-runner.ts', 'src/processor/watermark-checkpoints.ts', 'src/timeout.ts'],
    tests: ['processor/handler-runtime', 'processor/handler-endings', 'processor/handler', 'processor/failure', 'processor/halted-shard', 'processor/abort-not-failure', 'processor/stop-shard', 'processor/small-in-flight-bound', 'dispatch/retry-order', 'dispatch/runtime.property', 'processor/timeout', 'processor/checkpoint-pacing'],
  },
  codec: {
    mutate: ['src/protocol/codec.ts'],
    tests: ['protocol/codec-errors', 'protocol/codec'],
  },
};

const area = process.env.MUTATION_AREA ?? 'checkpoint';
const selected = areas[area];
if (!selected) throw new Error(`MUTATION_AREA must be one of ${Object.keys(areas).join(', ')}, got ${area}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'command',
  // The area's test files one after the other, stopping at the first that fails (a killed mutant needs
  // no more); fast-check stops at the first counter-example (test/mutation/setup.ts). (No --test-timeout:
  // on Node 20 it also bounds a whole file, which fails slow but correct runs on a busy machine.)
  commandRunner: {
    command: selected.tests.map((t) => `node --import ./build-test/test/mutation/setup.js --test build-test/test/${t}.test.js`).join(' && '),
  },
  buildCommand: 'tsc -p tsconfig.test.json',
  mutate: selected.mutate,
  ignorePatterns: ['/dist', '/build-test', '/bench/results', '/docker', '/maven', '/.stryker-tmp-*'],
  coverageAnalysis: 'off',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 5000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${area}.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 80, break: 90 },
  // One sandbox folder per area, so that areas can run side by side.
  tempDirName: `.stryker-tmp-${area}`,
  cleanTempDir: 'always',
};
