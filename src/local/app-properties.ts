import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LauncherError, LauncherErrorCode } from '../launcher/errors.js';
import { parseProperties } from '../launcher/properties.js';

/** What `kcl-ts local -p FILE` takes from your daemon properties: the app, its stream and the emulator ports. */
export interface LocalApp {
  /** The properties file, absolute. */
  file: string;
  applicationName: string;
  /** The lease table: `tableName`, else `applicationName`. */
  leaseTable: string;
  streamName: string;
  kinesisPort: number;
  dynamodbPort: number;
}

/** The port of an endpoint on this machine (`http://127.0.0.1:4568`, `http://localhost:8000`), else undefined. */
function localPort(endpoint: string | undefined): number | undefined {
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  return Number(url.port || 80);
}

/**
 * Reads the app a `kcl-ts init --local` properties file describes. Fails naming the key when the file
 * cannot run on the local stack (no stream name, endpoints that are not on this machine).
 */
export function readLocalApp(file: string, cwd: string): LocalApp {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new LauncherError(LauncherErrorCode.PROPERTIES_INVALID, `Cannot read ${path}: ${(err as Error).message}; create it with \`npx kcl-ts init --local\``, { cause: err });
  }
  const entries = parseProperties(text).entries;
  const get = (key: string) => entries.get(key)?.value.trim() || undefined;
  const need = (key: string, why: string): string => {
    const value = get(key);
    if (!value) throw new LauncherError(LauncherErrorCode.PROPERTIES_INVALID, `${path} has no \`${key}\`: ${why}`);
    return value;
  };
  const applicationName = need('applicationName', 'it names the lease table; add `applicationName = <name>`');
  const streamName = need('streamName', 'kcl-ts local creates the stream it names; add `streamName = <name>` (streamArn is for real AWS)');
  const port = (key: string, example: string): number => {
    const value = get(key);
    const p = localPort(value);
    if (p === undefined) {
      throw new LauncherError(
        LauncherErrorCode.PROPERTIES_INVALID,
        `${path}: \`${key}\` is ${value === undefined ? 'not set' : `\`${value}\``}; kcl-ts local starts its emulators on the ports of ` +
          `kinesisEndpoint and dynamoDBEndpoint, so set \`${key} = ${example}\` (kcl-ts init --local writes both)`,
      );
    }
    return p;
  };
  return {
    file: path,
    applicationName,
    leaseTable: get('tableName') ?? applicationName,
    streamName,
    kinesisPort: port('kinesisEndpoint', 'http://127.0.0.1:4568'),
    dynamodbPort: port('dynamoDBEndpoint', 'http://127.0.0.1:8000'),
  };
}
