import { KclTsError } from '../../errors.js';

/** Error code of an error the local DynamoDB Streams layer answers a client with. */
export const STREAMS_API_ERROR = 'KCLTS_ERR_LOCAL_STREAMS_API';
/** Error code of a bad option of `startDynamoDbStreamsEmulator`. */
export const STREAMS_BAD_OPTION = 'KCLTS_ERR_LOCAL_STREAMS_BAD_OPTION';

const PREFIX: Record<string, string> = {
  ValidationException: 'com.amazon.coral.validate#',
  SerializationException: 'com.amazon.coral.service#',
  UnknownOperationException: 'com.amazon.coral.service#',
  InternalFailure: 'com.amazon.coral.service#',
};

/**
 * An AWS-style error the emulator sends as a 400 (or 500) JSON response: `type` is the name the SDKs map
 * to their exception classes (`ResourceNotFoundException`, `ExpiredIteratorException`, …).
 */
export class StreamsApiError extends KclTsError {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(STREAMS_API_ERROR, message);
    this.type = type;
    this.status = status;
  }

  /** The response body. */
  toJSON(): { __type: string; message: string } {
    return { __type: `${PREFIX[this.type] ?? 'com.amazonaws.dynamodb.v20120810#'}${this.type}`, message: this.message };
  }
}

/** A ValidationException. */
export const invalid = (message: string): StreamsApiError => new StreamsApiError('ValidationException', message);

/** A ResourceNotFoundException. */
export const notFound = (message: string): StreamsApiError => new StreamsApiError('ResourceNotFoundException', message);
