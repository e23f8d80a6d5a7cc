// record.dynamodb(): a DynamoDB Streams change as plain JavaScript values.
//
// Contract with the DynamoDB Streams bridge (maven/streams-bridge/RECORDS.md): for this source a record's `data` is
// the UTF-8 JSON of the DynamoDB Streams `Record` as the streams adapter serialises it (eventID,
// eventName, eventVersion, eventSource, awsRegion, dynamodb: {Keys, NewImage, OldImage, SequenceNumber,
// SizeBytes, StreamViewType, ApproximateCreationDateTime}, optional userIdentity), attribute values in
// DynamoDB JSON with binary as base64; and `partitionKey` is the item's primary key as a stable string
// (see {@link dynamodbPartitionKey}), so the per-key dispatcher keeps one item's changes in order.
import { createRequire } from 'node:module';
import { excerpt } from '../errors.js';
import { RecordDecodeError, RecordErrorCode, type RecordRef } from './record.js';

/** What happened to the item. */
export type DynamoDBEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/** Which images the table's stream carries. */
export type DynamoDBStreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/**
 * An item, image or key as plain JavaScript values (unmarshalled by `@aws-sdk/util-dynamodb`): strings,
 * numbers (`bigint` for integers beyond 2^53, `NumberValue` with `wrapNumbers`), booleans, null,
 * `Uint8Array`, arrays, `Set`s and objects.
 */
export type DynamoDBItem = Record<string, unknown>;

/** Options of `record.dynamodb()`. */
export interface DynamoDBRecordOptions {
  /**
   * Numbers as `NumberValue` objects (their exact text) instead of JavaScript numbers. Without it, an
   * integer beyond `Number.MAX_SAFE_INTEGER` comes as a `bigint`, and a decimal a double cannot hold makes
   * `dynamodb()` throw.
   * @default false
   */
  wrapNumbers?: boolean;
}

/** One item change from a DynamoDB stream. */
export interface DynamoDBChange<Item extends object = DynamoDBItem, Keys extends object = DynamoDBItem> {
  eventName: DynamoDBEventName;
  /** Unique per change. */
  eventID: string;
  /** The item's primary key attributes. */
  keys: Keys;
  /** The item after the change: for INSERT and MODIFY when the view type has new images. */
  newImage: Item | undefined;
  /** The item before the change: for MODIFY and REMOVE when the view type has old images. */
  oldImage: Item | undefined;
  /** The stream sequence number (decimal string), the same as `record.sequenceNumber`. */
  sequenceNumber: string;
  /** When the change was made, as DynamoDB reports it (to the second or millisecond), if present. */
  approximateCreationTime: Date | undefined;
  sizeBytes: number | undefined;
  streamViewType: DynamoDBStreamViewType | undefined;
  awsRegion: string | undefined;
  /** Set for deletions made by DynamoDB itself (TTL expiry: `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }`). */
  userIdentity: { type: string; principalId: string } | undefined;
}

type AttributeJson = Record<string, unknown>;
type Unmarshall = (item: Record<string, unknown>, options?: { wrapNumbers?: boolean }) => Record<string, unknown>;

let unmarshallFn: Unmarshall | undefined;

/** `@aws-sdk/util-dynamodb`'s unmarshall, loaded (synchronously) on first use. */
function loadUnmarshall(ref: RecordRef): Unmarshall {
  if (unmarshallFn) return unmarshallFn;
  try {
    unmarshallFn = (createRequire(import.meta.url)('@aws-sdk/util-dynamodb') as { unmarshall: Unmarshall }).unmarshall;
    return unmarshallFn;
  } catch (err) {
    throw new RecordDecodeError(
      RecordErrorCode.MISSING_PACKAGE,
      'record.dynamodb() needs the npm package @aws-sdk/util-dynamodb, which is not installed: run `npm install @aws-sdk/util-dynamodb` ' +
        '(kcl-ts lists it as an optional dependency; an install with --omit=optional leaves it out)',
      ref,
      err,
    );
  }
}

/** DynamoDB JSON with binary as base64 text → with binary as bytes, as unmarshall expects. */
function withBytes(value: AttributeJson): AttributeJson {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: (value.BS as unknown[]).map((b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : b)) };
  if (Array.isArray(value.L)) return { L: (value.L as AttributeJson[]).map(withBytes) };
  if (value.M !== null && typeof value.M === 'object') return { M: mapWithBytes(value.M as Record<string, AttributeJson>) };
  return value;
}

function mapWithBytes(map: Record<string, AttributeJson>): Record<string, AttributeJson> {
  const out: Record<string, AttributeJson> = {};
  for (const [k, v] of Object.entries(map)) out[k] = v !== null && typeof v === 'object' ? withBytes(v) : v;
  return out;
}

/** Epoch seconds (the HTTP wire form) or milliseconds (the adapter's form) or ISO text → Date. */
function creationTime(v: unknown): Date | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v < 1e11 ? v * 1000 : v);
  if (typeof v === 'string' && v !== '') {
    const ms = /^\d+(\.\d+)?$/.test(v) ? creationTime(Number(v))?.getTime() : Date.parse(v);
    return ms === undefined || Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

const EVENT_NAMES: readonly string[] = ['INSERT', 'MODIFY', 'REMOVE'];

/**
 * Decodes the JSON of a DynamoDB Streams record (see the contract at the top of this file).
 * @throws {RecordDecodeError} `NOT_DYNAMODB` when it is not a stream record, `MISSING_PACKAGE` when
 *   `@aws-sdk/util-dynamodb` is not installed.
 */
export function decodeDynamoDbChange<Item extends object, Keys extends object>(json: unknown, ref: RecordRef, options: DynamoDBRecordOptions = {}): DynamoDBChange<Item, Keys> {
  const fail = (why: string, cause?: unknown): never => {
    let shown: string;
    try {
      shown = excerpt(JSON.stringify(json) ?? String(json), 100);
    } catch {
      shown = String(json);
    }
    throw new RecordDecodeError(
      RecordErrorCode.NOT_DYNAMODB,
      `Record ${ref.sequenceNumber} (partition key ${JSON.stringify(ref.partitionKey)}) is not a DynamoDB Streams record: ${why}; ` +
        `record.dynamodb() is for the dynamodb-streams source. Data: ${shown}`,
      ref,
      cause,
    );
  };
  if (json === null || typeof json !== 'object') return fail('its data is not a JSON object');
  const r = json as Record<string, unknown>;
  const d = r.dynamodb as Record<string, unknown> | null | undefined;
  if (d === null || typeof d !== 'object') return fail('it has no `dynamodb` object');
  if (typeof r.eventName !== 'string' || !EVENT_NAMES.includes(r.eventName)) return fail(`eventName is ${JSON.stringify(r.eventName)}, not INSERT, MODIFY or REMOVE`);
  if (d.Keys === null || typeof d.Keys !== 'object') return fail('it has no dynamodb.Keys');
  const unmarshall = loadUnmarshall(ref);
  const image = <T>(name: string, v: unknown): T | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object') return fail(`dynamodb.${name} is not an attribute map`);
    // The adapter's JSON mapper writes an image the change does not have as {} (the Java SDK's empty
    // placeholder map); a real image always holds at least the key, so empty means absent.
    if (name !== 'Keys' && Object.keys(v).length === 0) return undefined;
    try {
      return unmarshall(mapWithBytes(v as Record<string, AttributeJson>), { wrapNumbers: options.wrapNumbers === true }) as T;
    } catch (err) {
      const hint = /wrapNumbers|SAFE_INTEGER|imprecise/i.test((err as Error).message) ? ' (call record.dynamodb({ wrapNumbers: true }) for exact numbers)' : '';
      return fail(`dynamodb.${name} cannot be unmarshalled: ${(err as Error).message}${hint}`, err);
    }
  };
  const identity = r.userIdentity as { type?: unknown; principalId?: unknown } | null | undefined;
  return {
    eventName: r.eventName as DynamoDBEventName,
    eventID: typeof r.eventID === 'string' ? r.eventID : '',
    keys: image<Keys>('Keys', d.Keys)!,
    newImage: image<Item>('NewImage', d.NewImage),
    oldImage: image<Item>('OldImage', d.OldImage),
    sequenceNumber: typeof d.SequenceNumber === 'string' ? d.SequenceNumber : ref.sequenceNumber,
    approximateCreationTime: creationTime(d.ApproximateCreationDateTime),
    sizeBytes: typeof d.SizeBytes === 'number' ? d.SizeBytes : undefined,
    streamViewType: typeof d.StreamViewType === 'string' ? (d.StreamViewType as DynamoDBStreamViewType) : undefined,
    awsRegion: typeof r.awsRegion === 'string' ? r.awsRegion : undefined,
    userIdentity: identity && typeof identity.type === 'string' && typeof identity.principalId === 'string' ? { type: identity.type, principalId: identity.principalId } : undefined,
  };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The partition key the bridge gives a DynamoDB Streams record: the item's `Keys` (DynamoDB JSON) as
 * compact JSON with attribute names sorted, e.g. `{"pk":{"S":"user#1"},"sk":{"N":"7"}}`.
 */
export function dynamodbPartitionKey(keys: Record<string, unknown>): string {
  return canonical(keys);
}
