/**
 * One FIFO lock per table name. The write recorder holds a table's lock from reading an item's old image
 * to reading its new one, and stream switches hold it too, so each record's images are exact and records
 * are appended in the order the writes took effect.
 */
export class TableLocks {
  /** name → the promise the next locker waits for; removed when the last holder releases. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Takes the locks of `names` (in sorted order, so two batches over the same tables cannot deadlock). */
  async acquire(names: Iterable<string>): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const name of [...new Set(names)].sort()) releases.push(await this.#acquireOne(name));
    return () => {
      for (const r of releases) r();
    };
  }

  async #acquireOne(name: string): Promise<() => void> {
    const prev = this.#tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = prev.then(() => mine);
    this.#tails.set(name, tail);
    await prev;
    return () => {
      release();
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    };
  }
}
