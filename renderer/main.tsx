/**
 * Renderer entry: mounts the app and starts the session (host info, recovery, startup project).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/app.css';
import { App } from './App.js';
import { boot, editor } from './app/session.js';
import { runEditorCommand } from './editor/commands.js';
import { runCommand } from './app/appCommands.js';
import { api } from './platform/api.js';
import { useUi } from './state/uiStore.js';
import { canvas } from './canvas/canvasController.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void boot();

/**
 * A handle for end-to-end tests and benchmarks: the same commands the UI runs, plus read access to
 * the document. Not an API: nothing in the app uses it.
 */
(globalThis as Record<string, unknown>).__layerloom = {
  editor,
  run: runEditorCommand,
  command: runCommand,
  api,
  ui: useUi,
  canvas,
};
