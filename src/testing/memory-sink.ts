import type { DeadLetter, DeadLetterSink } from '../failure/index.js';

/** A dead-letter sink in memory, for tests: keeps what it confirmed; can be told to fail. */
export class MemorySink implements DeadLetterSink {
  readonly description = 'memory';
  /** Dead letters confirmed, in order. */
  readonly entries: DeadLetter[] = [];
  /** Write calls made, including failed ones. */
  writes = 0;
  #failures = 0;
  #failForever = false;

  /** Makes the next `times` writes reject (or every write, with `Infinity`). */
  fail(times = 1): void {
    if (times === Infinity) this.#failForever = true;
    else this.#failures += times;
  }

  /** Lets writes succeed again. */
  heal(): void {
    this.#failForever = false;
    this.#failures = 0;
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    this.writes++;
    if (this.#failForever || this.#failures > 0) {
      if (this.#failures > 0) this.#failures--;
      throw new Error('MemorySink: injected failure');
    }
    this.entries.push(...entries);
  }
}
