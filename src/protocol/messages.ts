/**
 * Every message of the MultiLangDaemon protocol, as a discriminated union on `action`.
 * Field names follow the daemon's Jackson-serialised message classes.
 */

/** A record as the daemon sends it inside `processRecords` (the daemon's `JsonFriendlyRecord`). */
export interface WireRecord {
  /**
   * The record payload, base64-encoded (the daemon may send null for an empty payload; decoded as '').
   * Records decoded from a large line hold the base64 bytes as a Buffer view of the stdin chunk instead.
   */
  data: string | Buffer;
  partitionKey: string;
  /** Kinesis sequence number: a decimal integer of up to 128 bits, always a string. */
  sequenceNumber: string;
  /** Non-zero for records de-aggregated from a KPL aggregate. */
  subSequenceNumber?: number | null;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp?: number | null;
  explicitHashKey?: string | null;
  action?: 'record';
}

/** Daemon → child: the shard this process owns and where processing resumes. */
export interface InitializeMessage {
  action: 'initialize';
  shardId: string;
  /** A sequence number, or a sentinel such as `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`. */
  sequenceNumber?: string | null;
  subSequenceNumber?: number | null;
}

/** Daemon → child: a batch of records. */
export interface ProcessRecordsMessage {
  action: 'processRecords';
  records: WireRecord[];
  millisBehindLatest?: number | null;
}

/** Daemon → child: another worker took the lease; checkpointing is no longer possible. */
export interface LeaseLostMessage {
  action: 'leaseLost';
}

/** Daemon → child: the shard was fully read after a split or merge; checkpoint SHARD_END before replying. */
export interface ShardEndedMessage {
  action: 'shardEnded';
}

/** Daemon → child: the worker is shutting down gracefully; checkpoint what is done, then reply. */
export interface ShutdownRequestedMessage {
  action: 'shutdownRequested';
}

/**
 * Daemon → child (KCL 1.x only): `TERMINATE` ≙ shardEnded, `ZOMBIE` ≙ leaseLost. The decoder also maps
 * the 2.x names `SHARD_END` and `LEASE_LOST` to these.
 */
export interface LegacyShutdownMessage {
  action: 'shutdown';
  reason: 'TERMINATE' | 'ZOMBIE';
}

/** Daemon → child: the answer to a checkpoint request; `error` names the Java exception, if any. */
export interface CheckpointAnswer {
  action: 'checkpoint';
  sequenceNumber: string | null;
  subSequenceNumber: number | null;
  error: string | null;
}

/** Messages that start the handling of one protocol action and must be answered with a status. */
export type ActionMessage =
  | InitializeMessage
  | ProcessRecordsMessage
  | LeaseLostMessage
  | ShardEndedMessage
  | ShutdownRequestedMessage
  | LegacyShutdownMessage;

/** Everything the daemon can send. */
export type InboundMessage = ActionMessage | CheckpointAnswer;

/** The `action` values that are answered with a status. */
export type ActionName = ActionMessage['action'];

/** Child → daemon: ends the handling of the message named by `responseFor`. */
export interface StatusMessage {
  action: 'status';
  responseFor: ActionName;
}

/** Child → daemon: checkpoint request; a `null` sequence number means "latest delivered" (or SHARD_END). */
export interface CheckpointRequest {
  action: 'checkpoint';
  sequenceNumber: string | null;
  subSequenceNumber: number | null;
}

/** Everything the child can send. */
export type OutboundMessage = StatusMessage | CheckpointRequest;

/** Type guard for {@link InitializeMessage}. */
export const isInitialize = (m: InboundMessage): m is InitializeMessage => m.action === 'initialize';
/** Type guard for {@link ProcessRecordsMessage}. */
export const isProcessRecords = (m: InboundMessage): m is ProcessRecordsMessage => m.action === 'processRecords';
/** Type guard for {@link LeaseLostMessage}. */
export const isLeaseLost = (m: InboundMessage): m is LeaseLostMessage => m.action === 'leaseLost';
/** Type guard for {@link ShardEndedMessage}. */
export const isShardEnded = (m: InboundMessage): m is ShardEndedMessage => m.action === 'shardEnded';
/** Type guard for {@link ShutdownRequestedMessage}. */
export const isShutdownRequested = (m: InboundMessage): m is ShutdownRequestedMessage =>
  m.action === 'shutdownRequested';
/** Type guard for {@link LegacyShutdownMessage}. */
export const isLegacyShutdown = (m: InboundMessage): m is LegacyShutdownMessage => m.action === 'shutdown';
/** Type guard for {@link CheckpointAnswer}. */
export const isCheckpointAnswer = (m: InboundMessage): m is CheckpointAnswer => m.action === 'checkpoint';
