/**
 * Reference-counted, reused read buffers for stdin.
 *
 * Why: node's stdin stream allocates a fresh 64 KB buffer per read. A 14 MB batch line is ~220 of them,
 * and once the batch is done they are garbage that V8 frees only after its external-memory slack
 * (64 MB) fills, in memory glibc keeps fragmented. That was most of the child's peak RSS. Reading into
 * blocks that come back to a pool as soon as nothing points into them keeps stdin memory at about one
 * batch line plus what records still waiting in queues need (measured in bench/, README "Memory").
 *
 * Who holds a block: the reader while it writes into it, a line being assembled or decoded (LineHold),
 * and each record whose payload is a view into it until the record is released (KinesisRecord copies
 * an unread payload out first, so a record stays valid forever).
 */

/** Default block size: 1 MiB (16 pipe reads of 64 KB). */
export const DEFAULT_BLOCK_BYTES = 1024 * 1024;

/** One pooled buffer and the number of holders of views into it. */
export class Block {
  readonly buf: Buffer;
  #refs = 0;
  readonly #pool: BlockPool;

  /** @internal */
  constructor(pool: BlockPool, bytes: number) {
    this.#pool = pool;
    this.buf = Buffer.allocUnsafeSlow(bytes);
  }

  /** Current number of holders. */
  get refs(): number {
    return this.#refs;
  }

  retain(): void {
    this.#refs++;
  }

  /** Drops one hold; the last one returns the block to its pool. */
  release(): void {
    if (--this.#refs === 0) this.#pool.recycle(this);
    else if (this.#refs < 0) throw new Error('Block released more often than retained (internal error)');
  }
}

/** A pool of equally sized blocks. Blocks nobody holds are kept for reuse, up to `maxFree`. */
export class BlockPool {
  readonly blockBytes: number;
  readonly #maxFree: number;
  readonly #free: Block[] = [];
  #inUse = 0;
  #created = 0;

  constructor(blockBytes: number = DEFAULT_BLOCK_BYTES, maxFree = 32) {
    this.blockBytes = blockBytes;
    this.#maxFree = maxFree;
  }

  /** A block with one hold (the caller's). */
  take(): Block {
    let block = this.#free.pop();
    if (block === undefined) {
      block = new Block(this, this.blockBytes);
      this.#created++;
    }
    this.#inUse++;
    block.retain();
    return block;
  }

  /** @internal called by Block when its last hold is dropped. */
  recycle(block: Block): void {
    this.#inUse--;
    if (this.#free.length < this.#maxFree) this.#free.push(block);
  }

  /** Bytes in blocks somebody holds (the reader, lines being decoded, records not yet released). */
  get inUseBytes(): number {
    return this.#inUse * this.blockBytes;
  }

  /** Blocks ever allocated (a pool that keeps growing means holds are not being released). */
  get created(): number {
    return this.#created;
  }
}

/**
 * The holds a line keeps on the blocks it arrived in until it is decoded and its records took their
 * own holds. Released once; later calls do nothing.
 */
export class LineHold {
  readonly #blocks: Block[];
  #last = 0;
  #released = false;

  /** @param blocks the blocks the line lies in, each already retained once for this hold. */
  constructor(blocks: Block[]) {
    this.#blocks = blocks;
  }

  /** Retains the block `view` lies in and returns it; undefined when `view` is not in one (a copy). */
  retainFor(view: Uint8Array): Block | undefined {
    const blocks = this.#blocks;
    const ab = view.buffer;
    // Records come in line order, so the block of the previous one is the first guess.
    for (let i = 0, n = blocks.length; i < n; i++) {
      const j = (this.#last + i) % n;
      const b = blocks[j]!;
      if (b.buf.buffer === ab) {
        this.#last = j;
        b.retain();
        return b;
      }
    }
    return undefined;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const b of this.#blocks) b.release();
  }
}
