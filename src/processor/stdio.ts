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
 *
 * A later call with log options (run({ log }) after `import 'kcl-ts/register'`) honours them: a
 * `destination` replaces the logger (the guard follows it; the earlier destination, chosen from the
 * environment, keeps only what was logged before), a `level` alone changes the level. The protocol
 * writer stays the same.
 */
export function claimProcessStdio(options: LogOptions = {}): ProcessStdio {
  if (!claimed) {
    const writer = new ProtocolWriter(process.stdout);
    const state: ProcessStdio = { writer, log: createShardLogger(options) };
    installStdoutGuard(() => state.log.logger);
    claimed = state;
    return claimed;
  }
  if (options.destination !== undefined && options.destination !== claimed.log.destination.requested) {
    const before = claimed.log;
    const next = createShardLogger(options);
    before.logger.info({ to: next.destination.description }, 'logging moves to the destination given to run({ log })');
    before.close();
    claimed.log = next;
  } else if (options.level !== undefined && options.level !== claimed.log.logger.level) {
    claimed.log.logger.level = options.level;
  }
  return claimed;
}
