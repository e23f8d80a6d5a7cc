/**
 * Checks `executableName` the way the daemon will use it: split on spaces (no shell), the first word run
 * through `ProcessBuilder` from the daemon's working directory, and, for `node`, the script it is given.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { LauncherError, LauncherErrorCode } from './errors.js';
import { levenshtein, type Diagnostic, type ValidateContext } from './validate.js';
import { isExecutableFile } from './java.js';
import { splitExecutableName, type PropertyEntry } from './properties.js';

const SCRIPT_EXTENSION = /\.(?:m|c)?(?:js|ts)$/;
/** Node options whose value is the next argument (a module specifier, not the script). */
const NODE_OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader']);
const NO_SCRIPT_OPTIONS = new Set(['-e', '--eval', '-p', '--print']);

export { isExecutableFile };

function shellTraps(value: string): string[] {
  const found: string[] = [];
  if (/["']/.test(value)) found.push('quotes');
  if (value.includes('$')) found.push('`$`');
  if (/\||>|<|&&|;|`/.test(value)) found.push('pipes, redirections or `&&`/`;`');
  return found;
}

/** Where the program would be found, or a diagnostic saying why not. */
function findProgram(program: string, entry: PropertyEntry, ctx: ValidateContext, isExec: (p: string) => boolean): Diagnostic | undefined {
  const at = { key: entry.key, line: entry.line };
  if (isAbsolute(program) || program.includes('/')) {
    const full = resolve(ctx.cwd, program);
    const relative = isAbsolute(program) ? '' : ` (relative paths resolve against the daemon's working directory, ${ctx.cwd}, where \`kcl-ts run\` is started)`;
    if (!existsSync(full)) {
      const fix = isAbsolute(program)
        ? `correct the path, or install the program at ${full} (validate on the machine, or in the image, that runs the daemon)`
        : 'use an absolute path to the program';
      return { level: 'error', ...at, message: `executableName: program \`${program}\` not found at ${full}${relative}`, fix };
    }
    if (!isExec(full)) {
      return { level: 'error', ...at, message: `executableName: \`${full}\` is not an executable file`, fix: `chmod +x ${full}, or name its interpreter first (e.g. \`node ${program}\`)` };
    }
    return undefined;
  }
  const dirs = (ctx.env.PATH ?? '').split(delimiter).map((d) => resolve(ctx.cwd, d || '.'));
  if (ctx.env.PATH && dirs.some((d) => isExec(join(d, program)))) return undefined;
  const searched = ctx.env.PATH ? `searched PATH: ${dirs.join(delimiter)}` : 'PATH is not set';
  return {
    level: 'error',
    ...at,
    message: `executableName: program \`${program}\` not found (${searched})`,
    fix: `install it or add its directory to the PATH \`kcl-ts run\` is started with, or give its absolute path (e.g. \`executableName = /usr/bin/${program} ...\`)`,
  };
}

/** The first argument that names node's script, if any (skipping options and their values). */
function nodeScript(args: readonly string[]): { script: string; index: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (NO_SCRIPT_OPTIONS.has(arg)) return undefined;
    if (NODE_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-') && SCRIPT_EXTENSION.test(arg)) return { script: arg, index: i };
  }
  return undefined;
}

function checkNodeScript(parts: readonly string[], entry: PropertyEntry, ctx: ValidateContext): Diagnostic | undefined {
  const found = nodeScript(parts.slice(1));
  if (!found || existsSync(resolve(ctx.cwd, found.script))) return undefined;
  const full = resolve(ctx.cwd, found.script);
  let fix = isAbsolute(found.script)
    ? 'build the consumer or correct the path (validate on the machine, or in the image, that runs the daemon)'
    : `use an absolute path (e.g. \`node ${resolve(ctx.fileDir, found.script)}\`), or start \`kcl-ts run\` in the directory the path is relative to`;
  const end = found.index + 2;
  const spaced = parts.slice(1, end - 1).some((_, i) => existsSync(resolve(ctx.cwd, parts.slice(i + 1, end).join(' '))));
  if (spaced) {
    fix = `the path contains a space and the daemon splits executableName on spaces: move the script to a path without spaces`;
  } else if (!isAbsolute(found.script) && existsSync(resolve(ctx.fileDir, found.script))) {
    fix = `it exists relative to the properties file: start \`kcl-ts run\` in ${ctx.fileDir}, or use the absolute path ${resolve(ctx.fileDir, found.script)}`;
  }
  return {
    level: 'error',
    key: entry.key,
    line: entry.line,
    message: isAbsolute(found.script)
      ? `executableName: script \`${found.script}\` not found`
      : `executableName: script \`${found.script}\` not found at ${full}; node resolves it against the daemon's working directory, which is the directory \`kcl-ts run\` is started in (${ctx.cwd})`,
    fix,
  };
}

/** All diagnostics for the `executableName` entry. */
export function checkExecutable(entry: PropertyEntry, ctx: ValidateContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = { key: entry.key, line: entry.line };
  const parts = splitExecutableName(entry.value);
  const program = parts[0];
  if (program === undefined || program === '') {
    const what = parts.length > 1 ? 'starts with an (escaped) space, so the program name is empty' : 'is empty';
    return [{ level: 'error', ...at, message: `executableName ${what}: the daemon cannot start the record processor`, fix: 'e.g. `executableName = node /abs/path/consumer.mjs`' }];
  }
  if (entry.value.includes('\t')) {
    out.push({ level: 'warning', ...at, message: 'executableName contains a tab: the daemon splits on spaces only, so the tab stays inside an argument', fix: 'separate the words with spaces' });
  }
  const traps = shellTraps(entry.value);
  if (traps.length > 0) {
    out.push({
      level: 'warning',
      ...at,
      message: `executableName contains ${traps.join(', ')}: the daemon runs the program directly, without a shell, so these are passed literally`,
      fix: 'put shell logic in a script and name that script (with an absolute path)',
    });
  }
  const problem = findProgram(program, entry, ctx, ctx.isExecutable ?? isExecutableFile);
  if (problem) out.push(problem);
  if (/^node(?:js)?(?:\.exe)?$/i.test(basename(program))) {
    const script = checkNodeScript(parts, entry, ctx);
    if (script) out.push(script);
  }
  return out;
}

/** The name in `dir` closest to `name` (edit distance <= 3), if any. */
function nearName(dir: string, name: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  let best: { name: string; distance: number } | undefined;
  for (const entry of entries) {
    const distance = levenshtein(name.toLowerCase(), entry.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { name: entry, distance };
  }
  return best?.name;
}

/**
 * Checks a consumer script given on the command line (`kcl-ts local --consumer FILE`) before anything
 * starts, so that the error names the user's own path (not a generated properties file). Returns its
 * absolute path; throws `KCLTS_ERR_LAUNCHER_CONSUMER_NOT_FOUND` with a did-you-mean from its folder.
 */
export function checkConsumerFile(file: string, cwd: string, flag = '--consumer'): string {
  const full = resolve(cwd, file);
  let isFile = false;
  try {
    isFile = statSync(full).isFile();
  } catch {
    const near = nearName(dirname(full), basename(full));
    const hint = near ? ` Did you mean ${join(dirname(file), near)}?` : ` Give the path of your consumer script (relative paths resolve against ${cwd}).`;
    throw new LauncherError(LauncherErrorCode.CONSUMER_NOT_FOUND, `${flag} ${file}: no such file (looked for ${full}).${hint}`);
  }
  if (!isFile) throw new LauncherError(LauncherErrorCode.CONSUMER_NOT_FOUND, `${flag} ${file}: ${full} is not a file; give the path of your consumer script`);
  return full;
}
