import { createHash } from 'node:crypto';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureError, FailureErrorCode } from '../errors.js';
import { entryId, parseDeadLetter } from '../format.js';
import { appendDurably, mkdirPrivate, readAt, readLines, syncDir } from '../private-fs.js';
import { rotatedName } from '../sinks/file.js';
import type { DeadLetter } from '../types.js';
import { summarize, type DeadLetterSource, type OpenDeadLettersOptions, type ReplayItem } from './types.js';

const ACTIVE = /^[^.]+\.jsonl$/;
const DAY_MS = 24 * 60 * 60 * 1000;

interface PendingAck {
  file: string;
  offset: number;
  /** The acked line, being read again (acks queue in call order; the reads finish in any order). */
  line: Promise<Buffer>;
  done: (err?: unknown) => void;
}

const lineHash = (line: Buffer) => createHash('sha256').update(line).digest('hex').slice(0, 16);

/**
 * Reads the JSONL files of a FileSink folder, oldest first, a line at a time (never a whole file).
 * What must stay true: an entry leaves its file only after its ack is durable, and nothing a sink
 * appends is ever dropped.
 * - At the start (not read-only), each current `<shardId>.jsonl` is rotated aside exactly as the sink
 *   rotates, so sinks keep appending to fresh files that this replay does not rewrite.
 * - `ack()` appends the line to `replayed/<file>` and its offset to the journal `replayed/<file>.acks`
 *   (fsync'd, several acks per write): a replay that crashes acks nothing twice.
 * - `close()` rewrites each file with acked lines without them (or removes it), keeping anything
 *   appended meanwhile, then drops the journal. A crash between the two re-replays, never loses.
 *   Replayed copies older than `keepReplayedDays` are then deleted.
 * Files are 0600 in 0700 folders, symlinks are neither read nor written, folders are fsync'd after
 * renames, creations and removals.
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
    const keep = opts.keepReplayedDays;
    if (keep !== undefined && (typeof keep !== 'number' || !Number.isFinite(keep) || keep < 0)) {
      throw new FailureError(FailureErrorCode.REPLAY_OPTIONS, `Expected \`keepReplayedDays\` to be a number of days >= 0, got ${JSON.stringify(keep)}`);
    }
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
      await mkdirPrivate(this.#replayed);
      for (const name of names.filter((n) => ACTIVE.test(n))) {
        const shardId = name.slice(0, -'.jsonl'.length);
        await rename(join(this.#dir, name), join(this.#dir, rotatedName(shardId))).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      await syncDir(this.#dir);
      this.#claimedAt = Date.now();
    }
    for (const file of await this.#files()) {
      const path = join(this.#dir, file);
      const journal = await this.#loadJournal(file);
      const acked = new Set<number>();
      this.#acked.set(file, acked);
      let lineNo = 0;
      for await (const { offset, line } of readLines(path)) {
        lineNo++;
        if (line.length === 0) continue;
        if (journal.get(offset) === lineHash(line)) {
          acked.add(offset);
          continue;
        }
        const where = `${file}:${lineNo}`;
        let entry: DeadLetter;
        try {
          entry = parseDeadLetter(line.toString('utf8'), `${this.#dir}/${where}`);
        } catch (err) {
          if (!(err instanceof FailureError)) throw err;
          this.#opts.onInvalid?.(where, err);
          continue;
        }
        // The closures below keep numbers and strings only, never the entry or the line (its payload).
        const length = line.length;
        const id = entryId(entry);
        yield {
          entry: summarize(entry),
          where,
          load: () => this.#load(path, offset, length, where, id),
          ack: () => this.#ackAt(file, path, offset, length),
        };
      }
    }
  }

  /** The entry at `offset` again (files are only rewritten at `close()`, so it is where it was). */
  async #load(path: string, offset: number, length: number, where: string, id: string): Promise<DeadLetter> {
    const line = await readAt(path, offset, length);
    const entry = parseDeadLetter(line.toString('utf8'), `${this.#dir}/${where}`);
    if (entryId(entry) !== id) throw new FailureError(FailureErrorCode.INVALID_ENTRY, `${this.#dir}/${where} changed while it was being replayed`);
    return entry;
  }

  async #ackAt(file: string, path: string, offset: number, length: number): Promise<void> {
    if (this.#opts.readOnly) return this.#ack(file, offset, Promise.resolve(Buffer.alloc(0)));
    return this.#ack(file, offset, readAt(path, offset, length));
  }

  /** The dead-letter files (regular files only, no symlinks), oldest first: by the rotation time in the name (current files last), then mtime. */
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

  /** Offsets acked by an earlier run that did not get to compact, with the hash of the line acked there. */
  async #loadJournal(file: string): Promise<Map<number, string>> {
    const journal = new Map<number, string>();
    const path = join(this.#replayed, `${file}.acks`);
    try {
      for await (const { line } of readLines(path)) {
        const [off, hash] = line.toString('latin1').split(' ');
        const offset = Number(off);
        if (hash && Number.isInteger(offset) && offset >= 0) journal.set(offset, hash);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return journal;
  }

  #ack(file: string, offset: number, line: Promise<Buffer>): Promise<void> {
    if (this.#opts.readOnly) return Promise.reject(new FailureError(FailureErrorCode.SOURCE, `${this.description} was opened read-only (dry run): nothing can be acked`));
    line.catch(() => undefined); // a failed read fails this ack in #flush, not the process
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
          const lines = await Promise.all(acks.map((a) => a.line));
          await appendDurably(join(this.#replayed, file), this.#replayed, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
          await appendDurably(join(this.#replayed, `${file}.acks`), this.#replayed, Buffer.from(acks.map((a, i) => `${a.offset} ${lineHash(lines[i]!)}\n`).join('')));
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
    await this.#expireReplayed();
  }

  /** Rewrites `file` without its acked lines (a line at a time), or removes it when none is left. */
  async #compact(file: string, acked: Set<number>): Promise<void> {
    const path = join(this.#dir, file);
    const journal = join(this.#replayed, `${file}.acks`);
    const tmp = join(this.#replayed, `.${file}.${process.pid}.tmp`);
    await unlink(tmp).catch(() => undefined);
    let kept = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length > 0) await appendDurably(tmp, this.#replayed, Buffer.concat(batch));
      batch = [];
      batchBytes = 0;
    };
    for await (const { offset, line } of readLines(path)) {
      if (acked.has(offset) || line.toString('latin1').trim() === '') continue;
      batch.push(line, Buffer.from('\n'));
      batchBytes += line.length + 1;
      kept++;
      if (batchBytes >= 4 * 1024 * 1024) await flush();
    }
    await flush();
    if (kept === 0) {
      await unlink(path);
      await unlink(journal).catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      await syncDir(this.#dir);
      await syncDir(this.#replayed);
      return;
    }
    // Journal first: a crash before the rename then replays those entries again rather than losing any.
    await unlink(journal).catch(() => undefined);
    await syncDir(this.#replayed);
    await rename(tmp, path);
    await syncDir(this.#dir);
    await syncDir(this.#replayed);
  }

  /** Deletes replayed copies older than `keepReplayedDays` (journals and temporary files are left alone). */
  async #expireReplayed(): Promise<void> {
    const keepMs = (this.#opts.keepReplayedDays ?? 7) * DAY_MS;
    const entries = await readdir(this.#replayed, { withFileTypes: true }).catch(() => []);
    let removed = false;
    for (const d of entries) {
      if (!d.isFile() || !d.name.endsWith('.jsonl') || d.name.startsWith('.')) continue;
      const path = join(this.#replayed, d.name);
      const mtime = await stat(path).then((st) => st.mtimeMs, () => Date.now());
      if (Date.now() - mtime >= keepMs) {
        await unlink(path).catch(() => undefined);
        removed = true;
      }
    }
    if (removed) await syncDir(this.#replayed);
  }
}
