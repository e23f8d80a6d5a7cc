import { excerpt } from '../errors.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { scanNumber } from './json-number.js';

/** Options of {@link parseSegments}. */
export interface ParseSegmentsOptions {
  /**
   * Name of object members whose string value is returned as a `Buffer` of its raw UTF-8 bytes
   * (a zero-copy view of the segment when the string lies within one segment) instead of a string.
   * @default undefined (every string is a string, as with `JSON.parse`)
   */
  bytesKey?: string;
}

/**
 * Parses exactly one JSON value spread over `segments` (their bytes concatenated in order, each
 * possibly cut anywhere), without joining them: returns what `JSON.parse` returns on the joined text,
 * except that a string member named `options.bytesKey` becomes a `Buffer` of its UTF-8 bytes.
 * This keeps a 15 MB processRecords line out of the V8 heap: the base64 payloads stay views of the
 * stdin chunks instead of becoming 10,000 young-generation strings plus one 15 MB line string.
 * @throws {ProtocolError} `KCLTS_ERR_PROTOCOL_MALFORMED_LINE` when the bytes are not one JSON value.
 */
export function parseSegments(segments: readonly Buffer[], options?: ParseSegmentsOptions): unknown {
  return new SegmentedParser(segments, options?.bytesKey).parse();
}

const EMPTY = Buffer.alloc(0);
const CONTROL_CHAR = /[\u0000-\u001f]/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Strings up to this many bytes are scanned in JS: cheaper than a native indexOf + decode call. */
const SHORT = 64;
/** Short ASCII strings up to this many bytes (member names, partition keys, actions) are interned here. */
const CACHED = 32;
const cache: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);

type Container = Record<string, unknown> | unknown[];

/**
 * One parse. Invariants: `#buf` is `#segs[#si]` (or EMPTY past the end), `#base` is the line offset of
 * `#buf[0]`, `#pos <= #buf.length`, and `#bs` is either < `#pos` (stale) or the first backslash in
 * `#buf` at or after `#pos` (`#buf.length` when there is none).
 */
class SegmentedParser {
  readonly #segs: readonly Buffer[];
  readonly #bytesKey: string | undefined;
  #si = -1;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #base = 0;
  #bs = -1;
  /** Lazily made Int32Array view of the aligned part of `#buf` (for {@link #hasControl}), at byte `#wordsAt`. */
  #words: Int32Array | null = null;
  #wordsAt = 0;

  constructor(segments: readonly Buffer[], bytesKey: string | undefined) {
    this.#segs = segments;
    this.#bytesKey = bytesKey;
    this.#advance();
  }

  parse(): unknown {
    const stack: Container[] = [];
    const keys: string[] = [];
    let container: Container | null = null;
    let isArray = false;
    let key = '';
    let value: unknown;
    for (;;) {
      let c = this.#peek();
      switch (c) {
        case 0x7b: // {
          this.#pos++;
          c = this.#peek();
          if (c === 0x7d) {
            this.#pos++;
            value = {};
            break;
          }
          if (container !== null) {
            stack.push(container);
            keys.push(key);
          }
          container = {};
          isArray = false;
          key = this.#key(c);
          continue;
        case 0x5b: // [
          this.#pos++;
          if (this.#peek() === 0x5d) {
            this.#pos++;
            value = [];
            break;
          }
          if (container !== null) {
            stack.push(container);
            keys.push(key);
          }
          container = [];
          isArray = true;
          continue;
        case 0x22:
          this.#pos++;
          value = !isArray && key === this.#bytesKey && container !== null ? this.#bytes() : this.#string();
          break;
        case 0x74:
          value = this.#literal(TRUE, true);
          break;
        case 0x66:
          value = this.#literal(FALSE, false);
          break;
        case 0x6e:
          value = this.#literal(NULL, null);
          break;
        default:
          if (c === 0x2d || (c >= 0x30 && c <= 0x39)) value = this.#number();
          else this.#fail(c);
      }
      // Attach the value to its container, closing as many containers as end here.
      for (;;) {
        if (container === null) {
          c = this.#peek();
          if (c !== -1) this.#fail(c);
          return value;
        }
        if (isArray) (container as unknown[]).push(value);
        else if (key === '__proto__') {
          // As JSON.parse: an own property, not the prototype setter.
          Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
        } else (container as Record<string, unknown>)[key] = value;
        c = this.#peek();
        if (c === 0x2c) {
          this.#pos++;
          if (!isArray) key = this.#key(this.#peek());
          break;
        }
        if (c !== (isArray ? 0x5d : 0x7d)) this.#fail(c);
        this.#pos++;
        value = container;
        container = stack.pop() ?? null;
        if (container !== null) {
          key = keys.pop()!;
          isArray = Array.isArray(container);
        }
      }
    }
  }

  /** Moves to the next non-empty segment; false (and EMPTY) past the last one. */
  #advance(): boolean {
    this.#base += this.#buf.length;
    this.#pos = 0;
    this.#bs = -1;
    this.#words = null;
    while (++this.#si < this.#segs.length) {
      const b = this.#segs[this.#si]!;
      if (b.length > 0) {
        this.#buf = b;
        return true;
      }
    }
    this.#si = this.#segs.length;
    this.#buf = EMPTY;
    return false;
  }

  /** Skips whitespace; the next byte without consuming it, -1 at the end of input. */
  #peek(): number {
    for (;;) {
      const buf = this.#buf;
      const end = buf.length;
      let pos = this.#pos;
      while (pos < end) {
        const c = buf[pos]!;
        if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          this.#pos = pos;
          return c;
        }
        pos++;
      }
      this.#pos = pos;
      if (!this.#advance()) return -1;
    }
  }

  /** The next raw byte, consumed; -1 at the end of input. */
  #read(): number {
    if (this.#pos >= this.#buf.length && !this.#advance()) return -1;
    return this.#buf[this.#pos++]!;
  }

  /** A member name starting at byte `c` (already peeked), and its `:`. */
  #key(c: number): string {
    if (c !== 0x22) this.#fail(c);
    this.#pos++;
    const key = this.#string();
    c = this.#peek();
    if (c !== 0x3a) this.#fail(c);
    this.#pos++;
    return key;
  }

  /** A string whose opening quote was consumed. */
  #string(): string {
    if (this.#pos === this.#buf.length) this.#advance();
    const buf = this.#buf;
    const start = this.#pos;
    const lim = Math.min(buf.length, start + SHORT);
    // Fast path, measurably faster for the many short member names and values: scan in JS, ASCII only.
    let h = 0;
    for (let i = start; i < lim; i++) {
      const b = buf[i]!;
      if (b === 0x22) {
        this.#pos = i + 1;
        const len = i - start;
        if (len > CACHED) return buf.toString('latin1', start, i);
        const slot = (h ^ (h >>> 10) ^ len) & 1023;
        const s = cache[slot];
        if (s !== undefined && s.length === len) {
          let j = 0;
          while (j < len && s.charCodeAt(j) === buf[start + j]) j++;
          if (j === len) return s;
        }
        return (cache[slot] = buf.toString('latin1', start, i));
      }
      if (b === 0x5c || b < 0x20 || b >= 0x80) break;
      h = (Math.imul(h, 31) + b) | 0;
    }
    const q = this.#closingQuote(buf, start);
    if (q !== -1) {
      this.#pos = q + 1;
      const s = buf.toString('utf8', start, q);
      if (CONTROL_CHAR.test(s)) this.#failControl(s);
      return s;
    }
    return this.#decode(this.#stringSlow(start));
  }

  /** A bytesKey string whose opening quote was consumed, as raw bytes. */
  #bytes(): Buffer {
    if (this.#pos === this.#buf.length) this.#advance();
    const buf = this.#buf;
    const start = this.#pos;
    const q = this.#closingQuote(buf, start);
    if (q !== -1) {
      this.#pos = q + 1;
      if (this.#hasControl(buf, start, q)) this.#failControl(buf.toString('utf8', start, q));
      return buf.subarray(start, q);
    }
    const raw = this.#stringSlow(start);
    if (raw.indexOf(0x5c) === -1) {
      for (let i = 0; i < raw.length; i++) if (raw[i]! < 0x20) this.#failControl(raw.toString('utf8'));
      return raw;
    }
    return Buffer.from(this.#decode(raw), 'utf8');
  }

  /**
   * Whether `buf[start..end)` (in the current segment) has a byte below 0x20, which JSON forbids
   * unescaped. Eight bytes per step over an aligned Int32Array view of the segment: a byte loop over
   * every payload took about half of the parse time.
   */
  #hasControl(buf: Buffer, start: number, end: number): boolean {
    let i = start;
    if (end - i >= 16) {
      let words = this.#words;
      if (words === null) {
        const first = (buf.byteOffset + 3) & ~3;
        this.#words = words = new Int32Array(buf.buffer, first, Math.max(0, (buf.byteOffset + buf.length - first) >> 2));
        this.#wordsAt = first - buf.byteOffset;
      }
      const at = this.#wordsAt;
      for (; ((i - at) & 3) !== 0; i++) if (buf[i]! < 0x20) return true;
      let w = (i - at) >> 2;
      const wEnd = (end - at) >> 2;
      // A word has a byte < 0x20 iff (x - 0x20202020) & ~x & 0x80808080 is non-zero (exact for n <= 0x80).
      for (; w + 1 < wEnd; w += 2) {
        const x = words[w]!;
        const y = words[w + 1]!;
        if ((((x - 0x20202020) & ~x) | ((y - 0x20202020) & ~y)) & 0x80808080) return true;
      }
      i = at + (w << 2);
    }
    for (; i < end; i++) if (buf[i]! < 0x20) return true;
    return false;
  }

  /**
   * The closing quote of an escape-free string starting at `start` in `buf` (the current segment),
   * found by memchr; -1 when the string has an escape or ends in a later segment (slow path).
   */
  #closingQuote(buf: Buffer, start: number): number {
    const q = buf.indexOf(0x22, start);
    if (q === -1) return -1;
    let bs = this.#bs;
    if (bs < start) {
      bs = buf.indexOf(0x5c, start);
      this.#bs = bs = bs === -1 ? buf.length : bs;
    }
    return bs < q ? -1 : q;
  }

  /**
   * The raw bytes (escapes undecoded) of a string whose content starts at `start` in the current
   * segment, possibly spanning segments; consumes its closing quote.
   */
  #stringSlow(start: number): Buffer {
    const pieces: Buffer[] = [];
    let carry = 0; // trailing backslashes of the pieces so far, when a piece ends in backslashes
    for (;;) {
      const buf = this.#buf;
      const end = buf.length;
      let from = start;
      for (;;) {
        const q = buf.indexOf(0x22, from);
        if (q === -1) break;
        let k = q;
        while (k > start && buf[k - 1] === 0x5c) k--;
        const run = q - k + (k === start ? carry : 0);
        if ((run & 1) === 0) {
          this.#pos = q + 1;
          if (pieces.length === 0) return buf.subarray(start, q);
          if (q > start) pieces.push(buf.subarray(start, q));
          // Only the closing quote in a later segment: the content is still a view of one segment.
          return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
        }
        from = q + 1;
      }
      let k = end;
      while (k > start && buf[k - 1] === 0x5c) k--;
      carry = end - k + (k === start ? carry : 0);
      if (start < end) pieces.push(start === 0 ? buf : buf.subarray(start));
      this.#pos = end;
      if (!this.#advance()) this.#fail(-1);
      start = 0;
    }
  }

  /** Decodes the raw bytes of a string, escapes included (rare: the daemon escapes little). */
  #decode(raw: Buffer): string {
    const text = raw.toString('utf8');
    if (text.indexOf('\\') === -1) {
      if (CONTROL_CHAR.test(text)) this.#failControl(text);
      return text;
    }
    try {
      return JSON.parse(`"${text}"`) as string;
    } catch {
      throw this.#error(`Bad escape or control character in string "${excerpt(text, 40)}"`);
    }
  }

  #literal<T>(word: Buffer, value: T): T {
    const buf = this.#buf;
    const pos = this.#pos;
    const n = word.length;
    if (pos + n <= buf.length) {
      let i = 1;
      while (i < n && buf[pos + i] === word[i]) i++;
      if (i === n) {
        this.#pos = pos + n;
        return value;
      }
    }
    for (let i = 0; i < n; i++) {
      const at = this.#base + this.#pos;
      const c = this.#read();
      if (c !== word[i]) this.#fail(c, at);
    }
    return value;
  }

  /** A number starting at `#pos` (a digit or `-`). */
  #number(): number {
    const buf = this.#buf;
    const start = this.#pos;
    const end = buf.length;
    const stop = scanNumber(buf, start, end);
    if (stop > 0 && stop < end) {
      this.#pos = stop;
      let i = start;
      const neg = buf[i] === 0x2d;
      if (neg) i++;
      if (stop - i <= 15) {
        // Integers (timestamps, counters) without a string round trip; exact below 2^53.
        let n = 0;
        for (; i < stop; i++) {
          const d = buf[i]! - 0x30;
          if (d < 0 || d > 9) return Number(buf.toString('latin1', start, stop));
          n = n * 10 + d;
        }
        return neg ? -n : n;
      }
      return Number(buf.toString('latin1', start, stop));
    }
    if (stop < 0) this.#fail(buf[-stop - 1]!, this.#base - stop - 1);
    // The token may continue in the next segment: collect its characters, then scan them.
    const at = this.#base + start;
    const codes: number[] = [];
    for (;;) {
      const c = this.#pos < this.#buf.length || this.#advance() ? this.#buf[this.#pos]! : -1;
      if (c === -1 || !((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)) break;
      codes.push(c);
      this.#pos++;
    }
    const stop2 = scanNumber(codes, 0, codes.length);
    if (stop2 < 0) this.#fail(codes[-stop2 - 1]!, at - stop2 - 1);
    if (stop2 < codes.length) this.#fail(codes[stop2]!, at + stop2);
    const text = String.fromCharCode(...codes);
    // Scanned to the end without a bad character: only an incomplete number ("-", "1.", "1e+") fails here.
    return NUMBER.test(text) ? Number(text) : this.#fail(this.#peekRaw(), at + codes.length);
  }

  #peekRaw(): number {
    return this.#pos < this.#buf.length || this.#advance() ? this.#buf[this.#pos]! : -1;
  }

  #failControl(text: string): never {
    throw this.#error(`Bad control character in string "${excerpt(text, 40)}"`);
  }

  #fail(c: number, at: number = this.#base + this.#pos): never {
    if (c === -1) throw this.#error('Unexpected end of input');
    const shown = c >= 0x21 && c <= 0x7e ? String.fromCharCode(c) : `0x${c.toString(16).padStart(2, '0')}`;
    throw this.#error(`Unexpected token ${shown} at byte ${at}`);
  }

  #error(what: string): ProtocolError {
    let total = 0;
    for (const s of this.#segs) total += s.length;
    const head: Buffer[] = [];
    let got = 0;
    for (const s of this.#segs) {
      if (got >= 480) break;
      head.push(s.subarray(0, 480 - got));
      got += Math.min(s.length, 480 - got);
    }
    const text = Buffer.concat(head).toString('utf8');
    const shown = got >= total ? excerpt(text) : `${excerpt(text.slice(0, 120), 120)}… (${total} bytes)`;
    return new ProtocolError(
      ProtocolErrorCode.MALFORMED_LINE,
      `A line from the daemon is not valid JSON (${what}); line: ${shown}`,
    );
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
