/**
 * Exit codes of the child process. The daemon treats any exit while it waits for a reply as a failed
 * shard consumer; see README "Bad input and failures".
 */
export const ExitCode = {
  /** The shard ended normally (status sent for leaseLost/shardEnded, then stdin closed). */
  OK: 0,
  /** An unexpected internal error. */
  INTERNAL: 1,
  /** Bad options or configuration. */
  USAGE: 2,
  /** Malformed or unexpected input from the daemon. No status was sent; no checkpoint passed the batch. */
  PROTOCOL: 3,
  /** User code threw or rejected. No status was sent; no checkpoint passed the failing batch. */
  PROCESSOR_FAILED: 4,
  /** stdin closed while the shard was still active: the daemon went away. */
  DAEMON_GONE: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
