/**
 * The preload: exposes exactly the typed API contract (shared/api/contract.ts) as
 * `window.layerloom`, plus `window.layerloomFiles.pathForFile` (a dropped file's path), and nothing
 * else — no `ipcRenderer`, no Node, no Electron objects. It runs
 * sandboxed and context-isolated, so it is bundled as CommonJS with everything it imports.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createApiFacade } from '../../shared/api/facade.js';
import { createIpcTransport } from './bridgeTransport.js';

const transport = createIpcTransport(ipcRenderer, (message, error) => console.error(`${message}:`, error));

contextBridge.exposeInMainWorld('layerloom', createApiFacade(transport));

// A file dropped on the window: its path, which the page then opens through the validated
// openProject call (the main process checks it like any typed path). Only File objects have one.
contextBridge.exposeInMainWorld('layerloomFiles', {
  pathForFile: (file: unknown): string => (file instanceof File ? webUtils.getPathForFile(file) : ''),
});
