/**
 * The backend doctor: picks the best TensorFlow.js backend that works on this machine, loads it,
 * and says why each better one was not used.
 *
 * Order: `@tensorflow/tfjs-node-gpu` → `@tensorflow/tfjs-node` → wasm → pure-JS cpu (see
 * BACKEND_ORDER). The native packages are probed in a child process first: a broken addon
 * (missing CUDA library, TensorFlow moved, ABI mismatch) can crash or half-initialise the process
 * that loads it, and a failed `require` still registers its kernels on the shared tfjs engine.
 * Only a package whose probe passed is loaded here.
 *
 * Every backend registers itself on the one `@tensorflow/tfjs` module instance all Layerloom code
 * imports; the namespace returned is that instance, so `tf.getBackend()` agrees everywhere.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendAttempt, BackendDevice, BackendId, BackendReport, WasmKernelInfo } from '../../shared/api/backend.js';
import type { BackendStatus } from '../../shared/api/types.js';
import type { TF } from '../../shared/compile/tfTypes.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';

// createRequire: the native packages are CommonJS, and require() shares Node's module cache with
// `import('@tensorflow/tfjs')`, so both see the same tfjs instance.
const require = createRequire(import.meta.url);

/** Every backend, best first, once the wasm training kernels exist (electron/services/wasmKernels.ts). */
export const BACKEND_ORDER: readonly BackendId[] = ['native-gpu', 'native', 'wasm', 'cpu'];

/**
 * The order while electron/services/wasmKernels.ts is absent: stock wasm cannot train convolutions
 * or embeddings (no Conv2DBackpropFilter, UnsortedSegmentSum, depthwise gradients), so the complete
 * but slow pure-JS cpu backend comes first and wasm is only used when asked for.
 */
export const BACKEND_ORDER_WITHOUT_WASM_KERNELS: readonly BackendId[] = ['native-gpu', 'native', 'cpu', 'wasm'];

/** The npm package behind each backend. */
export const BACKEND_PACKAGES: Readonly<Record<BackendId, string>> = {
  'native-gpu': '@tensorflow/tfjs-node-gpu',
  native: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs',
};

/** tfjs's name for each backend (`tf.getBackend()`). */
const TFJS_NAMES: Readonly<Record<BackendId, string>> = { 'native-gpu': 'tensorflow', native: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const ALL_IDS = new Set<string>(BACKEND_ORDER);

/** Options of loadBestBackend / detectBestBackend. */
export interface LoadBackendOptions {
  /**
   * Force one backend (no fallback: failure throws BackendUnavailableError), or `auto`.
   * Default: env `LAYERLOOM_BACKEND`, else `auto`.
   */
  readonly backend?: BackendId | 'auto';
  /** Override the order tried in `auto` mode (default: BACKEND_ORDER or BACKEND_ORDER_WITHOUT_WASM_KERNELS). */
  readonly order?: readonly BackendId[];
  /** Run the native child-process checks again instead of reusing this process's earlier results. */
  readonly refresh?: boolean;
  /**
   * Hide TensorFlow's INFO log lines (oneDNN notice, CPU feature guard) by setting
   * TF_CPP_MIN_LOG_LEVEL=1 when it is unset. Default true.
   */
  readonly quietTensorFlow?: boolean;
}

/** A loaded backend: the shared tfjs namespace, switched to the chosen backend, and the report. */
export interface LoadedBackend {
  readonly tf: TF;
  readonly report: BackendReport;
}

/** The forced backend (or every backend) could not be loaded; `attempts` says why. */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly attempts: readonly BackendAttempt[],
  ) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

// ------------------------------------------------------------------------------------------------
// wasm training kernels (optional module)

type RegisterWasmKernels = (tf: TF) => WasmKernelInfo;

const WASM_KERNELS_URL = new URL('./wasmKernels.js', import.meta.url);

/** True when electron/services/wasmKernels.(ts|js) is part of this build. */
export function wasmKernelsAvailable(): boolean {
  const path = fileURLToPath(WASM_KERNELS_URL);
  return existsSync(path) || existsSync(path.replace(/\.js$/, '.ts'));
}

async function loadWasmKernels(): Promise<RegisterWasmKernels | null> {
  if (!wasmKernelsAvailable()) return null;
  // layering-allow: Layerloom's own wasm kernels beside this file, probed by URL (may be absent when type-checked).
  const mod = (await import(WASM_KERNELS_URL.href)) as Record<string, unknown>;
  const register = mod.registerWasmTrainingKernels;
  if (typeof register !== 'function') {
    throw new Error('electron/services/wasmKernels.ts does not export registerWasmTrainingKernels(tf).');
  }
  return register as RegisterWasmKernels;
}

/**
 * Starts the multi-threaded wasm build when the kernels module offers it (it must run before the
 * wasm backend starts); returns a note for the doctor, or null.
 */
async function startWasmThreads(tf: TF): Promise<string | null> {
  if (!wasmKernelsAvailable()) return null;
  // layering-allow: the same wasm kernels module, by URL.
  const mod = (await import(WASM_KERNELS_URL.href)) as Record<string, unknown>;
  if (typeof mod.useThreadedWasm !== 'function') return null;
  const r = await (mod.useThreadedWasm as (tf: TF) => Promise<{ threads: number; reason?: string }>)(tf);
  return r.threads > 1 ? `${r.threads} threads` : `1 thread${r.reason ? ` (${r.reason})` : ''}`;
}

/** The default order for `auto`, depending on whether the wasm training kernels exist. */
export function defaultBackendOrder(): readonly BackendId[] {
  return wasmKernelsAvailable() ? BACKEND_ORDER : BACKEND_ORDER_WITHOUT_WASM_KERNELS;
}

// ------------------------------------------------------------------------------------------------
// Native packages: located, then probed in a child process

/** What a child process found when it loaded a native package. */
export interface NativeProbe {
  readonly pkg: string;
  readonly dir: string | null;
  readonly loaded: boolean;
  readonly gpu: boolean;
  readonly tfVersion: string | null;
  readonly error: string | null;
  /** The child's stderr (TensorFlow logs CUDA library problems there). */
  readonly log: string;
  /** Set by `npm run native:link`; null for the stock download. */
  readonly linkedTo: string | null;
}

function packageDir(pkg: string): string | null {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

function packageVersion(dir: string | null): string | null {
  if (!dir) return null;
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function linkedTo(dir: string): string | null {
  try {
    const marker = JSON.parse(readFileSync(join(dir, 'deps', 'layerloom-native-link.json'), 'utf8')) as { tfDir?: string };
    return marker.tfDir ?? null;
  } catch {
    return null;
  }
}

function addonBuilt(dir: string): boolean {
  try {
    return readdirSync(join(dir, 'lib')).some((d) => existsSync(join(dir, 'lib', d, 'tfjs_binding.node')));
  } catch {
    return false;
  }
}

// Runs in the child: CommonJS, plain Node (or Electron with ELECTRON_RUN_AS_NODE).
const PROBE_SCRIPT = `
(async () => {
  const out = { loaded: false, gpu: false, tfVersion: null, error: null };
  try {
    const tf = require(process.argv[1]);
    await tf.ready();
    const b = tf.backend();
    out.loaded = tf.getBackend() === 'tensorflow';
    if (!out.loaded) out.error = 'backend is ' + tf.getBackend() + ', not tensorflow';
    out.gpu = Boolean(b.isUsingGpuDevice);
    out.tfVersion = (b.binding && b.binding.TF_Version) || null;
  } catch (e) {
    out.error = String((e && e.message) || e);
  }
  process.stdout.write('\\n@@' + JSON.stringify(out) + '\\n');
})();`;

const probeCache = new Map<string, Promise<NativeProbe>>();

function probeNative(pkg: string, refresh: boolean): Promise<NativeProbe> {
  const cached = probeCache.get(pkg);
  if (cached && !refresh) return cached;
  const p = runProbe(pkg);
  probeCache.set(pkg, p);
  return p;
}

async function runProbe(pkg: string): Promise<NativeProbe> {
  const dir = packageDir(pkg);
  const base = { pkg, dir, loaded: false, gpu: false, tfVersion: null, log: '', linkedTo: dir ? linkedTo(dir) : null };
  if (!dir) return { ...base, error: 'not installed' };
  if (!addonBuilt(dir)) return { ...base, error: 'addon not built' };
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      ['-e', PROBE_SCRIPT, dir],
      // Log level 0: TensorFlow names each CUDA library it could not open (warnings and info).
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', TF_CPP_MIN_LOG_LEVEL: '0' }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('@@'));
        if (line) {
          const r = JSON.parse(line.slice(2)) as { loaded: boolean; gpu: boolean; tfVersion: string | null; error: string | null };
          resolvePromise({ ...base, ...r, log: stderr });
          return;
        }
        const e = err as (NodeJS.ErrnoException & { signal?: string; killed?: boolean }) | null;
        const how = e?.killed ? 'timed out after 120 s' : e?.signal ? `crashed (${e.signal})` : `exited with code ${String(e?.code ?? '?')}`;
        resolvePromise({ ...base, log: stderr, error: `the check process ${how}: ${lastLines(stderr, 3) || 'no output'}` });
      },
    );
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

const CUDA_LIB = /lib(?:cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn\w*|nvrtc|nccl|nvinfer\w*|nvJitLink|cupti)\.so(?:\.[\d.]+)?/;

/**
 * A person-readable reason for a native package that did not give a working backend
 * (exported for tests: real CUDA failures cannot be produced on a machine without a GPU).
 */
export function nativeReason(id: BackendId, probe: NativeProbe): string {
  const pkg = probe.pkg;
  const gpuFlag = id === 'native-gpu' ? ' -- --gpu' : '';
  const relink = `npm run native:link${id === 'native-gpu' ? ' -- --gpu --force' : ' -- --force'}`;
  if (probe.error === 'not installed') {
    return id === 'native-gpu'
      ? `${pkg} not installed (its own install downloads libtensorflow 2.9.1 for CUDA 11.2 and fails offline). For an NVIDIA GPU: pip install "tensorflow[and-cuda]", then npm run native:link -- --gpu`
      : `${pkg} not installed (its own install downloads libtensorflow and fails offline): pip install tensorflow-cpu==2.21.0, then npm run native:link`;
  }
  if (probe.error === 'addon not built' || /tfjs_binding\.node\)? can ?not be found/.test(probe.error ?? '')) {
    return `${pkg} is installed but its native addon is not built: run npm run native:link${gpuFlag}`;
  }
  const text = `${probe.error ?? ''}\n${probe.log}`;
  if (probe.loaded && id === 'native-gpu' && !probe.gpu) {
    return `${pkg} loaded, but TensorFlow found no usable GPU: ${gpuProblem(probe)}`;
  }
  const missing = text.match(/(lib[\w+.-]*?\.so(?:\.\d+)*)\s*:\s*cannot open shared object file/);
  if (missing) {
    const lib = missing[1];
    if (lib.startsWith('libcuda.so')) return `${lib} missing: no NVIDIA driver is installed (the driver provides it)`;
    if (CUDA_LIB.test(lib)) return `${lib} missing: ${cudaAdvice(probe)}`;
    if (lib.startsWith('libtensorflow')) {
      return probe.linkedTo
        ? `${lib} missing: the TensorFlow the addon was linked against (${probe.linkedTo}) is gone; reinstall it, or run ${relink} against another one`
        : `${lib} missing from ${pkg}/deps/lib: run ${relink}`;
    }
    return `${lib} missing (needed by the ${pkg} addon): install it with the system package manager`;
  }
  const glibc = text.match(/version [`'"]?((?:GLIBC|GLIBCXX|CXXABI)_[\d.]+)[`'"]? not found/);
  if (glibc) return `the system C/C++ runtime is older than the ${pkg} addon needs (${glibc[1]}): rebuild it here with ${relink}`;
  if (/undefined symbol/.test(text)) {
    const sym = text.match(/undefined symbol:\s*(\S+)/)?.[1] ?? '';
    return `the ${pkg} addon does not match its TensorFlow library (undefined symbol ${sym}): rebuild it with ${relink}`;
  }
  if (/the check process crashed/.test(probe.error ?? '')) {
    return `loading ${pkg} ${probe.error?.replace('the check process ', '')}: rebuild the addon with ${relink}`;
  }
  return `${pkg} failed to load: ${(probe.error ?? 'unknown error').split('\n')[0]}`;
}

function cudaAdvice(probe: NativeProbe): string {
  return probe.linkedTo
    ? `the TensorFlow at ${probe.linkedTo} needs its CUDA libraries: pip install "tensorflow[and-cuda]" into the same Python (they load from its nvidia/ packages), or put them on LD_LIBRARY_PATH`
    : 'tfjs-node-gpu 4.22 needs CUDA 11.2 + cuDNN 8.1; or run npm run native:link -- --gpu against a CUDA 12 tensorflow wheel';
}

/** Why a GPU package ran on the CPU, from TensorFlow's log lines. */
function gpuProblem(probe: NativeProbe): string {
  // Only failure lines: at log level 0 TensorFlow also names every library it did open.
  const failed = probe.log.match(new RegExp(`Could not load dynamic library '(${CUDA_LIB.source})'|(${CUDA_LIB.source}): cannot open shared object file`));
  const lib = failed?.[1] ?? failed?.[2];
  if (lib) return `${lib} missing: ${cudaAdvice(probe)}`;
  if (/libcuda\.so|cuda drivers|CUDA_ERROR_NO_DEVICE|no CUDA-capable device/i.test(probe.log)) {
    return 'no NVIDIA driver or CUDA device found (nvidia-smi should list the GPU)';
  }
  return 'TensorFlow saw no CUDA device (is this a CUDA build of TensorFlow, and does nvidia-smi list the GPU?)';
}

// ------------------------------------------------------------------------------------------------
// Devices

function cpuDevice(): BackendDevice {
  const list = cpus();
  return { kind: 'CPU', name: list[0]?.model.trim() || null, memoryMiB: Math.round(totalmem() / 1024 / 1024), cores: list.length };
}

/** The first NVIDIA GPU as nvidia-smi reports it, or null. */
function nvidiaGpu(): Promise<BackendDevice | null> {
  return new Promise((resolvePromise) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'],
      { timeout: 10_000, encoding: 'utf8' },
      (err, stdout) => {
        const first = err ? null : stdout.trim().split('\n')[0];
        if (!first) return resolvePromise(null);
        const [name, mem, driver] = first.split(',').map((s) => s.trim());
        const memoryMiB = Number(mem);
        resolvePromise({ kind: 'GPU', name: name || null, memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : null, driver: driver || undefined });
      },
    );
  });
}

async function nativeDevice(gpu: boolean): Promise<BackendDevice> {
  if (!gpu) return cpuDevice();
  return (await nvidiaGpu()) ?? { kind: 'GPU', name: null, memoryMiB: null };
}

// ------------------------------------------------------------------------------------------------
// Choosing

function requestedBackend(opts: LoadBackendOptions): BackendId | 'auto' {
  const raw = opts.backend ?? process.env.LAYERLOOM_BACKEND ?? 'auto';
  if (raw === 'auto' || ALL_IDS.has(raw)) return raw as BackendId | 'auto';
  throw new BackendUnavailableError(`Unknown backend "${raw}"${opts.backend ? '' : ' (from LAYERLOOM_BACKEND)'}: use auto, native-gpu, native, wasm or cpu.`, []);
}

let nativeLoadedHere: string | null = null;

async function tfjs(): Promise<TF> {
  return await import('@tensorflow/tfjs');
}

async function switchTo(tf: TF, name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend is ${tf.getBackend()} after switching to ${name}`);
  silenceCpuBanner(tf);
}

async function loadNativeHere(tf: TF, probe: NativeProbe): Promise<void> {
  if (nativeLoadedHere && nativeLoadedHere !== probe.pkg) {
    throw new Error(`${nativeLoadedHere} is already loaded in this process; restart to use ${probe.pkg}`);
  }
  // layering-allow: the native tfjs backend package the doctor found (tfjs-node or tfjs-node-gpu).
  require(probe.dir as string);
  nativeLoadedHere = probe.pkg;
  if (!tf.findBackendFactory('tensorflow')) {
    const ours = require.resolve('@tensorflow/tfjs');
    const theirs = createRequire(join(probe.dir as string, 'package.json')).resolve('@tensorflow/tfjs');
    throw new Error(`${probe.pkg} registered its backend on another @tensorflow/tfjs copy (${theirs}, Layerloom uses ${ours}): run npm dedupe`);
  }
  await switchTo(tf, 'tensorflow');
}

interface Outcome {
  readonly id: BackendId;
  readonly tfVersion: string | null;
  readonly linkedTo: string | null;
  readonly gpu: boolean;
  readonly wasmKernels: WasmKernelInfo | null;
}

/**
 * The shared chooser. `load`: switch the shared tfjs to each candidate until one works.
 * Without it (detection only) nothing TensorFlow-related is loaded in this process: native
 * packages are judged by their child-process probe, wasm and cpu by their files.
 */
async function choose(opts: LoadBackendOptions, load: boolean): Promise<{ outcome: Outcome; attempts: BackendAttempt[]; forced: boolean; notes: string[] }> {
  if (opts.quietTensorFlow !== false && process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '1';
  const requested = requestedBackend(opts);
  const forced = requested !== 'auto';
  const kernelsPresent = wasmKernelsAvailable();
  const order = forced ? [requested] : (opts.order ?? defaultBackendOrder());
  const attempts: BackendAttempt[] = [];
  const notes: string[] = [];
  const tf = load ? await tfjs() : null;
  let gpuOnCpu: NativeProbe | null = null;

  const tryNativeGpuOnCpu = async (): Promise<Outcome | null> => {
    if (!gpuOnCpu) return null;
    const probe = gpuOnCpu;
    gpuOnCpu = null;
    try {
      if (tf) await loadNativeHere(tf, probe);
      attempts.push({ backend: 'native-gpu', ok: true, reason: `${probe.pkg} on the CPU (TensorFlow ${probe.tfVersion ?? '?'}); no GPU: ${gpuProblem(probe)}` });
      return { id: 'native-gpu', tfVersion: probe.tfVersion, linkedTo: probe.linkedTo, gpu: false, wasmKernels: null };
    } catch (e) {
      attempts.push({ backend: 'native-gpu', ok: false, reason: `${probe.pkg} (CPU fallback) failed to load here: ${(e as Error).message}` });
      return null;
    }
  };

  for (const id of order) {
    // A GPU package that runs on the CPU still beats wasm and pure JS when tfjs-node is missing.
    if ((id === 'wasm' || id === 'cpu') && gpuOnCpu) {
      const used = await tryNativeGpuOnCpu();
      if (used) return { outcome: used, attempts, forced, notes };
    }
    if (id === 'native-gpu' || id === 'native') {
      const probe = await probeNative(BACKEND_PACKAGES[id], opts.refresh ?? false);
      const usable = probe.loaded && (id === 'native' || probe.gpu || forced);
      if (!usable) {
        attempts.push({ backend: id, ok: false, reason: nativeReason(id, probe) });
        if (id === 'native-gpu' && probe.loaded) gpuOnCpu = probe;
        continue;
      }
      try {
        if (tf) await loadNativeHere(tf, probe);
      } catch (e) {
        attempts.push({ backend: id, ok: false, reason: `${probe.pkg} passed its check but failed to load here: ${(e as Error).message}` });
        continue;
      }
      const where = probe.gpu ? 'GPU' : 'CPU';
      const version = packageVersion(probe.dir);
      attempts.push({ backend: id, ok: true, reason: `${probe.pkg}${version ? ` ${version}` : ''} loaded: TensorFlow ${probe.tfVersion ?? '?'} on the ${where}` });
      if (id === 'native-gpu' && !probe.gpu) notes.push(`Forced native-gpu runs on the CPU: ${gpuProblem(probe)}`);
      return { outcome: { id, tfVersion: probe.tfVersion, linkedTo: probe.linkedTo, gpu: probe.gpu, wasmKernels: null }, attempts, forced, notes };
    }
    if (id === 'wasm') {
      try {
        let info: WasmKernelInfo | null = null;
        let threadsNote: string | null = null;
        if (tf) {
          await import('@tensorflow/tfjs-backend-wasm');
          threadsNote = await startWasmThreads(tf);
          await switchTo(tf, 'wasm');
          const register = await loadWasmKernels();
          info = register ? register(tf) : null;
        } else {
          const dir = packageDir(BACKEND_PACKAGES.wasm);
          if (!dir) throw new Error(`${BACKEND_PACKAGES.wasm} not installed: run npm install`);
          if (!existsSync(join(dir, 'dist', 'tfjs-backend-wasm-simd.wasm'))) throw new Error(`${BACKEND_PACKAGES.wasm} is missing its .wasm files: reinstall it`);
        }
        const kernelsNote = kernelsPresent
          ? info
            ? `${info.registered.length} training kernels added${info.fallbacks.length ? `, ${info.fallbacks.length} kernels run on the slower cpu fallback` : ''}`
            : 'training kernels available'
          : 'no training kernels (electron/services/wasmKernels.ts missing): convolutions and embeddings cannot train';
        attempts.push({ backend: 'wasm', ok: true, reason: `WebAssembly backend ${tf ? 'loaded' : 'available'}${threadsNote ? ` (${threadsNote})` : ''}; ${kernelsNote}` });
        return { outcome: { id: 'wasm', tfVersion: null, linkedTo: null, gpu: false, wasmKernels: info }, attempts, forced, notes };
      } catch (e) {
        attempts.push({ backend: 'wasm', ok: false, reason: `the wasm backend did not load: ${(e as Error).message}` });
        continue;
      }
    }
    // cpu
    try {
      if (tf) await switchTo(tf, 'cpu');
      attempts.push({ backend: 'cpu', ok: true, reason: 'pure-JavaScript backend: works everywhere, hundreds of times slower than native TensorFlow for convolutions' });
      if (!forced && !kernelsPresent && order.indexOf('cpu') < order.indexOf('wasm')) {
        notes.push('wasm was not tried before cpu: electron/services/wasmKernels.ts is not part of this build, and stock wasm cannot train convolutions or embeddings. Force it with --backend wasm for dense/recurrent models.');
      }
      return { outcome: { id: 'cpu', tfVersion: null, linkedTo: null, gpu: false, wasmKernels: null }, attempts, forced, notes };
    } catch (e) {
      attempts.push({ backend: 'cpu', ok: false, reason: `the cpu backend did not load: ${(e as Error).message}` });
    }
  }
  const used = await tryNativeGpuOnCpu();
  if (used) return { outcome: used, attempts, forced, notes };
  const why = attempts.map((a) => `${a.backend}: ${a.reason}`).join('\n  ');
  throw new BackendUnavailableError(forced ? `The ${requested} backend is not available:\n  ${why}` : `No TensorFlow.js backend could be loaded:\n  ${why}`, attempts);
}

async function buildReport(outcome: Outcome, attempts: BackendAttempt[], forced: boolean, notes: string[], tfjsVersion: string): Promise<BackendReport> {
  const native = outcome.id === 'native' || outcome.id === 'native-gpu';
  const fast = native || (outcome.id === 'wasm' && wasmKernelsAvailable());
  return {
    id: outcome.id,
    backend: TFJS_NAMES[outcome.id],
    package: BACKEND_PACKAGES[outcome.id],
    tfjsVersion,
    tfVersion: outcome.tfVersion,
    linkedTo: outcome.linkedTo,
    device: native ? await nativeDevice(outcome.gpu) : cpuDevice(),
    forced,
    attempts,
    wasmKernels: outcome.wasmKernels,
    fast,
    notes,
  };
}

/**
 * Loads the best backend that works here (or the forced one) into the shared `@tensorflow/tfjs`
 * instance and returns that namespace with the doctor's report.
 * Throws BackendUnavailableError when a forced backend (or, in theory, every backend) fails.
 */
export async function loadBestBackend(opts: LoadBackendOptions = {}): Promise<LoadedBackend> {
  const { outcome, attempts, forced, notes } = await choose(opts, true);
  const tf = await tfjs();
  const report = await buildReport(outcome, attempts, forced, notes, tf.version.tfjs ?? tf.version_core);
  return { tf, report };
}

/**
 * The same verdict as loadBestBackend without loading TensorFlow into this process (native
 * packages are checked in a child process): for hosts that only show the status.
 */
export async function detectBestBackend(opts: LoadBackendOptions = {}): Promise<BackendReport> {
  const { outcome, attempts, forced, notes } = await choose(opts, false);
  const version = packageVersion(packageDir('@tensorflow/tfjs')) ?? 'unknown';
  return buildReport(outcome, attempts, forced, notes, version);
}

/** One line for a device: `CPU: Intel Xeon (2 cores, 23.4 GiB)`, `GPU: NVIDIA A100 (40 GiB)`. */
export function describeDevice(d: BackendDevice): string {
  const gib = d.memoryMiB === null ? null : `${(d.memoryMiB / 1024).toFixed(1)} GiB`;
  const extras = [d.cores ? `${d.cores} cores` : null, gib, d.driver ? `driver ${d.driver}` : null].filter(Boolean).join(', ');
  return `${d.kind}${d.name ? `: ${d.name}` : ''}${extras ? ` (${extras})` : ''}`;
}

/** The status-bar form of a report (shared/api/types.ts BackendStatus). */
export function toBackendStatus(report: BackendReport): BackendStatus {
  const device = report.device.kind === 'GPU' ? `GPU${report.device.name ? ` (${report.device.name})` : ''}` : 'CPU';
  const engine = report.tfVersion ? `${report.backend} (TensorFlow ${report.tfVersion})` : report.backend;
  const summary = report.fast
    ? `${engine} on ${device}`
    : report.id === 'cpu'
      ? `${engine}: pure JavaScript, very slow. Run npm run native:link for the native TensorFlow backend.`
      : `${engine}: cannot train convolutions or embeddings here.`;
  return {
    backend: report.backend,
    device,
    ok: report.fast,
    summary,
    details: [...report.attempts.map((a) => `${a.ok ? 'used' : 'not used'} ${a.backend}: ${a.reason}`), ...report.notes],
  };
}

/** The backend status for the app's status bar (detection only; nothing is loaded here). */
export async function getBackendStatus(): Promise<BackendStatus> {
  return toBackendStatus(await detectBestBackend());
}
