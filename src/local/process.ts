import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LauncherError, LauncherErrorCode } from '../launcher/errors.js';

/** Resolves when nothing listens on `port` (any interface), else rejects with a clear PORT_BUSY error. */
export function assertPortFree(port: number, what: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new LauncherError(
          LauncherErrorCode.PORT_BUSY,
          err.code === 'EADDRINUSE'
            ? `Port ${port} for ${what} is already in use (another emulator, LocalStack, or an earlier run?). Stop it or choose another port with ${flag}`
            : `Cannot check port ${port} for ${what}: ${err.message}`,
        ),
      );
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** A service process started in its own process group, with its output in a log file. */
export class ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  #exited: Promise<number | null>;
  #startError: Error | undefined;

  constructor(name: string, command: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; logFile: string }) {
    this.name = name;
    this.logFile = opts.logFile;
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // Both streams feed one log: neither may end it (stderr can outlive stdout); the child's close does.
    this.child.stdout!.pipe(log, { end: false });
    this.child.stderr!.pipe(log, { end: false });
    this.child.on('close', () => log.end());
    this.#exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.#startError = err;
        log.end(`${name}: cannot start ${command}: ${err.message}\n`);
        resolve(null);
      });
      this.child.on('exit', (code) => resolve(code));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Polls `probe` until it resolves true. If the process exits first or `timeoutMs` passes, stops the
   * process and fails naming its log file.
   */
  async waitReady(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#startError) throw new Error(`${this.name} could not start: ${this.#startError.message}`);
      if (!this.running) throw new Error(`${this.name} exited before it was ready; see ${this.logFile}`);
      if (await probe().catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name} not ready after ${timeoutMs} ms; see ${this.logFile}`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running || !this.child.pid) return;
    const pid = this.child.pid;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
