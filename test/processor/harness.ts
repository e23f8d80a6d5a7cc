// Runs the same runtime scenario two ways: in-process (FakeDaemon.inProcess, a plain stream) and in a
// child process over a real pipe (FakeDaemon.spawn; run() then reads stdin through the block pool), with
// the same scripted handler (test/fixtures/scenario-options.ts). What to assert on is the same in both:
// the handler's events, the checkpoints, the status counters (the launcher's side channel) and the dead
// letters written to files.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DeadLetter } from '../../src/failure/index.js';
import { HandlerProcessor, resolveHandlerOptions, StatusReporter, type ShardStatus } from '../../src/processor/index.js';
import { FakeDaemon, RecordFactory } from '../../src/testing/index.js';
import type { WireRecord } from '../../src/protocol/index.js';
import { scenarioOptions, scriptData, type RecordScript, type ScenarioEvent, type ScenarioParams } from '../fixtures/scenario-options.js';
import { fixture, sleep, tempDir } from '../helpers.js';

export type Mode = 'in-process' | 'pipe';
/** Both, unless `KCL_TS_TEST_MODES` names some (the mutation runs use `in-process`, see test/mutation/setup.ts). */
export const MODES: readonly Mode[] = process.env.KCL_TS_TEST_MODES ? (process.env.KCL_TS_TEST_MODES.split(',') as Mode[]) : ['in-process', 'pipe'];

/** One scenario run: the fake daemon and what the processor did. */
export interface ScenarioRun {
  readonly mode: Mode;
  readonly daemon: FakeDaemon;
  /** Builds records whose payload is their script (`partitionKey` defaults to `key-0`). */
  records(scripts: (RecordScript & { key?: string })[]): WireRecord[];
  /** The handler's events so far, in order. */
  events(): ScenarioEvent[];
  /** Waits until an event matches (rejects after `timeoutMs`). */
  waitFor(match: (e: ScenarioEvent) => boolean, timeoutMs?: number): Promise<void>;
  /** The status counters the processor reported (what `kcl-ts run` sums up). */
  status(): ShardStatus;
  /** Dead letters written so far. */
  deadLetters(): DeadLetter[];
  /** Closes stdin and resolves with the exit code. */
  close(): Promise<number | null>;
  /** Removes the temporary folder. */
  cleanup(): void;
}

/** Starts `params` in `mode`; call `cleanup()` in a `finally`. */
export function startScenario(mode: Mode, params: ScenarioParams, replyTimeoutMs = 10_000): ScenarioRun {
  const dir = tempDir('kcl-ts-scenario-');
  const dlq = join(dir, 'dlq');
  const statusDir = join(dir, 'status');
  mkdirSync(statusDir);
  const events: ScenarioEvent[] = [];
  let daemon: FakeDaemon;
  let reporter: StatusReporter | undefined;
  if (mode === 'in-process') {
    reporter = new StatusReporter(statusDir);
    const processor = new HandlerProcessor(
      resolveHandlerOptions(scenarioOptions(params, (e) => events.push(e), dlq)),
      pino({ level: 'silent' }),
      process.env,
      reporter,
    );
    daemon = FakeDaemon.inProcess(processor, { replyTimeoutMs });
  } else {
    daemon = FakeDaemon.spawn(process.execPath, [fixture('scenario-handle')], {
      env: {
        ...process.env,
        SCENARIO_PARAMS: JSON.stringify(params),
        SCENARIO_DLQ: dlq,
        KCL_TS_STATUS_DIR: statusDir,
        KCL_TS_LOG_DEST: join(dir, 'child.log'),
        KCL_TS_LOG_LEVEL: 'debug',
      },
      replyTimeoutMs,
    });
  }
  const factory = new RecordFactory();
  const current = (): ScenarioEvent[] => (mode === 'in-process' ? events : daemon.stderrLines.filter((l) => l.startsWith('{"ev"')).map((l) => JSON.parse(l) as ScenarioEvent));
  return {
    mode,
    daemon,
    records: (scripts) => scripts.map(({ key, ...s }) => factory.record({ partitionKey: key ?? 'key-0', data: scriptData(s) })),
    events: current,
    async waitFor(match, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!current().some(match)) {
        if (Date.now() > until) throw new Error(`no matching event within ${timeoutMs} ms; events: ${JSON.stringify(current())}`);
        await sleep(5);
      }
    },
    status() {
      // In-process counters are read live; the child writes its file on updates and when it exits.
      if (reporter) return reporter.status;
      const files = readdirSync(statusDir).filter((f) => f.endsWith('.json'));
      if (files.length !== 1) throw new Error(`expected one status file, found ${files.join(', ')}`);
      return JSON.parse(readFileSync(join(statusDir, files[0]!), 'utf8')) as ShardStatus;
    },
    deadLetters() {
      let files: string[];
      try {
        files = readdirSync(dlq).filter((f) => f.endsWith('.jsonl'));
      } catch {
        return [];
      }
      return files.flatMap((f) =>
        readFileSync(join(dlq, f), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as DeadLetter),
      );
    },
    async close() {
      const code = await daemon.close();
      await sleep(20); // the last stderr lines are read after the exit
      return code;
    },
    cleanup() {
      // run() ignores SIGTERM (the daemon drives shutdown): a child left running after a failed test needs SIGKILL.
      if (mode === 'pipe') (daemon as FakeDaemon & { child: { kill(signal: NodeJS.Signals): void } }).child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
