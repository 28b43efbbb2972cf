/**
 * Native open/save/folder dialogs for `pickPath`, as data: which dialog a purpose opens, with which
 * filters and options, and how its answer becomes a path. main.ts passes the options to Electron's
 * `dialog` module; the tests check them here.
 */
import { extname } from 'node:path';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { PickPathRequest } from '../../shared/api/types.js';

/** The project file extension (also the OS file association). */
export const PROJECT_EXTENSION = 'layerloom';

const PROJECT_FILTERS = [
  { name: 'Layerloom project', extensions: [PROJECT_EXTENSION] },
  // Opening a model imports it as a project written beside it (electron/services/import).
  { name: 'Keras or TensorFlow.js model', extensions: ['keras', 'h5', 'hdf5', 'json'] },
  { name: 'All files', extensions: ['*'] },
];

/** The dialog to show for a request. */
export type DialogPlan = { readonly kind: 'open'; readonly options: OpenDialogOptions } | { readonly kind: 'save'; readonly options: SaveDialogOptions };

/** Which dialog `pickPath(request)` shows. `defaultDirectory` is used when the request has no path. */
export function dialogPlan(request: PickPathRequest, platform: string, defaultDirectory: string): DialogPlan {
  const defaultPath = request.defaultPath ?? defaultDirectory;
  switch (request.purpose) {
    case 'openProject':
      return { kind: 'open', options: { title: 'Open project', defaultPath, filters: PROJECT_FILTERS, properties: ['openFile'] } };
    case 'saveProject':
      return {
        kind: 'save',
        options: { title: 'Save project', defaultPath, filters: PROJECT_FILTERS, properties: ['createDirectory', 'showOverwriteConfirmation'] },
      };
    case 'datasetFolder':
      // A dataset is a folder of class folders or a CSV file. Only macOS can offer both in one
      // dialog (elsewhere combining them shows folders only); a CSV path can always be typed.
      return {
        kind: 'open',
        options:
          platform === 'darwin'
            ? { title: 'Choose a dataset folder or CSV file', defaultPath, filters: [{ name: 'Dataset', extensions: ['csv'] }], properties: ['openDirectory', 'openFile'] }
            : { title: 'Choose a dataset folder', defaultPath, properties: ['openDirectory'] },
      };
    case 'pythonInterpreter':
      // A program: no filter (python, python3.11, python.exe), hidden folders shown (a .venv).
      return { kind: 'open', options: { title: 'Choose the Python interpreter', buttonLabel: 'Choose', defaultPath, properties: ['openFile', 'showHiddenFiles'] } };
    case 'exportFolder':
      return { kind: 'open', options: { title: 'Export into folder', buttonLabel: 'Export here', defaultPath, properties: ['openDirectory', 'createDirectory', 'promptToCreate'] } };
  }
}

/** The chosen path, or null when cancelled. A saved project always gets the `.layerloom` extension. */
export function dialogResult(plan: DialogPlan, answer: { canceled: boolean; filePaths?: readonly string[]; filePath?: string }): string | null {
  if (answer.canceled) return null;
  if (plan.kind === 'open') return answer.filePaths?.[0] ?? null;
  const path = answer.filePath;
  if (!path) return null;
  return extname(path).toLowerCase() === `.${PROJECT_EXTENSION}` ? path : `${path}.${PROJECT_EXTENSION}`;
}

/** The native Open… of the File menu (several files open several windows). */
export function openProjectsDialog(defaultDirectory: string): OpenDialogOptions {
  return { title: 'Open project', defaultPath: defaultDirectory, filters: PROJECT_FILTERS, properties: ['openFile', 'multiSelections'] };
}

/** The quit guard's question for a window with unsaved changes. */
export function unsavedChangesPrompt(name: string): { message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number } {
  return {
    message: `Do you want to save the changes you made to "${name}"?`,
    detail: 'Your changes will be lost if you close without saving.',
    buttons: ['Save', "Don't Save", 'Cancel'],
    defaultId: 0,
    cancelId: 2,
  };
}

/** The button the user pressed in {@link unsavedChangesPrompt}. */
export function unsavedChoice(response: number): 'save' | 'discard' | 'cancel' {
  return response === 0 ? 'save' : response === 1 ? 'discard' : 'cancel';
}
