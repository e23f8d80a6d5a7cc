/**
 * Settings the daemon accepts but that fail at startup, hang or cut short shutdown, or surprise on a
 * local setup. Each check names what happens and what to set instead.
 */
import { POLLING_KEYS, type PropertyType } from './known-properties.js';
import type { PropertyEntry } from './properties.js';
import type { Diagnostic } from './validate.js';

/** Entries by their canonical known-property name. */
export type Known = Map<string, PropertyEntry>;
type Add = (d: Diagnostic) => void;

const DEFAULT_FAILOVER_MS = 10_000;
const MAX_RECORDS = 10_000;
const MIN_IDLE_MS = 200;
/** Epoch seconds beyond this are surely milliseconds (the year 5138). */
const MAX_EPOCH_SECONDS = 1e11;

function parseInteger(raw: string, bits: 31n | 63n): bigint | undefined {
  const t = raw.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = BigInt(t);
  return n >= -(2n ** bits) && n < 2n ** bits ? n : undefined;
}

/** Parses a number as BeanUtils would (trimmed); undefined where the daemon would get its fallback 0. */
export function parseDaemonNumber(raw: string, type: PropertyType): number | undefined {
  if (type === 'double') return /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?[df]?\s*$/i.test(raw) ? parseFloat(raw) : undefined;
  const n = parseInteger(raw, type === 'int' || type === 'Integer' ? 31n : 63n);
  return n === undefined ? undefined : Number(n);
}

function at(entry: PropertyEntry): { key: string; line: number } {
  return { key: entry.key, line: entry.line };
}

/** The numeric value the daemon would use, if the entry is set and parses. */
function num(known: Known, name: string, type: 'int' | 'long' | 'Integer' = 'long'): number | undefined {
  const entry = known.get(name);
  return entry === undefined ? undefined : parseDaemonNumber(entry.value, type);
}

/** True for an endpoint on this machine (loopback, localhost names or 0.0.0.0). */
export function isLocalEndpoint(value: string): boolean {
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `http://${value.trim()}`).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** POLLING when set so, or when DEFAULT (or unset) and any polling key is set; else FANOUT. */
function retrievalMode(known: Known): 'POLLING' | 'FANOUT' {
  const mode = known.get('retrievalMode')?.value.toUpperCase();
  if (mode === 'POLLING' || mode === 'FANOUT') return mode;
  return POLLING_KEYS.some((k) => known.has(k)) ? 'POLLING' : 'FANOUT';
}

function checkShutdown(known: Known, add: Add): void {
  const grace = known.get('shutdownGraceMillis');
  const graceMs = num(known, 'shutdownGraceMillis');
  const failover = num(known, 'failoverTimeMillis') || DEFAULT_FAILOVER_MS;
  if (grace !== undefined && graceMs === undefined) {
    add({ level: 'error', ...at(grace), message: `\`shutdownGraceMillis = ${grace.value}\` is not a whole number: the daemon would treat it as 0 (no graceful shutdown)`, fix: 'set e.g. `shutdownGraceMillis = 20000`' });
  } else if (graceMs === undefined || graceMs === 0) {
    add({
      level: 'warning',
      ...(grace ? at(grace) : { key: 'shutdownGraceMillis' }),
      message: 'shutdownGraceMillis is unset or 0: on SIGTERM the daemon exits at once and the record processors get no shutdownRequested at all (no final checkpoint), only stdin EOF',
      fix: `set e.g. \`shutdownGraceMillis = ${Math.max(20_000, failover * 2)}\`, greater than failoverTimeMillis (${failover})`,
    });
  } else if (graceMs <= failover && retrievalMode(known) === 'POLLING') {
    add({
      level: 'warning',
      ...at(grace!),
      message: `shutdownGraceMillis (${graceMs}) is not greater than failoverTimeMillis (${failover}): in POLLING mode the worker's shutdown waits about failoverTimeMillis, so the shutdown hook times out and logs a TimeoutException`,
      fix: `set shutdownGraceMillis above ${failover}, e.g. ${failover * 2}`,
    });
  }
}

function checkLocal(known: Known, add: Add): void {
  const endpoint = [known.get('kinesisEndpoint'), known.get('dynamoDBEndpoint')].find((e) => e && isLocalEndpoint(e.value));
  if (!endpoint) return;
  const metrics = known.get('metricsLevel');
  if (metrics?.value.trim().toUpperCase() !== 'NONE') {
    add({
      level: 'warning',
      ...at(metrics ?? endpoint),
      message: `\`${endpoint.key}\` is local but metricsLevel is ${metrics ? metrics.value : 'unset (DETAILED)'}: there is no CloudWatch locally, so the daemon logs publishing errors`,
      fix: 'set `metricsLevel = NONE`',
    });
  }
  const workerMetrics = known.get('disableWorkerMetrics');
  if (!workerMetrics || !['true', 'yes', 'y', 'on', '1'].includes(workerMetrics.value.toLowerCase())) {
    add({
      level: 'warning',
      ...at(workerMetrics ?? endpoint),
      message: `\`${endpoint.key}\` is local but worker metrics are on: KCL 3 probes the EC2 instance metadata service for them, which fails or stalls off EC2`,
      fix: 'set `disableWorkerMetrics = true`',
    });
  }
}

function checkRetrieval(known: Known, add: Add): void {
  const maxRecords = num(known, 'maxRecords', 'int');
  if (maxRecords !== undefined && maxRecords > MAX_RECORDS) {
    add({ level: 'error', ...at(known.get('maxRecords')!), message: `maxRecords (${maxRecords}) is above ${MAX_RECORDS}: startup fails`, fix: `set maxRecords to at most ${MAX_RECORDS}` });
  }
  const idle = num(known, 'idleTimeBetweenReadsInMillis');
  if (idle !== undefined && idle > 0 && idle < MIN_IDLE_MS) {
    add({ level: 'warning', ...at(known.get('idleTimeBetweenReadsInMillis')!), message: `idleTimeBetweenReadsInMillis (${idle}) is below ${MIN_IDLE_MS}: the daemon raises it to ${MIN_IDLE_MS}`, fix: `set it to ${MIN_IDLE_MS} or more` });
  }
  const mode = known.get('retrievalMode');
  if (!mode || mode.value.trim().toUpperCase() === 'DEFAULT') {
    const polling = POLLING_KEYS.filter((k) => known.has(k));
    add({
      level: 'info',
      ...(mode ? at(mode) : { key: 'retrievalMode' }),
      message:
        `retrievalMode is DEFAULT: POLLING if any of ${POLLING_KEYS.join(', ')} is set, else FANOUT; here ${retrievalMode(known)}` +
        (polling.length > 0 ? ` (because of ${polling.join(', ')})` : '') +
        '. Enhanced fan-out (FANOUT) costs extra on AWS; both modes work against kinesis-local',
      fix: 'set `retrievalMode = POLLING` or `FANOUT` explicitly',
    });
  }
}

function checkPositionAndStream(known: Known, add: Add): void {
  const extended = known.get('initialPositionInStreamExtended');
  if (extended) {
    const seconds = parseDaemonNumber(extended.value, 'long');
    if (seconds === undefined || extended.value !== extended.value.trim()) {
      add({ level: 'error', ...at(extended), message: `\`initialPositionInStreamExtended = ${extended.value}\` is not a plain whole number: startup fails`, fix: 'write epoch seconds, e.g. `initialPositionInStreamExtended = 1735689600`' });
    } else if (seconds > MAX_EPOCH_SECONDS) {
      add({ level: 'warning', ...at(extended), message: `initialPositionInStreamExtended (${seconds}) looks like milliseconds: the daemon reads epoch seconds (and multiplies by 1000)`, fix: `use ${Math.floor(seconds / 1000)}` });
    }
    const position = known.get('initialPositionInStream');
    if (position) {
      add({ level: 'warning', ...at(position), message: 'initialPositionInStream and initialPositionInStreamExtended are both set: the daemon applies keys in hash order, so which one wins is unpredictable', fix: 'keep only one of them' });
    }
  }
  const name = known.get('streamName');
  const arn = known.get('streamArn');
  if (name?.value.trim() && arn?.value.trim()) {
    add({ level: 'info', ...at(name), message: 'streamName and streamArn are both set: streamArn wins (the stream name is taken from the ARN)' });
  }
}

function checkDaemonOwn(known: Known, add: Add): void {
  const timeout = known.get('timeoutInSeconds');
  if (timeout) {
    const seconds = num(known, 'timeoutInSeconds', 'Integer') ?? 0;
    add({
      level: seconds <= 0 ? 'error' : 'info',
      ...at(timeout),
      message:
        `timeoutInSeconds is set: when a record processor takes longer than ${seconds} s to answer one message, the daemon halts the whole JVM with Runtime.halt(1)` +
        (seconds <= 0 ? `, and with ${seconds} every message times out` : ''),
      fix: seconds <= 0 ? 'remove it, or set a generous number of seconds' : 'make sure no single batch can take that long, or remove it',
    });
  }
  const threads = known.get('maxActiveThreads');
  if (threads) {
    const n = /^[+-]?\d+$/.test(threads.value) ? Number(threads.value) : undefined;
    if (n === undefined || !Number.isSafeInteger(n) || Math.abs(n) > 2 ** 31) {
      add({ level: 'error', ...at(threads), message: `\`maxActiveThreads = ${threads.value}\` is not an int: startup fails (Integer.parseInt)`, fix: 'remove it (a cached pool) or write a whole number' });
    } else if (n > 0) {
      add({ level: 'info', ...at(threads), message: `maxActiveThreads = ${n} makes a fixed thread pool: each shard needs a few threads, so a small pool starves shards`, fix: 'remove it unless you need the cap' });
    }
  }
}

/** Runs every trap check. */
export function checkTraps(known: Known, add: Add): void {
  checkShutdown(known, add);
  checkLocal(known, add);
  checkRetrieval(known, add);
  checkPositionAndStream(known, add);
  checkDaemonOwn(known, add);
}
