import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { comparePositions, type Position } from '../checkpoint/index.js';
import { PooledPipeInput, type ActionName, type LineInput, type WireRecord } from '../protocol/index.js';
import {
  HandlerProcessor,
  resolveHandlerOptions,
  ShardSession,
  type HandlerOptions,
  type RecordProcessor,
  type SessionOptions,
  type SessionOutcome,
} from '../processor/index.js';
import { LineQueue } from './line-queue.js';

/** A checkpoint the fake daemon accepted, and the action during which it was made. */
export interface AcceptedCheckpoint {
  sequenceNumber: string | null;
  subSequenceNumber: number | null;
  /** True for the SHARD_END checkpoint (null sequence during shardEnded). */
  shardEnd: boolean;
  during: ActionName;
}

/** A checkpoint request as received, with the error the fake daemon answered (null when accepted). */
export interface CheckpointRequestLog {
  sequenceNumber: string | null;
  subSequenceNumber: number | null;
  during: ActionName;
  error: string | null;
}

/** A batch encoded once, to send many times cheaply (benchmarks). */
export interface EncodedBatch {
  /** The processRecords line, without its newline. */
  readonly line: string;
  /** The same line as UTF-8 with its newline: what {@link FakeDaemon.processRecords} writes, encoded once. */
  readonly bytes: Buffer;
  readonly count: number;
  readonly last: WireRecord | undefined;
}

/** Options shared by both ways of starting a FakeDaemon. */
export interface FakeDaemonOptions {
  /**
   * Longest wait for each reply from the processor.
   * @default 10000
   */
  replyTimeoutMs?: number;
}

/** Options of {@link FakeDaemon.inProcess}. */
export interface InProcessOptions extends FakeDaemonOptions, Partial<Omit<SessionOptions, 'processor' | 'input' | 'output'>> {
  /**
   * With `run()`'s handler options: read the daemon's lines as `run()` does from a real pipe, through
   * a Unix socket into pooled blocks whose use counts in the backpressure (`false`: a plain stream).
   * @default true
   */
  pooledStdin?: boolean;
}

/**
 * A Unix socket carrying `from` to a pooled input in this process: the per-key runtime then reads
 * exactly as it does from the daemon's pipe. The socket file is removed once connected.
 */
function pooledSocketInput(from: Readable, maxLineBytes: number | undefined): PooledPipeInput {
  const dir = mkdtempSync(join(tmpdir(), 'kcl-ts-fake-daemon-'));
  const path = join(dir, 'stdin.sock');
  const server = createServer((socket) => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    socket.on('error', () => undefined); // the processor stopped reading (a fail-safe stop): nothing to do
    socket.unref();
    from.pipe(socket);
  });
  server.listen(path); // binds at once: the input may connect right away
  server.unref();
  // Like a stream, the socket must not keep a test process alive (a test need not close its daemon).
  return new PooledPipeInput({ path }, { maxLineBytes, unref: true });
}

/** Options of {@link FakeDaemon.spawn}. */
export interface SpawnOptions extends FakeDaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The fake daemon's protocol expectations were not met by the processor. */
export class FakeDaemonError extends Error {
  override name = 'FakeDaemonError';
}

/**
 * Plays the MultiLangDaemon against a processor, in-process or as a child command, over the same
 * line protocol: sends actions, answers checkpoints like the daemon does (bounds checks, SHARD_END,
 * injected errors) and insists on the matching status reply.
 */
export class FakeDaemon {
  /** Checkpoints accepted, in order. */
  readonly checkpoints: AcceptedCheckpoint[] = [];
  /** Every checkpoint request, accepted or not. */
  readonly checkpointRequests: CheckpointRequestLog[] = [];
  /** Lines from the processor that were not protocol messages (the real daemon logs and skips them). */
  readonly strayLines: string[] = [];
  /** The child's stderr lines (spawn mode); the real daemon logs them at ERROR. */
  readonly stderrLines: string[] = [];

  readonly #toChild: Writable;
  readonly #fromChild: LineQueue;
  readonly #timeoutMs: number;
  readonly #exited: Promise<number | null>;
  readonly #errorsToInject: string[] = [];
  #lastDelivered: WireRecord | undefined;
  #lastCheckpoint: Position | undefined;
  /** The numeric position given to initialize, if any: the largest permitted checkpoint before any record. */
  #initialPosition: Position | undefined;
  #shardEnded = false;
  /** Set once a checkpoint was answered with ShutdownException: the lease is gone, later ones get it too. */
  #leaseGone = false;
  /** True while a shardEnded (or legacy TERMINATE) is being handled: a null checkpoint means SHARD_END. */
  #atShardEnd = false;

  private constructor(toChild: Writable, fromChild: Readable, exited: Promise<number | null>, options: FakeDaemonOptions) {
    this.#toChild = toChild;
    this.#fromChild = new LineQueue(fromChild);
    this.#exited = exited;
    this.#timeoutMs = options.replyTimeoutMs ?? 10_000;
  }

  /**
   * Drives a processor in this process through a real {@link ShardSession}: a low-level
   * `RecordProcessor`, or the options of `run({ handle | handleBatch, ... })` (read through pooled
   * stdin as `run()` does, unless `pooledStdin: false`).
   */
  static inProcess(processor: RecordProcessor | HandlerOptions, options: InProcessOptions = {}): FakeDaemon & { outcome: Promise<SessionOutcome> } {
    const input = new PassThrough();
    const output = new PassThrough();
    const logger: Logger = options.logger ?? pino({ level: 'silent' });
    let lineInput: Readable | LineInput = input;
    if (!('processRecords' in processor)) {
      const resolved = resolveHandlerOptions(processor);
      const pooled = options.pooledStdin === false ? undefined : pooledSocketInput(input, options.maxLineBytes);
      processor = new HandlerProcessor(resolved, logger, process.env, undefined, pooled?.pool);
      if (pooled) lineInput = pooled;
    }
    const { pooledStdin: _, ...sessionOptions } = options;
    const session = new ShardSession({ ...sessionOptions, logger, processor: processor as RecordProcessor, input: lineInput, output });
    const outcome = session.start();
    const exited = outcome.then((o) => {
      output.end();
      return o.exitCode as number;
    });
    return Object.assign(new FakeDaemon(input, output, exited, options), { outcome });
  }

  /** Spawns `command args` as the daemon would (no shell) and talks to it over its stdin/stdout. */
  static spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): FakeDaemon & { child: ChildProcess } {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const daemon = new FakeDaemon(child.stdin!, child.stdout!, exited, options);
    const errLines = new LineQueue(child.stderr!);
    void (async () => {
      for (let line = await errLines.next(2 ** 31 - 1, 'stderr'); line !== null; line = await errLines.next(2 ** 31 - 1, 'stderr')) {
        daemon.stderrLines.push(line);
      }
    })();
    child.stdin!.on('error', () => undefined);
    return Object.assign(daemon, { child });
  }

  /**
   * Makes the next `times` checkpoint requests fail with the daemon error `errorName` (e.g.
   * `ThrottlingException`). `ShutdownException` means the lease is gone: like the daemon, every later
   * checkpoint gets it too.
   */
  failCheckpoints(errorName: string, times = 1): void {
    for (let i = 0; i < times; i++) this.#errorsToInject.push(errorName);
  }

  /**
   * Sends initialize and waits for its status. A numeric `sequenceNumber` is where the lease's
   * checkpoint stands: like the daemon, later checkpoints below it are refused (IllegalArgumentException).
   */
  initialize(shardId = 'shardId-000000000000', sequenceNumber = 'TRIM_HORIZON', subSequenceNumber = 0): Promise<void> {
    if (/^\d+$/.test(sequenceNumber)) this.#lastCheckpoint = this.#initialPosition = { sequenceNumber, subSequenceNumber };
    return this.#exchange(JSON.stringify({ action: 'initialize', shardId, sequenceNumber, subSequenceNumber }), 'initialize');
  }

  /** Encodes a batch once, for {@link processRecords} to send many times. */
  static encodeBatch(records: WireRecord[], millisBehindLatest = 0): EncodedBatch {
    // Only the bytes are kept (a 10,000 x 1 KB batch is 15 MB); the text is decoded again when asked for.
    const bytes = Buffer.from(`${JSON.stringify({ action: 'processRecords', millisBehindLatest, records })}\n`);
    return {
      get line() {
        return bytes.toString('utf8', 0, bytes.length - 1);
      },
      bytes,
      count: records.length,
      last: records[records.length - 1],
    };
  }

  /** Sends a batch and waits for its status, answering checkpoints meanwhile. */
  processRecords(records: WireRecord[] | EncodedBatch, millisBehindLatest = 0): Promise<void> {
    const batch = Array.isArray(records) ? FakeDaemon.encodeBatch(records, millisBehindLatest) : records;
    if (batch.last) this.#lastDelivered = batch.last;
    return this.#exchange(batch.bytes, 'processRecords');
  }

  /** Sends leaseLost and waits for its status. */
  leaseLost(): Promise<void> {
    return this.#exchange('{"action":"leaseLost"}', 'leaseLost');
  }

  /** Sends shardEnded and waits for its status. */
  shardEnded(): Promise<void> {
    return this.#exchange('{"action":"shardEnded"}', 'shardEnded', true);
  }

  /** Sends shutdownRequested and waits for its status. */
  shutdownRequested(): Promise<void> {
    return this.#exchange('{"action":"shutdownRequested"}', 'shutdownRequested');
  }

  /** Sends the KCL 1.x shutdown message and waits for its status. */
  legacyShutdown(reason: 'TERMINATE' | 'ZOMBIE'): Promise<void> {
    return this.#exchange(JSON.stringify({ action: 'shutdown', reason }), 'shutdown', reason === 'TERMINATE');
  }

  /** Writes a raw line (for malformed-input tests). */
  sendRaw(line: string): void {
    this.#toChild.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Closes the processor's stdin, as the daemon does after leaseLost/shardEnded; resolves with its exit code. */
  close(): Promise<number | null> {
    this.#toChild.end();
    return this.exited();
  }

  /** Resolves with the exit code when the processor ends on its own. */
  exited(): Promise<number | null> {
    // The in-process pooled input's socket does not keep the process alive: waiting for the exit does
    // (for at most the reply timeout).
    const keepAlive = setTimeout(() => undefined, this.#timeoutMs);
    return this.#exited.finally(() => clearTimeout(keepAlive));
  }

  /** Sends a line (a string without newline, or bytes ending with one) and waits for the status. */
  async #exchange(line: string | Buffer, action: ActionName, atShardEnd = false): Promise<void> {
    this.#atShardEnd = atShardEnd;
    this.#toChild.write(typeof line === 'string' ? `${line}\n` : line);
    for (;;) {
      const reply = await this.#fromChild.next(this.#timeoutMs, `the status for ${action}`);
      if (reply === null) throw new FakeDaemonError(`the processor closed stdout before answering ${action}`);
      let message: { action?: unknown; responseFor?: unknown; sequenceNumber?: unknown; subSequenceNumber?: unknown };
      try {
        message = JSON.parse(reply) as typeof message;
      } catch {
        this.strayLines.push(reply);
        continue;
      }
      if (message.action === 'status') {
        if (message.responseFor !== action) {
          throw new FakeDaemonError(`expected a status for ${action}, got one for ${String(message.responseFor)}`);
        }
        return;
      }
      if (message.action === 'checkpoint') {
        this.#answerCheckpoint(message, action);
        continue;
      }
      this.strayLines.push(reply);
    }
  }

  #answerCheckpoint(message: { sequenceNumber?: unknown; subSequenceNumber?: unknown }, during: ActionName): void {
    const sequenceNumber = typeof message.sequenceNumber === 'string' ? message.sequenceNumber : null;
    const subSequenceNumber = typeof message.subSequenceNumber === 'number' ? message.subSequenceNumber : null;
    const error = this.#leaseGone ? 'ShutdownException' : (this.#errorsToInject.shift() ?? this.#validate(sequenceNumber, subSequenceNumber, during));
    if (error === 'ShutdownException') this.#leaseGone = true;
    this.checkpointRequests.push({ sequenceNumber, subSequenceNumber, during, error });
    if (error === null) {
      const shardEnd = sequenceNumber === null && this.#atShardEnd;
      if (shardEnd) this.#shardEnded = true;
      const at = sequenceNumber === null ? this.#lastDelivered : { sequenceNumber, subSequenceNumber };
      if (at && !shardEnd) this.#lastCheckpoint = { sequenceNumber: at.sequenceNumber, subSequenceNumber: at.subSequenceNumber ?? 0 };
      this.checkpoints.push({ sequenceNumber: shardEnd ? null : at?.sequenceNumber ?? null, subSequenceNumber: shardEnd ? null : at?.subSequenceNumber ?? 0, shardEnd, during });
    }
    this.#toChild.write(`${JSON.stringify({ action: 'checkpoint', sequenceNumber, subSequenceNumber, error })}\n`);
  }

  /**
   * The daemon's own checks: a checkpoint must lie between the last checkpoint (at first the position
   * given to initialize) and the last record delivered.
   */
  #validate(sequenceNumber: string | null, subSequenceNumber: number | null, during: ActionName): string | null {
    if (during === 'initialize' || during === 'leaseLost' || this.#shardEnded) return 'InvalidStateException';
    if (during === 'shutdown' && !this.#atShardEnd) return 'InvalidStateException';
    if (sequenceNumber === null) return null;
    if (!/^\d+$/.test(sequenceNumber)) return 'IllegalArgumentException';
    const at = { sequenceNumber, subSequenceNumber };
    if (this.#lastCheckpoint && comparePositions(at, this.#lastCheckpoint) < 0) return 'IllegalArgumentException';
    const upper = this.#lastDelivered ?? this.#initialPosition;
    if (!upper || comparePositions(at, upper) > 0) return 'IllegalArgumentException';
    return null;
  }
}
