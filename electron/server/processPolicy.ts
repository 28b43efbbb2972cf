/**
 * What the browser host process does with errors nobody caught. A rejected promise nobody awaited
 * is one failed operation: it is logged and the host keeps serving (trainings keep running). An
 * uncaught exception leaves the process in an unknown state: it is logged and the process exits
 * with `CRASH_EXIT_CODE`, which the `npm start` launcher reports in one line.
 */

/** Exit code of the host after an uncaught exception (EX_SOFTWARE: internal software error). */
export const CRASH_EXIT_CODE = 70;

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

/** Installs the policy on `proc` (default: this process); `log` receives one message per event. */
export function installProcessPolicy(proc: NodeJS.Process = process, log: (line: string) => void = (line) => console.error(line)): void {
  proc.on('unhandledRejection', (reason) => {
    log(`layerloom web: an operation failed and nothing handled it; the host keeps running.\n${describe(reason)}`);
  });
  proc.on('uncaughtException', (error) => {
    log(`layerloom web: internal error; the host stops (exit code ${CRASH_EXIT_CODE}).\n${describe(error)}`);
    proc.exit(CRASH_EXIT_CODE);
  });
}
