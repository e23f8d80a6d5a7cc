// The handler runtime over an in-process FakeDaemon, its log lines captured and its status in memory:
// shared by the handler runtime tests (handler-runtime, handler-endings).
import { Writable } from 'node:stream';
import pino from 'pino';
import { HandlerProcessor, StatusReporter } from '../../src/processor/index.js';
import { resolveHandlerOptions, type HandlerOptions } from '../../src/processor/handler-options.js';
import { FakeDaemon } from '../../src/testing/index.js';

/** A pino line as the tests read it. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A status reporter that keeps its state in memory (no file) and counts its writes. */
export class MemoryStatus extends StatusReporter {
  writes = 0;
  constructor() {
    super('/nonexistent-kcl-ts-status-dir');
  }
  override write(): void {
    this.writes++;
  }
}

/** Options of {@link runtime}. */
export interface RuntimeKitOptions {
  /** The stdin block pool the runtime checks for room. @default none */
  pool?: { inUseBytes: number; blockBytes: number };
  /** Whether the runtime gets a (memory) status reporter. @default true */
  withStatus?: boolean;
  /** The environment the runtime reads (`KCL_TS_*`). @default {} */
  env?: NodeJS.ProcessEnv;
}

/** A runtime over an in-process FakeDaemon with its log lines captured and a status in memory. */
export function runtime(options: HandlerOptions, kit: RuntimeKitOptions = {}) {
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const status = new MemoryStatus();
  const processor = new HandlerProcessor(resolveHandlerOptions({ statsIntervalMs: 0, ...options }), logger, kit.env ?? {}, kit.withStatus === false ? undefined : status, kit.pool);
  const daemon = FakeDaemon.inProcess(processor, { logger });
  const find = (msg: string | RegExp): LogLine[] => logs.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  return { daemon, logs, find, status, processor };
}
