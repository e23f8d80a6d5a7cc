import { format } from 'node:util';
import type { Logger } from 'pino';

/** Undoes {@link installStdoutGuard}. */
export type RemoveGuard = () => void;

type ConsoleMethod = 'log' | 'info' | 'debug' | 'warn' | 'error';
const CONSOLE_LEVELS: Record<ConsoleMethod, 'info' | 'debug' | 'warn' | 'error'> = {
  log: 'info',
  info: 'info',
  debug: 'debug',
  warn: 'warn',
  error: 'error',
};

/**
 * Makes stdout safe for the protocol. Must run before user code: the protocol writer captures the real
 * `process.stdout.write` first, then this replaces it.
 * - `console.log/info/debug/warn/error` go to the logger at the matching level;
 * - any other write to `process.stdout` (console.table, a library writing directly) is diverted to the
 *   log at warn level, with a warning that names the problem.
 *
 * @param logger the logger, or a function returning the current one (`run({ log })` may replace the
 *   logger `kcl-ts/register` started with; the guard then follows it).
 */
export function installStdoutGuard(logger: Logger | (() => Logger), stdout: NodeJS.WriteStream = process.stdout): RemoveGuard {
  const current = typeof logger === 'function' ? logger : () => logger;
  let base: Logger | undefined;
  let log!: Logger;
  let diverted!: Logger;
  /** The child loggers of the current logger, made again when it was replaced. */
  const follow = (): void => {
    const now = current();
    if (now === base) return;
    base = now;
    log = now.child({ source: 'console' });
    diverted = now.child({ source: 'stdout' });
  };
  const saved = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  for (const method of Object.keys(CONSOLE_LEVELS) as ConsoleMethod[]) {
    saved.set(method, console[method]);
    const level = CONSOLE_LEVELS[method];
    console[method] = (...args: unknown[]) => {
      follow();
      log[level](format(...args));
    };
  }
  const originalWrite = Object.prototype.hasOwnProperty.call(stdout, 'write') ? stdout.write : undefined;
  stdout.write = function guardedWrite(chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    follow();
    diverted.warn({ text: text.replace(/\n$/, '') }, 'a write to stdout was diverted to the log: stdout belongs to the protocol');
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as (err?: Error | null) => void)(null));
    return true;
  } as NodeJS.WriteStream['write'];
  return () => {
    for (const [method, fn] of saved) console[method] = fn;
    if (originalWrite) stdout.write = originalWrite;
    else delete (stdout as { write?: unknown }).write;
  };
}
