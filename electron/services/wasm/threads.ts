/**
 * Multi-threaded tfjs `wasm` backend in Node/Electron.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build (`tfjs-backend-wasm-threaded-simd.wasm`,
 * Emscripten pthreads on worker_threads in Node) but never uses it in Node, for three reasons:
 * 1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers `false` whenever `IS_NODE` (tfjs issue #3830);
 * 2. it hands Emscripten the pthread worker script and the main script as `Blob` object URLs,
 *    which Node's `Worker` and the worker's `importScripts` (an `fs.readFileSync`) cannot open;
 * 3. its C++ side caps the thread pool at `emscripten_num_logical_cores() / 2` (a guess for
 *    hyper-threading), and in Node that is `os.cpus().length / 2` — 1 on a 2-core machine.
 *
 * {@link useThreadedWasm} works around all three without touching the package: it instantiates
 * the threaded build itself with real file paths (the worker script, which the package embeds
 * as a string, is written once to the temp folder), reports the logical core count to
 * Emscripten while the module starts, and registers a `wasm` backend made from that module.
 * Two Node details on top: the pthread workers must not inherit this process's execArgv, and
 * XNNPACK's pool threads (parked, never ending) must not keep the process alive.
 * Every wasm kernel (and the training kernels of ../wasmKernels.ts) then runs on it unchanged;
 * XNNPACK spreads convolutions, matmuls and elementwise ops over the thread pool.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';

type TF = typeof tfjs;

/** Emscripten's pre-started worker pool in the 4.22 threaded build: the most threads it can use. */
export const MAX_WASM_THREADS = 8;

/** What {@link useThreadedWasm} did. */
export interface WasmThreadsResult {
  /** Threads the XNNPACK pool got (1 when the threaded build could not be used). */
  readonly threads: number;
  /** The threaded build is the registered `wasm` backend. */
  readonly threaded: boolean;
  /** Why not, when `threaded` is false. */
  readonly reason?: string;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { unusedWorkers: NodeWorker[]; runningWorkers: NodeWorker[] };
}

interface NodeWorker {
  unref?(): void;
}

interface WasmPackage {
  BackendWasm: new (module: EmscriptenModule) => unknown;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

const nodeRequire = createRequire(import.meta.url);
let pending: Promise<WasmThreadsResult> | undefined;

/**
 * Registers the threaded wasm build as the `wasm` backend, with `threads` XNNPACK threads
 * (default: `LAYERLOOM_WASM_THREADS`, else every logical core; at most {@link MAX_WASM_THREADS}). Call before
 * `tf.setBackend('wasm')`; later calls return the first result. Never throws: when the threaded
 * build cannot start (no worker_threads, no SharedArrayBuffer, files missing) the stock
 * single-threaded backend stays registered and `reason` says why.
 */
export function useThreadedWasm(tf: TF, options: { threads?: number; timeoutMs?: number } = {}): Promise<WasmThreadsResult> {
  pending ??= start(tf, options).catch(
    (e: unknown): WasmThreadsResult => ({ threads: 1, threaded: false, reason: e instanceof Error ? e.message : String(e) }),
  );
  return pending;
}

async function start(tf: TF, options: { threads?: number; timeoutMs?: number }): Promise<WasmThreadsResult> {
  const os = nodeRequire('node:os') as typeof import('node:os');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const fromEnv = Number(process.env.LAYERLOOM_WASM_THREADS);
  const asked = options.threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : cores);
  const wanted = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(asked)));
  if (wanted === 1) return { threads: 1, threaded: false, reason: 'One thread was asked for (or one core is available).' };
  if (typeof SharedArrayBuffer === 'undefined') return { threads: 1, threaded: false, reason: 'SharedArrayBuffer is not available.' };
  // (tf.getBackend() would start the best registered backend as a side effect.)
  if ((tf.engine() as unknown as { backendName?: string | null }).backendName === 'wasm') {
    return { threads: 1, threaded: false, reason: 'The wasm backend was already active; call useThreadedWasm before tf.setBackend("wasm").' };
  }

  const pkgDir = path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const outDir = path.join(pkgDir, 'wasm-out');
  const mainScript = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = nodeRequire(mainScript) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const { wasmWorkerContents } = nodeRequire(path.join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const workerFile = writeWorkerScript(os.tmpdir(), wasmWorkerContents);
  const pkg = nodeRequire('@tensorflow/tfjs-backend-wasm') as WasmPackage;

  // Emscripten reads the core count once, while the module starts; report logical cores so the
  // C++ cap (`cores / 2`) does not halve the pool. Restored as soon as the module is up.
  const realCpus = os.cpus;
  os.cpus = () => {
    const list = realCpus();
    return [...list, ...list];
  };
  // Emscripten starts its pthread workers with `new Worker(file)`, which inherits this process's
  // execArgv; flags such as `--input-type` or `--eval` make every worker fail at start. Its
  // workers are plain CommonJS and need none of them. (Emscripten keeps the class it saw.)
  const threadsModule = nodeRequire('node:worker_threads') as { Worker: typeof import('node:worker_threads').Worker };
  const RealWorker = threadsModule.Worker;
  threadsModule.Worker = class PthreadWorker extends RealWorker {
    constructor(file: string | URL, opts: import('node:worker_threads').WorkerOptions = {}) {
      super(file, { ...opts, execArgv: [] });
    }
  };
  let module: EmscriptenModule;
  try {
    module = await withTimeout(
      factory({
        locateFile: (file: string) => (file.endsWith('.worker.js') ? workerFile : path.join(outDir, file)),
        mainScriptUrlOrBlob: mainScript,
      }),
      options.timeoutMs ?? 20_000,
      'The threaded wasm module did not start in time (its worker threads did not load).',
    );
  } finally {
    os.cpus = realCpus;
    threadsModule.Worker = RealWorker;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  pkg.setThreadsCount(wanted);
  try {
    tf.removeBackend('wasm'); // the stock factory, registered when the package was imported
  } catch {
    // not registered: nothing to remove
  }
  tf.registerBackend('wasm', () => new pkg.BackendWasm(module) as tfjs.KernelBackend, 2);
  await tf.setBackend('wasm');
  // XNNPACK's pool threads live for the whole process, parked between ops; Emscripten keeps
  // their workers referenced, which would keep Node from ever exiting on its own.
  const pool = module.PThread;
  if (pool) for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref?.();
  const threads = pkg.getThreadsCount();
  return threads > 1 ? { threads, threaded: true } : { threads, threaded: true, reason: `XNNPACK created a pool of ${threads} thread(s).` };
}

/** The worker script as a real file (the package embeds it as a string for Blob URLs). */
function writeWorkerScript(dir: string, contents: string): string {
  // The package's string holds literal newlines where the script has `\n` escapes; tfjs itself
  // re-escapes them before making its Blob.
  const text = contents.replace(/\n/g, '\\n');
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  const file = path.join(dir, `layerloom-tfjs-wasm-${(hash >>> 0).toString(16)}.worker.cjs`);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref?.();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
