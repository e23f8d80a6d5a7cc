import type { Logger } from 'pino';
import {
  CheckpointChannel,
  StreamLineInput,
  isLineInput,
  type LineHold,
  type LineInput,
  ProtocolError,
  ProtocolErrorCode,
  ProtocolWriter,
  decodeLine,
  type ActionMessage,
  type ActionName,
  type InboundMessage,
} from '../protocol/index.js';
import { ScopedCheckpointer } from './checkpointer.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { KinesisRecord } from './record.js';
import {
  DEFAULT_CHECKPOINT_RETRY,
  TRANSITIONS,
  type InFlight,
  type SessionOptions,
  type SessionOutcome,
  type SessionState,
} from './session-types.js';
import { ownsRecords, type RecordProcessor } from './types.js';

export { DEFAULT_CHECKPOINT_RETRY, type SessionOptions, type SessionOutcome, type SessionState } from './session-types.js';

/**
 * Drives a {@link RecordProcessor} through the protocol: reads lines, routes checkpoint answers to the
 * checkpoint channel, handles one action message at a time and replies with its status.
 */
export class ShardSession {
  readonly #processor: RecordProcessor;
  readonly #input: LineInput;
  readonly #writer: ProtocolWriter;
  readonly #log: Logger;
  readonly #channel: CheckpointChannel;
  readonly #autoShardEnd: boolean;
  readonly #onShardId: ((id: string) => void) | undefined;
  #state: SessionState = 'awaiting-initialize';
  #shardId = 'unknown';
  /** Action messages are handled strictly one after another, in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  #inFlight: InFlight | undefined;
  #finish!: (outcome: SessionOutcome) => void;
  #outcome: SessionOutcome | undefined;
  readonly #done: Promise<SessionOutcome>;

  constructor(options: SessionOptions) {
    this.#processor = options.processor;
    this.#input = isLineInput(options.input) ? options.input : new StreamLineInput(options.input, options.maxLineBytes);
    this.#writer = options.output instanceof ProtocolWriter ? options.output : new ProtocolWriter(options.output);
    this.#log = options.logger;
    this.#autoShardEnd = options.autoCheckpointShardEnd ?? false;
    this.#onShardId = options.onShardId;
    this.#channel = new CheckpointChannel(
      this.#writer,
      { ...DEFAULT_CHECKPOINT_RETRY, ...options.checkpointRetry },
      ({ attempt, delayMs, error }) =>
        this.#log.warn({ attempt, delayMs, daemonError: error.daemonError, position: error.position }, 'checkpoint retry'),
    );
    this.#done = new Promise((resolve) => (this.#finish = resolve));
  }

  /** The current protocol state. */
  get state(): SessionState {
    return this.#state;
  }

  /** What is being handled right now (action and batch range), for crash reports. */
  get inFlight(): Readonly<InFlight> | undefined {
    return this.#inFlight;
  }

  /** Starts reading; resolves when the session is over (stdin closed or a fail-safe stop). */
  start(): Promise<SessionOutcome> {
    this.#input.start({
      line: (segments, bytes, hold) => this.#onLine(segments, bytes, hold),
      end: () => {
        this.#queue.then(() => this.#onEnd());
      },
      invalid: (err) => this.#failProtocol(err),
      error: (err) => this.#end({ exitCode: ExitCode.DAEMON_GONE, reason: 'stdin failed', error: err }),
    });
    return this.#done;
  }

  /**
   * Ends the session as failed with `exitCode` (used for crashes in user code outside a call, such as an
   * unhandled rejection). No status or checkpoint is sent after this.
   */
  abort(exitCode: ExitCodeValue, reason: string, error?: Error): void {
    this.#end({ exitCode, reason, error });
  }

  #onLine(segments: Buffer[], bytes: number, hold: LineHold | undefined): void {
    if (this.#outcome) {
      hold?.release();
      return;
    }
    let message: InboundMessage;
    try {
      message = decodeLine(segments, bytes);
    } catch (err) {
      hold?.release();
      this.#failProtocol(err as Error);
      return;
    }
    // Only a processRecords line can leave views into the line's blocks (its records' payloads).
    if (hold !== undefined && message.action !== 'processRecords') hold.release();
    if (message.action === 'checkpoint') {
      if (!this.#channel.deliver(message)) {
        this.#log.warn({ answer: message }, 'a checkpoint answer arrived while no checkpoint was waiting; ignored');
      }
      return;
    }
    this.#queue = this.#queue.then(() => this.#handle(message as ActionMessage, hold));
  }

  async #handle(message: ActionMessage, hold?: LineHold): Promise<void> {
    if (this.#outcome) {
      hold?.release();
      return;
    }
    const next = TRANSITIONS[this.#state][message.action];
    if (next === undefined) {
      const error = new ProtocolError(
        ProtocolErrorCode.UNEXPECTED_MESSAGE,
        `Unexpected \`${message.action}\` in state \`${this.#state}\``,
      );
      if (message.action === 'processRecords' || message.action === 'initialize') {
        hold?.release();
        this.#failProtocol(error);
        return;
      }
      this.#log.warn({ err: error }, 'unexpected message answered with a status; processor not called');
      await this.#reply(message.action);
      return;
    }
    this.#inFlight = { action: message.action };
    try {
      await this.#dispatch(message, hold);
    } catch (err) {
      // A processor may find bad daemon input the decoder cannot (a re-delivered record): exit PROTOCOL.
      if (err instanceof ProtocolError) this.#failProtocol(err);
      else this.#failProcessor(err as Error);
      return;
    }
    this.#state = next;
    this.#inFlight = undefined;
    await this.#reply(message.action);
  }

  async #dispatch(message: ActionMessage, hold: LineHold | undefined): Promise<void> {
    const p = this.#processor;
    const shard = { shardId: this.#shardId };
    switch (message.action) {
      case 'initialize':
        this.#shardId = message.shardId;
        this.#onShardId?.(message.shardId);
        this.#log.info({ sequenceNumber: message.sequenceNumber }, 'initialize');
        await p.initialize?.({
          shardId: message.shardId,
          sequenceNumber: message.sequenceNumber ?? undefined,
          subSequenceNumber: message.subSequenceNumber ?? undefined,
        });
        return;
      case 'processRecords': {
        const wire = message.records;
        const records = new Array<KinesisRecord>(wire.length);
        for (let i = 0; i < wire.length; i++) records[i] = new KinesisRecord(wire[i]!, hold);
        hold?.release();
        const inFlight = this.#inFlight!;
        inFlight.count = records.length;
        if (records.length > 0) {
          inFlight.first = records[0]!.ref();
          inFlight.last = records[records.length - 1]!.ref();
        }
        if (this.#state === 'shutdown-requested') this.#log.warn('processRecords after shutdownRequested; processing it');
        try {
          await this.#withCheckpointer('processRecords', (c) =>
            p.processRecords({ records, millisBehindLatest: message.millisBehindLatest ?? undefined }, c),
          );
        } finally {
          // The batch's pooled stdin memory is reused from here on; records kept beyond this call copy
          // their payload out (a processor that keeps records in flight releases them itself).
          if (hold !== undefined && !ownsRecords(p)) for (let i = 0; i < records.length; i++) records[i]!.release();
        }
        return;
      }
      case 'leaseLost':
        this.#log.info('leaseLost');
        await p.leaseLost?.(shard);
        return;
      case 'shutdownRequested':
        this.#log.info('shutdownRequested');
        await this.#withCheckpointer('shutdownRequested', (c) => p.shutdownRequested?.(shard, c));
        return;
      case 'shardEnded':
        return this.#shardEnded(shard);
      case 'shutdown':
        this.#log.info({ reason: message.reason }, 'legacy shutdown');
        if (message.reason === 'TERMINATE') return this.#shardEnded(shard);
        await p.leaseLost?.(shard);
        return;
    }
  }

  async #shardEnded(shard: { shardId: string }): Promise<void> {
    this.#log.info('shardEnded');
    const checkpointer = await this.#withCheckpointer('shardEnded', (c) => this.#processor.shardEnded?.(shard, c));
    if (checkpointer.nullCheckpointed) return;
    if (this.#autoShardEnd) {
      this.#log.info('checkpointing SHARD_END (autoCheckpointShardEnd)');
      try {
        await this.#channel.checkpoint({ sequenceNumber: null, subSequenceNumber: null });
      } catch (err) {
        this.#log.error({ err }, 'the automatic SHARD_END checkpoint failed; the daemon will offer the shard end again');
      }
      return;
    }
    this.#log.warn(
      'shardEnded was answered WITHOUT a SHARD_END checkpoint: the child shards will not be processed until one ' +
        'is made. Call checkpointer.checkpoint() in shardEnded, or set autoCheckpointShardEnd: true',
    );
  }

  /** Runs one processor call with a fresh checkpointer; waits for every checkpoint it started. */
  async #withCheckpointer(action: string, call: (c: ScopedCheckpointer) => unknown): Promise<ScopedCheckpointer> {
    const checkpointer = new ScopedCheckpointer(this.#channel, action);
    try {
      await call(checkpointer);
    } finally {
      // A checkpoint the processor started but did not await must be answered before the status.
      await this.#channel.idle();
      checkpointer.close();
    }
    return checkpointer;
  }

  async #reply(action: ActionName): Promise<void> {
    if (this.#outcome) return;
    try {
      await this.#writer.send({ action: 'status', responseFor: action });
    } catch (err) {
      this.#end({ exitCode: ExitCode.DAEMON_GONE, reason: 'stdout closed', error: err as Error });
    }
  }

  #onEnd(): void {
    this.#channel.disconnect('stdin closed: the daemon went away');
    if (this.#state === 'ended') this.#end({ exitCode: ExitCode.OK, reason: 'shard ended and stdin closed' });
    else {
      this.#end({
        exitCode: ExitCode.DAEMON_GONE,
        reason: `stdin closed in state \`${this.#state}\`: the daemon went away; nothing more is checkpointed`,
      });
    }
  }

  #failProtocol(error: Error): void {
    this.#log.error(
      { err: error, state: this.#state },
      'bad input from the daemon: stopping without a reply so that no checkpoint passes unprocessed records; ' +
        'the daemon restarts the shard from its last checkpoint',
    );
    this.#end({ exitCode: ExitCode.PROTOCOL, reason: error.message, error });
  }

  #failProcessor(error: Error): void {
    const inFlight = this.#inFlight;
    const record = (error as { record?: unknown }).record;
    this.#log.error(
      { err: error, action: inFlight?.action, batch: inFlight, record },
      `the processor's ${inFlight?.action ?? ''} failed: stopping without a reply so that no checkpoint passes ` +
        'this batch; the daemon restarts the shard from its last checkpoint',
    );
    this.#end({ exitCode: ExitCode.PROCESSOR_FAILED, reason: error.message, error });
  }

  #end(outcome: SessionOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    if (outcome.exitCode !== ExitCode.OK) this.#state = 'failed';
    this.#channel.disconnect(outcome.reason);
    this.#input.stop();
    this.#finish(outcome);
  }
}
