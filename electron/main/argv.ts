/**
 * Project files named on a command line: the first launch (`Layerloom proj.layerloom`, or the OS
 * opening a double-clicked file on Windows and Linux) and every later launch, which the single
 * running instance receives through `second-instance`.
 */
import { isAbsolute, resolve } from 'node:path';
import { PROJECT_EXTENSION } from './dialogs.js';

/**
 * The `.layerloom` paths in `argv`, absolute (relative ones resolve against `cwd`, the directory
 * the launch happened in). Options (`--flag`, `-x`) and everything else are skipped, so Chromium
 * switches and the app's own path never count as projects.
 */
export function projectPathsFromArgv(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    if (!arg.toLowerCase().endsWith(`.${PROJECT_EXTENSION}`)) continue;
    const p = isAbsolute(arg) ? arg : resolve(cwd, arg);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}
