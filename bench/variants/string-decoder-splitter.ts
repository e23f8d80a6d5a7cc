import { StringDecoder } from 'node:string_decoder';
import { ProtocolError, ProtocolErrorCode } from '../../src/protocol/errors.js';


const DEFAULT_MAX_LINE_BYTES = 128 * 1024 * 1024;

/**
 * Benchmark variant (not used by kcl-ts): the second LineSplitter, which decoded a multi-chunk line
 * chunk by chunk (StringDecoder) and joined the strings once. Linear, but the parts, the joined line and
 * JSON.parse's payload strings all live in the V8 young generation: high peak RSS.
 *
 * Splits a byte stream into lines, linear in line length.
 *
 * A line that fits in one chunk is decoded straight from it. A line spread over chunks is decoded
 * chunk by chunk (a `StringDecoder` carries a multi-byte UTF-8 character cut at a chunk boundary) and
 * joined once at its newline: no per-chunk re-concatenation (split2's quadratic cost on 15 MB lines),
 * and no joined Buffer copy, so each 64 KB chunk is garbage as soon as it is decoded (measured: lower
 * peak RSS than joining Buffers, see README "Design notes"). Splitting on byte 0x0A is safe in UTF-8.
 * Blank lines are skipped and a trailing `\r` is dropped.
 */
export class StringDecoderSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #parts: string[] = [];
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
        this.#check(nl - start);
        this.#emit(chunk.toString('utf8', start, nl), onLine);
      } else {
        this.#check(this.#pendingBytes + (nl - start));
        this.#parts.push(this.#decoder.write(chunk.subarray(start, nl)));
        this.#emit(this.#take(), onLine);
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      this.#check(this.#pendingBytes + (chunk.length - start));
      this.#parts.push(this.#decoder.write(start === 0 ? chunk : chunk.subarray(start)));
      this.#pendingBytes += chunk.length - start;
    }
  }

  /** Flushes a last line that had no trailing newline. */
  end(onLine: (line: string) => void): void {
    if (this.#pendingBytes > 0) this.#emit(this.#take(), onLine);
  }

  #take(): string {
    const tail = this.#decoder.end();
    if (tail.length > 0) this.#parts.push(tail);
    const line = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#parts = [];
    this.#pendingBytes = 0;
    return line;
  }

  #check(bytes: number): void {
    if (bytes > this.#maxLineBytes) {
      this.#decoder.end();
      this.#parts = [];
      this.#pendingBytes = 0;
      throw new ProtocolError(
        ProtocolErrorCode.LINE_TOO_LONG,
        `A line from the daemon exceeds ${this.#maxLineBytes} bytes; raise \`maxLineBytes\` if batches are really ` +
          'this large (lower `maxRecords` in the .properties file otherwise)',
      );
    }
  }

  #emit(line: string, onLine: (line: string) => void): void {
    const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
    if (end === 0) return;
    onLine(end === line.length ? line : line.slice(0, end));
  }
}
