import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { kclTableChecks } from '../local/doctor-tables.js';
import { chooseLogDestination } from '../logging/destination.js';
import { checkCredentials } from './credentials.js';
import { jarSetForFile, sourceChecks } from './doctor-source.js';
import { say, type CliIO } from './io.js';
import { cacheRoot, pinnedArtifact, readLock, verifyJars } from './jars.js';
import { findJava } from './java.js';
import { formatDiagnostics, loadAndValidate } from './validate.js';
import { isLocalEndpoint } from './validate-traps.js';

/** One line of the doctor's report. */
export interface Check {
  ok: boolean;
  name: string;
  detail: string;
  fix?: string;
}

/** Resolves true when a TCP connection to `url`'s host and port succeeds within `timeoutMs`. */
export function reachable(url: string, timeoutMs = 2000): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Runs every check; `propertiesFile` adds the properties and endpoint checks. */
export async function doctorChecks(opts: { propertiesFile?: string; java?: string; jarsDir?: string; io: CliIO }): Promise<Check[]> {
  const { io } = opts;
  const checks: Check[] = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  checks.push({ ok: nodeMajor >= 20, name: 'node', detail: `Node.js ${process.version}`, fix: 'install Node.js 20 or newer' });
  try {
    const java = findJava(opts.java, io.env, io.cwd);
    checks.push({ ok: true, name: 'java', detail: `Java ${java.major} at ${java.path}` });
  } catch (err) {
    checks.push({ ok: false, name: 'java', detail: (err as Error).message });
  }
  // The file's source decides the jar set: the daemon's, or the DynamoDB Streams bridge's (doctor-source.ts).
  const set = jarSetForFile(opts.propertiesFile, io);
  const jarsCommand = set === 'kcl-multilang' ? 'kcl-ts jars' : `kcl-ts jars ${set}`;
  const artifact = pinnedArtifact(set);
  const dir = opts.jarsDir ?? join(cacheRoot(io.env), `${set}-${artifact.split(':').pop()}`);
  if (!existsSync(dir)) {
    checks.push({ ok: false, name: 'jars', detail: `${artifact} is not installed (${dir})`, fix: `run \`${jarsCommand}\` (Maven), or \`${jarsCommand} --repo <url>\`` });
  } else {
    const problems = await verifyJars(dir, readLock(set));
    checks.push(
      problems.length === 0
        ? { ok: true, name: 'jars', detail: `${artifact} in ${dir}, checksums verified` }
        : { ok: false, name: 'jars', detail: `${dir}: ${problems.slice(0, 3).join('; ')}`, fix: `run \`${jarsCommand}\` to reinstall` },
    );
  }
  if (opts.propertiesFile) {
    const { parsed, diagnostics } = loadAndValidate(opts.propertiesFile, io);
    const errors = diagnostics.filter((d) => d.level === 'error').length;
    const warnings = diagnostics.filter((d) => d.level === 'warning').length;
    checks.push({
      ok: errors === 0,
      name: 'properties',
      detail: `${opts.propertiesFile}: ${errors} error(s), ${warnings} warning(s)`,
      fix: errors + warnings > 0 ? `\n${formatDiagnostics(opts.propertiesFile, diagnostics)}` : undefined,
    });
    const provider = parsed?.entries.get('AWSCredentialsProvider')?.value;
    if (provider) {
      const local = ['kinesisEndpoint', 'dynamoDBEndpoint'].some((k) => isLocalEndpoint(parsed?.entries.get(k)?.value ?? ''));
      checks.push({ name: 'credentials', ...(await checkCredentials({ provider, env: io.env, local })) });
    }
    for (const key of ['kinesisEndpoint', 'dynamoDBEndpoint']) {
      const url = parsed?.entries.get(key)?.value;
      if (!url) {
        checks.push({ ok: true, name: key, detail: 'not set: the AWS endpoint of regionName (not checked here)' });
        continue;
      }
      const ok = await reachable(url);
      checks.push({ ok, name: key, detail: `${url} ${ok ? 'is reachable' : 'is NOT reachable'}`, fix: ok ? undefined : 'start the emulators (`kcl-ts local`, or LocalStack on port 4566) or fix the URL' });
    }
    if (checks.at(-1)?.name === 'dynamoDBEndpoint' && checks.at(-1)?.ok) checks.push(...(await kclTableChecks(parsed, opts.propertiesFile)));
    checks.push(...(await sourceChecks(parsed, reachable)));
  }
  const dest = chooseLogDestination(undefined, io.env);
  checks.push({
    ok: true,
    name: 'logs',
    detail: io.env.KCL_TS_LOG_DEST
      ? `shard processes log to ${dest.description} (KCL_TS_LOG_DEST)${dest.fallbackReason ? ` (${dest.fallbackReason})` : ''}`
      : "under `kcl-ts run`, shard processes log to the launcher's stdout (/proc/<its pid>/fd/1; /proc/1/fd/1 as PID 1) " +
        'when that is a terminal, a pipe or a file opened for appending; otherwise (a socket, `> file`) to ' +
        `${dest.description}${dest.fallbackReason ? ` (${dest.fallbackReason}; the daemon logs their stderr at ERROR level: set KCL_TS_LOG_DEST to a file)` : ''}`,
  });
  return checks;
}

/** `kcl-ts doctor`: prints one line per check (ok / problem, with the fix); returns 1 if any failed. */
export async function runDoctor(opts: { propertiesFile?: string; java?: string; jarsDir?: string; io: CliIO }): Promise<number> {
  const checks = await doctorChecks(opts);
  for (const c of checks) {
    say(opts.io, `${c.ok ? 'ok     ' : 'problem'}  ${c.name}: ${c.detail}${c.fix && (!c.ok || c.fix.startsWith('\n')) ? `${c.fix.startsWith('\n') ? '' : '\n           fix: '}${c.fix}` : ''}`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
