import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { LauncherError, LauncherErrorCode } from '../../launcher/errors.js';
import { describeValue, KclTsError } from '../../errors.js';
import { STREAMS_BAD_OPTION, StreamsApiError } from './api-error.js';
import { DynaliteBackend } from './backend.js';
import { RECORDED_WRITES, WriteRecorder } from './recorder.js';
import { StreamStore, type RolloverOptions } from './store.js';
import { StreamsApi } from './streams-api.js';
import { TableLocks } from './table-locks.js';
import { TableStreams, type LayerResponse } from './tables.js';

/** Options of {@link startDynamoDbStreamsEmulator}. */
export interface DynamoDbStreamsEmulatorOptions {
  /** Port for both APIs; 0 picks a free one. @default 8000 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** When a stream's open shard rolls over to a child shard. @default never */
  rollover?: RolloverOptions;
  /** The `awsRegion` of stream records. @default 'us-east-1' */
  region?: string;
  /** The dynalite package folder (see `ensureEmulators`). @default resolved from kcl-ts */
  dynaliteDir?: string;
}

/** A running emulator. */
export interface DynamoDbStreamsEmulator {
  /** `http://host:port`: the endpoint for both DynamoDB and DynamoDB Streams clients. */
  readonly endpoint: string;
  readonly port: number;
  /** The streams, shards and records (for tests and status views). */
  readonly store: StreamStore;
  /** Stops both servers; resolves when they are closed. */
  close(): Promise<void>;
}

const TABLE_OPERATIONS = new Set(['CreateTable', 'UpdateTable', 'DescribeTable', 'DeleteTable']);
const MAX_BODY = 16 * 1024 * 1024;

// zlib.crc32 exists from Node 20.15; without it the optional header is left out.
const crc32 = (zlib as { crc32?: (data: string | Buffer) => number }).crc32;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new StreamsApiError('SerializationException', `Request body over ${MAX_BODY} bytes`, 413));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('content-type', 'application/x-amz-json-1.0');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-amzn-requestid', randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'));
  if (crc32) res.setHeader('x-amz-crc32', String(crc32(body)));
  res.end(body);
}

function send(res: ServerResponse, out: LayerResponse): void {
  if ('json' in out) return sendJson(res, out.status, out.json);
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'date') res.setHeader(k, v);
  res.end(out.body);
}

function checkOptions(opts: DynamoDbStreamsEmulatorOptions): void {
  const check = (name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)) {
      throw new KclTsError(STREAMS_BAD_OPTION, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`);
    }
  };
  check('port', opts.port, 0, 65535);
  check('rollover.records', opts.rollover?.records, 1);
  check('rollover.ageMs', opts.rollover?.ageMs, 1);
}

/**
 * Starts the local DynamoDB + DynamoDB Streams emulator: dynalite in this process, behind one HTTP
 * endpoint that also serves the DynamoDB Streams API (`X-Amz-Target: DynamoDBStreams_20120810.*`) from
 * the item changes it records. A development and test tool: writes that bypass this endpoint (straight
 * to dynalite) are not recorded; see README "DynamoDB Streams" for its limits.
 */
export async function startDynamoDbStreamsEmulator(opts: DynamoDbStreamsEmulatorOptions = {}): Promise<DynamoDbStreamsEmulator> {
  checkOptions(opts);
  const backend = new DynaliteBackend(opts.dynaliteDir);
  await backend.listen();
  const store = new StreamStore({ rollover: opts.rollover, region: opts.region });
  const locks = new TableLocks();
  const tables = new TableStreams(backend, store, locks);
  const recorder = new WriteRecorder(backend, store, tables, locks);
  const api = new StreamsApi(store);

  const handle = async (req: IncomingMessage, res: ServerResponse, service: string, operation: string): Promise<void> => {
    const raw = await readBody(req);
    let input: Record<string, unknown>;
    try {
      input = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      if (input === null || typeof input !== 'object') throw new Error('not an object');
    } catch {
      throw new StreamsApiError('SerializationException', 'The request body is not a JSON object');
    }
    if (service === 'DynamoDBStreams_20120810') return sendJson(res, 200, api.call(operation, input));
    if (TABLE_OPERATIONS.has(operation)) return send(res, await tables.handle(operation, input, raw, req.headers));
    return send(res, await recorder.write(operation, input, raw, req.headers));
  };

  const server: Server = createServer((req, res) => {
    const [service = '', operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
    const mine = service === 'DynamoDBStreams_20120810' || (service === 'DynamoDB_20120810' && (TABLE_OPERATIONS.has(operation) || RECORDED_WRITES.has(operation)));
    // Everything else (reads, health checks, unknown operations) is dynalite's, untouched.
    if (!mine) {
      // A client that goes away mid-request (or close() cutting its connection) makes the request emit
      // 'error' (aborted); dynalite does not listen for it, and it is nobody's failure here.
      req.on('error', () => undefined);
      return void backend.server.emit('request', req, res);
    }
    handle(req, res, service, operation).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof StreamsApiError) return sendJson(res, err.status, err.toJSON());
      sendJson(res, 500, new StreamsApiError('InternalFailure', `local DynamoDB Streams layer: ${(err as Error).message}`, 500).toJSON());
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await backend.close();
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new LauncherError(
      LauncherErrorCode.PORT_BUSY,
      `Port ${opts.port ?? 8000} for the local DynamoDB Streams emulator is already in use (another emulator, LocalStack, or an earlier run?). Stop it or choose another port`,
    );
  }
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}
