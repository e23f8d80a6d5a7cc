import { ProtocolError, ProtocolErrorCode } from '../../src/protocol/errors.js';

const DEFAULT_MAX_LINE_BYTES = 128 * 1024 * 1024;

/**
 * Benchmark variant (not used by kcl-ts): the first LineSplitter, which keeps chunks as Buffers and
 * joins a line with one Buffer.concat before decoding. Linear and fast, but it holds two extra copies
 * of a 15 MB line at once (chunks, joined Buffer), which raised the child's peak RSS.
 *
 * Chunks that hold no newline are kept as they are (no string concatenation per chunk, which is what
 * makes split2 quadratic on 15 MB lines); a line is joined with one `Buffer.concat` and decoded once,
 * so a multi-byte UTF-8 character cut across chunks decodes correctly. Blank lines are skipped and a
 * trailing `\r` is dropped.
 */
export class BufferConcatSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #maxLineBytes: number;

  /** @param maxLineBytes longest accepted line; longer input throws `KCLTS_ERR_PROTOCOL_LINE_TOO_LONG`. */
  constructor(maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held for a line whose newline has not arrived yet. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onLine` for each complete line, in order.
   * @throws {ProtocolError} when a line grows beyond the maximum.
   */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl !== -1) {
      if (this.#pendingBytes === 0) {
        this.#emit(chunk, start, nl, onLine);
      } else {
        this.#check(this.#pendingBytes + (nl - start));
        this.#pending.push(chunk.subarray(start, nl));
        const joined = Buffer.concat(this.#pending, this.#pendingBytes + (nl - start));
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#emit(joined, 0, joined.length, onLine);
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      this.#check(this.#pendingBytes + (chunk.length - start));
      this.#pending.push(start === 0 ? chunk : chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
    }
  }

  /** Flushes a last line that had no trailing newline. */
  end(onLine: (line: string) => void): void {
    if (this.#pendingBytes === 0) return;
    const joined = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#emit(joined, 0, joined.length, onLine);
  }

  #check(bytes: number): void {
    if (bytes > this.#maxLineBytes) {
      this.#pending = [];
      this.#pendingBytes = 0;
      throw new ProtocolError(
        ProtocolErrorCode.LINE_TOO_LONG,
        `A line from the daemon exceeds ${this.#maxLineBytes} bytes; raise \`maxLineBytes\` if batches are really ` +
          'this large (lower `maxRecords` in the .properties file otherwise)',
      );
    }
  }

  #emit(buf: Buffer, start: number, end: number, onLine: (line: string) => void): void {
    if (end > start && buf[end - 1] === 13) end--;
    if (end === start) return;
    onLine(buf.toString('utf8', start, end));
  }
}
