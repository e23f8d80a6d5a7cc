import { createRequire } from 'node:module';
import type { WireRecord } from '../protocol/index.js';
import { dynamodbPartitionKey, type DynamoDBEventName, type DynamoDBStreamViewType } from '../processor/index.js';

/** One DynamoDB Streams change to build; items in plain JavaScript values. */
export interface DynamoDBRecordSpec {
  /** The item's primary key attributes, e.g. `{ pk: 'user#1' }`. */
  keys: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  /** @default INSERT without an old image, REMOVE without a new one, else MODIFY */
  eventName?: DynamoDBEventName;
  /** @default 'NEW_AND_OLD_IMAGES' */
  streamViewType?: DynamoDBStreamViewType;
  /** @default the factory's next number */
  sequenceNumber?: string;
  /** @default the factory's clock */
  approximateCreationTime?: Date;
}

type Marshall = (item: Record<string, unknown>, options?: { removeUndefinedValues?: boolean }) => Record<string, Record<string, unknown>>;

/** DynamoDB JSON with binary as bytes → with binary as base64, as the stream record JSON carries it. */
function toWire(value: Record<string, unknown>): Record<string, unknown> {
  if (value.B instanceof Uint8Array) return { B: Buffer.from(value.B).toString('base64') };
  if (Array.isArray(value.BS)) return { BS: (value.BS as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')) };
  if (Array.isArray(value.L)) return { L: (value.L as Record<string, unknown>[]).map(toWire) };
  if (value.M !== null && typeof value.M === 'object') return { M: mapToWire(value.M as Record<string, Record<string, unknown>>) };
  return value;
}

const mapToWire = (map: Record<string, Record<string, unknown>>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, toWire(v)]));

/**
 * Builds protocol records for the `dynamodb-streams` source as the bridge delivers them: `data` is the
 * stream record JSON, `partitionKey` the item's key (so per-item order holds), sequence numbers increase.
 * Needs `@aws-sdk/util-dynamodb` (an optional dependency of kcl-ts).
 */
export class DynamoDBRecordFactory {
  #next: bigint;
  #now: number;
  readonly #marshall: Marshall;

  constructor(options: { firstSequence?: string; creationMs?: number } = {}) {
    this.#next = BigInt(options.firstSequence ?? '100000000000000000001');
    this.#now = options.creationMs ?? Date.UTC(2026, 0, 1);
    this.#marshall = (createRequire(import.meta.url)('@aws-sdk/util-dynamodb') as { marshall: Marshall }).marshall;
  }

  /** One change; takes the next sequence number unless the spec gives one. */
  record(spec: DynamoDBRecordSpec): WireRecord {
    const sequenceNumber = spec.sequenceNumber ?? (this.#next++).toString().padStart(21, '0');
    const created = spec.approximateCreationTime?.getTime() ?? (this.#now += 1000);
    const m = (item: Record<string, unknown> | undefined) => (item ? mapToWire(this.#marshall(item, { removeUndefinedValues: true })) : undefined);
    const keys = m(spec.keys)!;
    const eventName = spec.eventName ?? (spec.oldImage === undefined ? 'INSERT' : spec.newImage === undefined ? 'REMOVE' : 'MODIFY');
    const record = {
      eventID: `${sequenceNumber}-event`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: created,
        Keys: keys,
        NewImage: m(spec.newImage),
        OldImage: m(spec.oldImage),
        SequenceNumber: sequenceNumber,
        SizeBytes: 0,
        StreamViewType: spec.streamViewType ?? 'NEW_AND_OLD_IMAGES',
      },
    };
    return {
      action: 'record',
      data: Buffer.from(JSON.stringify(record), 'utf8').toString('base64'),
      partitionKey: dynamodbPartitionKey(keys),
      sequenceNumber,
      subSequenceNumber: 0,
      approximateArrivalTimestamp: created,
    };
  }
}
