import type { FailureError } from '../errors.js';
import type { DeadLetter } from '../types.js';

/** A dead letter without its payload, as a replay lists and orders it; `bytes` is the payload size. */
export type DeadLetterSummary = Omit<DeadLetter, 'data' | 'dataRef'> & { bytes: number };

/** The summary of a dead letter (its payload is dropped: replay holds summaries, not payloads). */
export function summarize(entry: DeadLetter): DeadLetterSummary {
  const { data, dataRef: _ref, ...rest } = entry;
  return { ...rest, bytes: Buffer.byteLength(data, 'base64') };
}

/**
 * One stored dead letter, read for replay. Sources hand out summaries while they read (a line, an
 * object or a message at a time) and the payload is read again by `load()` when it is replayed, so a
 * replay never holds every payload in memory.
 */
export interface ReplayItem {
  entry: DeadLetterSummary;
  /** Where it is stored, for reports (`file.jsonl:12`, an SQS message id, an S3 key). */
  where: string;
  /**
   * The complete dead letter, read again from where it is stored.
   * @throws {FailureError} `INVALID_ENTRY` when it changed or disappeared since it was listed.
   */
  load(): Promise<DeadLetter>;
  /**
   * Marks it replayed: file: appended to `replayed/<file>` and removed from its file at `close()`;
   * SQS: message deleted; S3: object deleted. Call only after the replay of this entry succeeded.
   */
  ack(): Promise<void>;
}

/** Dead letters being read; always `close()` it (it releases and compacts what was not acked). */
export interface DeadLetterSource extends AsyncIterable<ReplayItem> {
  readonly description: string;
  close(): Promise<void>;
}

/** Options of `openDeadLetters`. */
export interface OpenDeadLettersOptions {
  /**
   * Change nothing (dry run): files are not rotated or rewritten, `ack()` rejects. SQS messages are
   * still received (that is how SQS is read) and released at `close()`, which counts as a receive.
   * @default false
   */
  readOnly?: boolean;
  /**
   * SQS: how long received messages stay invisible to others; must cover the whole replay, since
   * entries are acked only after all were read and sorted.
   * @default 900
   */
  visibilityTimeoutSeconds?: number;
  /** SQS: long-poll wait of each receive; an empty receive ends the reading. @default 1 */
  waitTimeSeconds?: number;
  /** Folder relative `file:` specs resolve against. @default process.cwd() */
  cwd?: string;
  /**
   * File: how long after moving the current files aside a replay waits before rewriting them at
   * `close()`, so a sink write that had the file open finishes first.
   * @default 1000
   */
  settleMs?: number;
  /** A stored entry that is not a valid dead letter: it is skipped and left where it is. */
  onInvalid?(where: string, error: FailureError): void;
  /**
   * File: replayed copies (`replayed/<file>`) older than this many days are deleted when a replay ends;
   * 0 deletes them as soon as the replay is done with them. The ack journals a crashed replay needs are kept.
   * @default 7
   */
  keepReplayedDays?: number;
  /** Something that did not stop the reading (e.g. an orphaned S3 payload could not be deleted). */
  onWarning?(message: string): void;
}
