/**
 * Dead letters: the format every sink writes and `kcl-ts replay` reads. One JSON object per record,
 * self-contained (the payload is included, base64), so a person can inspect and replay it.
 */

/** The error that made a record a dead letter. */
export interface DeadLetterError {
  name: string;
  message: string;
  stack?: string;
  /** `KclTsError.code` or a Node error code, when there is one. */
  code?: string;
}

/** One failed record, as written to a dead-letter sink. */
export interface DeadLetter {
  /** Format version. */
  version: 1;
  /** The KCL application (lease table) and stream, when known (from KCL_TS_APPLICATION / KCL_TS_STREAM). */
  application?: string;
  stream?: string;
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  /** ISO-8601, when Kinesis accepted the record. */
  approximateArrivalTimestamp?: string;
  explicitHashKey?: string;
  /** The payload, base64 (as Kinesis delivered it). */
  data: string;
  error: DeadLetterError;
  /** Handler attempts made. */
  attempts: number;
  /** ISO-8601, when the record was dead-lettered. */
  failedAt: string;
  /**
   * Set only in SQS message bodies too large for SQS (claim check): the whole dead letter, `data`
   * included, is stored as this S3 object and the message body carries every field but `data`.
   * Readers (`kcl-ts replay`) fetch it and hand out complete dead letters without `dataRef`.
   */
  dataRef?: DeadLetterDataRef;
}

/** Where the full dead letter of an SQS claim-check message is stored. */
export interface DeadLetterDataRef {
  bucket: string;
  key: string;
}

/**
 * Where dead letters go. `write` resolves only once the entries are durable (file: fsync'd; SQS: sent;
 * S3: stored); only then does kcl-ts count the records as finished and let the checkpoint pass them.
 * A rejection is retried with backoff, and the checkpoint stays before the records meanwhile.
 */
export interface DeadLetterSink {
  /** A short description for logs, e.g. `file:/var/dlq` or `sqs:https://…/queue`. */
  readonly description: string;
  write(entries: readonly DeadLetter[]): Promise<void>;
  close?(): Promise<void>;
}
