/**
 * Reading the project file a command names. A folder or a device (a FIFO would block the read
 * forever) is refused with a message before it is opened.
 */
import { stat } from 'node:fs/promises';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';

/** Loads `file` like loadProjectFile, refusing anything that is not a regular file first. */
export async function loadProjectArg(file: string): Promise<Awaited<ReturnType<typeof loadProjectFile>>> {
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) throw new ProjectFileError(file, ['this is a folder, not a project file: name the .layerloom file inside it.']);
  if (info && !info.isFile()) throw new ProjectFileError(file, ['this is not a regular file (a device, pipe or socket): name a .layerloom file.']);
  return loadProjectFile(file);
}
