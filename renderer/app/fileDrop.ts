/**
 * Dropping a project or a model file onto the window opens it, as Open does (with the unsaved-changes
 * check, and the import report for a model). Drops of palette blocks are the canvas's own.
 */
import { pathOfDroppedFile, errorDetails, errorMessage } from '../platform/api.js';
import { toast } from '../state/uiStore.js';
import { open } from './session.js';

function hasFiles(e: DragEvent): boolean {
  return Boolean(e.dataTransfer?.types.includes('Files'));
}

/** Listens for files dropped anywhere on the window. */
export function installFileDrop(target: Window = window): void {
  target.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    // Without this the browser would navigate to the dropped file.
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  target.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length !== 1) {
      toast('warning', `Drop one file to open it (${files.length} were dropped).`);
      return;
    }
    const [file] = files;
    void pathOfDroppedFile(file).then(
      (path) => open(path),
      (err: unknown) => toast('error', errorMessage(err), errorDetails(err)),
    );
  });
}
