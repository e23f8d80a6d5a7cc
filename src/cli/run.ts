import { Command, InvalidArgumentError } from 'commander';
import type { CliIO } from '../launcher/io.js';
import { runDaemon } from '../launcher/run.js';
import { parseDuration } from '../launcher/summary.js';

interface RunFlags {
  properties: string;
  java?: string;
  jars?: string;
  logConfig?: string;
  maxRuntime?: number;
  summary?: string;
  stopOnFailure?: boolean;
  preflight: boolean;
  allowUnknownKeys?: boolean;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`expected a duration such as 90s, 5m or 1h, got \`${value}\``);
  return ms;
}

/** `kcl-ts run -p app.properties [--java PATH] [--jars DIR] [-- extra JVM args]`. */
export function runCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('run')
    .description('validate the properties, then run the MultiLangDaemon (forwards SIGTERM/SIGINT to the JVM only)')
    .requiredOption('-p, --properties <file>', 'the daemon .properties file')
    .option('--java <path>', 'java executable (default: $JAVA_HOME/bin/java, then java on PATH)')
    .option('--jars <dir>', 'a folder with the verified daemon jars (default: the kcl-ts cache, installed on first use)')
    .option('--log-config <file>', "logback.xml for the daemon's own logs (e.g. properties/logback-warn.xml)")
    .option('--max-runtime <duration>', 'stop gracefully after this long (90s, 5m, 1h): a time-limited batch run', duration)
    .option('--stop-on-failure', 'stop gracefully as soon as a shard stops on a failed record')
    .option('--summary <file>', 'write the run summary (per shard: processed, retried, dead-lettered, failed, last checkpoint) as JSON')
    .option('--no-preflight', 'do not run the consumer once under the FakeDaemon (initialize, an empty batch, shutdown) before starting the JVM')
    .option('--allow-unknown-keys', 'accept properties keys kcl-ts does not know (by default they are errors: the daemon ignores them silently)')
    .argument('[jvmArgs...]', 'extra JVM arguments, after --')
    .action(async (jvmArgs: string[], flags: RunFlags) => {
      setExit(
        await runDaemon({
          propertiesFile: flags.properties,
          java: flags.java,
          jarsDir: flags.jars,
          logConfig: flags.logConfig,
          jvmArgs,
          maxRuntimeMs: flags.maxRuntime,
          stopOnFailure: flags.stopOnFailure,
          summaryFile: flags.summary,
          preflight: flags.preflight,
          allowUnknownKeys: flags.allowUnknownKeys,
          io,
        }),
      );
    });
}
