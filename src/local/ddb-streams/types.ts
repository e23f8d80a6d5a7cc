// Wire shapes of the local DynamoDB Streams layer: DynamoDB JSON as the HTTP APIs carry it.

/** One attribute value in DynamoDB JSON (`{"S":"x"}`, `{"N":"1"}`, `{"M":{…}}`, …). */
export type AttributeValueJson = { readonly [type: string]: unknown };

/** An item, a key or an image in DynamoDB JSON. */
export type AttributeMap = Record<string, AttributeValueJson>;

/** What a table's stream records carry. */
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

export const STREAM_VIEW_TYPES: readonly StreamViewType[] = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];

/** One element of a table's key schema. */
export interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

/** A stream record exactly as GetRecords returns it. */
export interface StreamRecordJson {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    /** Epoch seconds, rounded down to the second as DynamoDB does. */
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
}

/** One item change, as the write recorder saw it. */
export interface ItemChange {
  keys: AttributeMap;
  oldImage: AttributeMap | undefined;
  newImage: AttributeMap | undefined;
}
