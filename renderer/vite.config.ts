/**
 * Builds the renderer into out/renderer (served by the browser host, loaded by Electron).
 * `base: './'` keeps asset URLs relative so the same build works over http and from a file.
 *
 * `--mode e2e` (npm run build:renderer:e2e) is the test build: it compiles in the `__layerloom`
 * handle that end-to-end tests and benchmarks drive (renderer/testHook.ts) and writes to
 * out/renderer-e2e, so the build users run never carries it.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1');

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: mode === 'e2e' ? '../out/renderer-e2e' : '../out/renderer',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
}));
