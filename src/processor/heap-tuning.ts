import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { JSON_PARSE_MAX_BYTES } from '../protocol/codec.js';
import type { LineEvents, LineInput } from '../protocol/index.js';

/**
 * With small batch lines V8's young generation (new space) may grow to this size, two 4 MiB
 * semi-spaces, instead of the 32 MiB (two 16 MiB semi-spaces) that a 10,000-record batch's survival
 * rate grows it to. Measured at 100 B records (3.3 MB lines; bench/ pipe, README "Memory"): 32 MiB cost
 * about 15 MB of peak RSS (107-113 vs 93-95 MB); its initial 2 MiB cut the no-op throughput by a third
 * or more (293,000-420,000 vs about 600,000 records/s), as each batch's objects are copied and promoted
 * instead of dying young.
 */
export const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;

/**
 * Batch lines above this size are "big": decoded into views of stdin memory (codec.ts), which then holds
 * most of the child's memory, and the young generation is held at the size it has. Measured at 1 KB
 * records (15 MB lines): growing it even to {@link YOUNG_GENERATION_CAP_BYTES} cost 5-20 MB of peak RSS
 * (103-121 vs 97-112 MB).
 */
export const BIG_LINE_BYTES = JSON_PARSE_MAX_BYTES;

/** Lines shorter than this (checkpoint answers, control messages, tiny batches) leave the mode as it is. */
const BATCH_LINE_MIN_BYTES = 64 * 1024;

/** Old-generation growth between full GCs: 10% (V8 still adds a minimum step of a few MiB) instead of up to 4x. */
const OLD_GENERATION_FLAG = '--heap-growing-percent=10';
/** V8's default growth of the young generation (double when survival is high), and no growth. */
const GROW = '--semi-space-growth-factor=2';
const HOLD = '--semi-space-growth-factor=1';

/** Node/V8 options that mean the user sizes the heap themselves (then kcl-ts leaves it alone). */
const USER_HEAP_FLAG = /--(max|min)[-_](semi|old)[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--heap[-_]growing[-_]percent/;

/** Current size of V8's new space (both semi-spaces), in bytes. */
function newSpaceBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/**
 * Keeps a shard child's V8 heap small. The garbage of a busy child, not its live data, made most of its
 * peak RSS (README "Memory"), and the daemon starts one child per shard. Two V8 settings bound it, both
 * read by V8 at run time:
 * - the old generation grows 10% between full GCs ({@link OLD_GENERATION_FLAG}), set once;
 * - the young generation grows as V8 likes up to {@link YOUNG_GENERATION_CAP_BYTES} while batch lines
 *   are small, and not at all while they are big ({@link BIG_LINE_BYTES}). V8 reads its maximum size
 *   only at startup, so kcl-ts switches V8's growth factor instead, before each line from the daemon is
 *   decoded ({@link HeapTuning.watch}): "hold" at or above the limit, "grow" below it. New space never
 *   shrinks on demand: one line can take it a growth step past the limit, and after small lines it keeps
 *   its size through big ones, until V8 shrinks it (it does when allocation slows).
 *
 * The child is a process kcl-ts owns, so its footprint is kcl-ts's to choose; users opt out with
 * `run({ heapTuning: false })`, `KCL_TS_HEAP_TUNING=0`, or by giving their own heap flags to node.
 */
export class HeapTuning {
  #holding = false;
  #bigLines = false;

  private constructor() {}

  /**
   * Applies the tuning unless disabled or the user passed heap flags to node.
   * @returns the tuning, to {@link HeapTuning.watch} the input with; undefined when not applied.
   */
  static apply(
    enabled: boolean,
    env: NodeJS.ProcessEnv = process.env,
    execArgv: readonly string[] = process.execArgv,
  ): HeapTuning | undefined {
    if (!enabled || env.KCL_TS_HEAP_TUNING === '0') return undefined;
    if (execArgv.some((a) => USER_HEAP_FLAG.test(a)) || USER_HEAP_FLAG.test(env.NODE_OPTIONS ?? '')) return undefined;
    setFlagsFromString(OLD_GENERATION_FLAG);
    return new HeapTuning();
  }

  /** For logs: the settings in force. */
  get settings(): { v8Flags: string[]; youngGenerationCapBytes: number; youngGenerationHeldAboveLineBytes: number } {
    return {
      v8Flags: [OLD_GENERATION_FLAG],
      youngGenerationCapBytes: YOUNG_GENERATION_CAP_BYTES,
      youngGenerationHeldAboveLineBytes: BIG_LINE_BYTES,
    };
  }

  /**
   * Before a line of `lineBytes` is decoded: holds the young generation while batch lines are big or it
   * reached its cap, lets it grow otherwise. Costs a few µs.
   */
  check(lineBytes: number): void {
    if (lineBytes > BIG_LINE_BYTES) this.#bigLines = true;
    else if (lineBytes >= BATCH_LINE_MIN_BYTES) this.#bigLines = false;
    const hold = this.#bigLines || newSpaceBytes() >= YOUNG_GENERATION_CAP_BYTES;
    if (hold === this.#holding) return;
    this.#holding = hold;
    setFlagsFromString(hold ? HOLD : GROW);
  }

  /** The same input, with {@link HeapTuning.check} run before each line is handed on. */
  watch(input: LineInput): LineInput {
    return {
      start: (events: LineEvents) =>
        input.start({
          ...events,
          line: (segments, bytes, hold) => {
            this.check(bytes);
            events.line(segments, bytes, hold);
          },
        }),
      stop: () => input.stop(),
    };
  }
}
