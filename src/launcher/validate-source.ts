/**
 * Checks of the source a properties file selects (`kcl-ts.source`, see source.ts) and of the keys that
 * differ for DynamoDB Streams: the stream ARN (a table ARN, a Kinesis ARN or a bare name in its place are
 * the usual mistakes), the initial position, retrieval and endpoints. The DynamoDB Streams bridge
 * (maven/streams-bridge, BridgeSettings.java) refuses the same files with the same words at startup.
 */
import { KCL_TS_KEYS, SOURCE_KEY, SOURCE_KINDS, STREAM_VIEW_TYPE_KEY, STREAMS_ENDPOINT_KEY, sourceOf, type SourceKind } from './source.js';
import type { ParsedProperties, PropertyEntry } from './properties.js';
import type { Diagnostic } from './validate.js';
import type { Known } from './validate-traps.js';

type Add = (d: Diagnostic) => void;

/** arn:aws[-cn|-us-gov]:dynamodb:REGION:ACCOUNT(12 digits):table/NAME/stream/LABEL (the adapter's own rule). */
const STREAM_ARN = /^arn:aws[^:]*:dynamodb:([-a-z0-9]+):([0-9]{12}):table\/([^/]+)\/stream\/(.+)$/;
const TABLE_ARN = /^arn:aws[^:]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/?$/;
const KINESIS_ARN = /^arn:aws[^:]*:kinesis:/;
/** DynamoDB Streams GetRecords returns at most this many records; the adapter asks for no more. */
const STREAMS_MAX_RECORDS = 1000;

/** The parts of a DynamoDB stream ARN, or undefined. */
export function parseStreamArn(value: string): { region: string; account: string; table: string; label: string } | undefined {
  const m = STREAM_ARN.exec(value.trim());
  return m ? { region: m[1]!, account: m[2]!, table: m[3]!, label: m[4]! } : undefined;
}

/** The table name of a table ARN, or undefined. */
export function tableOfArn(value: string): string | undefined {
  return TABLE_ARN.exec(value.trim())?.[1];
}

const VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];

const describeTable = (table: string) => `aws dynamodb describe-table --table-name ${table} --query Table.LatestStreamArn`;

/**
 * Diagnostics for `kcl-ts.` keys and the selected source; returns the source (undefined when
 * `kcl-ts.source` has a value kcl-ts does not know).
 */
export function checkSource(parsed: ParsedProperties, known: Known, add: Add): SourceKind | undefined {
  for (const entry of parsed.entries.values()) {
    if (entry.key.startsWith('kcl-ts.') && !KCL_TS_KEYS.includes(entry.key)) {
      const near = KCL_TS_KEYS.find((k) => k.toLowerCase() === entry.key.toLowerCase());
      add({
        level: 'warning',
        key: entry.key,
        line: entry.line,
        message: `unknown kcl-ts key \`${entry.key}\`${near ? ` (did you mean \`${near}\`?)` : ''}: it is ignored`,
        fix: near ? `rename it to ${near}` : `kcl-ts reads ${KCL_TS_KEYS.join(' and ')}`,
      });
    }
  }
  const sourceEntry = parsed.entries.get(SOURCE_KEY);
  const source = sourceOf(parsed);
  if (source === undefined) {
    add({
      level: 'error',
      key: SOURCE_KEY,
      line: sourceEntry?.line,
      message: `\`${SOURCE_KEY} = ${sourceEntry?.value}\` is not a source kcl-ts reads`,
      fix: `use one of ${SOURCE_KINDS.join(', ')} (kinesis when unset)`,
    });
    return undefined;
  }
  if (source === 'dynamodb-streams') checkDynamoDbStreams(parsed, known, add);
  else checkKinesis(parsed, known, add);
  return source;
}

function at(entry: PropertyEntry): { key: string; line: number } {
  return { key: entry.key, line: entry.line };
}

function checkKinesis(parsed: ParsedProperties, known: Known, add: Add): void {
  for (const key of [STREAMS_ENDPOINT_KEY, STREAM_VIEW_TYPE_KEY]) {
    const entry = parsed.entries.get(key);
    if (entry) add({ level: 'warning', ...at(entry), message: `${key} is only read with \`${SOURCE_KEY} = dynamodb-streams\`: ignored`, fix: `remove it, or set ${SOURCE_KEY} = dynamodb-streams` });
  }
  for (const name of ['streamArn', 'streamName']) {
    const entry = known.get(name);
    if (entry && (parseStreamArn(entry.value) || TABLE_ARN.test(entry.value.trim()))) {
      add({
        level: 'error',
        ...at(entry),
        message: `\`${entry.key}\` is a DynamoDB ARN but the source is Kinesis (${SOURCE_KEY} unset): the daemon fails at startup`,
        fix: `add \`${SOURCE_KEY} = dynamodb-streams\` to read the table's stream`,
      });
    }
  }
}

function checkDynamoDbStreams(parsed: ParsedProperties, known: Known, add: Add): void {
  const arnEntry = [known.get('streamArn'), known.get('streamName')].find((e) => e !== undefined && e.value.trim() !== '');
  if (!arnEntry) {
    add({
      level: 'error',
      key: 'streamArn',
      message: `streamArn is missing: \`${SOURCE_KEY} = dynamodb-streams\` reads the stream named by its ARN`,
      fix: `set \`streamArn = <the table's stream ARN>\` (${describeTable('<table>')} prints it)`,
    });
  } else {
    checkStreamArn(arnEntry, known, add);
  }
  const extended = known.get('initialPositionInStreamExtended');
  if (extended) {
    add({ level: 'error', ...at(extended), message: 'DynamoDB Streams start at TRIM_HORIZON or LATEST only: the adapter refuses a timestamp', fix: 'remove it and set `initialPositionInStream = TRIM_HORIZON` (or LATEST)' });
  }
  const mode = known.get('retrievalMode');
  if (mode && mode.value.trim().toUpperCase() === 'FANOUT') {
    add({ level: 'warning', ...at(mode), message: '`retrievalMode = FANOUT` is ignored: DynamoDB Streams have no enhanced fan-out, the bridge always polls', fix: 'remove it' });
  }
  const kinesisEndpoint = known.get('kinesisEndpoint');
  if (kinesisEndpoint) {
    add({ level: 'warning', ...at(kinesisEndpoint), message: `kinesisEndpoint is ignored: this file reads DynamoDB Streams`, fix: `for a local emulator set ${STREAMS_ENDPOINT_KEY} instead` });
  }
  const maxRecords = known.get('maxRecords');
  if (maxRecords && Number(maxRecords.value.trim()) > STREAMS_MAX_RECORDS) {
    add({ level: 'info', ...at(maxRecords), message: `DynamoDB Streams return at most ${STREAMS_MAX_RECORDS} records per call: maxRecords above that reads ${STREAMS_MAX_RECORDS}` });
  }
  const viewType = parsed.entries.get(STREAM_VIEW_TYPE_KEY);
  if (viewType && !VIEW_TYPES.includes(viewType.value.trim())) {
    add({ level: 'error', ...at(viewType), message: `\`${viewType.key} = ${viewType.value}\` is not a stream view type`, fix: `use one of ${VIEW_TYPES.join(', ')}: the images the consumer needs` });
  }
  const endpoint = parsed.entries.get(STREAMS_ENDPOINT_KEY);
  if (endpoint) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint.value.trim());
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) {
      add({ level: 'error', ...at(endpoint), message: `\`${endpoint.key} = ${endpoint.value}\` is not an http(s) URL: the bridge fails at startup`, fix: 'write e.g. http://localhost:8000' });
    }
  } else {
    const ddb = known.get('dynamoDBEndpoint');
    if (ddb) {
      add({
        level: 'warning',
        ...at(ddb),
        message: `dynamoDBEndpoint is set (a local DynamoDB?) but ${STREAMS_ENDPOINT_KEY} is not: the stream is read from AWS (streams.dynamodb.<region>.amazonaws.com)`,
        fix: `set ${STREAMS_ENDPOINT_KEY} to the emulator's URL (the same URL as dynamoDBEndpoint for kcl-ts local and LocalStack)`,
      });
    }
  }
}

function checkStreamArn(entry: PropertyEntry, known: Known, add: Add): void {
  const value = entry.value.trim();
  const arn = parseStreamArn(value);
  if (arn) {
    const region = known.get('regionName');
    if (region && region.value.trim() !== '' && region.value.trim() !== arn.region) {
      add({
        level: 'warning',
        ...at(region),
        message: `regionName is ${region.value.trim()} but the stream is in ${arn.region}: DynamoDB Streams are read in regionName's region, where this stream does not exist`,
        fix: `set regionName = ${arn.region}`,
      });
    }
    return;
  }
  const table = TABLE_ARN.exec(value);
  let message: string;
  let fix: string;
  if (table) {
    message = `\`${entry.key}\` is a table ARN, not a stream ARN`;
    fix = `use the table's stream ARN, ${value.replace(/\/$/, '')}/stream/<label> (${describeTable(table[1]!)})`;
  } else if (KINESIS_ARN.test(value)) {
    message = `\`${entry.key}\` is a Kinesis stream ARN, but ${SOURCE_KEY} = dynamodb-streams`;
    fix = `use the DynamoDB table's stream ARN, or remove ${SOURCE_KEY} to read Kinesis`;
  } else if (!value.startsWith('arn:')) {
    message = `\`${entry.key} = ${value}\` is not a stream ARN: DynamoDB streams are named by ARN only`;
    fix = `set streamArn = arn:aws:dynamodb:<region>:<account>:table/${/^[\w.-]+$/.test(value) ? value : '<table>'}/stream/<label> (${describeTable(/^[\w.-]+$/.test(value) ? value : '<table>')})`;
  } else {
    message = `\`${entry.key}\` is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<12-digit account>:table/<table>/stream/<label>)`;
    fix = `${describeTable('<table>')} prints it`;
  }
  add({ level: 'error', ...at(entry), message: `${message}: the bridge refuses it at startup`, fix });
}

/**
 * `add` for the daemon-oriented checks (validate-traps.ts), without the findings that do not hold for the
 * source: the bridge always polls, so the retrieval-mode choice is not one for DynamoDB Streams.
 */
export function forSource(source: SourceKind | undefined, add: Add): Add {
  if (source !== 'dynamodb-streams') return add;
  return (d) => {
    if (!(d.key === 'retrievalMode' && d.level === 'info')) add(d);
  };
}
