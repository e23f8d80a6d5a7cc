import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { LocalError, LocalErrorCode } from '../errors.js';
import { StreamsApiError } from './api-error.js';

/** A response from dynalite, kept as bytes so it can be relayed unchanged. */
export interface BackendResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type DynaliteFactory = (opts: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

/** dynalite from `dir` (its package folder, as `ensureEmulators` finds or installs it), else as kcl-ts resolves it. */
function loadDynalite(dir?: string): DynaliteFactory {
  try {
    return createRequire(import.meta.url)(dir ?? 'dynalite') as DynaliteFactory;
  } catch (err) {
    throw new LocalError(
      LocalErrorCode.EMULATOR_MISSING,
      'The local DynamoDB Streams emulator needs the npm package dynalite, which is not installed: run `npm install --save-dev dynalite`',
      { cause: err },
    );
  }
}

/** Request headers that describe the connection or the body, not the call: never relayed. */
const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'expect', 'keep-alive']);

/**
 * dynalite, started in this process on a free 127.0.0.1 port (tables switch state at once), and a
 * keep-alive client the layer uses to relay writes and to read item images.
 */
export class DynaliteBackend {
  /** dynalite's HTTP server: requests the layer does not look at are handed to it directly. */
  readonly server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #port = 0;

  /** @param dynaliteDir the dynalite package folder. @default resolved from kcl-ts */
  constructor(dynaliteDir?: string) {
    this.server = loadDynalite(dynaliteDir)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.server.address() as AddressInfo).port;
  }

  /** Sends a DynamoDB request (`operation`, raw JSON body, the client's headers) to dynalite. */
  send(operation: string, body: string, clientHeaders?: IncomingHttpHeaders): Promise<BackendResponse> {
    const headers: OutgoingHttpHeaders = {};
    if (clientHeaders) for (const [k, v] of Object.entries(clientHeaders)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    if (!headers.authorization) {
      const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      headers['x-amz-date'] = now;
      headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${now.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;
    }
    headers['content-type'] = 'application/x-amz-json-1.0';
    headers['x-amz-target'] = `DynamoDB_20120810.${operation}`;
    headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.#port, method: 'POST', path: '/', headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Calls an operation and returns its parsed result; an error answer becomes a {@link StreamsApiError} the client gets as is. */
  async call<T>(operation: string, input: unknown): Promise<T> {
    const res = await this.send(operation, JSON.stringify(input));
    const parsed = JSON.parse(res.body.toString('utf8') || '{}') as Record<string, unknown>;
    if (res.status !== 200) {
      const type = String(parsed.__type ?? 'InternalFailure').split('#').pop()!;
      throw new StreamsApiError(type, String(parsed.message ?? parsed.Message ?? ''), res.status);
    }
    return parsed as T;
  }

  async close(): Promise<void> {
    this.#agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
