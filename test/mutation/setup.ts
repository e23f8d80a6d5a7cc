// Preloaded by the mutation runs (stryker.config.mjs): a property that fails reports its first
// counter-example instead of shrinking it. Shrinking a failing run of thousands of records takes longer
// than Stryker's timeout, and a mutant only needs one failing test to count as killed.
import fc from 'fast-check';

fc.configureGlobal({ endOnFailure: true });

// Scenario tests (test/processor/harness.ts) run in-process only here: the over-a-pipe variants test the
// same code through a child process, which costs seconds per mutant and kills no other mutant.
process.env.KCL_TS_TEST_MODES = 'in-process';
