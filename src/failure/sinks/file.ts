import { randomBytes } from 'node:crypto';
import { rename, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeValue } from '../../errors.js';
import { FailureError, FailureErrorCode } from '../errors.js';
import { mkdirPrivate, openAppend, syncDir } from '../private-fs.js';
import type { DeadLetter, DeadLetterSink } from '../types.js';

/** Options of {@link FileSink}. */
export interface FileSinkOptions {
  /** Folder of the JSONL files (created 0700 if missing). Several shard processes may share it. */
  dir: string;
  /**
   * Rotation size: when an append would make `<shardId>.jsonl` larger than this, the file is first
   * renamed to `<shardId>.<timestamp>-<random>.jsonl`. A single write larger than this still goes in one file.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
}

/** A file-system-safe ISO timestamp: `2025-01-02T03-04-05.678Z` (sorts like the time it names). */
export function safeTimestamp(date = new Date()): string {
  return date.toISOString().replace(/:/g, '-');
}

/**
 * A name for the rotated copy of `<shardId>.jsonl`: `<shardId>.<timestamp>-<random>.jsonl`. Processes
 * sharing the folder (on one host or several, where pids repeat) can rotate the same shard in the same
 * millisecond, and rename() silently replaces an existing file: the random part keeps names apart
 * (checking for an existing name first would race).
 */
export function rotatedName(shardId: string, date = new Date()): string {
  return `${shardId}.${safeTimestamp(date)}-${randomBytes(4).toString('hex')}.jsonl`;
}

/** Writes all of `buf` at the end of the file (O_APPEND), looping over short writes. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/**
 * Dead letters as JSON Lines, one file per shard: `<dir>/<shardId>.jsonl`. Each `write` appends the
 * entries of a shard in one write and fsyncs before it resolves. Files rotate by size.
 *
 * They hold partition keys and payloads (personal data): the folder is created 0700 and files 0600,
 * a symlink at a file's path is refused (never followed), and the folder is fsync'd after a file was
 * created or rotated there.
 *
 * Several processes may write to one folder: appends are O_APPEND (one write call never interleaves
 * with another), the file is opened per write (so a rotation or a `kcl-ts replay` that moved the file
 * away is seen at once), and a write that landed in a file a replay removed meanwhile (link count 0
 * after fsync) is written again.
 */
export class FileSink implements DeadLetterSink {
  readonly description: string;
  readonly #dir: string;
  readonly #maxBytes: number;
  /** Per file, the tail of this process's writes: rotation checks and appends of a file run one at a time. */
  readonly #tails = new Map<string, Promise<void>>();
  /** The last rotation time used: names of this sink's rotations always increase, even within one millisecond. */
  #lastRotationMs = 0;
  #ready: Promise<void> | undefined;

  constructor(options: FileSinkOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`dir\` to be a folder path, got ${describeValue(options?.dir)}`);
    }
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new FailureError(FailureErrorCode.BAD_SPEC, `Expected \`maxBytes\` to be an integer >= 1, got ${describeValue(maxBytes)}`);
    }
    this.#dir = resolve(options.dir);
    this.#maxBytes = maxBytes;
    this.description = `file:${this.#dir}`;
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const byShard = new Map<string, string[]>();
    for (const e of entries) {
      const lines = byShard.get(e.shardId) ?? byShard.set(e.shardId, []).get(e.shardId)!;
      lines.push(`${JSON.stringify(e)}\n`);
    }
    this.#ready ??= mkdirPrivate(this.#dir);
    try {
      await this.#ready;
    } catch (err) {
      this.#ready = undefined;
      throw this.#failed(err, entries.length);
    }
    await Promise.all([...byShard].map(([shardId, lines]) => this.#serial(shardId, () => this.#append(shardId, Buffer.from(lines.join(''))))));
  }

  #serial(shardId: string, job: () => Promise<void>): Promise<void> {
    const run = (this.#tails.get(shardId) ?? Promise.resolve()).then(job);
    const tail = run.catch(() => undefined);
    this.#tails.set(shardId, tail);
    void tail.then(() => {
      if (this.#tails.get(shardId) === tail) this.#tails.delete(shardId);
    });
    return run;
  }

  async #append(shardId: string, buf: Buffer): Promise<void> {
    if (shardId.includes('/') || shardId.includes('\0') || shardId.startsWith('.')) {
      throw new FailureError(FailureErrorCode.SINK_WRITE, `Cannot write dead letters of shard ${JSON.stringify(shardId)} to a file: not a file name`);
    }
    const path = join(this.#dir, `${shardId}.jsonl`);
    try {
      for (;;) {
        const size = await stat(path).then(
          (s) => s.size,
          () => 0,
        );
        let renamed = false;
        if (size > 0 && size + buf.length > this.#maxBytes) {
          // Another process may rotate it first: then there is nothing left to rename.
          this.#lastRotationMs = Math.max(Date.now(), this.#lastRotationMs + 1);
          renamed = await rename(path, join(this.#dir, rotatedName(shardId, new Date(this.#lastRotationMs)))).then(
            () => true,
            (err: NodeJS.ErrnoException) => {
              if (err.code !== 'ENOENT') throw err;
              return false;
            },
          );
        }
        const { fh, created } = await openAppend(path);
        try {
          await writeAll(fh, buf);
          await fh.sync();
          if ((await fh.stat()).nlink > 0) {
            if (created || renamed) await syncDir(this.#dir);
            return;
          }
        } finally {
          await fh.close();
        }
        // The file was removed while we wrote (a replay compacted it): write the entries again.
      }
    } catch (err) {
      throw this.#failed(err, buf.length, path);
    }
  }

  #failed(err: unknown, what: number, path = this.#dir): FailureError {
    if (err instanceof FailureError) return err;
    return new FailureError(
      FailureErrorCode.SINK_WRITE,
      `Could not write dead letters (${what} ${path === this.#dir ? 'entries' : 'bytes'}) to ${path}: ${(err as Error).message}; ` +
        'check the folder exists, is writable and has space (kcl-ts retries, and does not checkpoint past them meanwhile)',
      { cause: err },
    );
  }

  /** Waits for this process's pending writes. */
  async close(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
