// kcl-ts doctor -p FILE for a DynamoDB Streams file: the bridge's jar set (not the daemon's), the bridge
// jar, and the streams endpoint's reachability.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ensureBridgeJar } from '../../src/launcher/bridge-jar.js';
import { doctorChecks } from '../../src/launcher/doctor.js';
import { ensureJars } from '../../src/launcher/jars.js';
import { tempDir } from '../helpers.js';

const work = tempDir('kcl-ts-doctor-source-');
let server: Server;
let port: number;
before(async () => {
  await ensureJars('streams-bridge', { env: process.env });
  await ensureBridgeJar({ env: process.env });
  server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

function file(endpoint: string): string {
  const path = join(work, `app-${endpoint.replace(/\W/g, '')}.properties`);
  writeFileSync(path, ['kcl-ts.source = dynamodb-streams', 'streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/x', `kcl-ts.dynamoDBStreamsEndpoint = ${endpoint}`].join('\n'));
  return path;
}

test('doctor on a dynamodb-streams file: the streams-bridge jars, the bridge jar, the streams endpoint', async () => {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: process.env, cwd: work };
  const up = await doctorChecks({ propertiesFile: file(`http://127.0.0.1:${port}`), io });
  const byName = new Map(up.map((c) => [c.name, c]));
  assert.match(byName.get('jars')!.detail, /com\.amazonaws:dynamodb-streams-kinesis-adapter:2\.0\.1 in .*streams-bridge-2\.0\.1, checksums verified/);
  assert.equal(byName.get('bridge')!.ok, true);
  assert.equal(byName.get('kcl-ts.dynamoDBStreamsEndpoint')!.ok, true);

  const down = await doctorChecks({ propertiesFile: file('http://127.0.0.1:9'), io });
  const endpoint = down.find((c) => c.name === 'kcl-ts.dynamoDBStreamsEndpoint')!;
  assert.equal(endpoint.ok, false);
  assert.match(endpoint.fix!, /kcl-ts local --source dynamodb-streams/);

  // No streams-bridge jars in this cache: the fix names the set to install.
  const empty = await doctorChecks({ propertiesFile: file(`http://127.0.0.1:${port}`), io: { ...io, env: { ...process.env, KCL_TS_CACHE: join(work, 'empty-cache') } } });
  assert.match(empty.find((c) => c.name === 'jars')!.fix!, /kcl-ts jars streams-bridge/);
});
