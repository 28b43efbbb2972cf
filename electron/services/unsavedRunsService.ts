/**
 * Runs of a project that has never been saved live with its recovery state
 * (`<state>/recovery/<session key>.runs/`), so they survive a crash along with the unsaved work, and
 * move into `runs/` beside the project when it is first saved. A move across disks copies, then
 * deletes the original only once the copy is complete.
 */
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { errnoOf } from './osUtil.js';
import { readRun, writeJson } from './runsService.js';

/** Where the runs of an unsaved editor session are kept. */
export function unsavedRunsDir(stateDir: string, sessionKey: string): string {
  return join(stateDir, 'recovery', `${sessionKey}.runs`);
}

/** A free folder name under `runsDir` for `name` (`name`, `name-2`, …). */
async function freeTarget(runsDir: string, name: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = join(runsDir, n === 1 ? name : `${name}-${n}`);
    if (!(await stat(candidate).then(() => true, () => false))) return candidate;
  }
}

/** Moves a folder; across file systems (EXDEV) it copies and then deletes the original. */
async function moveFolder(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if (errnoOf(e) !== 'EXDEV') throw e;
    await cp(from, to, { recursive: true, errorOnExist: true, force: false });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Moves every finished run of an unsaved session into `runs/` beside the newly saved project and
 * records the project file in each run. Runs still training stay where they are (their process
 * writes there) and are reported.
 */
export async function adoptUnsavedRuns(fromDir: string, projectPath: string): Promise<{ moved: string[]; left: string[] }> {
  const names = await readdir(fromDir).catch(() => [] as string[]);
  const runsDir = join(dirname(resolve(projectPath)), 'runs');
  const moved: string[] = [];
  const left: string[] = [];
  for (const name of names.sort()) {
    const dir = join(fromDir, name);
    const run = await readRun(dir);
    if (!run) continue;
    if (run.status === 'running') {
      left.push(run.id);
      continue;
    }
    await mkdir(runsDir, { recursive: true });
    const target = await freeTarget(runsDir, name);
    await moveFolder(dir, target);
    const stored = JSON.parse(await readFile(join(target, 'run.json'), 'utf8')) as Record<string, unknown>;
    await writeJson(join(target, 'run.json'), { ...stored, projectFile: resolve(projectPath) });
    moved.push(run.id);
  }
  if (moved.length && !left.length) await rm(fromDir, { recursive: true, force: true }).catch(() => undefined);
  return { moved, left };
}
