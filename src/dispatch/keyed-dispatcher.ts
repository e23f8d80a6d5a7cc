/** True for promises and promise-like objects (anything with a `then` method). */
export function isThenable<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A unit of work: one record, or one key's sub-batch. `records` and `bytes` count toward the bounds. */
export interface WorkItem {
  key: string;
  records: number;
  bytes: number;
}

/** Options of a {@link KeyedDispatcher}. */
export interface DispatcherOptions<T extends WorkItem> {
  /** Items running at once, across keys. */
  concurrency: number;
  /** Accepted (queued or running) records above which `hasRoom()` is false. */
  maxInFlightRecords: number;
  /** Accepted bytes above which `hasRoom()` is false. */
  maxInFlightBytes: number;
  /**
   * Runs one item. Resolving with a number asks to run the same item again after that many ms: its
   * concurrency slot is freed meanwhile (other keys go on) but its key stays blocked (order holds).
   * Returning without a promise finishes the item synchronously (the fast path for quick handlers).
   * A throw or rejection is reported to `onError` and counts as finished.
   */
  run: (item: T) => void | number | PromiseLike<void | number>;
  onError?: (item: T, error: unknown) => void;
  /**
   * A further condition of `hasRoom()` (e.g. memory that finished items give back). It is re-checked
   * whenever an item finishes, so it must only turn true through items finishing.
   */
  extraRoom?: () => boolean;
}

/** The FIFO of one partition key. Exists only while the key has accepted work. */
interface KeyQueue<T> {
  key: string;
  /** Slots before `head` are cleared when taken: a finished item must not stay referenced here. */
  items: (T | undefined)[];
  head: number;
  /** True while an item of the key runs or waits to be retried: the key is blocked. */
  running: boolean;
  /** The item waiting to be retried; it runs before `items[head]`. */
  retry?: T;
  timer?: NodeJS.Timeout;
}

/**
 * One FIFO per partition key and a global concurrency cap: an item starts only after the previous item
 * of its key finished, and keys take turns (a key goes to the back of the ready line after each item),
 * so a hot key cannot starve cold ones. Memory is bounded by what is accepted: a key's queue is deleted
 * when it empties, whatever the key distribution. Admission is the caller's: `push` always accepts;
 * `hasRoom()`/`waitForRoom()` tell when to stop taking work (the backpressure on the daemon).
 *
 * Invariants: a key is in `#ready` at most once, and only while it is not running and has a queued
 * item (or one to retry); `#running` counts items holding a concurrency slot (a retry waiting for its
 * delay holds none); in-flight counters cover queued, running and waiting items.
 */
export class KeyedDispatcher<T extends WorkItem> {
  readonly #opts: DispatcherOptions<T>;
  readonly #queues = new Map<string, KeyQueue<T>>();
  /** Emptied key queues kept for reuse: with quick handlers a key's queue empties after every item. */
  readonly #free: KeyQueue<T>[] = [];
  #ready: KeyQueue<T>[] = [];
  #readyHead = 0;
  #running = 0;
  #records = 0;
  #bytes = 0;
  /** True while #pump's loop runs: finishing an item inside it must not start a nested loop. */
  #pumping = false;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(options: DispatcherOptions<T>) {
    this.#opts = options;
  }

  /** Items running now. */
  get running(): number {
    return this.#running;
  }

  /** Accepted records not finished (queued or running). */
  get inFlightRecords(): number {
    return this.#records;
  }

  /** Accepted bytes not finished. */
  get inFlightBytes(): number {
    return this.#bytes;
  }

  /** Keys with queued or running work. */
  get keys(): number {
    return this.#queues.size;
  }

  /** True while the in-flight bounds leave room for more work. */
  hasRoom(): boolean {
    return (
      this.#records < this.#opts.maxInFlightRecords &&
      this.#bytes < this.#opts.maxInFlightBytes &&
      (this.#opts.extraRoom === undefined || this.#opts.extraRoom())
    );
  }

  /** Resolves when there is room (at once if there is). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    if (this.#records === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Accepts an item; it starts when its key is free and a concurrency slot is.
   * @returns true when it started at once, false when it waits in a queue.
   */
  push(item: T): boolean {
    this.#records += item.records;
    this.#bytes += item.bytes;
    let q = this.#queues.get(item.key);
    // Stryker disable next-line ConditionalExpression: equivalent (outside #pump a free slot means an empty ready line: every push to it is followed by a pump); kept against re-entrant calls
    if (!q && !this.#pumping && this.#running < this.#opts.concurrency && this.#readyHead === this.#ready.length) {
      // Fast path: the key is idle, a slot is free and nobody waits: run now. A key queue is made only
      // if the item does not finish at once (no Map or queue work per record for quick handlers).
      this.#running++;
      const result = this.#start(item);
      // Stryker disable next-line ConditionalExpression,BlockStatement: performance only (#finish below does the same bookkeeping through a key queue)
      if (result === undefined) {
        this.#running--;
        this.#records -= item.records;
        this.#bytes -= item.bytes;
        this.#notify();
        return true;
      }
      q = this.#queueFor(item.key);
      q.running = true;
      if (isThenable(result)) void this.#settleAsync(q, item, result);
      else this.#finish(q, item, result);
      return true;
    }
    q ??= this.#queueFor(item.key);
    q.items.push(item);
    // A key waiting for a slot is already in the ready line: with its first queued item, or with a retry
    // that came due (added by #retryDue). Adding it again would let two of its items run at once.
    // Stryker disable next-line ArithmeticOperator: equivalent (a key with q.head > 0 that is not running has queued items)
    if (!q.running && q.retry === undefined && q.items.length - q.head === 1) this.#ready.push(q);
    this.#pump();
    return false;
  }

  #queueFor(key: string): KeyQueue<T> {
    const q = this.#free.pop() ?? { key, items: [], head: 0, running: false };
    q.key = key;
    this.#queues.set(key, q);
    return q;
  }

  /** Calls `run`; a throw is reported and counts as finished. */
  #start(item: T): void | number | PromiseLike<void | number> {
    try {
      return this.#opts.run(item);
    } catch (err) {
      this.#opts.onError?.(item, err);
      return undefined;
    }
  }

  /** Removes every queued (not running) item and returns them, oldest first per key. */
  clearQueued(): T[] {
    const dropped: T[] = [];
    for (const q of this.#queues.values()) {
      const waiting = q.retry ? [q.retry] : [];
      for (const item of [...waiting, ...(q.items.slice(q.head) as T[])]) {
        dropped.push(item);
        this.#records -= item.records;
        this.#bytes -= item.bytes;
      }
      q.items = [];
      q.head = 0;
      if (q.retry) {
        clearTimeout(q.timer);
        q.retry = undefined;
        q.timer = undefined;
        q.running = false;
      }
      if (!q.running) this.#queues.delete(q.key);
    }
    this.#ready = [];
    this.#readyHead = 0;
    this.#notify();
    return dropped;
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#running < this.#opts.concurrency && this.#readyHead < this.#ready.length) {
        const q = this.#ready[this.#readyHead++]!;
        let item = q.retry;
        if (item) q.retry = undefined;
        else {
          item = q.items[q.head]!;
          q.items[q.head++] = undefined;
        }
        q.running = true;
        this.#running++;
        const result = this.#start(item);
        // Synchronous completion is handled here in the loop (no promise, no recursion).
        if (isThenable(result)) void this.#settleAsync(q, item, result);
        else this.#finish(q, item, result);
      }
    } finally {
      this.#pumping = false;
    }
    // Stryker disable next-line all: when the ready line is compacted changes memory only, not behaviour
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
  }

  async #settleAsync(q: KeyQueue<T>, item: T, result: PromiseLike<void | number>): Promise<void> {
    let again: void | number = undefined;
    try {
      again = await result;
    } catch (err) {
      this.#opts.onError?.(item, err);
    }
    this.#finish(q, item, again);
    this.#pump();
  }

  /** Bookkeeping after a run: a retry request frees the slot but keeps the key blocked. */
  #finish(q: KeyQueue<T>, item: T, again: void | number): void {
    this.#running--;
    if (typeof again === 'number') {
      q.retry = item;
      q.timer = setTimeout(() => this.#retryDue(q), again);
      q.timer.unref();
      return;
    }
    this.#records -= item.records;
    this.#bytes -= item.bytes;
    q.running = false;
    if (q.head < q.items.length) {
      // Stryker disable next-line all: when a key's queue is compacted changes memory only, not behaviour
      if (q.head > 64 && q.head * 2 > q.items.length) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
      this.#ready.push(q);
    } else {
      // A running key's queue is in #queues (clearQueued deletes only keys that do not run).
      this.#queues.delete(q.key);
      this.#recycle(q);
    }
    this.#notify();
  }

  /** Keeps an emptied, idle queue for reuse (a bounded number of them). */
  // Stryker disable next-line BlockStatement: reuse saves allocations only (a fresh queue behaves the same)
  #recycle(q: KeyQueue<T>): void {
    // Stryker disable next-line all: how many queues are kept for reuse changes memory only
    if (this.#free.length >= 1024) return;
    q.items.length = 0;
    q.head = 0;
    q.retry = undefined;
    q.timer = undefined;
    this.#free.push(q);
  }

  /** The retry delay is over: the key (with `q.retry` set) waits for a slot like a key with queued work. */
  #retryDue(q: KeyQueue<T>): void {
    q.timer = undefined;
    // Stryker disable next-line BooleanLiteral: equivalent (q.retry keeps the key out of push's ready check, and #pump sets running before the retry starts)
    q.running = false;
    this.#ready.push(q);
    this.#pump();
  }

  #notify(): void {
    // The outer checks only spare a hasRoom() call (user code: extraRoom) and an empty-list swap when
    // nobody waits, on every finished item.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: performance only (see above)
    if (this.#roomWaiters.length > 0) {
      if (this.hasRoom()) {
        const waiters = this.#roomWaiters;
        this.#roomWaiters = [];
        for (const w of waiters) w();
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: performance only (see above)
    if (this.#idleWaiters.length > 0) {
      if (this.#records === 0 && this.#running === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
