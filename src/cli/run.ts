import { Command } from 'commander';
import type { CliIO } from '../launcher/io.js';
import { runDaemon } from '../launcher/run.js';

interface RunFlags {
  properties: string;
  java?: string;
  jars?: string;
  logConfig?: string;
}

/** `kcl-ts run -p app.properties [--java PATH] [--jars DIR] [-- extra JVM args]`. */
export function runCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('run')
    .description('validate the properties, then run the MultiLangDaemon (forwards SIGTERM/SIGINT to the JVM only)')
    .requiredOption('-p, --properties <file>', 'the daemon .properties file')
    .option('--java <path>', 'java executable (default: $JAVA_HOME/bin/java, then java on PATH)')
    .option('--jars <dir>', 'a folder with the verified daemon jars (default: the kcl-ts cache, installed on first use)')
    .option('--log-config <file>', "logback.xml for the daemon's own logs (e.g. properties/logback-warn.xml)")
    .argument('[jvmArgs...]', 'extra JVM arguments, after --')
    .action(async (jvmArgs: string[], flags: RunFlags) => {
      setExit(
        await runDaemon({
          propertiesFile: flags.properties,
          java: flags.java,
          jarsDir: flags.jars,
          logConfig: flags.logConfig,
          jvmArgs,
          io,
        }),
      );
    });
}
