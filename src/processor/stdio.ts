import { createShardLogger, installStdoutGuard, type LogOptions, type ShardLogger } from '../logging/index.js';
import { ProtocolWriter } from '../protocol/index.js';

/** The process-wide protocol writer and logger, created once. */
export interface ProcessStdio {
  writer: ProtocolWriter;
  log: ShardLogger;
}

let claimed: ProcessStdio | undefined;

/**
 * Takes stdout for the protocol, once per process: captures the real `process.stdout.write` in the
 * protocol writer, then installs the stdout guard so that nothing else can write protocol lines.
 * Later calls return the same objects (their options are ignored).
 */
export function claimProcessStdio(options: LogOptions = {}): ProcessStdio {
  if (claimed) return claimed;
  const writer = new ProtocolWriter(process.stdout);
  const log = createShardLogger(options);
  installStdoutGuard(log.logger);
  claimed = { writer, log };
  return claimed;
}
