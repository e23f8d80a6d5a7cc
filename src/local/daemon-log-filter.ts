/**
 * The daemon's output in `kcl-ts local`: every line goes to its log file, and the terminal gets every line
 * except the WARN lines below, which the daemon prints in a normal local run although nothing is wrong.
 * They read like trouble to a new user and hide the lines that matter (a failing child's stderr, real
 * errors). The log file keeps them.
 */
/** A daemon log line that is dropped from the local view, and why it is harmless there. */
export interface HarmlessLine {
  /** Matches the whole logback line (`HH:mm:ss.SSS LEVEL logger [shard] - message`). */
  pattern: RegExp;
  why: string;
}

/**
 * The known-harmless lines (KCL 3.1.3, seen in `kcl-ts local` runs). A line is dropped only when one of
 * these matches; anything new is shown.
 */
export const HARMLESS_DAEMON_LINES: readonly HarmlessLine[] = [
  {
    pattern: /\bWARN\s+\S*LeaseAssignmentManager\b.* - Not able to assign all expiredOrUnAssignedLeases$/,
    why:
      'KCL 3 assigns leases only to workers that published worker metrics; the first assignment rounds after ' +
      'start-up run before this worker has, so they assign nothing. The next round (leaseAssignmentIntervalMillis) ' +
      'assigns the leases; the status line shows whether shards get checkpoints.',
  },
];

/** A logback line starts with its time stamp; any other line continues the entry above it (a stack trace). */
const ENTRY_START = /^\d{2}:\d{2}:\d{2}\.\d{3} /;

/** True when `line` is one of {@link HARMLESS_DAEMON_LINES}. */
export function isHarmlessDaemonLine(line: string): boolean {
  return HARMLESS_DAEMON_LINES.some((h) => h.pattern.test(line));
}

/**
 * Decides line by line (as the launcher hands them over): `keep` gets every line, `show` every line that
 * is not part of a known-harmless entry (continuation lines, such as a stack trace, follow their entry).
 */
export class DaemonLogFilter {
  readonly #show: (line: string) => void;
  readonly #keep: (line: string) => void;
  #dropping = false;

  constructor(show: (line: string) => void, keep: (line: string) => void) {
    this.#show = show;
    this.#keep = keep;
  }

  /** Feeds one whole line (without its newline). */
  line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    this.#keep(line);
    if (ENTRY_START.test(line)) this.#dropping = isHarmlessDaemonLine(line);
    if (!this.#dropping) this.#show(line);
  }
}
