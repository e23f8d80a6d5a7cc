/**
 * Which stream a properties file reads, and what `kcl-ts run` starts for it: the MultiLangDaemon for
 * Kinesis (the default), kcl-ts's DynamoDB Streams bridge for `kcl-ts.source = dynamodb-streams` (the
 * daemon's own configuration and child-process classes on a KCL 3 scheduler from the DynamoDB Streams
 * Kinesis Adapter; maven/streams-bridge). Both read the same file and run the same children.
 */
import { ensureBridgeJar } from './bridge-jar.js';
import { ensureJars, type JarOptions, type JarSet } from './jars.js';
import type { ParsedProperties } from './properties.js';

/** The streams kcl-ts can read. */
export type SourceKind = 'kinesis' | 'dynamodb-streams';
export const SOURCE_KINDS: readonly SourceKind[] = ['kinesis', 'dynamodb-streams'];

/** `kcl-ts.source = kinesis | dynamodb-streams` (default kinesis). */
export const SOURCE_KEY = 'kcl-ts.source';
/** The DynamoDB Streams endpoint for local emulators (else the SDK's regional endpoint). */
export const STREAMS_ENDPOINT_KEY = 'kcl-ts.dynamoDBStreamsEndpoint';
/**
 * The images a DynamoDB Streams consumer needs (a stream view type); `kcl-ts validate --online` checks the
 * stream carries them.
 */
export const STREAM_VIEW_TYPE_KEY = 'kcl-ts.streamViewType';
/** The keys of kcl-ts's own (`kcl-ts.` prefix; the daemon ignores them, the bridge removes them). */
export const KCL_TS_KEYS: readonly string[] = [SOURCE_KEY, STREAMS_ENDPOINT_KEY, STREAM_VIEW_TYPE_KEY];

/** The MultiLangDaemon's main class in amazon-kinesis-client-multilang. */
export const DAEMON_MAIN_CLASS = 'software.amazon.kinesis.multilang.MultiLangDaemon';
/** The bridge's main class (maven/streams-bridge/src). */
export const BRIDGE_MAIN_CLASS = 'dev.kclts.streams.StreamsBridge';

/**
 * The source a file selects: its `kcl-ts.source` trimmed, or kinesis when unset. A value that is not a
 * {@link SourceKind} gives undefined (validation reports it).
 */
export function sourceOf(parsed: ParsedProperties | undefined): SourceKind | undefined {
  const value = parsed?.entries.get(SOURCE_KEY)?.value.trim() ?? '';
  if (value === '') return 'kinesis';
  return SOURCE_KINDS.find((k) => k === value);
}

/** What to start for a source. */
export interface Launch {
  source: SourceKind;
  /** `group:artifact:version` shown at start. */
  artifact: string;
  mainClass: string;
  /** Entries for `java -cp` (the properties file's folder is added by the caller). */
  classpath: string[];
}

/** Jar set per source. */
export function jarSetOf(source: SourceKind): JarSet {
  return source === 'dynamodb-streams' ? 'streams-bridge' : 'kcl-multilang';
}

/**
 * Makes the jars of a source available and verified (installing when needed) and says what to start:
 * for dynamodb-streams the bridge jar (built with Maven when missing or stale) before the locked set.
 */
export async function prepareLaunch(source: SourceKind, opts: JarOptions): Promise<Launch> {
  const jars = await ensureJars(jarSetOf(source), opts);
  if (source === 'kinesis') return { source, artifact: jars.artifact, mainClass: DAEMON_MAIN_CLASS, classpath: jars.classpath };
  const bridge = await ensureBridgeJar(opts);
  return {
    source,
    artifact: `kcl-ts streams bridge (${jars.artifact})`,
    mainClass: BRIDGE_MAIN_CLASS,
    classpath: [bridge.jar, ...jars.classpath],
  };
}
