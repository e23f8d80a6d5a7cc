import { setFlagsFromString } from 'node:v8';

/**
 * V8 heap settings kcl-ts applies at startup of a shard child (run()). They bound the two kinds of
 * garbage that dominated a busy child's peak RSS (bench/ rss and dispatchRss, README "Memory"):
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial size (1 MiB semi-spaces)
 *   instead of growing to 16 MiB semi-spaces under a high survival rate, as a 10,000-record batch causes.
 * - `--heap-growing-percent=20`: after a full GC the old generation may grow 20% (V8 still adds its
 *   minimum step of a few MiB) before the next one, instead of up to 4x.
 * Both are read by V8 at run time, so setting them in the running process takes effect; they cost
 * some GC CPU (measured in bench/, README). The child is a process kcl-ts owns (the daemon starts one
 * per shard), so its footprint is kcl-ts's to choose; users opt out with `run({ heapTuning: false })`,
 * `KCL_TS_HEAP_TUNING=0`, or by giving their own heap flags to node.
 */
export const HEAP_TUNING_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

/** Node/V8 options that mean the user sizes the heap themselves (then kcl-ts leaves it alone). */
const USER_HEAP_FLAG = /--(max|min)[-_](semi|old)[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--heap[-_]growing[-_]percent/;

/**
 * Applies {@link HEAP_TUNING_FLAGS} unless disabled or the user passed heap flags to node.
 * @returns the flags applied (empty when none were).
 */
export function applyHeapTuning(
  enabled: boolean,
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): readonly string[] {
  if (!enabled || env.KCL_TS_HEAP_TUNING === '0') return [];
  if (execArgv.some((a) => USER_HEAP_FLAG.test(a)) || USER_HEAP_FLAG.test(env.NODE_OPTIONS ?? '')) return [];
  for (const flag of HEAP_TUNING_FLAGS) setFlagsFromString(flag);
  return HEAP_TUNING_FLAGS;
}
