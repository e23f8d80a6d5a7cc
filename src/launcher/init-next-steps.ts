/**
 * The "next:" lines `kcl-ts init` prints. They must work when typed (or pasted) exactly as printed in a new
 * project: `npx kcl-ts` (a project install is not on PATH), an install line for whatever is missing, and
 * for `--local` one command that runs the app of the generated properties on the local stack (its stream,
 * its tables, fake credentials). test/e2e/init-steps.test.ts runs them.
 */
import { createRequire } from 'node:module';

/**
 * The fake credentials of the local stack (the same as `LOCAL_AWS_ENV` in src/local/stack.ts, which the
 * launcher may not import; a test keeps them equal).
 */
export const LOCAL_CREDENTIALS_EXPORT = 'export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true';

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

function resolves(from: string, name: string): boolean {
  try {
    createRequire(from).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Packages to install before the steps work: `kcl-ts` when the consumer cannot import it. (The emulators
 * need no step: `kcl-ts local` installs its pinned set into the kcl-ts cache on first use.)
 */
export function missingPackages(consumer: string): string[] {
  return resolves(consumer, 'kcl-ts') ? [] : ['kcl-ts'];
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
