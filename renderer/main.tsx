/**
 * Renderer entry: mounts the app and starts the session (host info, recovery, startup project).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/app.css';
import { App } from './App.js';
import { boot } from './app/session.js';
import { installFileDrop } from './app/fileDrop.js';
import { installTestHook } from './testHook.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void boot();
installFileDrop();

// The test build (vite --mode e2e) adds the handle end-to-end tests and benchmarks drive; in every
// other build the branch is removed at build time and the hook with it (scripts/checkRendererBundle.mjs).
if (import.meta.env.MODE === 'e2e') installTestHook();
