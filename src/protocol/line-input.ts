import { fstatSync } from 'node:fs';
import { connect, Socket, type IpcNetConnectOpts, type SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import { BlockPool, LineHold, type Block } from './block-pool.js';
import { LineSplitter } from './line-splitter.js';

/** Where a {@link LineInput} delivers what it reads. */
export interface LineEvents {
  /**
   * One line as the pieces it arrived in. `hold` (pooled input only) keeps those pieces valid: release
   * it once nothing refers to them any more (records take their own holds through it).
   */
  line(segments: Buffer[], bytes: number, hold: LineHold | undefined): void;
  /** The input ended; a last line without newline was delivered before. */
  end(): void;
  /** The input broke the protocol's framing (a line over the maximum). Nothing more is delivered. */
  invalid(err: Error): void;
  /** Reading failed (the daemon went away). */
  error(err: Error): void;
}

/** The daemon → child line stream. */
export interface LineInput {
  start(events: LineEvents): void;
  /** Stops reading (the session is over). */
  stop(): void;
}

/** True for a {@link LineInput} (as opposed to a plain Readable). */
export function isLineInput(input: Readable | LineInput): input is LineInput {
  return typeof (input as Partial<LineInput>).start === 'function' && typeof (input as Partial<LineInput>).stop === 'function';
}

/** At end of input: delivers a last line without newline (unless framing already failed), then `end`. */
function endLines(splitter: LineSplitter, onLine: (segments: Buffer[], bytes: number) => void, events: LineEvents, failed: boolean): void {
  if (!failed) {
    try {
      splitter.end(onLine);
    } catch (err) {
      events.invalid(err as Error);
    }
  }
  events.end();
}

/** Lines from any Readable (tests, the in-process FakeDaemon, stdin that is not a pipe). */
export class StreamLineInput implements LineInput {
  readonly #input: Readable;
  readonly #splitter: LineSplitter;

  constructor(input: Readable, maxLineBytes?: number) {
    this.#input = input;
    this.#splitter = new LineSplitter(maxLineBytes);
  }

  start(events: LineEvents): void {
    let failed = false;
    const onLine = (segments: Buffer[], bytes: number): void => events.line(segments, bytes, undefined);
    this.#input.on('data', (chunk: Buffer | string) => {
      if (failed) return;
      try {
        this.#splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onLine);
      } catch (err) {
        failed = true;
        events.invalid(err as Error);
      }
    });
    this.#input.on('end', () => endLines(this.#splitter, onLine, events, failed));
    this.#input.on('error', (err) => events.error(err));
  }

  stop(): void {
    this.#input.pause();
  }
}

/** net.Socket's `onread` option (node >= 12; missing from @types/node 20's constructor options). */
interface OnreadOption {
  onread: { buffer: () => Uint8Array; callback: (bytesRead: number, buf: Uint8Array) => boolean };
}

/**
 * What a {@link PooledPipeInput} reads: a file descriptor (the daemon's pipe on stdin), or a Unix socket
 * to connect to (the test kit's in-process FakeDaemon, so that its tests read through the pool too).
 */
export type PipeSource = number | { path: string };

/** Options of {@link PooledPipeInput}: the longest accepted line, and the pool to read into (a new one by default). */
export interface PooledInputOptions {
  maxLineBytes?: number;
  pool?: BlockPool;
  /** Do not keep the process alive for this input (the test kit's socket; stdin must keep it alive). */
  unref?: boolean;
}

/** Reads are asked for at least this much room; a block with less left is retired. */
const MIN_READ_BYTES = 16 * 1024;

/**
 * Lines from a pipe read straight into pooled blocks (net.Socket's `onread` with a buffer per read), so
 * that reading stdin allocates nothing per chunk. Each line comes with a {@link LineHold} on the blocks
 * it lies in.
 */
export class PooledPipeInput implements LineInput {
  readonly pool: BlockPool;
  readonly #source: PipeSource;
  readonly #unref: boolean;
  readonly #splitter: LineSplitter;
  #block: Block | undefined;
  #offset = 0;
  /** Blocks the line being assembled lies in (one hold each). */
  #lineBlocks: Block[] = [];
  #socket: Socket | undefined;

  constructor(source: PipeSource, options: PooledInputOptions = {}) {
    this.#source = source;
    this.#unref = options.unref ?? false;
    this.pool = options.pool ?? new BlockPool();
    this.#splitter = new LineSplitter(options.maxLineBytes);
  }

  /** A pooled input for `fd` when it is a pipe or socket (what the daemon gives), else undefined. */
  static forFd(fd: number, options: PooledInputOptions = {}): PooledPipeInput | undefined {
    try {
      const st = fstatSync(fd);
      return st.isFIFO() || st.isSocket() ? new PooledPipeInput(fd, options) : undefined;
    } catch {
      return undefined;
    }
  }

  start(events: LineEvents): void {
    let failed = false;
    const onLine = (segments: Buffer[], bytes: number): void => {
      const blocks = this.#lineBlocks;
      // The next line starts in the current block (right after this newline).
      const current = this.#block!;
      current.retain();
      this.#lineBlocks = [current];
      events.line(segments, bytes, new LineHold(blocks));
    };
    const onread: OnreadOption['onread'] = {
      buffer: () => this.#nextBuffer(),
      callback: (n: number, buf: Uint8Array) => {
        if (failed) return true;
        const block = this.#block!;
        const chunk = block.buf.subarray(this.#offset, this.#offset + n);
        if (buf.buffer !== block.buf.buffer) throw new Error('pooled stdin: a read landed outside its block (internal error)');
        this.#offset += n;
        if (this.#lineBlocks[this.#lineBlocks.length - 1] !== block) {
          block.retain();
          this.#lineBlocks.push(block);
        }
        try {
          this.#splitter.push(chunk, onLine);
        } catch (err) {
          failed = true;
          events.invalid(err as Error);
        }
        return true;
      },
    };
    const source = this.#source;
    const socket =
      typeof source === 'number'
        ? new Socket({ fd: source, readable: true, writable: false, allowHalfOpen: true, onread } as SocketConstructorOpts & OnreadOption)
        : connect({ path: source.path, allowHalfOpen: true, onread } as IpcNetConnectOpts & OnreadOption);
    this.#socket = socket;
    if (this.#unref) socket.unref();
    const onLastLine = (segments: Buffer[], bytes: number): void => {
      const blocks = this.#lineBlocks;
      this.#lineBlocks = [];
      events.line(segments, bytes, new LineHold(blocks));
    };
    socket.on('end', () => endLines(this.#splitter, onLastLine, events, failed));
    socket.on('error', (err) => events.error(err));
  }

  stop(): void {
    // stdin is left to the process's exit; a socket this input connected itself is closed.
    if (typeof this.#source === 'number') this.#socket?.pause();
    else this.#socket?.destroy();
  }

  /** Where the next read lands: the rest of the current block, or a fresh block. */
  #nextBuffer(): Buffer {
    let block = this.#block;
    if (block === undefined || block.buf.length - this.#offset < MIN_READ_BYTES) {
      block?.release();
      block = this.#block = this.pool.take();
      this.#offset = 0;
    }
    return block.buf.subarray(this.#offset);
  }
}
