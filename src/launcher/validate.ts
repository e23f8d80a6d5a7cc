/**
 * `kcl-ts validate`: finds the mistakes in a MultiLangDaemon `.properties` file that the daemon itself
 * accepts without a word (unknown keys, values it turns into 0 or false, settings that hang or kill
 * shutdown) or that only fail once it runs. Semantics verified against MultiLangDaemon 3.1.3.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkExecutable } from './check-executable.js';
import { checkFileSinkOnFargate } from './fargate-checks.js';
import { say, type CliIO } from './io.js';
import { ENUM_VALUES, KNOWN_PROPERTIES, NESTED_PREFIXES, type PropertyType } from './known-properties.js';
import { parseProperties, type ParsedProperties, type PropertyEntry } from './properties.js';
import { checkTraps, parseDaemonNumber, type Known } from './validate-traps.js';
import { checkSource, forSource } from './validate-source.js';

/** One finding about a properties file. */
export interface Diagnostic {
  level: 'error' | 'warning' | 'info';
  /** The key as written in the file. */
  key?: string;
  /** 1-based line where the entry starts. */
  line?: number;
  message: string;
  /** What to change. */
  fix?: string;
}

/** What validation needs to know about the place the daemon will run in. */
export interface ValidateContext {
  /** The environment `kcl-ts run` (and so the daemon and its children) gets; `PATH` is searched. */
  env: NodeJS.ProcessEnv;
  /** The daemon's working directory: where `kcl-ts run` is started. Relative paths resolve here. */
  cwd: string;
  /** The directory holding the properties file, for hints. */
  fileDir: string;
  /** Replaces the file-system check of "is this an executable file" (for tests). */
  isExecutable?: (path: string) => boolean;
  /**
   * Report unknown keys as warnings instead of errors (`--allow-unknown-keys`): for a key the daemon
   * reads that kcl-ts does not know yet.
   * @default false
   */
  allowUnknownKeys?: boolean;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off', '0']);
const NUMBER_TYPES = new Set<PropertyType>(['int', 'long', 'Integer', 'Long', 'double']);
/** Keys whose values get their own checks (in check-executable.ts and validate-traps.ts). */
const OWN_CHECKS = new Set(['executableName', 'maxActiveThreads', 'initialPositionInStreamExtended', 'shutdownGraceMillis']);
/** Primitive boolean keys whose default is true (so `false` would matter, but is ignored). */
const DEFAULT_TRUE = new Set(['cleanupLeasesUponShardCompletion']);

/** The daemon's key normalisation: only the `AWSCredentialsProvider` part is case-insensitive. */
function daemonKey(key: string): string {
  return key.toLowerCase().startsWith('awscredentialsprovider') ? key.replace(/awscredentialsprovider/gi, 'awsCredentialsProvider') : key;
}
const KNOWN_BY_DAEMON_KEY = new Map(Object.keys(KNOWN_PROPERTIES).map((k) => [daemonKey(k), k]));

/** Edit distance between two strings (for did-you-mean suggestions). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest known key (case-insensitive distance <= 3), or a nested prefix written in the wrong case. */
export function suggestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  const prefix = NESTED_PREFIXES.find((p) => lower.startsWith(p.toLowerCase()));
  if (prefix) return prefix + key.slice(prefix.length);
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(KNOWN_PROPERTIES)) {
    const distance = levenshtein(lower, name.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** A value as written, and a note when it differs from the trimmed value only by whitespace. */
function whitespaceNote(raw: string, ok: (s: string) => boolean): string {
  return raw !== raw.trim() && ok(raw.trim()) ? ' (it has trailing whitespace, which Java keeps in the value)' : '';
}

function checkValue(name: string, type: PropertyType, entry: PropertyEntry, add: (d: Diagnostic) => void): void {
  const at = { key: entry.key, line: entry.line };
  const shown = `\`${entry.key} = ${entry.value}\``;
  const primitive = type === 'int' || type === 'long' || type === 'double' || type === 'boolean';
  if (NUMBER_TYPES.has(type)) {
    const n = parseDaemonNumber(entry.value, type);
    if (n === undefined) {
      const effect = primitive ? 'the daemon would silently ignore it (it turns it into 0, which it skips)' : 'the daemon would silently use 0 instead';
      add({ level: 'error', ...at, message: `${shown} is not a valid ${type}: ${effect}`, fix: type === 'double' ? 'write a number' : 'write a whole number' });
    } else if (n === 0 && primitive) {
      add({ level: 'warning', ...at, message: `${shown} is ignored: the daemon skips 0 (the Java default) for this key, so the KCL default applies`, fix: 'remove the line or set a value other than 0' });
    }
  } else if (type === 'boolean' || type === 'Boolean') {
    const v = entry.value.toLowerCase();
    if (!TRUE_WORDS.has(v) && !FALSE_WORDS.has(v)) {
      const note = whitespaceNote(v, (s) => TRUE_WORDS.has(s) || FALSE_WORDS.has(s));
      add({ level: 'error', ...at, message: `${shown} is not a boolean${note}: the daemon silently turns it into false`, fix: 'write true or false' });
    } else if (FALSE_WORDS.has(v) && primitive) {
      const effect = DEFAULT_TRUE.has(name) ? `it stays true: ${name} cannot be switched off` : 'it is false by default anyway';
      add({ level: 'warning', ...at, message: `${shown} has no effect: the daemon ignores false for this primitive boolean key, so ${effect}`, fix: 'remove the line' });
    }
  } else if (type === 'enum') {
    const accepted = ENUM_VALUES[name] ?? [];
    const upper = entry.value.toUpperCase();
    if (name === 'initialPositionInStream' && upper.trim() === 'AT_TIMESTAMP') {
      add({ level: 'error', ...at, message: `${shown}: startup fails ("Invalid InitialPosition: AT_TIMESTAMP")`, fix: 'remove it and set `initialPositionInStreamExtended = <epoch seconds>` instead' });
    } else if (!accepted.includes(upper)) {
      const note = whitespaceNote(upper, (s) => accepted.includes(s));
      add({ level: 'error', ...at, message: `${shown} is not accepted${note}: the daemon fails at startup`, fix: `use one of ${accepted.join(', ')} (any case)` });
    }
  }
}

/** Checks parsed properties against what the MultiLangDaemon 3.1.x does with them. */
export function validateProperties(parsed: ParsedProperties, ctx: ValidateContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (d: Diagnostic): void => void out.push(d);
  const known: Known = new Map();
  for (const entry of parsed.entries.values()) {
    const name = KNOWN_BY_DAEMON_KEY.get(daemonKey(entry.key));
    if (name === undefined) {
      // kcl-ts's own keys (kcl-ts.source, ...) are checked by checkSource.
      if (entry.key.startsWith('kcl-ts.') || NESTED_PREFIXES.some((p) => entry.key.startsWith(p))) continue;
      const suggestion = suggestKey(entry.key);
      const allowed = ctx.allowUnknownKeys === true;
      add({
        level: allowed ? 'warning' : 'error',
        key: entry.key,
        line: entry.line,
        message: `unknown key \`${entry.key}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ''}: the daemon silently ignores unknown keys, so this setting would have no effect`,
        fix: `${suggestion ? `rename it to ${suggestion}` : 'remove it'}${allowed ? '' : ', or pass --allow-unknown-keys if the daemon reads a key kcl-ts does not know'}`,
      });
      continue;
    }
    const other = known.get(name);
    if (other) {
      add({ level: 'warning', key: entry.key, line: entry.line, message: `\`${entry.key}\` and \`${other.key}\` (line ${other.line}) set the same property; the daemon applies keys in hash order, so which one wins is unpredictable`, fix: 'keep one of them' });
    }
    known.set(name, entry);
    if (!OWN_CHECKS.has(name)) checkValue(name, KNOWN_PROPERTIES[name]!, entry, add);
  }
  for (const [key, lines] of parsed.duplicates) {
    add({
      level: 'warning',
      key,
      line: lines[lines.length - 1],
      message: `\`${key}\` is defined ${lines.length} times (lines ${lines.join(', ')}): Java keeps the last one; note the daemon applies keys in hash order, not file order`,
      fix: 'keep one definition',
    });
  }
  const source = checkSource(parsed, known, add);
  checkRequired(known, add, source);
  const executable = known.get('executableName');
  if (executable) out.push(...checkExecutable(executable, ctx));
  checkTraps(known, forSource(source, add));
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function checkRequired(known: Known, add: (d: Diagnostic) => void, source: string | undefined): void {
  const blank = (name: string): boolean => (known.get(name)?.value.trim() ?? '') === '';
  const missing = (what: string, effect: string, fix: string): void => add({ level: 'error', key: what, message: `${what} is missing or empty: ${effect}`, fix });
  if (!known.has('executableName')) missing('executableName', 'the daemon refuses to start', 'e.g. `executableName = node /abs/path/consumer.mjs`');
  if (blank('applicationName')) missing('applicationName', 'startup fails ("Application name is required")', 'set `applicationName = <name>`; it also names the lease table');
  // For DynamoDB Streams checkSource reports a missing stream ARN.
  if (source === 'kinesis' && blank('streamName') && blank('streamArn')) missing('streamName', 'startup fails ("Stream name or Stream Arn is required")', 'set `streamName = <stream>` (or `streamArn`)');
  if (blank('AWSCredentialsProvider')) {
    missing('AWSCredentialsProvider', 'startup fails ("A basic set of AWS credentials must be provided")', 'set `AWSCredentialsProvider = DefaultCredentialsProvider`');
  }
}

/** `app.properties:12: error: message (fix: ...)` lines and an `N errors, M warnings` summary. */
export function formatDiagnostics(file: string, diags: readonly Diagnostic[]): string {
  const lines = diags.map((d) => `${file}${d.line === undefined ? '' : `:${d.line}`}: ${d.level}: ${d.message}${d.fix ? ` (fix: ${d.fix})` : ''}`);
  const count = (level: Diagnostic['level']): number => diags.filter((d) => d.level === level).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const infos = count('info');
  lines.push(`${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}${infos > 0 ? `, ${infos} info` : ''}`);
  return lines.join('\n');
}

/** Lines containing bytes above 0x7f: the daemon reads the file as ISO-8859-1, not UTF-8. */
function nonAsciiLines(bytes: Buffer): number[] {
  const lines: number[] = [];
  let line = 1;
  for (const b of bytes) {
    if (b === 0x0a) line++;
    else if (b > 0x7f && lines[lines.length - 1] !== line) lines.push(line);
  }
  return lines;
}

/**
 * Reads and validates a properties file. A file that cannot be read gives one error diagnostic naming
 * the path. `file` resolves against `io.cwd`, which is also taken as the daemon's working directory.
 */
export function loadAndValidate(
  file: string,
  io: CliIO,
  opts: { isExecutable?: (path: string) => boolean; allowUnknownKeys?: boolean } = {},
): { parsed: ParsedProperties | undefined; diagnostics: Diagnostic[] } {
  const path = resolve(io.cwd, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    return { parsed: undefined, diagnostics: [{ level: 'error', message: `cannot read ${path}: ${why}`, fix: 'pass the path of your .properties file with -p' }] };
  }
  // java.util.Properties.load(InputStream), which the daemon uses, decodes ISO-8859-1.
  const parsed = parseProperties(bytes.toString('latin1'));
  const diagnostics = validateProperties(parsed, { env: io.env, cwd: io.cwd, fileDir: dirname(path), isExecutable: opts.isExecutable, allowUnknownKeys: opts.allowUnknownKeys });
  diagnostics.push(...checkFileSinkOnFargate(parsed, io));
  for (const line of nonAsciiLines(bytes)) {
    diagnostics.push({ level: 'warning', line, message: 'non-ASCII characters: the daemon reads .properties files as ISO-8859-1, so UTF-8 text is garbled', fix: 'write them as \\uXXXX escapes' });
  }
  return { parsed, diagnostics: diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

/**
 * `kcl-ts validate -p <file>`: prints the diagnostics; exit code 1 if any is an error, else 0. Unknown
 * keys are errors (as in `kcl-ts run`) unless `allowUnknownKeys`.
 */
export function runValidate(file: string, io: CliIO, opts: { allowUnknownKeys?: boolean } = {}): number {
  const { diagnostics } = loadAndValidate(file, io, opts);
  if (diagnostics.length === 0) say(io, `ok: ${file} is valid`);
  else say(io, formatDiagnostics(file, diagnostics));
  return diagnostics.some((d) => d.level === 'error') ? 1 : 0;
}
