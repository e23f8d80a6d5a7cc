import { KclTsError } from '../errors.js';

/** Error code of a failed call to an emulated AWS service. */
export const AWS_CALL_FAILED = 'KCLTS_ERR_LOCAL_AWS_CALL_FAILED';

/** A failed AWS JSON-protocol call; `type` is the service's error type (e.g. `ResourceInUseException`). */
export class AwsCallError extends KclTsError {
  readonly type: string;
  readonly status: number;
  constructor(message: string, type: string, status: number) {
    super(AWS_CALL_FAILED, message);
    this.type = type;
    this.status = status;
  }
}

const SERVICES = {
  kinesis: { prefix: 'Kinesis_20131202', contentType: 'application/x-amz-json-1.1' },
  dynamodb: { prefix: 'DynamoDB_20120810', contentType: 'application/x-amz-json-1.0' },
  dynamodbstreams: { prefix: 'DynamoDBStreams_20120810', contentType: 'application/x-amz-json-1.0' },
} as const;

export type Service = keyof typeof SERVICES;

/**
 * Calls an AWS JSON-protocol operation on a local emulator over HTTP/1.1. Emulators want SigV4-shaped
 * headers but do not check the signature, so none is computed: never point this at real AWS.
 */
export async function awsJson<T = Record<string, unknown>>(
  endpoint: string,
  service: Service,
  operation: string,
  body: unknown,
  region = 'us-east-1',
): Promise<T> {
  const { prefix, contentType } = SERVICES[service];
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-amz-target': `${prefix}.${operation}`,
      'x-amz-date': now,
      authorization: `AWS4-HMAC-SHA256 Credential=local/${now.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (!res.ok) {
    const type = String(parsed.__type ?? 'Unknown').split('#').pop()!;
    const message = String(parsed.message ?? parsed.Message ?? text);
    throw new AwsCallError(`${service} ${operation} failed: ${type}: ${message}`, type, res.status);
  }
  return parsed as T;
}
