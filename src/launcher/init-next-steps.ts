/**
 * The "next:" lines `kcl-ts init` prints. They must work when typed (or pasted) exactly as printed in a new
 * project: `npx kcl-ts` (a project install is not on PATH), an install line for whatever is missing, and
 * for `--local` one command that runs the app of the generated properties on the local stack (its stream,
 * its tables, fake credentials). test/e2e/init-steps.test.ts runs them.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * The fake credentials of the local stack (the same as `LOCAL_AWS_ENV` in src/local/stack.ts, which the
 * launcher may not import; a test keeps them equal).
 */
export const LOCAL_CREDENTIALS_EXPORT = 'export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true';

/** The npm packages `kcl-ts local` starts as emulators. */
export const EMULATOR_PACKAGES = ['kinesis-local', 'dynalite'] as const;

/** What the next steps depend on. */
export interface NextStepsInput {
  /** The consumer script written (absolute). */
  consumer: string;
  /** The properties file as the user should type it (relative to the current folder when inside it). */
  properties: string;
  /** Where `npm install` must run, when not the current folder (the consumer's folder is outside it). */
  installPrefix?: string;
  stream: string;
  local: boolean;
  /** Records the first local run puts. @default 100 */
  records?: number;
}

function resolvesFrom(from: string, name: string): string | undefined {
  try {
    return createRequire(from).resolve(`${name}/package.json`);
  } catch {
    return undefined;
  }
}

/**
 * Packages to install before the steps work: `kcl-ts` when the consumer cannot import it, and with
 * `local` the emulators when the kcl-ts it will use cannot load them.
 */
export function missingPackages(consumer: string, local: boolean): string[] {
  const kclTs = resolvesFrom(consumer, 'kcl-ts');
  const missing = kclTs ? [] : ['kcl-ts'];
  if (!local) return missing;
  // Resolve as the installed kcl-ts will (from its real path); without one, as a fresh install of this
  // version would: only its own dependencies come along.
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const bundled = (name: string) => Boolean(pkg.dependencies?.[name] ?? pkg.optionalDependencies?.[name]);
  for (const name of EMULATOR_PACKAGES) {
    const present = kclTs ? resolvesFrom(realpathSync(kclTs), name) !== undefined : bundled(name);
    if (!present) missing.push(name);
  }
  return missing;
}

/** The lines after `next:` (commands indented by two spaces, with `#` comments a shell ignores). */
export function nextSteps(input: NextStepsInput, missing: readonly string[]): string[] {
  const p = input.properties;
  const lines: string[] = [];
  if (missing.length > 0) lines.push(`  npm install${input.installPrefix ? ` --prefix ${input.installPrefix}` : ''} ${missing.join(' ')}`);
  lines.push(`  npx kcl-ts validate -p ${p}`);
  if (!input.local) {
    lines.push(`  npx kcl-ts run -p ${p}`);
    return lines;
  }
  const n = input.records ?? 100;
  lines.push(
    `  npx kcl-ts local -p ${p} --records ${n}   # emulators + stream ${input.stream} + tables + your consumer; puts ${n} records, stops once all are checkpointed`,
    `  npx kcl-ts local -p ${p}   # the same, producing until Ctrl-C`,
    'with emulators you run yourself on those endpoints (stream created), the daemon alone:',
    `  ${LOCAL_CREDENTIALS_EXPORT}`,
    `  npx kcl-ts tables create -p ${p}`,
    `  npx kcl-ts run -p ${p}`,
  );
  return lines;
}
