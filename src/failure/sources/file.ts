import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureError, FailureErrorCode } from '../errors.js';
import { parseDeadLetter } from '../format.js';
import { rotatedName } from '../sinks/file.js';
import type { DeadLetterSource, OpenDeadLettersOptions, ReplayItem } from './types.js';

const ACTIVE = /^[^.]+\.jsonl$/;

interface PendingAck {
  file: string;
  offset: number;
  line: Buffer;
  done: (err?: unknown) => void;
}

const lineHash = (line: Buffer) => createHash('sha256').update(line).digest('hex').slice(0, 16);

async function appendSync(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'a');
  try {
    await fh.write(typeof data === 'string' ? Buffer.from(data) : data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Reads the JSONL files of a FileSink folder, oldest first. What must stay true: an entry leaves its
 * file only after its ack is durable, and nothing a sink appends is ever dropped.
 * - At the start (not read-only), each current `<shardId>.jsonl` is rotated aside exactly as the sink
 *   rotates, so sinks keep appending to fresh files that this replay does not rewrite.
 * - `ack()` appends the line to `replayed/<file>` and its offset to the journal `replayed/<file>.acks`
 *   (fsync'd, several acks per write): a replay that crashes acks nothing twice.
 * - `close()` rewrites each file with acked lines without them (or removes it), keeping anything
 *   appended meanwhile, then drops the journal. A crash between the two re-replays, never loses.
 */
export class FileSource implements DeadLetterSource {
  readonly description: string;
  readonly #dir: string;
  readonly #opts: OpenDeadLettersOptions;
  readonly #replayed: string;
  /** Per file, the offsets acked (journal of earlier runs included). */
  readonly #acked = new Map<string, Set<number>>();
  #pending: PendingAck[] = [];
  #flushing: Promise<void> | undefined;
  #claimedAt = 0;

  constructor(dir: string, opts: OpenDeadLettersOptions) {
    this.#dir = dir;
    this.#opts = opts;
    this.#replayed = join(dir, 'replayed');
    this.description = `file:${dir}`;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplayItem> {
    const names = await readdir(this.#dir).catch((err: NodeJS.ErrnoException) => {
      throw new FailureError(FailureErrorCode.SOURCE, `Cannot read dead letters in ${this.#dir}: ${err.message}`, { cause: err });
    });
    if (!this.#opts.readOnly) {
      await mkdir(this.#replayed, { recursive: true });
      for (const name of names.filter((n) => ACTIVE.test(n))) {
        const shardId = name.slice(0, -'.jsonl'.length);
        await rename(join(this.#dir, name), join(this.#dir, rotatedName(shardId))).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      this.#claimedAt = Date.now();
    }
    for (const file of await this.#files()) {
      const text = await readFile(join(this.#dir, file));
      const acked = await this.#loadJournal(file, text);
      for (let offset = 0, lineNo = 1; offset < text.length; lineNo++) {
        const nl = text.indexOf(10, offset);
        const end = nl < 0 ? text.length : nl;
        const line = text.subarray(offset, end);
        const at = offset;
        offset = end + 1;
        if (line.length === 0 || acked.has(at)) continue;
        const where = `${file}:${lineNo}`;
        try {
          const entry = parseDeadLetter(line.toString('utf8'), `${this.#dir}/${where}`);
          yield { entry, where, ack: () => this.#ack(file, at, line) };
        } catch (err) {
          if (!(err instanceof FailureError)) throw err;
          this.#opts.onInvalid?.(where, err);
        }
      }
    }
  }

  /** The dead-letter files, oldest first: by the rotation time in the name (current files last), then mtime. */
  async #files(): Promise<string[]> {
    const names = (await readdir(this.#dir, { withFileTypes: true })).filter((d) => d.isFile() && d.name.endsWith('.jsonl')).map((d) => d.name);
    const keyed = await Promise.all(
      names.map(async (name) => {
        const time = /^[^.]+\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z)/.exec(name)?.[1] ?? (ACTIVE.test(name) ? '~' : '}');
        const mtime = await stat(join(this.#dir, name)).then((s) => s.mtimeMs, () => 0);
        return { name, time, mtime };
      }),
    );
    keyed.sort((a, b) => (a.time !== b.time ? (a.time < b.time ? -1 : 1) : a.mtime !== b.mtime ? a.mtime - b.mtime : a.name < b.name ? -1 : 1));
    return keyed.map((k) => k.name);
  }

  /** Offsets acked by an earlier run that did not get to compact, checked against the file's lines. */
  async #loadJournal(file: string, text: Buffer): Promise<Set<number>> {
    const acked = new Set<number>();
    this.#acked.set(file, acked);
    const journal = await readFile(join(this.#replayed, `${file}.acks`), 'utf8').catch(() => '');
    for (const row of journal.split('\n')) {
      const [off, hash] = row.split(' ');
      const offset = Number(off);
      if (!hash || !Number.isInteger(offset) || offset < 0 || offset >= text.length) continue;
      const nl = text.indexOf(10, offset);
      if (lineHash(text.subarray(offset, nl < 0 ? text.length : nl)) === hash) acked.add(offset);
    }
    return acked;
  }

  #ack(file: string, offset: number, line: Buffer): Promise<void> {
    if (this.#opts.readOnly) return Promise.reject(new FailureError(FailureErrorCode.SOURCE, `${this.description} was opened read-only (dry run): nothing can be acked`));
    return new Promise((resolve, reject) => {
      this.#pending.push({ file, offset, line, done: (err) => (err ? reject(err) : resolve()) });
      // #flushing is cleared by #flush itself, synchronously with its last look at #pending.
      this.#flushing ??= this.#flush();
    });
  }

  /** Writes pending acks, many per append (acks of one PutRecords chunk arrive together). */
  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      const byFile = new Map<string, PendingAck[]>();
      for (const p of batch) (byFile.get(p.file) ?? byFile.set(p.file, []).get(p.file)!).push(p);
      for (const [file, acks] of byFile) {
        try {
          await appendSync(join(this.#replayed, file), Buffer.concat(acks.flatMap((a) => [a.line, Buffer.from('\n')])));
          await appendSync(join(this.#replayed, `${file}.acks`), acks.map((a) => `${a.offset} ${lineHash(a.line)}\n`).join(''));
          for (const a of acks) this.#acked.get(file)?.add(a.offset);
          for (const a of acks) a.done();
        } catch (err) {
          const failure = new FailureError(FailureErrorCode.SOURCE, `Cannot mark dead letters of ${file} as replayed in ${this.#replayed}: ${(err as Error).message}`, { cause: err });
          for (const a of acks) a.done(failure);
        }
      }
    }
    this.#flushing = undefined;
  }

  async close(): Promise<void> {
    await this.#flushing;
    if (this.#opts.readOnly) return;
    const wait = this.#claimedAt + (this.#opts.settleMs ?? 1000) - Date.now();
    if ([...this.#acked.values()].some((s) => s.size > 0) && wait > 0) await sleep(wait);
    for (const [file, acked] of this.#acked) if (acked.size > 0) await this.#compact(file, acked);
  }

  /** Rewrites `file` without its acked lines, or removes it when none is left. */
  async #compact(file: string, acked: Set<number>): Promise<void> {
    const path = join(this.#dir, file);
    const journal = join(this.#replayed, `${file}.acks`);
    const text = await readFile(path);
    const keep: Buffer[] = [];
    for (let offset = 0; offset < text.length; ) {
      const nl = text.indexOf(10, offset);
      const end = nl < 0 ? text.length : nl + 1;
      if (!acked.has(offset)) keep.push(text.subarray(offset, end));
      offset = end;
    }
    if (keep.every((b) => b.toString().trim() === '')) {
      await unlink(path);
      await unlink(journal).catch(() => undefined);
      return;
    }
    const tmp = join(this.#replayed, `.${file}.${process.pid}.tmp`);
    await appendSync(tmp, Buffer.concat(keep));
    // Journal first: a crash before the rename then replays those entries again rather than losing any.
    await unlink(journal).catch(() => undefined);
    await rename(tmp, path);
    if ((await stat(path)).size === 0) await unlink(path);
  }
}
