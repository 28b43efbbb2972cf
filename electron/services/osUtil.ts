/**
 * Small operating-system helpers the services share: telling whether a process still runs (for
 * stale temp files, staging folders and run heartbeats) and reading an error's errno code.
 */

/** The errno code of an error (`ENOENT`, `EACCES`, …), if it has one. */
export function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** Whether a process with this id exists on this machine (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}
