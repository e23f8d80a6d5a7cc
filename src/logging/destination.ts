import { closeSync, fstatSync, openSync } from 'node:fs';

/** Where logs go: a file descriptor and how it was chosen. */
export interface LogDestination {
  fd: number;
  /** `/proc/1/fd/1`, `stderr` or the path that was opened. */
  description: string;
  /** Why the first choice was not taken, if it was not. */
  fallbackReason?: string;
  /** What was asked for (the option, else `KCL_TS_LOG_DEST`), if anything. */
  requested?: string;
}

/** The container's stdout when the daemon (or a launcher) is PID 1. */
export const PID1_STDOUT = '/proc/1/fd/1';

const STDERR_FD = 2;
const STDOUT_FD = 1;

function sameFile(a: number, b: number): boolean {
  try {
    const sa = fstatSync(a);
    const sb = fstatSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Chooses the log destination: `requested` (a path or `stderr`), else `KCL_TS_LOG_DEST`, else
 * `/proc/1/fd/1` when it can be opened for writing, else stderr.
 *
 * A destination that turns out to be our own stdout (the protocol pipe) is refused: logging there would
 * corrupt the protocol, so stderr is used instead.
 */
export function chooseLogDestination(
  requested: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): LogDestination {
  const wanted = requested ?? env.KCL_TS_LOG_DEST;
  const asked = wanted && wanted.length > 0 ? { requested: wanted } : {};
  if (wanted === 'stderr') return { fd: STDERR_FD, description: 'stderr', ...asked };
  const path = wanted && wanted.length > 0 ? wanted : PID1_STDOUT;
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (err) {
    return {
      fd: STDERR_FD,
      description: 'stderr',
      ...asked,
      fallbackReason: `cannot open ${path} for writing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    };
  }
  if (sameFile(fd, STDOUT_FD)) {
    closeSync(fd);
    return {
      fd: STDERR_FD,
      description: 'stderr',
      ...asked,
      fallbackReason: `${path} is this process's stdout, which belongs to the protocol`,
    };
  }
  return { fd, description: path, ...asked };
}
