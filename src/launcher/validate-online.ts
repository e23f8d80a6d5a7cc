/**
 * `kcl-ts validate --online` for DynamoDB Streams: what only AWS (or the emulator) can tell. Does the
 * stream exist and is it enabled; does the table have a stream at all, and is this its current one; does
 * the stream's view type carry the images the consumer says it needs (`kcl-ts.streamViewType`). Uses
 * static keys from the environment (else the SDK's default chain), the file's region and `kcl-ts.dynamoDBStreamsEndpoint`; a failed call
 * is a warning (the check could not be made), never a crash.
 */
import { say, type CliIO } from './io.js';
import type { ParsedProperties } from './properties.js';
import { sourceOf, STREAMS_ENDPOINT_KEY, STREAM_VIEW_TYPE_KEY } from './source.js';
import { parseStreamArn, tableOfArn } from './validate-source.js';
import { formatDiagnostics, loadAndValidate, type Diagnostic } from './validate.js';

type ViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
/** Which images each view type carries. */
const IMAGES: Record<ViewType, { new: boolean; old: boolean }> = {
  KEYS_ONLY: { new: false, old: false },
  NEW_IMAGE: { new: true, old: false },
  OLD_IMAGE: { new: false, old: true },
  NEW_AND_OLD_IMAGES: { new: true, old: true },
};

/** The calls the check makes (the SDK's, or a test's). */
export interface StreamsApi {
  describeStream(arn: string): Promise<{ status: string; viewType: string }>;
  /** undefined: no such table. */
  describeTable(table: string): Promise<{ streamEnabled: boolean; latestStreamArn?: string; viewType?: string } | undefined>;
}

interface SdkError {
  name?: string;
  message?: string;
}

/** The SDK v3 clients (optional dependencies) for the file's region and endpoint. */
export async function sdkStreamsApi(parsed: ParsedProperties, env: NodeJS.ProcessEnv): Promise<StreamsApi> {
  const value = (k: string) => parsed.entries.get(k)?.value.trim() || undefined;
  const arn = parseStreamArn(value('streamArn') ?? value('streamName') ?? '');
  const endpoint = value(STREAMS_ENDPOINT_KEY);
  // Static keys from `env` (the environment kcl-ts run passes on), else the SDK's default chain.
  const keys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
    : {};
  const config = { region: value('regionName') ?? arn?.region ?? env.AWS_REGION ?? 'us-east-1', ...(endpoint ? { endpoint } : {}), ...keys };
  const streams = (await import('@aws-sdk/client-dynamodb-streams')) as typeof import('@aws-sdk/client-dynamodb-streams');
  const dynamodb = (await import('@aws-sdk/client-dynamodb')) as typeof import('@aws-sdk/client-dynamodb');
  const streamsClient = new streams.DynamoDBStreamsClient(config);
  const tableClient = new dynamodb.DynamoDBClient(config);
  return {
    async describeStream(streamArn) {
      const d = (await streamsClient.send(new streams.DescribeStreamCommand({ StreamArn: streamArn, Limit: 1 }))).StreamDescription;
      return { status: d?.StreamStatus ?? 'UNKNOWN', viewType: d?.StreamViewType ?? 'UNKNOWN' };
    },
    async describeTable(table) {
      try {
        const t = (await tableClient.send(new dynamodb.DescribeTableCommand({ TableName: table }))).Table;
        return { streamEnabled: t?.StreamSpecification?.StreamEnabled === true, latestStreamArn: t?.LatestStreamArn, viewType: t?.StreamSpecification?.StreamViewType };
      } catch (err) {
        if ((err as SdkError).name === 'ResourceNotFoundException') return undefined;
        throw err;
      }
    },
  };
}

const enableStream = (table: string, view: string) =>
  `aws dynamodb update-table --table-name ${table} --stream-specification StreamEnabled=true,StreamViewType=${view}`;

/** The online findings for a dynamodb-streams file (none for other sources). */
export async function checkStreamOnline(parsed: ParsedProperties, api: StreamsApi): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  if (sourceOf(parsed) !== 'dynamodb-streams') return out;
  const entry = [parsed.entries.get('streamArn'), parsed.entries.get('streamName')].find((e) => e && e.value.trim() !== '');
  if (!entry) return out;
  const at = { key: entry.key, line: entry.line };
  const needed = parsed.entries.get(STREAM_VIEW_TYPE_KEY);
  const neededType = needed?.value.trim() as ViewType | undefined;
  const value = entry.value.trim();
  const arn = parseStreamArn(value);
  const table = arn?.table ?? tableOfArn(value) ?? (/^[\w.-]+$/.test(value) ? value : undefined);
  const failed = (what: string, err: unknown): void =>
    void out.push({ level: 'warning', ...at, message: `could not ${what}: ${(err as SdkError).name ?? ''} ${(err as SdkError).message ?? String(err)}`.trim(), fix: 'check the credentials, regionName and endpoint, then run again' });

  let tableInfo: Awaited<ReturnType<StreamsApi['describeTable']>>;
  if (table) {
    try {
      tableInfo = await api.describeTable(table);
      if (!tableInfo) {
        out.push({ level: 'error', ...at, message: `there is no table ${table} (in this region/endpoint)`, fix: 'check the table name and regionName' });
      } else if (!tableInfo.streamEnabled) {
        out.push({ level: 'error', ...at, message: `table ${table} has no stream enabled: there are no changes to read`, fix: `enable one: ${enableStream(table, neededType ?? 'NEW_AND_OLD_IMAGES')}, then use its LatestStreamArn` });
      } else if (!arn && tableInfo.latestStreamArn) {
        out.push({ level: 'error', ...at, message: `table ${table}'s stream is ${tableInfo.latestStreamArn}`, fix: `set streamArn = ${tableInfo.latestStreamArn}` });
      } else if (arn && tableInfo.latestStreamArn && tableInfo.latestStreamArn !== value) {
        out.push({ level: 'warning', ...at, message: `this is not table ${table}'s current stream (${tableInfo.latestStreamArn}): the stream was disabled and enabled again, and new changes go to the new one`, fix: `set streamArn = ${tableInfo.latestStreamArn}` });
      }
    } catch (err) {
      failed(`describe table ${table}`, err);
    }
  }
  if (!arn) return out;
  try {
    const stream = await api.describeStream(value);
    const disabled = stream.status === 'DISABLED' || stream.status === 'DISABLING';
    if (disabled) {
      out.push({ level: 'warning', ...at, message: `the stream is ${stream.status}: it gets no new changes (its last 24 hours stay readable)`, fix: `enable the table's stream again (${enableStream(arn.table, stream.viewType)}) and use its new ARN` });
    }
    const has = IMAGES[stream.viewType as ViewType];
    if (neededType && needed && has) {
      const want = IMAGES[neededType];
      const missing = [want.new && !has.new ? 'new' : '', want.old && !has.old ? 'old' : ''].filter(Boolean);
      if (missing.length > 0) {
        out.push({
          level: 'error',
          key: needed.key,
          line: needed.line,
          message: `the stream's view type is ${stream.viewType}: its records have no ${missing.join(' or ')} images, but \`${needed.key} = ${neededType}\` says the consumer needs them (record.dynamodb().${missing[0]}Image would be undefined)`,
          fix: `give the table a stream of view type ${neededType} (a stream's view type cannot change: disable it, then ${enableStream(arn.table, neededType)}; the new stream has a new ARN)`,
        });
      }
    } else if (has && !disabled) {
      out.push({ level: 'info', ...at, message: `the stream is ${stream.status} with view type ${stream.viewType}` });
    }
  } catch (err) {
    if ((err as SdkError).name === 'ResourceNotFoundException') {
      out.push({ level: 'error', ...at, message: 'there is no stream with this ARN (the table was deleted or recreated, or the ARN is mistyped)', fix: `aws dynamodb describe-table --table-name ${arn.table} --query Table.LatestStreamArn prints the current one` });
    } else {
      failed('describe the stream', err);
    }
  }
  return out;
}

/**
 * `kcl-ts validate -p FILE --online`: the offline diagnostics plus {@link checkStreamOnline}; exit code 1
 * if any is an error. `allowUnknownKeys` as in `kcl-ts validate`; `api` replaces the SDK clients (tests).
 */
export async function runValidateOnline(file: string, io: CliIO, opts: { allowUnknownKeys?: boolean; api?: StreamsApi } = {}): Promise<number> {
  const { parsed, diagnostics } = loadAndValidate(file, io, { allowUnknownKeys: opts.allowUnknownKeys });
  const api = opts.api;
  if (parsed && sourceOf(parsed) === 'dynamodb-streams') {
    try {
      diagnostics.push(...(await checkStreamOnline(parsed, api ?? (await sdkStreamsApi(parsed, io.env)))));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      diagnostics.push({
        level: 'warning',
        message: missing ? 'the online check needs the npm packages @aws-sdk/client-dynamodb-streams and @aws-sdk/client-dynamodb, which are not installed' : `the online check failed: ${(err as Error).message}`,
        fix: missing ? 'npm install @aws-sdk/client-dynamodb-streams @aws-sdk/client-dynamodb (optional dependencies of kcl-ts)' : 'check the credentials, regionName and endpoint',
      });
    }
  }
  if (diagnostics.length === 0) say(io, `ok: ${file} is valid`);
  else say(io, formatDiagnostics(file, diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))));
  return diagnostics.some((d) => d.level === 'error') ? 1 : 0;
}
