import { invalid } from './api-error.js';
import type { BackendResponse, DynaliteBackend } from './backend.js';
import type { StoredStream, StreamStore } from './store.js';
import type { TableLocks } from './table-locks.js';
import { STREAM_VIEW_TYPES, type KeySchemaElement, type StreamViewType } from './types.js';

type Input = Record<string, unknown>;
type TableDescription = Record<string, unknown> & { TableName?: string; TableArn?: string; KeySchema?: KeySchemaElement[] };

/** What the layer answers: a response relayed from dynalite, or a JSON body of its own. */
export type LayerResponse = BackendResponse | { status: number; json: unknown };

interface StreamSpecification {
  StreamEnabled: boolean;
  StreamViewType?: StreamViewType;
}

function parseSpec(v: unknown): StreamSpecification | undefined {
  if (v === undefined || v === null) return undefined;
  const spec = v as Record<string, unknown>;
  if (typeof spec.StreamEnabled !== 'boolean') throw invalid('StreamSpecification.StreamEnabled is required (true or false)');
  if (spec.StreamEnabled && !STREAM_VIEW_TYPES.includes(spec.StreamViewType as StreamViewType)) {
    throw invalid(`StreamSpecification.StreamViewType must be one of ${STREAM_VIEW_TYPES.join(', ')} when StreamEnabled is true, got ${String(spec.StreamViewType)}`);
  }
  return { StreamEnabled: spec.StreamEnabled, StreamViewType: spec.StreamViewType as StreamViewType | undefined };
}

const without = (input: Input, key: string): Input => Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));

/**
 * Table streams: CreateTable and UpdateTable with a StreamSpecification (dynalite has none: the layer
 * strips it, keeps the stream itself and answers an UpdateTable that only switches the stream), and
 * table descriptions patched with StreamSpecification, LatestStreamArn and LatestStreamLabel.
 */
export class TableStreams {
  readonly #backend: DynaliteBackend;
  readonly #store: StreamStore;
  readonly #locks: TableLocks;
  /** table name → its latest stream (enabled or disabled), while the table exists. */
  readonly #latest = new Map<string, StoredStream>();

  constructor(backend: DynaliteBackend, store: StreamStore, locks: TableLocks) {
    this.#backend = backend;
    this.#store = store;
    this.#locks = locks;
  }

  /** The table's enabled stream, if it has one. */
  enabled(table: string): StoredStream | undefined {
    const s = this.#latest.get(table);
    return s?.status === 'ENABLED' ? s : undefined;
  }

  /** Handles CreateTable, UpdateTable, DescribeTable or DeleteTable. */
  async handle(operation: string, input: Input, raw: string, headers: Record<string, string | string[] | undefined>): Promise<LayerResponse> {
    const name = typeof input.TableName === 'string' ? input.TableName : undefined;
    if (operation === 'CreateTable') {
      const spec = parseSpec(input.StreamSpecification);
      const res = await this.#backend.send(operation, spec ? JSON.stringify(without(input, 'StreamSpecification')) : raw, headers);
      if (res.status !== 200 || name === undefined) return res;
      const out = JSON.parse(res.body.toString('utf8')) as { TableDescription: TableDescription };
      this.#latest.delete(name);
      if (spec?.StreamEnabled) this.#latest.set(name, this.#store.create(tableOf(out.TableDescription), spec.StreamViewType!));
      return { status: 200, json: { TableDescription: this.#patch(out.TableDescription) } };
    }
    if (operation === 'UpdateTable' && name !== undefined && input.StreamSpecification != null) return this.#switchStream(name, input, headers);
    // DeleteTable holds the table's lock, so no write is half-recorded when its stream is disabled.
    const release = operation === 'DeleteTable' && name !== undefined ? await this.#locks.acquire([name]) : undefined;
    try {
      const res = await this.#backend.send(operation, raw, headers);
      if (res.status !== 200 || name === undefined) return res;
      const out = JSON.parse(res.body.toString('utf8')) as Record<string, TableDescription>;
      const field = operation === 'DescribeTable' ? 'Table' : 'TableDescription';
      if (out[field]) this.#patch(out[field]);
      if (operation === 'DeleteTable') {
        const stream = this.enabled(name);
        if (stream) this.#store.disable(stream.arn);
        this.#latest.delete(name);
      }
      return { status: 200, json: out };
    } finally {
      release?.();
    }
  }

  /** UpdateTable with a StreamSpecification: other updates go to dynalite, the stream switch is done here. */
  async #switchStream(name: string, input: Input, headers: Record<string, string | string[] | undefined>): Promise<LayerResponse> {
    const spec = parseSpec(input.StreamSpecification)!;
    const release = await this.#locks.acquire([name]);
    try {
      const { Table: table } = await this.#backend.call<{ Table: TableDescription }>('DescribeTable', { TableName: name });
      const current = this.enabled(name);
      if (spec.StreamEnabled && current) throw invalid(`Table already has an enabled stream: ${current.arn}`);
      if (!spec.StreamEnabled && !current) throw invalid(`Table ${name} has no enabled stream to disable`);
      const rest = without(input, 'StreamSpecification');
      let description = table;
      if (Object.keys(rest).some((k) => k !== 'TableName')) {
        const res = await this.#backend.send('UpdateTable', JSON.stringify(rest), headers);
        if (res.status !== 200) return res;
        description = (JSON.parse(res.body.toString('utf8')) as { TableDescription: TableDescription }).TableDescription;
      }
      if (current) this.#store.disable(current.arn);
      else this.#latest.set(name, this.#store.create(tableOf(table), spec.StreamViewType!));
      return { status: 200, json: { TableDescription: this.#patch(description) } };
    } finally {
      release();
    }
  }

  #patch(description: TableDescription): TableDescription {
    const stream = description.TableName === undefined ? undefined : this.#latest.get(description.TableName);
    if (!stream) return description;
    if (stream.status === 'ENABLED') description.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.viewType };
    description.LatestStreamArn = stream.arn;
    description.LatestStreamLabel = stream.label;
    return description;
  }
}

function tableOf(d: TableDescription): { name: string; arn: string; keySchema: KeySchemaElement[] } {
  return { name: d.TableName!, arn: d.TableArn!, keySchema: d.KeySchema ?? [] };
}
