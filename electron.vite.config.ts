/**
 * electron-vite: builds the desktop app into out/ — `npm run build` (production), `npm run dev`
 * (renderer with hot reload, main and preload rebuilt on change).
 *
 * - main → out/main/, one file per source module (`preserveModules`), keeping the source layout:
 *   electron/main/main.ts → out/main/electron/main/main.js (package.json `main`), with
 *   electron/server/ (the API dispatcher and adapters it shares with the browser host) and
 *   electron/services/ beside it. Some modules are found by path at run time, not by import: the
 *   main process starts ../services/trainingWorker.js in a utility process, the training service
 *   starts trainingWorker.js beside itself, and the backend service imports wasmKernels.js beside
 *   itself — so every service is an entry and keeps its place. Packages in `dependencies` stay
 *   external and load from node_modules (native ones — tfjs-node, sharp — are unpacked from the
 *   asar by electron-builder). `npm run smoke:main` (test/smoke/mainBundle.ts) loads this output
 *   outside Electron and checks it.
 * - preload → out/preload/preload.cjs (from electron/preload/preload.ts): sandboxed preloads must
 *   be a single CommonJS file.
 * - renderer → out/renderer/, the same build the browser host serves (renderer/vite.config.ts has
 *   the same settings; keep the two in step).
 * - `--mode e2e` (npm run test:e2e:electron) is the test build: the renderer carries the
 *   `__layerloom` test handle and goes to out/renderer-e2e, and the main process is built to load
 *   it from there, so a production build never serves it.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = resolve(decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1'));

/** Every TypeScript module under `dir` (relative to the root), tests and declarations excluded. */
function modulesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  walk(join(root, dir));
  return out;
}

/**
 * `npm run dev` only: the React refresh preamble is an inline script, which the page's CSP meta
 * forbids. Production builds keep the strict policy (and Electron adds it as a header too).
 */
function devCspForHotReload(): Plugin {
  return {
    name: 'layerloom:dev-csp',
    apply: 'serve',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
    },
  };
}

/**
 * electron-vite adds `const require = createRequire(import.meta.url)` to ES modules that mention
 * `require(`; a module that declares its own `require` that way (backendService.ts) would then
 * declare it twice and fail to load. Drop the added line where the module has its own.
 */
function dedupeRequireShim(): Plugin {
  const shim = 'const require = __shims_module__.createRequire(import.meta.url);';
  return {
    name: 'layerloom:dedupe-require-shim',
    apply: 'build',
    enforce: 'post',
    renderChunk(code) {
      if (!code.includes(shim)) return null;
      const rest = code.replace(shim, '');
      return /^\s*(?:const|let|var)\s+require\s*=/m.test(rest) ? { code: rest, map: null } : null;
    },
  };
}

export default defineConfig(({ mode }) => ({
  main: {
    plugins: [dedupeRequireShim()],
    // Fixed at build time (electron/main/main.ts): which renderer build the windows load.
    define: { 'process.env.LAYERLOOM_RENDERER_FOLDER': JSON.stringify(mode === 'e2e' ? 'renderer-e2e' : 'renderer') },
    build: {
      outDir: join(root, 'out', 'main'),
      emptyOutDir: true,
      externalizeDeps: { include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
      sourcemap: true,
      rolldownOptions: {
        input: [
          ...modulesUnder('electron/main'),
          ...modulesUnder('electron/server'),
          ...modulesUnder('electron/services'),
          ...modulesUnder('shared/codegen'),
        ].map((p) => join(root, p)),
        output: {
          format: 'es',
          preserveModules: true,
          preserveModulesRoot: root,
          entryFileNames: '[name].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: join(root, 'out', 'preload'),
      emptyOutDir: true,
      // Bundle everything the preload imports (shared/api): a sandboxed preload cannot load files.
      externalizeDeps: false,
      rolldownOptions: {
        input: { preload: join(root, 'electron', 'preload', 'preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: join(root, 'renderer'),
    base: './',
    plugins: [react(), devCspForHotReload()],
    build: {
      outDir: join(root, 'out', mode === 'e2e' ? 'renderer-e2e' : 'renderer'),
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 8000,
      reportCompressedSize: false,
      rolldownOptions: { input: join(root, 'renderer', 'index.html') },
    },
    worker: { format: 'es' },
    server: { host: '127.0.0.1' },
  },
}));
