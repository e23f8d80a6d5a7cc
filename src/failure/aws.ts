// Lazy access to the optional AWS SDK v3 packages: nothing here loads them until a sink, source or
// replay that needs them is used, so consumers without SQS/S3 dead letters never pay for the SDK.
import { FailureError, FailureErrorCode } from './errors.js';

/** The optional packages kcl-ts can load. */
export type OptionalPackage = '@aws-sdk/client-sqs' | '@aws-sdk/client-s3' | '@aws-sdk/client-kinesis' | '@smithy/node-http-handler';

/**
 * Imports an optional dependency.
 * @throws {FailureError} `MISSING_PACKAGE` naming the package to install and what needs it.
 */
export async function loadOptional<T>(pkg: OptionalPackage, neededFor: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new FailureError(
        FailureErrorCode.MISSING_PACKAGE,
        `${neededFor} needs the npm package ${pkg}, which is not installed: run \`npm install ${pkg}\` ` +
          '(kcl-ts lists it as an optional dependency; an install with --omit=optional leaves it out)',
        { cause: err },
      );
    }
    throw err;
  }
}

/** Where and how an AWS client connects. */
export interface AwsClientOptions {
  /** Service endpoint, for emulators (LocalStack, ElasticMQ, s3rver) or VPC endpoints. */
  endpoint?: string;
  /** @default env.AWS_REGION ?? env.AWS_DEFAULT_REGION (the SDK's own resolution when neither is set) */
  region?: string;
  /** S3 only: bucket in the path, not the host name (emulators). */
  forcePathStyle?: boolean;
}

/**
 * The configuration object for an SDK v3 client. With an endpoint, requests go over HTTP/1.1 (the
 * SDK may otherwise pick HTTP/2, which emulators do not all speak) and the region defaults to
 * us-east-1. Credentials come from `env` when it has static keys, else from the SDK's default chain.
 */
export async function awsClientConfig(opts: AwsClientOptions, env: NodeJS.ProcessEnv, neededFor: string): Promise<Record<string, unknown>> {
  const config: Record<string, unknown> = {};
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (opts.endpoint ? 'us-east-1' : undefined);
  if (region) config.region = region;
  if (opts.endpoint) {
    config.endpoint = opts.endpoint;
    const { NodeHttpHandler } = await loadOptional<typeof import('@smithy/node-http-handler')>('@smithy/node-http-handler', neededFor);
    config.requestHandler = new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 60_000 });
  }
  if (opts.forcePathStyle !== undefined) config.forcePathStyle = opts.forcePathStyle;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return config;
}

/** A short description of an SDK error: `Name: message`. */
export function awsErrorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
