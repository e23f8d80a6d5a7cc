import type { Readable } from 'node:stream';
import { LineSplitter, segmentsToString } from '../protocol/index.js';

/** Lines read from a stream, taken one at a time with `next()`; `null` once the stream ended. */
export class LineQueue {
  readonly #lines: string[] = [];
  #head = 0;
  #waiter: ((line: string | null) => void) | undefined;
  #ended = false;

  constructor(stream: Readable) {
    const splitter = new LineSplitter();
    const onLine = (segments: Buffer[], bytes: number) => this.#push(segmentsToString(segments, bytes));
    stream.on('data', (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onLine));
    stream.on('end', () => {
      splitter.end(onLine);
      this.#ended = true;
      this.#waiter?.(null);
      this.#waiter = undefined;
    });
  }

  /** The next line, or null at end of stream; rejects after `timeoutMs`. */
  next(timeoutMs: number, what: string): Promise<string | null> {
    if (this.#head < this.#lines.length) {
      const line = this.#lines[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
        this.#lines.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve(line);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`FakeDaemon: no reply within ${timeoutMs} ms while waiting for ${what}`));
      }, timeoutMs);
      this.#waiter = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  #push(line: string): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(line);
    } else {
      this.#lines.push(line);
    }
  }
}
