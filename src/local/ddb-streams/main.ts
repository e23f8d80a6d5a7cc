// The local DynamoDB + DynamoDB Streams emulator as a process (for tests in other languages, e.g. the
// Java bridge's):
//   node dist/local/ddb-streams/main.js [--port 8000] [--host 127.0.0.1] [--rollover-records N] [--rollover-ms MS]
// When ready it writes one line `{"endpoint":"http://127.0.0.1:8000"}` to stderr; SIGTERM or SIGINT stop it.
import { parseArgs } from 'node:util';
import { startDynamoDbStreamsEmulator } from './server.js';

function positiveInt(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got \`${value}\`\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'rollover-records': { type: 'string' },
    'rollover-ms': { type: 'string' },
  },
});

try {
  const emulator = await startDynamoDbStreamsEmulator({
    port: positiveInt('port', values.port, 0),
    host: values.host,
    rollover: { records: positiveInt('rollover-records', values['rollover-records'], 1), ageMs: positiveInt('rollover-ms', values['rollover-ms'], 1) },
  });
  process.stderr.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`local DynamoDB Streams emulator: ${(err as Error).message}\n`);
  process.exit(1);
}
