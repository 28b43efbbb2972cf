/**
 * A handle for end-to-end tests and benchmarks on `globalThis.__layerloom`: the same commands the
 * UI runs, plus read access to the document. Not an API: nothing in the app uses it, and only the
 * test build (`vite --mode e2e`, npm run build:renderer:e2e) includes this module.
 */
import { editor } from './app/session.js';
import { runEditorCommand } from './editor/commands.js';
import { runCommand } from './app/appCommands.js';
import { api } from './platform/api.js';
import { useUi } from './state/uiStore.js';
import { canvas } from './canvas/canvasController.js';

export function installTestHook(): void {
  (globalThis as Record<string, unknown>).__layerloom = {
    editor,
    run: runEditorCommand,
    command: runCommand,
    api,
    ui: useUi,
    canvas,
  };
}
