import type { Writable } from 'node:stream';
import { encodeMessage } from './codec.js';
import type { OutboundMessage } from './messages.js';

/** The part of a writable stream the writer needs; `process.stdout` qualifies. */
export interface LineSink {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

/**
 * Where a stdout guard installed by another copy of kcl-ts (`kcl-ts run` loads its own
 * `register-child` through NODE_OPTIONS) keeps the real write function; see src/register-child.ts.
 */
export const UNGUARDED_WRITE = Symbol.for('kcl-ts.unguardedWrite');

/**
 * The only code in kcl-ts that writes to the protocol stream (the child's stdout).
 *
 * Writes go out in call order. A full pipe (`write()` returning false) makes the next write wait for
 * `drain`; it is never treated as an error. The write function is captured at construction, so a stdout
 * guard installed afterwards (which replaces `process.stdout.write`) does not intercept protocol lines.
 */
export class ProtocolWriter {
  readonly #write: LineSink['write'];
  readonly #sink: LineSink;
  #drained: Promise<void> = Promise.resolve();
  #closed: Error | undefined;

  constructor(sink: LineSink | Writable) {
    this.#sink = sink as LineSink;
    // A guard of another kcl-ts copy may already sit on process.stdout: write past it, not into it.
    const write = this.#sink.write as LineSink['write'] & { [UNGUARDED_WRITE]?: LineSink['write'] };
    this.#write = (write[UNGUARDED_WRITE] ?? write).bind(this.#sink);
  }

  /** Sends one message; resolves once the stream accepted it (after a drain if the pipe was full). */
  async send(message: OutboundMessage): Promise<void> {
    const line = encodeMessage(message);
    // Invariant: #drained resolves when the sink can take more; every write waits for it first.
    await this.#drained;
    if (this.#closed) throw this.#closed;
    const ok = this.#write(line, (err) => {
      if (err && !this.#closed) this.#closed = err;
    });
    if (!ok) {
      this.#drained = new Promise<void>((resolve) => {
        this.#sink.once('drain', () => resolve());
        this.#sink.once('close', () => resolve());
      });
    }
  }
}
