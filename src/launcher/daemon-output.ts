/**
 * The daemon's stdout and stderr as they pass through `kcl-ts run`: each line is shown once, and the
 * launcher remembers why the daemon stopped when nobody asked it to (it exits 0 when it gives up
 * initializing, e.g. without credentials or with DynamoDB out of reach).
 *
 * The daemon relays each stderr line of a shard process twice: as an ERROR log line ("Received error
 * line from subprocess [<line>] for shard <id>") and as the bare line on its own stderr. The pair may
 * arrive on different pipes in either order, so whichever comes first is shown and the other dropped.
 */

/** Why the daemon stopped, for the launcher's last line. */
export interface DaemonStopReason {
  text: string;
  fix?: string;
}

const RELAYED = /Received error line from subprocess \[(.*)\] for shard (\S+)/;
const GAVE_UP = /Unable to initialize after (\d+) attempts/;
const LOG_ERROR = /\bERROR\b.*? - (.+?)\s*$/;
const EXCEPTION_LINE = /^(?:Caused by: )?[\w.$]+(?:Exception|Error|Throwable)(?:: (.*))?$/;
/** Longest reason text kept from a line. */
const MAX_TEXT = 240;
/** Lines remembered for pairing (bounded: the pair of a line comes within a few lines). */
const MAX_PENDING = 512;

/** Causes recognised in the daemon's output, most specific first. */
const CAUSES: { pattern: RegExp; text: (m: RegExpExecArray) => string; fix: string }[] = [
  {
    pattern: /Unable to load credentials from any of the providers in the chain/,
    text: () => 'no AWS credentials: none of the providers in the credentials chain found any',
    fix:
      'give the daemon credentials for its AWSCredentialsProvider (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ' +
      'or a task/instance role); against local emulators any values work; `kcl-ts doctor -p <file>` checks them',
  },
  {
    pattern: /Connection refused:? \/?(?:[\w.-]*\/)?([\w.[\]:-]+:\d+)/,
    text: (m) => `cannot connect to ${m[1]} (connection refused)`,
    fix: 'start the service (for local emulators: `kcl-ts local`, or LocalStack) or correct kinesisEndpoint / dynamoDBEndpoint',
  },
  {
    pattern: /UnknownHostException: ([^\s:]+)|Unable to execute HTTP request: ([^\s:]+): (?:Name or service not known|Temporary failure in name resolution|nodename nor servname)/,
    text: (m) => `unknown host ${m[1] ?? m[2]}`,
    fix: 'check regionName, kinesisEndpoint and dynamoDBEndpoint, and the network',
  },
  {
    pattern: /Failed to get status message for (\w+) action for shard (\S+)/,
    text: (m) => `the shard process for ${m[2]} exited or failed while the daemon waited for its reply to ${m[1]}`,
    fix: 'its own error is in its log and stderr lines above; the daemon ends the whole worker when a shard process fails',
  },
];

function short(text: string): string {
  const t = text.trim();
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
}

/** Adds one to `key` in a bounded counting map (the oldest keys go first). */
function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
  if (map.size > MAX_PENDING) map.delete(map.keys().next().value as string);
}
/** Takes one from `key`; false when it had none. */
function take(map: Map<string, number>, key: string): boolean {
  const n = map.get(key);
  if (!n) return false;
  if (n === 1) map.delete(key);
  else map.set(key, n - 1);
  return true;
}

/** Reads the daemon's output line by line; see the file comment. */
export class DaemonOutput {
  /** Relayed lines shown as log lines, whose bare copy on stderr is still to come. */
  readonly #loggedFirst = new Map<string, number>();
  /** Bare stderr lines shown, whose log line may still come. */
  readonly #bareFirst = new Map<string, number>();
  #gaveUp: string | undefined;
  /** The first exception line after the gave-up line. */
  #gaveUpException: string | undefined;
  #expectException = false;
  #cause: DaemonStopReason | undefined;
  #lastError: string | undefined;

  /** Takes one line of the daemon's `stream`; returns whether to show it. */
  line(stream: 'stdout' | 'stderr', text: string): boolean {
    this.#observe(text);
    const relayed = RELAYED.exec(text);
    if (relayed) {
      if (take(this.#bareFirst, relayed[1]!)) return false;
      bump(this.#loggedFirst, relayed[1]!);
      return true;
    }
    if (stream !== 'stderr') return true;
    if (take(this.#loggedFirst, text)) return false;
    bump(this.#bareFirst, text);
    return true;
  }

  /** Why the daemon stopped, as far as its output tells; undefined when it says nothing. */
  reason(): DaemonStopReason | undefined {
    if (this.#gaveUp) {
      const why = this.#cause?.text ?? this.#gaveUpException;
      return { text: `${this.#gaveUp}${why ? `: ${why}` : ''}`, ...(this.#cause?.fix ? { fix: this.#cause.fix } : {}) };
    }
    if (this.#cause) return this.#cause;
    return this.#lastError ? { text: `its last error: ${this.#lastError}` } : undefined;
  }

  #observe(text: string): void {
    if (this.#expectException && !/^\s/.test(text)) {
      const m = EXCEPTION_LINE.exec(text.trim()) ?? /^[\w.$]+(?:Exception|Error): (.*)$/.exec(text.trim());
      if (m) {
        const msg = m[1] ?? text;
        this.#gaveUpException = short(msg.replace(/^(?:[\w.$]+(?:Exception|Error): )+/, ''));
      }
      this.#expectException = false;
    }
    if (RELAYED.test(text)) return;
    const gaveUp = GAVE_UP.exec(text);
    if (gaveUp) {
      this.#gaveUp = `the daemon gave up initializing after ${gaveUp[1]} attempts`;
      this.#expectException = true;
    }
    for (const cause of CAUSES) {
      const m = cause.pattern.exec(text);
      if (m) {
        this.#cause = { text: cause.text(m), fix: cause.fix };
        break;
      }
    }
    const error = LOG_ERROR.exec(text);
    if (error) this.#lastError = short(error[1]!);
  }
}
