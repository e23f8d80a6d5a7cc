/**
 * What `kcl-ts doctor -p FILE` checks differently for the file's source (see source.ts): which jar set
 * must be installed, and for DynamoDB Streams the bridge's own jar and the streams endpoint.
 */
import { bridgeJarProblem } from './bridge-jar.js';
import type { Check } from './doctor.js';
import type { CliIO } from './io.js';
import type { ParsedProperties } from './properties.js';
import { jarSetOf, sourceOf, STREAMS_ENDPOINT_KEY } from './source.js';
import type { JarSet } from './jars.js';
import { loadAndValidate } from './validate.js';

/** The jar set a properties file needs (the daemon's without a file, or when its source is unknown). */
export function jarSetForFile(propertiesFile: string | undefined, io: CliIO): JarSet {
  if (!propertiesFile) return 'kcl-multilang';
  return jarSetOf(sourceOf(loadAndValidate(propertiesFile, io).parsed) ?? 'kinesis');
}

/** The DynamoDB Streams checks: the bridge jar, and the streams endpoint when one is set. */
export async function sourceChecks(parsed: ParsedProperties | undefined, reachable: (url: string) => Promise<boolean>): Promise<Check[]> {
  if (!parsed || sourceOf(parsed) !== 'dynamodb-streams') return [];
  const checks: Check[] = [];
  const problem = await bridgeJarProblem();
  checks.push(
    problem === undefined
      ? { ok: true, name: 'bridge', detail: 'the DynamoDB Streams bridge jar is built and matches its lock' }
      : { ok: false, name: 'bridge', detail: problem, fix: 'run `kcl-ts jars streams-bridge` (it builds the bridge with Maven)' },
  );
  const url = parsed.entries.get(STREAMS_ENDPOINT_KEY)?.value.trim();
  if (!url) {
    checks.push({ ok: true, name: STREAMS_ENDPOINT_KEY, detail: 'not set: the DynamoDB Streams endpoint of regionName (not checked here)' });
  } else {
    const ok = await reachable(url);
    checks.push({ ok, name: STREAMS_ENDPOINT_KEY, detail: `${url} ${ok ? 'is reachable' : 'is NOT reachable'}`, fix: ok ? undefined : 'start the emulator (`kcl-ts local --source dynamodb-streams`, or LocalStack on port 4566) or fix the URL' });
  }
  return checks;
}
