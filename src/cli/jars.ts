import { Command } from 'commander';
import { say, warn, type CliIO } from '../launcher/io.js';
import { ensureBridgeJar } from '../launcher/bridge-jar.js';
import { JAR_SETS, ensureJars, writeLock, type JarSet } from '../launcher/jars.js';
import { javaClasspath } from '../launcher/java.js';

interface JarsFlags {
  dir?: string;
  repo?: string;
  mvn?: string;
  classpath?: boolean;
  writeLock?: boolean;
  rebuild?: boolean;
}

/** `kcl-ts jars [set]`: install, verify and print the daemon's jars. */
export function jarsCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('jars')
    .description('install (Maven, or download with --repo), verify checksums and print the pinned daemon jars')
    .argument('[set]', `${JAR_SETS.join(' | ')}`, 'kcl-multilang')
    .option('--dir <dir>', 'verify this folder instead of the cache')
    .option('--repo <url>', 'Maven repository base URL for installing without Maven (env KCL_TS_MAVEN_REPO)')
    .option('--mvn <path>', 'the mvn executable', 'mvn')
    .option('--classpath', 'print only the classpath (for java -cp)')
    .option('--write-lock', 'maintainers: regenerate maven/<set>/jars.lock.json from Maven')
    .option('--rebuild', 'streams-bridge: build the bridge jar with Maven even when the verified one is up to date')
    .action(async (set: string, flags: JarsFlags) => {
      if (!JAR_SETS.includes(set as JarSet)) {
        warn(io, `kcl-ts jars: unknown set \`${set}\`; expected one of ${JAR_SETS.join(', ')}`);
        setExit(2);
        return;
      }
      const opts = { env: io.env, dir: flags.dir, repoUrl: flags.repo, mvn: flags.mvn, log: (l: string) => warn(io, l) };
      if (flags.writeLock) {
        const lock = await writeLock(set as JarSet, opts);
        say(io, `wrote maven/${set}/jars.lock.json: ${lock.files.length} files of ${lock.artifact}`);
        return;
      }
      const jars = await ensureJars(set as JarSet, opts);
      // The DynamoDB Streams bridge also needs its own jar, built from maven/streams-bridge (or shipped).
      const bridge = set === 'streams-bridge' ? await ensureBridgeJar({ ...opts, rebuild: flags.rebuild }) : undefined;
      if (flags.classpath) {
        // Checked as the launcher checks what it gives java: a `:` in a path would split an entry in two.
        say(io, javaClasspath([...(bridge ? [bridge.jar] : []), ...jars.classpath]));
        return;
      }
      say(io, `${jars.artifact}: ${jars.classpath.length} jars in ${jars.dir} (${jars.source}, checksums verified)`);
      if (bridge) say(io, `kcl-ts streams bridge: ${bridge.jar} (${bridge.source === 'built' ? 'built now' : 'up to date'}, checksum verified)`);
    });
}
