import { Command } from 'commander';
import { say, warn, type CliIO } from '../launcher/io.js';
import { JAR_SETS, ensureJars, writeLock, type JarSet } from '../launcher/jars.js';

interface JarsFlags {
  dir?: string;
  repo?: string;
  mvn?: string;
  classpath?: boolean;
  writeLock?: boolean;
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
      if (flags.classpath) {
        say(io, jars.classpath.join(':'));
        return;
      }
      say(io, `${jars.artifact}: ${jars.classpath.length} jars in ${jars.dir} (${jars.source}, checksums verified)`);
    });
}
